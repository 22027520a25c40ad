// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.transpose is ONNX Transpose: output dimension i is input dimension perm[i].

// The NHWC int8 graph input of a converted TFLite model, moved to NCHW.
// CHECK-LABEL: func.func @nhwc_to_nchw
// CHECK: %y = nn.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x32x32x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x32x32x!quant.uniform<i8:f32, 0.5:-128>>
func.func @nhwc_to_nchw(%x: tensor<1x32x32x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x32x32x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = nn.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x32x32x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x32x32x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x3x32x32x!quant.uniform<i8:f32, 0.5:-128>>
}

// CHECK-LABEL: func.func @float
// CHECK: %y = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
func.func @float(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %y = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  func.return %y : tensor<3x2xf32>
}
