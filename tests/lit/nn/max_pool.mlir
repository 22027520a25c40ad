// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.max_pool is ONNX MaxPool on NCHW: a window `kernel` moved by
// `strides`, pads [top, left, bottom, right], channels unchanged.

// The CIFAR-10 example's 3x3 / 2 pooling.
// CHECK-LABEL: func.func @pool_3x3_s2
// CHECK: %y = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x32x32x32xf32>) -> tensor<1x32x16x16xf32>
func.func @pool_3x3_s2(%x: tensor<1x32x32x32xf32>) -> tensor<1x32x16x16xf32> {
  %y = nn.max_pool %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x32x32x32xf32>) -> tensor<1x32x16x16xf32>
  func.return %y : tensor<1x32x16x16xf32>
}

// A non-square window without padding.
// CHECK-LABEL: func.func @pool_2x1
// CHECK: %y = nn.max_pool %x {kernel = array<i64: 2, 1>, strides = array<i64: 2, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x5xf32>) -> tensor<1x4x4x5xf32>
func.func @pool_2x1(%x: tensor<1x4x8x5xf32>) -> tensor<1x4x4x5xf32> {
  %y = nn.max_pool %x {kernel = array<i64: 2, 1>, strides = array<i64: 2, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x5xf32>) -> tensor<1x4x4x5xf32>
  func.return %y : tensor<1x4x4x5xf32>
}
