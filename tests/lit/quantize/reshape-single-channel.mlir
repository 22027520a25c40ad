// A single-channel NHWC input reshaped to NCHW (as tf2onnx exports it when C = 1)
// holds the same bytes in both orders: no view is left in front of the conv.
// RUN: cmsis-opt %s --quantize | filecheck %s

func.func @net(%x: tensor<1x4x4x1x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>> {
  %r = nn.reshape %x {layer = "to_nchw"} : (tensor<1x4x4x1x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1x4x4x!quant.uniform<i8:f32, 0.5:0>>
  %xf = nn.dequantize %r : (tensor<1x1x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x1x4x4xf32>
  %w = nn.constant {value = dense<[[[[1]]], [[[2]]]]> : tensor<2x1x1x1xi8>} : tensor<2x1x1x1x!quant.uniform<i8<-127:127>:f32, 0.5:0>>
  %wf = nn.dequantize %w : (tensor<2x1x1x1x!quant.uniform<i8<-127:127>:f32, 0.5:0>>) -> tensor<2x1x1x1xf32>
  %c = nn.conv2d %xf, %wf {layer = "conv", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %q = nn.quantize %c {layer = "conv"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:0>>
  %o = nn.transpose %q {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %o : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>
}

// CHECK-NOT:  cmsis.reshape
// CHECK:      %0 = cmsis.conv %x {layer = "conv"
// CHECK-SAME:   multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>
// CHECK-NOT:  cmsis.reshape
// CHECK:      func.return %0
