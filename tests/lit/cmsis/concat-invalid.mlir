// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.concat: NHWC, axis 0..3, inputs agree outside the axis and share the quantization.

// The axis is one of the four NHWC dimensions.
func.func @axis_range(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.concat %a, %b {axis = 4 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:6:3: 'cmsis.concat' axis: 4 is outside [0, 3]

// -----

// Negative axes are not accepted (the importer normalises them).
func.func @axis_negative(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.concat %a, %b {axis = -1 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:15:3: 'cmsis.concat' axis: -1 is outside [0, 3]

// -----

// Dimensions other than the axis agree (concatenating channels, the widths differ).
func.func @other_dims(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x5x6x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x5x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:24:3: 'cmsis.concat' inputs: shape [1, 4, 5, 6] does not match the result [1, 4, 4, 8] outside axis 3

// -----

// The result's axis is the sum of the inputs' (2 + 6 = 8).
func.func @result_axis(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x9x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:33:3: 'cmsis.concat' result: axis 3 has size 9, the inputs add up to 8

// -----

// Concatenation does not requantize: every input is quantized like the result.
func.func @quantization(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x6x!quant.uniform<i8:f32, 0.25:-128>>) {
  %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:42:3: 'cmsis.concat' result: quantization !quant.uniform<i8:f32, 0.5:-128> must equal the input's !quant.uniform<i8:f32, 0.25:-128>

// -----

// At least one input.
func.func @empty() {
  %y = cmsis.concat {axis = 3 : i32} : () -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:51:3: 'cmsis.concat' inputs: needs at least one input

// -----

// Inputs and result are rank 4.
func.func @rank(%a: tensor<4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.concat %a, %b {axis = 2 : i32} : (tensor<4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}concat-invalid.mlir:60:3: 'cmsis.concat' result: expected rank 4, got shape [4, 4, 8]
