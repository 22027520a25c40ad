// Softmax over axis 1 (the channels) of an NCHW tensor, as PyTorch's softmax(dim=1) on a conv output exports:
// an NHWC input seen as NCHW stores the channels last already, so arm_softmax_s8 runs on it as it is (no
// transpose); over axis 2 (H) one transpose stores H last first, and the result keeps that order until the
// output's transpose.
// RUN: cmsis-opt %s --quantize | filecheck %s

func.func @channels(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %xf = nn.dequantize %x : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x4xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  %s = nn.softmax %t {layer = "prob", axis = 1 : i64} : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
  %q = nn.quantize %s {layer = "prob"} : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %q : tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>>
}

// CHECK:      func.func @channels(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>)
// CHECK-NEXT:   %[[S:[0-9]+]] = cmsis.softmax %x {layer = "prob",
// CHECK-SAME:     -> tensor<1x2x3x4x!quant.uniform<i8:f32, 0.00390625:-128>>
// CHECK-NEXT:   %[[O:[0-9]+]] = cmsis.transpose %[[S]] {{.*}}perm = array<i64: 0, 3, 1, 2>
// CHECK-NEXT:   func.return %[[O]]

func.func @height(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %xf = nn.dequantize %x : (tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x4xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  %s = nn.softmax %t {layer = "prob", axis = -2 : i64} : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
  %q = nn.quantize %s {layer = "prob"} : (tensor<1x4x2x3xf32>) -> tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %q : tensor<1x4x2x3x!quant.uniform<i8:f32, 0.00390625:-128>>
}

// CHECK:      func.func @height(%x: tensor<1x2x3x4x!quant.uniform<i8:f32, 0.5:0>>)
// CHECK-NEXT:   %[[T:[0-9]+]] = cmsis.transpose %x {{.*}}perm = array<i64: 0, 3, 2, 1>
// CHECK-SAME:     -> tensor<1x4x3x2x!quant.uniform<i8:f32, 0.5:0>>
// CHECK-NEXT:   %[[S:[0-9]+]] = cmsis.softmax %[[T]] {layer = "prob",
// CHECK-SAME:     -> tensor<1x4x3x2x!quant.uniform<i8:f32, 0.00390625:-128>>
// CHECK-NEXT:   %[[O:[0-9]+]] = cmsis.transpose %[[S]] {{.*}}perm = array<i64: 0, 1, 3, 2>
// CHECK-NEXT:   func.return %[[O]]
