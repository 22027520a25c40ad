// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.softmax is softmax(beta * x) along `axis` (ONNX opset 13); beta defaults
// to 1 and is then not printed.

// CHECK-LABEL: func.func @last_axis
// CHECK: %y = nn.softmax %x {axis = -1 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32>
func.func @last_axis(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %y = nn.softmax %x {axis = -1 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32>
  func.return %y : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @with_beta
// CHECK: %y = nn.softmax %x {axis = 1 : i64, beta = 5.000000e-01 : f32} : (tensor<1x12xf32>) -> tensor<1x12xf32>
func.func @with_beta(%x: tensor<1x12xf32>) -> tensor<1x12xf32> {
  %y = nn.softmax %x {axis = 1 : i64, beta = 0.5 : f32} : (tensor<1x12xf32>) -> tensor<1x12xf32>
  func.return %y : tensor<1x12xf32>
}
