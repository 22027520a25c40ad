// RUN: cmsis-opt %s --liveness | filecheck %s
// --liveness records the memory plan's buffers (as --bufferize does, when the IR has none)
// with their live steps [first, last]:
//   step 0: a = fc(x)   1: b = fc(x)   2: c = add(a, b)   3: d = fc(v), v a view of c   4: e = fc(d)
// x is read last at step 1; a is a graph output, so it lives to the last step;
// c lives until step 3 because its view v is read there.
// Live bytes per step: 24, 40, 48, 36, 22: the no-overlap bound is 48.

// CHECK:      attributes {arena.bounds = #arena.bounds<no_overlap = 48, activations = 48>}
// CHECK:      arena.buffer %x {name = "input", size = 8 : i64, first = 0 : i64, last = 1 : i64}
// CHECK:      arena.buffer %a {name = "a", size = 16 : i64, first = 0 : i64, last = 4 : i64}
// CHECK:      arena.buffer %b {name = "b", size = 16 : i64, first = 1 : i64, last = 2 : i64}
// CHECK:      arena.buffer %c {name = "c", size = 16 : i64, first = 2 : i64, last = 3 : i64}
// CHECK:      arena.buffer %d {name = "d", size = 4 : i64, first = 3 : i64, last = 4 : i64}
// CHECK:      arena.buffer %e {name = "e", size = 2 : i64, first = 4 : i64, last = 4 : i64}

func.func @intervals(%x: tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) {
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<16x8xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %x {filter = dense<1> : tensor<16x8xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %c = cmsis.add %a, %b {input1_offset = 0 : i32, input2_offset = 0 : i32, output_offset = 0 : i32, input1_shift = 0 : i32, input2_shift = 0 : i32, output_shift = 0 : i32, left_shift = 0 : i32, input1_multiplier = 1073741824 : i32, input2_multiplier = 1073741824 : i32, output_multiplier = 1073741824 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "c"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %v = cmsis.reshape %c : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %d = cmsis.fully_connected %v {filter = dense<1> : tensor<4x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "d"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>
  %e = cmsis.fully_connected %d {filter = dense<1> : tensor<2x4xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "e"} : (tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %a, %e : tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
}

