// RUN: xdsl-opt %s | filecheck %s
// RUN: xdsl-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s | xdsl-opt | filecheck %s
// Plain xdsl-opt knows the quant, nn, cmsis and arena dialects through the
// `xdsl.universe` entry point, and prints what cmsis-opt reads (and back).

// CHECK-LABEL: func.func @f
// CHECK-NEXT: %w = nn.constant {value = dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>} : tensor<2x1x1x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>>
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %y {name = "conv", size = 128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.alias %y onto %x {max_delta = -24 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
func.func @f(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %w = nn.constant {value = dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>} : tensor<2x1x1x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>>
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv", size = 128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %x {max_delta = -24 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}
