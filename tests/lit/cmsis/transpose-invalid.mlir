// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.transpose: a permutation of every axis, the permuted shape, the quantization kept.

// Not a permutation: axis 1 twice.
func.func @repeated(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 1, 1, 2>} : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:6:3: 'cmsis.transpose' perm: [0, 1, 1, 2] is not a permutation of 0..3

// -----

// One entry per axis.
func.func @short(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x3x2x4x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:15:3: 'cmsis.transpose' perm: expected 4 values, got 3

// -----

// The result is the permuted shape.
func.func @shape(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:24:3: 'cmsis.transpose' result: shape [1, 2, 3, 4] does not match the expected [1, 4, 2, 3]

// -----

// arm_transpose_s8 takes at most 4 axes.
func.func @rank5(%x: tensor<1x1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 1, 4, 2, 3>} : (tensor<1x1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1x4x2x3x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:33:3: 'cmsis.transpose' input: expected rank 1 to 4 (arm_transpose_s8 takes cmsis_nn_dims), got shape [1, 1, 2, 3, 4]

// -----

// The quantization is kept: no requantization in a transpose.
func.func @requant(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x2x3x!quant.uniform<i8:f32, 0.25:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:42:3: 'cmsis.transpose' result: quantization !quant.uniform<i8:f32, 0.25:0> must equal the input's !quant.uniform<i8:f32, 0.5:0>

// -----

// The identity moves nothing (and arm_transpose_s8 would swap the axes of a rank-2 tensor anyway).
func.func @identity(%x: tensor<4x6x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = cmsis.transpose %x {perm = array<i64: 0, 1>} : (tensor<4x6x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<4x6x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}transpose-invalid.mlir:51:3: 'cmsis.transpose' perm: [0, 1] is the identity: a cmsis.reshape view keeps the same bytes
