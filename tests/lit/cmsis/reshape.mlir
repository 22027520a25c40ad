// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.reshape is a view: the same bytes under another shape; it calls no kernel
// and keeps the quantization.

// Flatten NHWC 4x4x32 to the 2-D input of a fully connected layer.
// CHECK-LABEL: func.func @flatten
// CHECK-NEXT: %y = cmsis.reshape %x : (tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x512x!quant.uniform<i8:f32, 0.5:-128>>
func.func @flatten(%x: tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x512x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.reshape %x : (tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x512x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x512x!quant.uniform<i8:f32, 0.5:-128>>
}
