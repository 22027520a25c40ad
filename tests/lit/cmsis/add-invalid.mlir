// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.add: same shapes (no broadcasting), offsets matching the zero points.

// CMSIS-NN does not broadcast: both inputs have the same shape.
func.func @broadcast(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x1x1x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x1x1x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:6:3: 'cmsis.add' rhs: shape [1, 1, 1, 8] differs from lhs [1, 4, 4, 8] (CMSIS-NN does not broadcast)

// -----

// The result has the inputs' shape.
func.func @result_shape(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:15:3: 'cmsis.add' result: shape [1, 4, 4, 4] does not match the expected [1, 4, 4, 8]

// -----

// input1_offset is minus the first input's zero point (3).
func.func @input1_offset(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = -3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:24:3: 'cmsis.add' input1_offset: -3 does not match the zero point -3 of its tensor (expected 3)

// -----

// input2_offset is minus the second input's zero point (-7).
func.func @input2_offset(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:33:3: 'cmsis.add' input2_offset: 7 does not match the zero point 7 of its tensor (expected -7)

// -----

// output_offset is the output zero point (-128).
func.func @output_offset(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -127 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:42:3: 'cmsis.add' output_offset: -127 does not match the zero point -128 of its tensor (expected -128)

// -----

// Shifts lie in [-31, 30].
func.func @input1_shift(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = -32 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:51:3: 'cmsis.add' input1_shift: -32 is outside [-31, 30]

// -----

// Multipliers are non-negative Q31 values.
func.func @output_multiplier(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = -7 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:60:3: 'cmsis.add' output_multiplier: -7 is outside [0, 2147483647]

// -----

// left_shift lies in [0, 30] (TFLite uses 20).
func.func @left_shift(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 31 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:69:3: 'cmsis.add' left_shift: 31 is outside [0, 30]

// -----

// act_min <= act_max.
func.func @act_range(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = 127 : i32, act_max = -128 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:78:3: 'cmsis.add' act_min: 127 is greater than act_max -128

// -----

// Inputs are int8 !quant.uniform tensors.
func.func @float_input(%a: tensor<1x4x4x8xf32>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.add %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = -7 : i32, input2_multiplier = 1073741824 : i32, input2_shift = -1 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -19 : i32} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}add-invalid.mlir:87:3: 'cmsis.add' lhs: expected int8 or int16 per-tensor !quant.uniform elements, got f32
