// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.reshape: a view keeps the element count and the quantization.

// 512 elements cannot become 500.
func.func @count(%x: tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.reshape %x : (tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x500x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}reshape-invalid.mlir:6:3: 'cmsis.reshape' result: [1, 500] has 500 elements, the input [1, 4, 4, 32] has 512

// -----

// A view cannot change the scale or zero point.
func.func @requantize(%x: tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.reshape %x : (tensor<1x4x4x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x512x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}reshape-invalid.mlir:15:3: 'cmsis.reshape' result: quantization !quant.uniform<i8:f32, 0.5:0> must equal the input's !quant.uniform<i8:f32, 0.5:-128>

// -----

// cmsis ops work on int8 !quant.uniform tensors.
func.func @float(%x: tensor<1x4x4x32xf32>) {
  %y = cmsis.reshape %x : (tensor<1x4x4x32xf32>) -> tensor<1x512xf32>
  func.return
}
// CHECK: error: {{.*}}reshape-invalid.mlir:24:3: 'cmsis.reshape' input: expected int8 or int16 per-tensor !quant.uniform elements, got f32
