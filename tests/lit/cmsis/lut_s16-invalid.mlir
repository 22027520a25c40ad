// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.lut_s16: int16 input and output of one shape, step_log2 in [0, 15], an i16 table of (65536 >> step_log2) + 1.

// The table holds int16 outputs.
func.func @element(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lut_s16 %x {table = dense<0> : tensor<3xi8>, step_log2 = 15 : i32} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i16:f32, 0.0001:0>>
  func.return
}
// CHECK: error: {{.*}}lut_s16-invalid.mlir:6:3: 'cmsis.lut_s16' table: expected i16 entries, got i8

// -----

// One entry per 2^step_log2 codes, and one past the end.
func.func @entries(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lut_s16 %x {table = dense<0> : tensor<512xi16>, step_log2 = 7 : i32} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i16:f32, 0.0001:0>>
  func.return
}
// CHECK: error: {{.*}}lut_s16-invalid.mlir:15:3: 'cmsis.lut_s16' table: shape [512] is not [513] ((65536 >> 7) + 1 entries)

// -----

// A spacing of 2^16 codes would leave two entries for the whole range; the kernel takes up to 2^15.
func.func @step(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lut_s16 %x {table = dense<0> : tensor<2xi16>, step_log2 = 16 : i32} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<4x!quant.uniform<i16:f32, 0.0001:0>>
  func.return
}
// CHECK: error: {{.*}}lut_s16-invalid.mlir:24:3: 'cmsis.lut_s16' step_log2

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lut_s16 %x {table = dense<0> : tensor<3xi16>, step_log2 = 15 : i32} : (tensor<4x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<2x2x!quant.uniform<i16:f32, 0.0001:0>>
  func.return
}
// CHECK: error: {{.*}}lut_s16-invalid.mlir:33:3: 'cmsis.lut_s16' result: shape [2, 2] does not match the expected [4]
