// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.requantize: shapes, the requantization, offsets against zero points, the clamp.

// The result has the input's shape.
func.func @result_shape(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<12x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:6:3: 'cmsis.requantize' result: shape [12] does not match the expected [2, 6]

// -----

// The multiplier is a Q31 value in [0, 2^31 - 1].
func.func @negative_multiplier(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = -1 : i32, shift = 2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:15:3: 'cmsis.requantize' multiplier: -1 is outside [0, 2147483647]

// -----

// Shifts stay in [-31, 30].
func.func @shift_too_large(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 31 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:24:3: 'cmsis.requantize' shift: 31 is outside [-31, 30]

// -----

// The input offset is minus the input zero point.
func.func @input_offset(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 0 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:33:3: 'cmsis.requantize' input_offset: 0 does not match the zero point -4 of its tensor (expected 4)

// -----

// The output offset is the output zero point.
func.func @output_offset(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 4 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:42:3: 'cmsis.requantize' output_offset: -3 does not match the zero point 3 of its tensor (expected 3)

// -----

// The clamp stays in int8.
func.func @clamp_outside_int8(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 128 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:51:3: 'cmsis.requantize' act_max: 128 is outside [-128, 127]

// -----

// Both sides are int8 or int16 per tensor.
func.func @per_axis_result(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 4 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<2x6x!quant.uniform<i8:f32:0, {0.25:0, 0.5:0}>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:60:3: 'cmsis.requantize' result: expected int8 or int16 per-tensor !quant.uniform elements, got !quant.uniform<i8:f32:0, {0.25:0, 0.5:0}>

// -----

// A left shift keeps every input value an int32 (TFLite's MultiplyByQuantizedMultiplier shifts in int32).
func.func @shift_overflow(%x: tensor<16x!quant.uniform<i16:f32, 1.0:0>>) {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = 21 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32} : (tensor<16x!quant.uniform<i16:f32, 1.0:0>>) -> tensor<16x!quant.uniform<i16:f32, 9.5367431640625e-07:0>>
  func.return
}
// CHECK: error: {{.*}}requantize-invalid.mlir:69:3: 'cmsis.requantize' shift: an input of 32768 shifted left by 21 leaves int32
