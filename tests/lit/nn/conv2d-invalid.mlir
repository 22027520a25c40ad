// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.conv2d: ONNX Conv shape rules.

// The weight is OIHW, rank 4.
func.func @weight_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:6:3: 'nn.conv2d' weight: expected rank 4 OIHW, got rank 3

// -----

// Two strides, one per spatial dimension.
func.func @strides_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:15:3: 'nn.conv2d' strides: expected 2 values, got 1

// -----

// Strides are at least 1.
func.func @stride_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:24:3: 'nn.conv2d' strides: must be >= 1, got [0, 1]

// -----

// Padding cannot be negative.
func.func @negative_pad(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: -1, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:33:3: 'nn.conv2d' pads: must be >= 0, got [-1, 0, 0, 0]

// -----

// Dilations are at least 1.
func.func @dilation_zero(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 0, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:42:3: 'nn.conv2d' dilations: must be >= 1, got [0, 1]

// -----

// The group count divides the input and output channels.
func.func @group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:51:3: 'nn.conv2d' group: 2 does not divide input channels 3 and output channels 4

// -----

// The weight has C_in / group input channels.
func.func @channels_per_group(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:60:3: 'nn.conv2d' weight: has 4 input channels per group, input has 4 channels in 2 groups

// -----

// One bias value per output channel.
func.func @bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  %y = nn.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:69:3: 'nn.conv2d' bias: expected shape [4], got [3]

// -----

// The window must fit in the padded input.
func.func @window(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:78:3: 'nn.conv2d' input: spatial size 2x2 is smaller than the kernel window

// -----

// The result shape follows from input, window, stride and padding (8 - 3 + 1 = 6).
func.func @result_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:87:3: 'nn.conv2d' result: shape [1, 4, 8, 8] does not match the expected [1, 4, 6, 6]

// -----

// nn ops compute on f32 (int8 data goes through nn.dequantize first).
func.func @int8(%x: tensor<1x3x8x8xi8>, %w: tensor<4x3x3x3xf32>) {
  %y = nn.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xi8>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return
}
// CHECK: error: {{.*}}conv2d-invalid.mlir:96:3: 'nn.conv2d' operand: expected f32 elements, got i8
