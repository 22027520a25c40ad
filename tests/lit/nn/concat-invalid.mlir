// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.concat: inputs agree outside the axis; the result adds them up along it.

// At least one input.
func.func @empty() {
  %y = nn.concat {axis = 0 : i64} : () -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:6:3: 'nn.concat' inputs: needs at least one input

// -----

// The axis lies within the rank.
func.func @axis(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  %y = nn.concat %a, %b {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:15:3: 'nn.concat' axis: 2 is out of range for rank 2

// -----

// Dimensions other than the axis must agree.
func.func @other_dims(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  %y = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:24:3: 'nn.concat' inputs: shape [3, 3] does not match [2, 3] outside axis 1

// -----

// The result's axis is the sum of the inputs'.
func.func @result(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  %y = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:33:3: 'nn.concat' result: shape [2, 5] does not match the expected [2, 6]

// -----

// All inputs have the result's element type.
func.func @element(%a: tensor<2x3xf32>, %b: tensor<2x3xi8>) {
  %y = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xi8>) -> tensor<2x6xf32>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:42:3: 'nn.concat' result: element type f32 differs from the input's i8
