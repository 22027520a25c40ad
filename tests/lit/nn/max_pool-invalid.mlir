// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.max_pool: window, stride and padding rules of ONNX pooling.

// The kernel has two values (height, width).
func.func @kernel_count(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:6:3: 'nn.max_pool' kernel: expected 2 values, got 1

// -----

// Window sizes are at least 1.
func.func @kernel_zero(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 0, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:15:3: 'nn.max_pool' kernel: must be >= 1, got [0, 2]

// -----

// Strides are at least 1.
func.func @stride_zero(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 0>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:24:3: 'nn.max_pool' strides: must be >= 1, got [2, 0]

// -----

// Four pads: top, left, bottom, right.
func.func @pads_count(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:33:3: 'nn.max_pool' pads: expected 4 values, got 2

// -----

// Padding smaller than the window, so that every window sees real input.
func.func @pad_too_large(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x5x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:42:3: 'nn.max_pool' pads: [2, 0, 0, 0] must be smaller than the kernel [2, 2]

// -----

// The input is NCHW, rank 4.
func.func @rank(%x: tensor<2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<2x8x8xf32>) -> tensor<2x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:51:3: 'nn.max_pool' input: expected a rank-4 NCHW tensor, got rank 3

// -----

// The window must fit in the padded input.
func.func @window(%x: tensor<1x2x1x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x1x8xf32>) -> tensor<1x2x1x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:60:3: 'nn.max_pool' input: spatial size 1x8 is smaller than the window

// -----

// Pooling keeps batch and channels; the spatial size follows from the window.
func.func @result_shape(%x: tensor<1x2x8x8xf32>) {
  %y = nn.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x3x4xf32>
  func.return
}
// CHECK: error: {{.*}}max_pool-invalid.mlir:69:3: 'nn.max_pool' result: shape [1, 2, 3, 4] does not match the expected [1, 2, 4, 4]
