// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.softmax is arm_softmax_s8 over the last dimension; the output is
// quantized with scale 1/256 and zero point -128, as TFLite requires.

// Input multiplier and left shift from beta * input_scale, diff_min <= 0.
// CHECK-LABEL: func.func @softmax
// CHECK-NEXT: %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
func.func @softmax(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %y : tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
}
