// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.softmax: output scale 1/256 and zero point -128; TFLite's preprocessing ranges.

// The output scale is 1/256.
func.func @output_scale(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.0078125:-128>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:6:3: 'cmsis.softmax' result: softmax output must be quantized with scale 1/256 and zero point -128, got 0.0078125:-128

// -----

// The output zero point is -128.
func.func @output_zero_point(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:0>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:15:3: 'cmsis.softmax' result: softmax output must be quantized with scale 1/256 and zero point -128, got 0.00390625:0

// -----

// The output has the input's shape.
func.func @shape(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x9x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:24:3: 'cmsis.softmax' result: shape [1, 9] does not match the expected [1, 10]

// -----

// The input multiplier is a non-negative Q31 value.
func.func @multiplier(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = -1 : i32, input_left_shift = 23 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:33:3: 'cmsis.softmax' input_multiplier: -1 is outside [0, 2147483647]

// -----

// The left shift lies in [0, 31].
func.func @left_shift(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 32 : i32, diff_min = -3968 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:42:3: 'cmsis.softmax' input_left_shift: 32 is outside [0, 31]

// -----

// diff_min bounds x - max(x) and is not positive.
func.func @diff_min(%x: tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) {
  %y = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 23 : i32, diff_min = 1 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.125:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:51:3: 'cmsis.softmax' diff_min: must be <= 0, got 1

// -----

// The int16 softmax needs both tables.
func.func @s16_without_tables(%x: tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) {
  %y = cmsis.softmax %x {input_multiplier = 1398101 : i32, input_left_shift = 0 : i32, diff_min = 0 : i32} : (tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) -> tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:60:3: 'cmsis.softmax' exp_lut: the int16 softmax (arm_softmax_s16) needs its 513-entry table

// -----

// Its output is at 1/32768 : 0.
func.func @s16_output(%x: tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) {
  %y = cmsis.softmax %x {input_multiplier = 1398101 : i32, input_left_shift = 0 : i32, diff_min = 0 : i32, exp_lut = dense<1> : tensor<513xi16>, one_by_one_lut = dense<2> : tensor<513xi16>} : (tensor<1x10x!quant.uniform<i16:f32, 0.0001>>) -> tensor<1x10x!quant.uniform<i16:f32, 0.0001>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:69:3: 'cmsis.softmax' result: int16 softmax output must be quantized with scale 1/32768 and zero point 0, got 0.0001:0

// -----

// An int16 tensor has zero point 0 (TFLite's 16x8 scheme).
func.func @s16_zero_point(%x: tensor<1x10x!quant.uniform<i16:f32, 0.0001:5>>) {
  %y = cmsis.softmax %x {input_multiplier = 1398101 : i32, input_left_shift = 0 : i32, diff_min = 0 : i32, exp_lut = dense<1> : tensor<513xi16>, one_by_one_lut = dense<2> : tensor<513xi16>} : (tensor<1x10x!quant.uniform<i16:f32, 0.0001:5>>) -> tensor<1x10x!quant.uniform<i16:f32, 3.0517578125e-05>>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:78:3: 'cmsis.softmax' input: int16 activations have zero point 0 (TFLite's 16x8 scheme), got 5
