// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.depthwise_conv: 1HWC filter, C_out a multiple of C_in, per-channel requantization.

// Output channels are a multiple of the input channels (4 in, 6 out).
func.func @channel_multiple(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x6xi8>, bias = dense<0> : tensor<6xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1, -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x6x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:6:3: 'cmsis.depthwise_conv' result: 6 output channels are not a multiple of the 4 input channels

// -----

// The filter is 1 x KH x KW x C_out.
func.func @filter_shape(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<4x3x3x1xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:15:3: 'cmsis.depthwise_conv' filter: shape [4, 3, 3, 1] does not match the expected [1, 3, 3, 4]

// -----

// One multiplier per output channel.
func.func @multiplier_count(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x4xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:24:3: 'cmsis.depthwise_conv' multiplier: expected 4 values, got 2

// -----

// Shifts lie in [-31, 30].
func.func @shift_range(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x4xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, -40>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:33:3: 'cmsis.depthwise_conv' shift: -40 is outside [-31, 30]

// -----

// input_offset is minus the input zero point.
func.func @offset_mismatch(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x4xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 127 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:42:3: 'cmsis.depthwise_conv' input_offset: 127 does not match the zero point -128 of its tensor (expected 128)

// -----

// act_min <= act_max.
func.func @act_range(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x4xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = 0 : i32, act_max = -1 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:51:3: 'cmsis.depthwise_conv' act_min: 0 is greater than act_max -1

// -----

// Stride 2 halves the output (4, not 8).
func.func @output_size(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.depthwise_conv %x {filter = dense<1> : tensor<1x3x3x4xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}depthwise_conv-invalid.mlir:60:3: 'cmsis.depthwise_conv' result: output height 8 is inconsistent with input 8, window 3, stride 2, padding 1
