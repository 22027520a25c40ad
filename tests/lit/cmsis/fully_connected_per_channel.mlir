// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p 'default{core=cortex-m55}' -t c | filecheck %s --check-prefix=C
// cmsis.fully_connected_per_channel is arm_fully_connected_per_channel_s8: input [N, K], filter rows
// [M][K], one (multiplier, shift) per output row (per-channel weights). On Helium (cortex-m55) the
// kernel reads bias + input_offset * row sums from its context: a constant table, no scratch.

// CHECK-LABEL: func.func @per_row
// CHECK-NEXT: %y = cmsis.fully_connected_per_channel %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, bias = dense<[10, -20]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1342177280>, shift = array<i32: -3, -5>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.25:5>>
func.func @per_row(%x: tensor<1x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.25:5>> {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, bias = dense<[10, -20]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1342177280>, shift = array<i32: -3, -5>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return %y : tensor<1x2x!quant.uniform<i8:f32, 0.25:5>>
}

// Row sums 6 and 15: kernel sums 10 + 128 * 6 and -20 + 128 * 15.
// C: static const int32_t per_row_fully_connected_per_channel_0_multiplier[2] PER_ROW_ALIGNED = {
// C-NEXT: 1073741824, 1342177280
// C: static const int32_t per_row_fully_connected_per_channel_0_shift[2] PER_ROW_ALIGNED = {
// C-NEXT: -3, -5
// C: static const cmsis_nn_per_channel_quant_params per_row_fully_connected_per_channel_0_quant = {.multiplier = (int32_t *)per_row_fully_connected_per_channel_0_multiplier, .shift = (int32_t *)per_row_fully_connected_per_channel_0_shift};
// C: static const int32_t per_row_fully_connected_per_channel_0_kernel_sums[2] PER_ROW_ALIGNED = {
// C-NEXT: 778, 1900
// C: static const cmsis_nn_context per_row_fully_connected_per_channel_0_ctx = {.buf = (void *)per_row_fully_connected_per_channel_0_kernel_sums, .size = 8};
// C: arm_fully_connected_s8_get_buffer_size(&per_row_fully_connected_per_channel_0_filter_dims) > per_row_fully_connected_per_channel_0_ctx.size
// C: status = arm_fully_connected_per_channel_s8(
// C-NEXT: &per_row_fully_connected_per_channel_0_ctx,
// C-NEXT: &per_row_fully_connected_per_channel_0_params,
// C-NEXT: &per_row_fully_connected_per_channel_0_quant,
