// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.transpose_conv is arm_transpose_conv_s8: NHWC int8 input, OHWI filter, int32 bias, one
// (multiplier, shift) pair per output channel. Input pixel (y, x) feeds output pixels
// (y * stride + ky - padding[0], x * stride + kx - padding[1]).

// TFLite SAME with stride 2: 4x4 to 8x8, no top/left padding (the far edge is cropped).
// CHECK-LABEL: func.func @same_stride2
// CHECK-NEXT: %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
func.func @same_stride2(%x: tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>> {
  %y = cmsis.transpose_conv %x {filter = dense<1> : tensor<2x3x3x8xi8>, bias = dense<[100, -200]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: -8, -9>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
}

// The params struct is CMSIS-NN's, the scratch is the int32 row buffer of
// max(KH, stride) rows of ((4 - 1) * 2 + max(3, 2)) pixels of 2 channels: 3 * 9 * 2 * 4 bytes,
// and the call is checked. The second context (the wrapper's reversed filter) is empty.
// C: static const cmsis_nn_transpose_conv_params same_stride2_transpose_conv_0_params = {.input_offset = 128, .output_offset = 5, .padding_offsets = {.w = 0, .h = 0}, .stride = {.w = 2, .h = 2}, .padding = {.w = 0, .h = 0}, .dilation = {.w = 1, .h = 1}, .activation = {.min = -128, .max = 127}};
// C: static const cmsis_nn_context same_stride2_transpose_conv_0_reverse_ctx = {.buf = NULL, .size = 0};
// C: arm_transpose_conv_s8_get_buffer_size(&same_stride2_transpose_conv_0_params, &same_stride2_transpose_conv_0_input_dims, &same_stride2_transpose_conv_0_filter_dims, &same_stride2_transpose_conv_0_output_dims)
// C: status = arm_transpose_conv_s8(
// C-NEXT: &same_stride2_transpose_conv_0_ctx,
// C-NEXT: &same_stride2_transpose_conv_0_reverse_ctx,
// C-NEXT: &same_stride2_transpose_conv_0_params,
// C: if (status != ARM_CMSIS_NN_SUCCESS) {
