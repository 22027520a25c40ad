// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.mul is element-wise with numpy broadcasting, as in ONNX.

// Same shapes (a residual connection).
// CHECK-LABEL: func.func @same_shape
// CHECK: %y = nn.mul %a, %b : (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
func.func @same_shape(%a: tensor<1x16x8x8xf32>, %b: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %y = nn.mul %a, %b : (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  func.return %y : tensor<1x16x8x8xf32>
}

// A per-feature vector broadcasts over the rows (MatMul + Add bias).
// CHECK-LABEL: func.func @broadcast
// CHECK: %y = nn.mul %a, %b : (tensor<1x10xf32>, tensor<10xf32>) -> tensor<1x10xf32>
func.func @broadcast(%a: tensor<1x10xf32>, %b: tensor<10xf32>) -> tensor<1x10xf32> {
  %y = nn.mul %a, %b : (tensor<1x10xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  func.return %y : tensor<1x10xf32>
}
