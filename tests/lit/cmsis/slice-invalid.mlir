// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.slice: inside the input, one cut axis, the input's quantization.

// Only one axis may be cut: the rows are what comes before it.
func.func @two_axes(%x: tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) {
  %y = cmsis.slice %x {starts = array<i64: 1, 2>} : (tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<2x3x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}slice-invalid.mlir:6:3: 'cmsis.slice' result: slices axes [0, 1]: only one axis may be cut

// -----

// The slice ends inside the input.
func.func @past_the_end(%x: tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) {
  %y = cmsis.slice %x {starts = array<i64: 0, 5>} : (tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}slice-invalid.mlir:15:3: 'cmsis.slice' starts: [5, 7) is not inside [0, 6) on axis 1

// -----

// A slice moves bytes: the quantization stays.
func.func @requantized(%x: tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) {
  %y = cmsis.slice %x {starts = array<i64: 0, 2>} : (tensor<4x6x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<4x2x!quant.uniform<i8:f32, 0.5:-1>>
  func.return
}
// CHECK: error: {{.*}}slice-invalid.mlir:24:3: 'cmsis.slice' result: quantization
