// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// arena.alias %out onto %in licenses the op defining %out to write its output over
// its input %in, provided offset(out) - offset(in) <= max_delta.

// A same-size conv may start its output some bytes before its input (a negative delta).
// CHECK-LABEL: func.func @conv_trails_input
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.alias %y onto %x {max_delta = -24 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
func.func @conv_trails_input(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %x {max_delta = -24 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// An element-wise add may write exactly over either input (delta 0).
// CHECK-LABEL: func.func @add_in_place
// CHECK-NEXT: %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 128 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 128 : i32, input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1073741824 : i32, output_shift = -20 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.alias %y onto %a {max_delta = 0 : i64} : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.alias %y onto %b {max_delta = 0 : i64} : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
func.func @add_in_place(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 128 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 128 : i32, input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1073741824 : i32, output_shift = -20 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %a {max_delta = 0 : i64} : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %b {max_delta = 0 : i64} : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
}
