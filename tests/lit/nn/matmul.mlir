// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.matmul is ONNX MatMul on rank-2 operands: [N, K] x [K, M] -> [N, M]
// (exporters write fully connected layers as MatMul + Add).

// CHECK-LABEL: func.func @matmul
// CHECK: %y = nn.matmul %x, %w : (tensor<1x640xf32>, tensor<640x128xf32>) -> tensor<1x128xf32>
func.func @matmul(%x: tensor<1x640xf32>, %w: tensor<640x128xf32>) -> tensor<1x128xf32> {
  %y = nn.matmul %x, %w : (tensor<1x640xf32>, tensor<640x128xf32>) -> tensor<1x128xf32>
  func.return %y : tensor<1x128xf32>
}
