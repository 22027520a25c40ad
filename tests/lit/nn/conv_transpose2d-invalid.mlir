// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.conv_transpose2d: ONNX ConvTranspose shape rules.

// The weight's first axis is the input channels.
func.func @weight_channels(%x: tensor<1x8x4x4xf32>, %w: tensor<6x8x3x3xf32>) {
  %y = nn.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<6x8x3x3xf32>) -> tensor<1x8x8x8xf32>
  func.return
}
// CHECK: error: {{.*}}conv_transpose2d-invalid.mlir:6:3: 'nn.conv_transpose2d' weight: has 6 input channels, input has 8

// -----

// The output padding (here 2) must stay below the stride.
func.func @output_padding(%x: tensor<1x8x4x4xf32>, %w: tensor<8x6x3x3xf32>) {
  %y = nn.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<8x6x3x3xf32>) -> tensor<1x6x10x8xf32>
  func.return
}
// CHECK: error: {{.*}}conv_transpose2d-invalid.mlir:15:3: 'nn.conv_transpose2d' result: height 10 is not 8 plus an output padding below the stride 2
