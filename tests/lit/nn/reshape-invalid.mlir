// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.reshape: same element count, same element type.

// 2x3 has 6 elements, 7 does not fit.
func.func @count(%x: tensor<2x3xf32>) {
  %y = nn.reshape %x : (tensor<2x3xf32>) -> tensor<7xf32>
  func.return
}
// CHECK: error: {{.*}}reshape-invalid.mlir:6:3: 'nn.reshape' result: [7] has 7 elements, the input [2, 3] has 6

// -----

// Reshaping does not convert elements.
func.func @element(%x: tensor<2x3xf32>) {
  %y = nn.reshape %x : (tensor<2x3xf32>) -> tensor<6xi8>
  func.return
}
// CHECK: error: {{.*}}reshape-invalid.mlir:15:3: 'nn.reshape' result: element type i8 differs from the input's f32
