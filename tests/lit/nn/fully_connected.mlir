// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.fully_connected is y = x * weight^T + bias: x [N, K], weight [M, K].

// CHECK-LABEL: func.func @with_bias
// CHECK: %y = nn.fully_connected %x, %w, %b : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
func.func @with_bias(%x: tensor<1x512xf32>, %w: tensor<10x512xf32>, %b: tensor<10xf32>) -> tensor<1x10xf32> {
  %y = nn.fully_connected %x, %w, %b : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  func.return %y : tensor<1x10xf32>
}

// The bias is optional.
// CHECK-LABEL: func.func @no_bias
// CHECK: %y = nn.fully_connected %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
func.func @no_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  %y = nn.fully_connected %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
