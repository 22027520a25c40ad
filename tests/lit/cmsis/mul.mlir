// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.mul is arm_elementwise_mul_s8: (a - zp_a) * (b - zp_b), requantized with one
// (multiplier, shift); no broadcasting.

// Offsets are minus the input zero points, plus the output's.
// CHECK-LABEL: func.func @mul
// CHECK-NEXT: %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
func.func @mul(%a: tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>> {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
  func.return %y : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.75:-128>>
}
