// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.mul: same shapes (no broadcasting), offsets matching the zero points.

// CMSIS-NN does not broadcast: both inputs have the same shape.
func.func @broadcast(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x1x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x1x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:6:3: 'cmsis.mul' rhs: shape [1, 4, 4, 1] differs from lhs [1, 4, 4, 8] (CMSIS-NN does not broadcast)

// -----

// The result has the inputs' shape.
func.func @result_shape(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x9x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:15:3: 'cmsis.mul' result: shape [1, 4, 4, 9] does not match the expected [1, 4, 4, 8]

// -----

// input2_offset is minus the second input's zero point (-7).
func.func @input2_offset(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = 7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:24:3: 'cmsis.mul' input2_offset: 7 does not match the zero point 7 of its tensor (expected -7)

// -----

// output_offset lies in [-128, 127].
func.func @output_offset_range(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -129 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:33:3: 'cmsis.mul' output_offset: -129 is outside [-128, 127]

// -----

// The shift lies in [-31, 30].
func.func @output_shift(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = 31 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:42:3: 'cmsis.mul' output_shift: 31 is outside [-31, 30]

// -----

// The multiplier is a non-negative Q31 value.
func.func @output_multiplier(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = -1 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:51:3: 'cmsis.mul' output_multiplier: -1 is outside [0, 2147483647]

// -----

// act_min <= act_max.
func.func @act_range(%a: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, %b: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) {
  %y = cmsis.mul %a, %b {act_min = 5 : i32, act_max = 4 : i32, input1_offset = 3 : i32, input2_offset = -7 : i32, output_offset = -128 : i32, output_multiplier = 1431655765 : i32, output_shift = -2 : i32} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x4x4x8x!quant.uniform<i8:f32, 0.25:7>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.75:-128>>
  func.return
}
// CHECK: error: {{.*}}mul-invalid.mlir:60:3: 'cmsis.mul' act_min: 5 is greater than act_max 4
