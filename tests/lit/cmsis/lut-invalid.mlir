// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.lut: int8 per-tensor input and output of one shape, an i8 table of [256] or [C, 256].

// The table holds int8 outputs.
func.func @element(%x: tensor<4x!quant.uniform<i8:f32, 0.05:3>>) {
  %y = cmsis.lut %x {table = dense<0> : tensor<256xi16>} : (tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<4x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}lut-invalid.mlir:6:3: 'cmsis.lut' table: expected i8 entries, got i16

// -----

// One table of 256 entries, or one per channel of the last axis.
func.func @entries(%x: tensor<4x!quant.uniform<i8:f32, 0.05:3>>) {
  %y = cmsis.lut %x {table = dense<0> : tensor<255xi8>} : (tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<4x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}lut-invalid.mlir:15:3: 'cmsis.lut' table: shape [255] is neither [256] nor [4, 256] (one table per channel of the last axis)

// -----

// As many tables as channels.
func.func @channels(%x: tensor<2x4x!quant.uniform<i8:f32, 0.05:3>>) {
  %y = cmsis.lut %x {table = dense<0> : tensor<3x256xi8>} : (tensor<2x4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<2x4x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}lut-invalid.mlir:24:3: 'cmsis.lut' table: shape [3, 256] is neither [256] nor [4, 256] (one table per channel of the last axis)

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<4x!quant.uniform<i8:f32, 0.05:3>>) {
  %y = cmsis.lut %x {table = dense<0> : tensor<256xi8>} : (tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}lut-invalid.mlir:33:3: 'cmsis.lut' result: shape [2, 2] does not match the expected [4]

// -----

// The input is int8 per tensor.
func.func @input(%x: tensor<4xi8>) {
  %y = cmsis.lut %x {table = dense<0> : tensor<256xi8>} : (tensor<4xi8>) -> tensor<4x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}lut-invalid.mlir:42:3: 'cmsis.lut' input: expected int8 per-tensor !quant.uniform elements, got i8
