// Per-channel fully connected weights (onnxruntime's quantize_static with per_channel=True, TFLite's
// per-channel FULLY_CONNECTED): one scale per output row, so one (multiplier, shift) per row,
// input_scale * filter_scale[r] / output_scale in double as TFLite Micro computes it.
// RUN: cmsis-opt %s --quantize --split-input-file | filecheck %s

// CHECK-LABEL: func.func @per_channel_fc
// CHECK-NEXT: %0 = cmsis.fully_connected_per_channel %x {layer = "fc", filter = dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -1>, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32}
func.func @per_channel_fc(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2xf32>
  %w = nn.constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>} : tensor<2x2x!quant.uniform<i8:f32:0, {0.25:0, 0.5:0}>>
  %wf = nn.dequantize %w : (tensor<2x2x!quant.uniform<i8:f32:0, {0.25:0, 0.5:0}>>) -> tensor<2x2xf32>
  %y = nn.fully_connected %xf, %wf {layer = "fc"} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %q = nn.quantize %y {layer = "fc"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
}

// -----

// The same weights as a MatMul's [K][M] operand, quantized along its axis 1 (the outputs).
// CHECK-LABEL: func.func @per_channel_matmul
// CHECK-NEXT: %0 = cmsis.fully_connected_per_channel %x {layer = "mm", filter = dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -1>
func.func @per_channel_matmul(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2xf32>
  %w = nn.constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>} : tensor<2x2x!quant.uniform<i8:f32:1, {0.25:0, 0.5:0}>>
  %wf = nn.dequantize %w : (tensor<2x2x!quant.uniform<i8:f32:1, {0.25:0, 0.5:0}>>) -> tensor<2x2xf32>
  %y = nn.matmul %xf, %wf {layer = "mm"} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %q = nn.quantize %y {layer = "mm"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
}
