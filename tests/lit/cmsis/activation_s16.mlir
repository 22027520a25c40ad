// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s --split-input-file -p default -t c | filecheck %s --check-prefix=C
// cmsis.activation_s16 is TFLite's int16 LOGISTIC / TANH: (x * input_multiplier + round) >> input_shift
// into the sigmoid table. A multiplier of 3 * 2^t (power-of-two input scales) runs CMSIS-NN's
// arm_nn_activation_s16 with left_shift t - input_shift; any other runs cmsis_opt_activation_s16, our
// kernel, whose definition the generated C carries (static). In place: element i is read before output i.

// Input scale 2^-10: TFLite Micro's multiplier 24576 = 3 * 2^13 with shift 11, so left_shift 2.
// CHECK-LABEL: func.func @sigmoid_pot
// CHECK-NEXT: %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<1x16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
func.func @sigmoid_pot(%x: tensor<1x16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>> {
  %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 11 : i32} : (tensor<1x16x!quant.uniform<i16:f32, 0.0009765625:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return %y : tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
}

// C-NOT: cmsis_opt_activation_s16
// C: /* activation_s16_0: cmsis.activation_s16 1x16 -> 1x16; in @0, out @0 */
// C-NEXT: status = arm_nn_activation_s16(
// C-NEXT: (int16_t *)(sigmoid_pot_arena + 0),
// C-NEXT: (int16_t *)(sigmoid_pot_arena + 0),
// C-NEXT: 16,
// C-NEXT: 2,
// C-NEXT: ARM_SIGMOID);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {

// -----

// Input scale 0.0003 (not a power of two): multiplier 30236, shift 13, our kernel.
// CHECK-LABEL: func.func @tanh_any_scale
// CHECK-NEXT: %y = cmsis.activation_s16 %x {function = "tanh", input_multiplier = 30236 : i32, input_shift = 13 : i32} : (tensor<2x4x8x!quant.uniform<i16:f32, 0.0003003686142619699:0>>) -> tensor<2x4x8x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
func.func @tanh_any_scale(%x: tensor<2x4x8x!quant.uniform<i16:f32, 0.0003003686142619699:0>>) -> tensor<2x4x8x!quant.uniform<i16:f32, 3.0517578125e-05:0>> {
  %y = cmsis.activation_s16 %x {function = "tanh", input_multiplier = 30236 : i32, input_shift = 13 : i32} : (tensor<2x4x8x!quant.uniform<i16:f32, 0.0003003686142619699:0>>) -> tensor<2x4x8x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return %y : tensor<2x4x8x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
}

// C: static const uint16_t cmsis_opt_sigmoid_table_uint16[256] = {
// C: static arm_cmsis_nn_status cmsis_opt_activation_s16(const int16_t *input,
// C: status = cmsis_opt_activation_s16(
// C-NEXT: (int16_t *)(tanh_any_scale_arena + 0),
// C-NEXT: (int16_t *)(tanh_any_scale_arena + 0),
// C-NEXT: 64,
// C-NEXT: 30236,
// C-NEXT: 13,
// C-NEXT: ARM_TANH);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
