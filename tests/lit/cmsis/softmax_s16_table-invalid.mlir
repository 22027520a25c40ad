// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.softmax_s16_table: int16 input and output of one shape with at least one axis, an i32 table of [512].

// The table holds exp values with 30 fraction bits, as int32.
func.func @element(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.softmax_s16_table %x {table = dense<0> : tensor<512xi16>} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return
}
// CHECK: error: {{.*}}softmax_s16_table-invalid.mlir:6:3: 'cmsis.softmax_s16_table' table: expected i32 entries, got i16

// -----

// 256 coarse and 256 fine steps.
func.func @entries(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.softmax_s16_table %x {table = dense<0> : tensor<256xi32>} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return
}
// CHECK: error: {{.*}}softmax_s16_table-invalid.mlir:15:3: 'cmsis.softmax_s16_table' table: shape [256] is not [512]

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.softmax_s16_table %x {table = dense<0> : tensor<512xi32>} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<2x2x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return
}
// CHECK: error: {{.*}}softmax_s16_table-invalid.mlir:24:3: 'cmsis.softmax_s16_table' result: shape [2, 2] does not match the expected [4]

// -----

// int16 only.
func.func @width(%x: tensor<4x!quant.uniform<i8:f32, 0.0001:0>>) {
  %y = cmsis.softmax_s16_table %x {table = dense<0> : tensor<512xi32>} : (tensor<4x!quant.uniform<i8:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i8:f32, 3.051850947599719e-05:0>>
  func.return
}
// CHECK: error: {{.*}}softmax_s16_table-invalid.mlir:33:3: 'cmsis.softmax_s16_table' input: expected int16 per-tensor !quant.uniform elements, got !quant.uniform<i8:f32, 0.0001:0>
