// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.reshape is a row-major reshape (ONNX Reshape / Flatten); the new shape is
// the result type's. It works on float and on stored int8 values.

// Flatten before a fully connected layer.
// CHECK-LABEL: func.func @flatten
// CHECK: %y = nn.reshape %x : (tensor<1x32x4x4xf32>) -> tensor<1x512xf32>
func.func @flatten(%x: tensor<1x32x4x4xf32>) -> tensor<1x512xf32> {
  %y = nn.reshape %x : (tensor<1x32x4x4xf32>) -> tensor<1x512xf32>
  func.return %y : tensor<1x512xf32>
}

// CHECK-LABEL: func.func @quantized
// CHECK: %y = nn.reshape %x : (tensor<1x640x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10x64x!quant.uniform<i8:f32, 0.5:3>>
func.func @quantized(%x: tensor<1x640x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10x64x!quant.uniform<i8:f32, 0.5:3>> {
  %y = nn.reshape %x : (tensor<1x640x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10x64x!quant.uniform<i8:f32, 0.5:3>>
  func.return %y : tensor<1x10x64x!quant.uniform<i8:f32, 0.5:3>>
}
