// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.matmul: [N, K] x [K, M] -> [N, M].

// The inner dimensions must agree.
func.func @inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  %y = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  func.return
}
// CHECK: error: {{.*}}matmul-invalid.mlir:6:3: 'nn.matmul' operand: shapes [2, 3] and [4, 5] cannot be multiplied

// -----

// Only rank-2 operands.
func.func @rank(%a: tensor<1x2x3xf32>, %b: tensor<3x5xf32>) {
  %y = nn.matmul %a, %b : (tensor<1x2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  func.return
}
// CHECK: error: {{.*}}matmul-invalid.mlir:15:3: 'nn.matmul' operand: shapes [1, 2, 3] and [3, 5] cannot be multiplied

// -----

// The result is [N, M].
func.func @result(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) {
  %y = nn.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
  func.return
}
// CHECK: error: {{.*}}matmul-invalid.mlir:24:3: 'nn.matmul' result: shape [2, 3] does not match the expected [2, 5]
