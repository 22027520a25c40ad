// Depthwise convolutions: the output trails the input by the rows and pixels still to be read.
// RUN: cmsis-opt %s --split-input-file -p 'inplace-alias' | filecheck %s

builtin.module {
  // 3x3, pad 1, 16x16x8 runs arm_depthwise_conv_3x3_s8 (C/DSP): input pixel (y, x) is last
  // read by output pixel (y+1, x+1), 16+1 = 17 pixels of 8 bytes later: -136.
  // CHECK-LABEL: func.func @same_3x3
  // CHECK:       arena.alias %y onto %x {max_delta = -136 : i64}
  func.func @same_3x3(%x : tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.depthwise_conv %x {layer = "dw", filter = dense<1> : tensor<1x3x3x8xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// -----

builtin.module {
  // Stride 2, no padding: the output shrinks faster than the read front moves, but the 3x3
  // kernel writes four channels of a pixel before it reads the next four: exactly in place.
  // CHECK-LABEL: func.func @strided_3x3
  // CHECK:       arena.alias %y onto %x {max_delta = 0 : i64}
  func.func @strided_3x3(%x : tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x7x8x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.depthwise_conv %x {layer = "dw", filter = dense<1> : tensor<1x3x3x8xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x7x8x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x7x7x8x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// -----

builtin.module {
  // Channel multiplier 2 (arm_depthwise_conv_s8): the output grows twice as fast as the input.
  // CHECK-LABEL: func.func @multiplier_2
  // CHECK:       arena.alias %y onto %x {max_delta = -292 : i64}
  func.func @multiplier_2(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.depthwise_conv %x {layer = "dw", filter = dense<1> : tensor<1x3x3x8xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x8x8x8x!quant.uniform<i8:f32, 0.5:-128>>
  }
}
