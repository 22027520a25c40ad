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

// On int16 tensors (TFLite's 16x8 scheme) it is arm_softmax_s16: output 1/32768 : 0, and the two
// 513-entry tables (here splats; the quantize pass computes TFLite Micro's).
// CHECK-LABEL: func.func @softmax_s16
// CHECK-NEXT: %y = cmsis.softmax %x {input_multiplier = 1398101 : i32, input_left_shift = 0 : i32, diff_min = 0 : i32, exp_lut = dense<1> : tensor<513xi16>, one_by_one_lut = dense<2> : tensor<513xi16>} : (tensor<1x10x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
func.func @softmax_s16(%x: tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) -> tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05>> {
  %y = cmsis.softmax %x {input_multiplier = 1398101 : i32, input_left_shift = 0 : i32, diff_min = 0 : i32, exp_lut = dense<1> : tensor<513xi16>, one_by_one_lut = dense<2> : tensor<513xi16>} : (tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) -> tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05>>
  func.return %y : tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05>>
}
