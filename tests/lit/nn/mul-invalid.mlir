// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.mul: element-wise with numpy broadcasting.

// Dimensions broadcast only when equal or 1.
func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  %y = nn.mul %a, %b : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:6:3: 'nn.mul' operand: shapes [2, 3] and [2, 4] do not broadcast

// -----

// The result has the broadcast shape.
func.func @result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  %y = nn.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:15:3: 'nn.mul' result: shape [3] does not match the expected [2, 3]

// -----

// Operands are f32.
func.func @int(%a: tensor<3xi8>, %b: tensor<3xf32>) {
  %y = nn.mul %a, %b : (tensor<3xi8>, tensor<3xf32>) -> tensor<3xf32>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:24:3: 'nn.mul' operand: expected f32 elements, got i8
