// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.global_avg_pool is ONNX GlobalAveragePool: N x C x H x W -> N x C x 1 x 1.

// CHECK-LABEL: func.func @global
// CHECK: %y = nn.global_avg_pool %x : (tensor<1x64x8x8xf32>) -> tensor<1x64x1x1xf32>
func.func @global(%x: tensor<1x64x8x8xf32>) -> tensor<1x64x1x1xf32> {
  %y = nn.global_avg_pool %x : (tensor<1x64x8x8xf32>) -> tensor<1x64x1x1xf32>
  func.return %y : tensor<1x64x1x1xf32>
}
