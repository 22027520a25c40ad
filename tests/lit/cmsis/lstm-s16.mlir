// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.lstm on int16 activations is arm_lstm_unidirectional_s16 (TFLite's 16x8 LSTM): int16 input and output
// with zero point 0, int8 weights, int64 bias [4, H]; the rest as the int8 form (lstm.mlir).

// Two steps of two features, one unit.
// CHECK-LABEL: func.func @two_steps
// CHECK-NEXT: %y = cmsis.lstm %x {{.*}}bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi64>
func.func @two_steps(%x: tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2x1x!quant.uniform<i16:f32, 0.00003:0>> {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi64>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 0 : i32, output_offset = 0 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2x1x!quant.uniform<i16:f32, 0.00003:0>>
  func.return %y : tensor<1x2x1x!quant.uniform<i16:f32, 0.00003:0>>
}

// The biases and effective biases are int64 (zero points 0: the effective biases are the bias and zero).
// C: static const int64_t two_steps_lstm_0_input_input_effective_bias[1]
// C-NEXT: 10
// C: static const int64_t two_steps_lstm_0_input_hidden_effective_bias[1]
// C-NEXT: 0
// C: static const int64_t two_steps_lstm_0_input_bias[1]
// The same three int16 buffers as the int8 kernel: 3 * 1 * 1 * 2 bytes of scratch.
// C: cmsis_nn_lstm_context lstm_0_buffers;
// C: scratch @{{[0-9]+}} (6 B)
// C-NEXT: status = arm_lstm_unidirectional_s16(
// C-NEXT: (int16_t *)(two_steps_arena +
// C-NEXT: (int16_t *)(two_steps_arena +
// C-NEXT: &two_steps_lstm_0_params,
// C-NEXT: &lstm_0_buffers);
