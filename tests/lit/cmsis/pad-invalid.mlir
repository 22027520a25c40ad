// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.pad: four pre/post pads, none negative, quantization kept.

// Four pre-pads, one per NHWC dimension.
func.func @pre_count(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x5x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:6:3: 'cmsis.pad' pre_pad: expected 4 values, got 3

// -----

// Four post-pads, one per NHWC dimension.
func.func @post_count(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x5x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:15:3: 'cmsis.pad' post_pad: expected 4 values, got 5

// -----

// Cropping (negative padding) is not supported.
func.func @negative(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, -1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x5x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:24:3: 'cmsis.pad' pre_pad: negative padding [0, -1, 0, 0] / [0, 1, 1, 0] is not supported

// -----

// The result grows by pre + post in each dimension.
func.func @result_shape(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x6x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:33:3: 'cmsis.pad' result: shape [1, 6, 6, 8] does not match the expected [1, 6, 5, 8]

// -----

// Padding keeps the scale and zero point.
func.func @requantize(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x5x8x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:42:3: 'cmsis.pad' result: quantization !quant.uniform<i8:f32, 0.5:0> must equal the input's !quant.uniform<i8:f32, 0.5:-128>

// -----

// The input is NHWC, rank 4.
func.func @input_rank(%x: tensor<4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.pad %x {pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x5x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}pad-invalid.mlir:51:3: 'cmsis.pad' input: expected rank 4, got shape [4, 4, 8]
