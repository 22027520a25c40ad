// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.activation_s16: int16 in and out, the output at 2^-15, the function, the input scaling's range.

// The input is int16 (int8 tables are cmsis.lut).
func.func @int8_input(%x: tensor<16x!quant.uniform<i8:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<16x!quant.uniform<i8:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:6:3: 'cmsis.activation_s16' input: expected int16 per-tensor !quant.uniform elements, got

// -----

// The output is Q0.15, what TFLite's int16 kernels write.
func.func @output_scale(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "tanh", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 6.103515625e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:15:3: 'cmsis.activation_s16' result: TFLite's int16 TANH writes scale 2^-15 (Q0.15), got 6.103515625e-05

// -----

// Only sigmoid and tanh.
func.func @function(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "elu", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:24:3: 'cmsis.activation_s16' function: expected one of ['sigmoid', 'tanh'], got 'elu'

// -----

// The shape is kept.
func.func @shape(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<2x8x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:33:3: 'cmsis.activation_s16' result: shape [2, 8] does not match the expected [16]

// -----

// The right shift is in [0, 31].
func.func @shift(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 32 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:42:3: 'cmsis.activation_s16' input_shift: 32 is outside [0, 31]

// -----

// x * multiplier stays an int32 for every int16 x (TFLite Micro's product): 65537 * 32767 does not.
func.func @overflow(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 65537 : i32, input_shift = 0 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:51:3: 'cmsis.activation_s16' input_multiplier: 65537 must be positive and keep x * it + 0 within int32 for every int16 x (TFLite Micro multiplies in int32)

// -----

// A zero multiplier (TFLite Micro's power-of-two marker) is resolved before: 3 << shift, shift 0.
func.func @zero(%x: tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) {
  %y = cmsis.activation_s16 %x {function = "tanh", input_multiplier = 0 : i32, input_shift = 1 : i32} : (tensor<16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return
}
// CHECK: error: {{.*}}activation_s16-invalid.mlir:60:3: 'cmsis.activation_s16' input_multiplier: 0 must be positive and keep x * it + 1 within int32 for every int16 x (TFLite Micro multiplies in int32)
