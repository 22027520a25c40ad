// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.depthwise_conv is arm_depthwise_conv_wrapper_s8: NHWC input, 1HWC filter;
// C_out is a multiple of C_in (the channel multiplier).

// 4 input channels, channel multiplier 3: a 1x3x3x12 filter (108 bytes, hex).
// CHECK-LABEL: func.func @multiplier_3
// CHECK-NEXT: %y = cmsis.depthwise_conv %x {filter = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<1x3x3x12xi8>, bias = dense<7> : tensor<12xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x6x12x!quant.uniform<i8:f32, 0.5:-128>>
func.func @multiplier_3(%x: tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x6x12x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.depthwise_conv %x {filter = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<1x3x3x12xi8>, bias = dense<7> : tensor<12xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x6x12x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x6x6x12x!quant.uniform<i8:f32, 0.5:-128>>
}

// A fused ReLU6 narrows the range: act_max = -128 + round(6 / 0.05) = -8.
// CHECK-LABEL: func.func @relu6_stride2
// CHECK-NEXT: %y = cmsis.depthwise_conv %x {filter = dense<[[[[1, -1], [2, -2], [3, -3]], [[4, -4], [5, -5], [6, -6]], [[7, -7], [8, -8], [9, -9]]]]> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1518500250, 1518500250>, shift = array<i32: -3, -3>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = -8 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:-128>>
func.func @relu6_stride2(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:-128>> {
  %y = cmsis.depthwise_conv %x {filter = dense<[[[[1, -1], [2, -2], [3, -3]], [[4, -4], [5, -5], [6, -6]], [[7, -7], [8, -8], [9, -9]]]]> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1518500250, 1518500250>, shift = array<i32: -3, -3>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = -8 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:-128>>
  func.return %y : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:-128>>
}
