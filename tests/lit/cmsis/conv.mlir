// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.conv is arm_convolve_wrapper_s8: NHWC int8 input, OHWI filter, int32 bias,
// one (multiplier, shift) pair per output channel, offsets = (-input zp, output zp).

// A 3x3 convolution with padding 1; the 108 filter bytes print in hex;
// shifts span the whole range CMSIS-NN accepts, [-31, 30].
// CHECK-LABEL: func.func @same_3x3
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<4x3x3x3xi8>, bias = dense<[100, -200, 0, 40000]> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1518500250, 2147483647, 0>, shift = array<i32: -31, 0, 30, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = 5 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
func.func @same_3x3(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>> {
  %y = cmsis.conv %x {filter = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<4x3x3x3xi8>, bias = dense<[100, -200, 0, 40000]> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1518500250, 2147483647, 0>, shift = array<i32: -31, 0, 30, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = 5 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return %y : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
}

// Stride 2 with TFLite SAME padding: 0 on top/left, 1 implied at the far edge; no bias.
// CHECK-LABEL: func.func @strided_no_bias
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @strided_no_bias(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// kernel = "generic" forces arm_convolve_s8 for a 1x1 filter (pixel order, so the output may trail the input).
// CHECK-LABEL: func.func @generic_1x1
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, kernel = "generic"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @generic_1x1(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, kernel = "generic"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// Dilation 2: a 3x3 filter covers 5x5 input pixels.
// CHECK-LABEL: func.func @dilated
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<1x3x3x1xi8>, multiplier = array<i32: 1073741824>, shift = array<i32: 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 2>} : (tensor<1x9x9x1x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x1x!quant.uniform<i8:f32, 0.5:-128>>
func.func @dilated(%x: tensor<1x9x9x1x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x1x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<1x3x3x1xi8>, multiplier = array<i32: 1073741824>, shift = array<i32: 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 2>} : (tensor<1x9x9x1x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x1x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x5x5x1x!quant.uniform<i8:f32, 0.5:-128>>
}

// The source layer's name rides along in the discardable `layer` attribute,
// printed first; the C backend names the buffer and the comment after it.
// CHECK-LABEL: func.func @named
// CHECK-NEXT: %y = cmsis.conv %x {layer = "model/conv2d_1/Conv2D", filter = dense<1> : tensor<1x1x1x3xi8>, multiplier = array<i32: 1073741824>, shift = array<i32: 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x1x!quant.uniform<i8:f32, 0.5:-128>>
func.func @named(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x1x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<1x1x1x3xi8>, multiplier = array<i32: 1073741824>, shift = array<i32: 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, layer = "model/conv2d_1/Conv2D"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x1x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x1x!quant.uniform<i8:f32, 0.5:-128>>
}
