// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.pad is arm_pad_s8: NHWC constant padding with the zero point (real 0);
// pre_pad / post_pad give the padding before and after each of the 4 dimensions.

// Pad height by 1/2 and width by 0/1.
// CHECK-LABEL: func.func @spatial
// CHECK-NEXT: %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 2, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x5x8x!quant.uniform<i8:f32, 0.5:-128>>
func.func @spatial(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x5x8x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 2, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x5x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x7x5x8x!quant.uniform<i8:f32, 0.5:-128>>
}
