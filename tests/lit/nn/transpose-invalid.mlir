// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.transpose: perm is a permutation of the dimensions; result dim i = input dim perm[i].

// Every dimension exactly once.
func.func @not_a_permutation(%x: tensor<2x3x4xf32>) {
  %y = nn.transpose %x {perm = array<i64: 0, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<2x2x3xf32>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:6:3: 'nn.transpose' perm: [0, 0, 1] is not a permutation of 3 dimensions

// -----

// The result shape follows from perm.
func.func @result(%x: tensor<2x3x4xf32>) {
  %y = nn.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:15:3: 'nn.transpose' result: shape [2, 3, 4] does not match the expected [4, 2, 3]

// -----

// Transposing keeps the element type (and its quantization).
func.func @element(%x: tensor<2x3x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = nn.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<3x2x!quant.uniform<i8:f32, 0.25:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:24:3: 'nn.transpose' result: element type !quant.uniform<i8:f32, 0.25:0> differs from the input's !quant.uniform<i8:f32, 0.5:0>
