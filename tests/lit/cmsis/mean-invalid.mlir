// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.mean: shapes, the int32 sum, the requantization, offsets against zero points, the clamp.

// The input is NHWC: rank 4.
func.func @rank_3(%x: tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x4x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:6:3: 'cmsis.mean' input: expected rank 4, got shape [1, 4, 4]

// -----

// The result is [N, 1, 1, C].
func.func @result_not_1x1(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x2x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:15:3: 'cmsis.mean' result: shape [1, 2, 1, 3] does not match the expected [1, 1, 1, 3]

// -----

// Each sum must fit an int32: at most 2^23 values per channel.
func.func @window_too_large(%x: tensor<1x4096x2049x1x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4096x2049x1x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x1x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:24:3: 'cmsis.mean' input: 4096x2049 values per sum may overflow the int32 accumulator (at most 8388608 per channel)

// -----

// The multiplier is a Q31 value in [0, 2^31 - 1].
func.func @negative_multiplier(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = -5 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:33:3: 'cmsis.mean' multiplier: -5 is outside [0, 2147483647]

// -----

// Shifts stay in [-31, 30].
func.func @shift_too_small(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -32 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:42:3: 'cmsis.mean' shift: -32 is outside [-31, 30]

// -----

// The input offset is minus the input zero point.
func.func @input_offset_sign(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = -4 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:51:3: 'cmsis.mean' input_offset: -4 does not match the zero point -4 of its tensor (expected 4)

// -----

// The output offset is the output zero point.
func.func @output_offset(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:60:3: 'cmsis.mean' output_offset: 0 does not match the zero point 3 of its tensor (expected 3)

// -----

// The clamp is a non-empty int8 range.
func.func @empty_clamp(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) {
  %y = cmsis.mean %x {multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 3 : i32, act_min = 5 : i32, act_max = 4 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:3>>
  func.return
}
// CHECK: error: {{.*}}mean-invalid.mlir:69:3: 'cmsis.mean' act_min: 5 is greater than act_max 4
