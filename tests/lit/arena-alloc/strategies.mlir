// RUN: cmsis-opt %s --arena-alloc=strategy=naive | filecheck %s --check-prefix=NAIVE
// RUN: cmsis-opt %s --arena-alloc=strategy=greedy-by-size | filecheck %s --check-prefix=REUSE
// RUN: cmsis-opt %s --arena-alloc=strategy=best-fit | filecheck %s --check-prefix=REUSE
// RUN: cmsis-opt %s --arena-alloc=strategy=optimal | filecheck %s --check-prefix=REUSE
// RUN: cmsis-opt %s --liveness --arena-alloc | filecheck %s --check-prefix=AUTO
// RUN: cmsis-opt %s --arena-alloc="strategy=optimal alignment=1" | filecheck %s --check-prefix=BYTE
// --arena-alloc places every buffer of the memory plan (live steps from the liveness analysis). Steps: 0 l0 = fc(x), 1 l1, 2 l2.
// input (100 bytes) lives at step 0, l0 (30) at 0..1, l1 (100) at 1..2, l2 (30) at 2.
// Offsets are multiples of 16 by default: the 100-byte buffers take 112 before a neighbour.

// NAIVE:      arena.plan = #arena.plan<size = 288, alignment = 16, strategy = "naive">
// NAIVE:      name = "input", {{.*}} offset = 0 : i64
// NAIVE:      name = "l0", {{.*}} offset = 112 : i64
// NAIVE:      name = "l1", {{.*}} offset = 144 : i64
// NAIVE:      name = "l2", {{.*}} offset = 256 : i64

// Reuse: l1 takes the bytes of the dead input, l2 those of l0; 112 + 30 rounded up to 16.
// REUSE:      arena.plan = #arena.plan<size = 144,
// REUSE:      name = "input", {{.*}} offset = 0 : i64
// REUSE:      name = "l0", {{.*}} offset = 112 : i64
// REUSE:      name = "l1", {{.*}} offset = 0 : i64
// REUSE:      name = "l2", {{.*}} offset = 112 : i64

// AUTO:       arena.bounds = #arena.bounds<no_overlap = 130, activations = 130>, arena.plan = #arena.plan<size = 144, alignment = 16, strategy = "auto (best-fit)">

// BYTE:       arena.plan = #arena.plan<size = 130, alignment = 1, strategy = "optimal">
// BYTE:       name = "l0", {{.*}} offset = 100 : i64

func.func @chain(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x30x!quant.uniform<i8:f32, 0.5:0>>) {
  %l0 = cmsis.fully_connected %x {filter = dense<1> : tensor<30x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "l0"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x30x!quant.uniform<i8:f32, 0.5:0>>
  %l1 = cmsis.fully_connected %l0 {filter = dense<1> : tensor<100x30xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "l1"} : (tensor<1x30x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %l2 = cmsis.fully_connected %l1 {filter = dense<1> : tensor<30x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "l2"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x30x!quant.uniform<i8:f32, 0.5:0>>
  func.return %l2 : tensor<1x30x!quant.uniform<i8:f32, 0.5:0>>
}

