// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.add is arm_elementwise_add_s8: both inputs rescaled to a common scale
// (left_shift 20), summed and requantized; no broadcasting.

// A residual connection: offsets are minus the input zero points, plus the output's.
// CHECK-LABEL: func.func @residual
// CHECK-NEXT: %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
func.func @residual(%a: tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>> {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
  func.return %y : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
}
