// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.dequantize reads stored codes back as floats: (q - zero_point) * scale.

// An int8 graph input feeds a dequantize.
// CHECK-LABEL: func.func @graph_input
// CHECK: %x = nn.dequantize %q : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x8x8xf32>
func.func @graph_input(%q: tensor<1x3x8x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x8x8xf32> {
  %x = nn.dequantize %q : (tensor<1x3x8x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x8x8xf32>
  func.return %x : tensor<1x3x8x8xf32>
}

// Per-axis weights dequantize with one scale per output channel.
// CHECK-LABEL: func.func @per_axis
// CHECK: %wf = nn.dequantize %w : (tensor<2x1x1x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>>) -> tensor<2x1x1x3xf32>
func.func @per_axis() -> tensor<2x1x1x3xf32> {
  %w = nn.constant {value = dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>} : tensor<2x1x1x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>>
  %wf = nn.dequantize %w : (tensor<2x1x1x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>>) -> tensor<2x1x1x3xf32>
  func.return %wf : tensor<2x1x1x3xf32>
}
