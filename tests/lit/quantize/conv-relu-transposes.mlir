// A 1x1 conv between the exporter's NHWC <-> NCHW transposes: the transposes
// cost nothing (no reshape, no extra op), the OIHW filter becomes OHWI, the
// multipliers are input_scale * filter_scale[c] / output_scale split as
// TFLite does (0.25 -> 2^30 * 2^-1, 0.125 -> 2^30 * 2^-2), and the ReLU
// narrows the clamp to start at the output zero point.
// RUN: cmsis-opt %s --quantize | filecheck %s

func.func @net(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-10>> {
  %xf = nn.dequantize %x : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x3xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  %w = nn.constant {value = dense<[[[[1]], [[2]], [[3]]], [[[4]], [[5]], [[6]]]]> : tensor<2x3x1x1xi8>} : tensor<2x3x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.25:0, 0.125:0}>>
  %wf = nn.dequantize %w : (tensor<2x3x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.25:0, 0.125:0}>>) -> tensor<2x3x1x1xf32>
  %b = nn.constant {value = dense<[10, -10]> : tensor<2xi32>} : tensor<2x!quant.uniform<i32:f32:0, {0.125:0, 0.0625:0}>>
  %bf = nn.dequantize %b : (tensor<2x!quant.uniform<i32:f32:0, {0.125:0, 0.0625:0}>>) -> tensor<2xf32>
  %c = nn.conv2d %t, %wf, %bf {layer = "conv", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.relu %c {layer = "conv"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %q = nn.quantize %r {layer = "conv"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:-10>>
  %qt = nn.transpose %q {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:-10>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-10>>
  func.return %qt : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-10>>
}

// CHECK:      func.func @net(%x: tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-128>>)
// CHECK-NEXT:   %0 = cmsis.conv %x {layer = "conv", filter = dense<{{\[\[\[\[}}1, 2, 3]]], {{\[\[\[}}4, 5, 6]]]]> : tensor<2x1x1x3xi8>, bias = dense<[10, -10]> : tensor<2xi32>,
// CHECK-SAME:     multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -2>,
// CHECK-SAME:     input_offset = 128 : i32, output_offset = -10 : i32, act_min = -10 : i32, act_max = 127 : i32,
// CHECK-SAME:     -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-10>>
// CHECK-NEXT:   func.return %0
// CHECK-NOT:  nn.
