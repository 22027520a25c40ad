// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.pad: 2 x rank pads, none negative.

// A rank-2 tensor takes four pads.
func.func @count(%x: tensor<2x3xf32>) {
  %y = nn.pad %x {pads = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x4xf32>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:6:3: 'nn.pad' pads: expected 4 values, got 2

// -----

// Cropping (negative padding) is not supported.
func.func @negative(%x: tensor<2x3xf32>) {
  %y = nn.pad %x {pads = array<i64: 0, -1, 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:15:3: 'nn.pad' pads: negative padding [0, -1, 0, 0] is not supported

// -----

// The result grows by begin + end in each dimension.
func.func @result(%x: tensor<2x3xf32>) {
  %y = nn.pad %x {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x3xf32>) -> tensor<3x4xf32>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:24:3: 'nn.pad' result: shape [3, 4] does not match the expected [4, 5]
