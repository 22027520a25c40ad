// RUN: cmsis-opt %s --liveness --arena-alloc=alignment=4 | filecheck %s
// RUN: cmsis-opt %s --arena-alloc="alignment=4 strategy=greedy-by-size" | filecheck %s --check-prefix=GREEDY
// RUN: cmsis-opt %s --arena-alloc="alignment=16 strategy=optimal" | filecheck %s --check-prefix=A16
// arena.alias %a onto %x {max_delta = -20}: a may overlap x if it starts at least 20 bytes below it.
// Step 0 then needs 100 + 20 = 120 bytes instead of 200; step 1 needs a and b: 140.
// The allocator places a exactly 20 bytes below x.

// CHECK:      arena.bounds = #arena.bounds<no_overlap = 200, activations = 200>, {{.*}}arena.plan = #arena.plan<size = 140,
// CHECK:      arena.buffer %x {name = "input", {{.*}} offset = 20 : i64}
// CHECK:      arena.buffer %a {name = "a", {{.*}} offset = 0 : i64}
// CHECK:      arena.buffer %b {name = "b", {{.*}} offset = 100 : i64}

// TFLite Micro's greedy order, taught the alias, finds the same plan.
// GREEDY:     arena.plan = #arena.plan<size = 140,
// GREEDY:     arena.buffer %x {name = "input", {{.*}} offset = 20 : i64}
// GREEDY:     arena.buffer %a {name = "a", {{.*}} offset = 0 : i64}

// With 16-byte offsets the delta rounds down to -32: 132 at step 0, but a and b: 112 + 40.
// A16:        arena.plan = #arena.plan<size = 160,
// A16:        arena.buffer %x {name = "input", {{.*}} offset = 32 : i64}
// A16:        arena.buffer %a {name = "a", {{.*}} offset = 0 : i64}

func.func @alias(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>) {
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}

