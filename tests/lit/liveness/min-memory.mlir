// RUN: cmsis-opt %s --liveness | filecheck %s --check-prefix=GIVEN
// RUN: cmsis-opt %s --liveness=order=min-memory | filecheck %s --check-prefix=MIN
// RUN: not cmsis-opt %s --liveness=order=fastest 2>&1 | filecheck %s --check-prefix=BAD
// order=min-memory moves the kernel ops into the topological order with the smallest peak.
// Given order: b1 (1000 bytes) is made first and waits through a1 (2000) and a2 (1000): 4000.
// Running the a-branch first: x, a1 and a2 at step 1 = 3016. Buffers move with their ops.

// GIVEN: arena.bounds = #arena.bounds<no_overlap = 4000,

// MIN:      arena.bounds = #arena.bounds<no_overlap = 3016,
// MIN:      %a1 = cmsis.fully_connected %x
// MIN-NEXT: arena.buffer %a1 {name = "a1", size = 2000 : i64, first = 0 : i64, last = 1 : i64}
// MIN-NEXT: %a2 = cmsis.fully_connected %a1
// MIN-NEXT: arena.buffer %a2 {name = "a2", size = 1000 : i64, first = 1 : i64, last = 3 : i64}
// MIN-NEXT: %b1 = cmsis.fully_connected %x
// MIN-NEXT: arena.buffer %b1 {name = "b1", size = 1000 : i64, first = 2 : i64, last = 3 : i64}
// MIN-NEXT: %j = cmsis.add %a2, %b1

// BAD: error: pass 'liveness': option 'order' must be one of given, min-memory; got 'fastest'

func.func @branches(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>) {
  %b1 = cmsis.fully_connected %x {filter = dense<1> : tensor<1000x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b1"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>
  %a1 = cmsis.fully_connected %x {filter = dense<1> : tensor<2000x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a1"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2000x!quant.uniform<i8:f32, 0.5:0>>
  %a2 = cmsis.fully_connected %a1 {filter = dense<1> : tensor<1000x2000xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a2"} : (tensor<1x2000x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>
  %j = cmsis.add %a2, %b1 {input1_offset = 0 : i32, input2_offset = 0 : i32, output_offset = 0 : i32, input1_shift = 0 : i32, input2_shift = 0 : i32, output_shift = 0 : i32, left_shift = 0 : i32, input1_multiplier = 1073741824 : i32, input2_multiplier = 1073741824 : i32, output_multiplier = 1073741824 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "j"} : (tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>
  func.return %j : tensor<1x1000x!quant.uniform<i8:f32, 0.5:0>>
}

