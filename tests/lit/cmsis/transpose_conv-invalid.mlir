// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.transpose_conv: what arm_transpose_conv_s8 computes right, and agreement with the tensor types.

// The kernel has no dilation.
func.func @dilated(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 2>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:6:3: 'cmsis.transpose_conv' dilation: must be [1, 1] (arm_transpose_conv_s8 has no dilation), got [2, 2]

// -----

// The filter's input depth is the input's channel count.
func.func @filter_depth(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x4xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:15:3: 'cmsis.transpose_conv' filter: shape [2, 3, 3, 4] does not match the expected [2, 3, 3, 8]

// -----

// Outputs past (in - 1) * stride + max(kernel, stride) are outside the kernel's row buffer.
func.func @past_the_buffer(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x10x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:24:3: 'cmsis.transpose_conv' result: output width 10 after padding 0 reaches past the 9 positions the kernel accumulates ((in - 1) * stride + max(kernel, stride))

// -----

// Padding must be smaller than the window.
func.func @pad_not_below_kernel(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 3>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x3x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:33:3: 'cmsis.transpose_conv' padding: 3 on the width is not smaller than the window 3

// -----

// A top padding that is not a multiple of the stride puts rows in the wrong place.
func.func @top_pad_off_stride(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x4x4x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:42:3: 'cmsis.transpose_conv' padding: top padding 1 is not a multiple of the stride 2 (arm_transpose_conv_s8 misplaces such rows)

// -----

// Strides are at least 1.
func.func @stride_zero(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 0, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:51:3: 'cmsis.transpose_conv' stride: values must be >= 1, got [0, 2]

// -----

// The kernel writes `stride` output rows for every input row: a 1x1 kernel at stride 2 (TFLite VALID) ends a row short.
func.func @rows_short(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x1x1x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x7x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}transpose_conv-invalid.mlir:60:3: 'cmsis.transpose_conv' result: output height 7 after padding 0 is less than input height 4 times the stride 2 (arm_transpose_conv_s8 would write 8 rows)
