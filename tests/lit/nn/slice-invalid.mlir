// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.slice: one start per axis, every slice inside the input.

// One start per axis.
func.func @count(%x: tensor<4x6xf32>) {
  %y = nn.slice %x {starts = array<i64: 1>} : (tensor<4x6xf32>) -> tensor<2x6xf32>
  func.return
}
// CHECK: error: {{.*}}slice-invalid.mlir:6:3: 'nn.slice' starts: expected 2 values, got 1

// -----

// The slice ends inside the input.
func.func @past_the_end(%x: tensor<4x6xf32>) {
  %y = nn.slice %x {starts = array<i64: 3, 0>} : (tensor<4x6xf32>) -> tensor<2x6xf32>
  func.return
}
// CHECK: error: {{.*}}slice-invalid.mlir:15:3: 'nn.slice' starts: [3, 5) is not inside [0, 4) on axis 0
