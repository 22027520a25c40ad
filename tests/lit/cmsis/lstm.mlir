// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.lstm is arm_lstm_unidirectional_s8: int8 input [batch, time, features], int8 output
// [batch, time, hidden], the gates in the order input, forget, cell, output: int8 weights [4, H, I]
// and [4, H, H], int32 bias [4, H], one (multiplier, shift) per gate for each product into Q3.12.

// Two steps of two features, one unit.
// CHECK-LABEL: func.func @two_steps
// CHECK-NEXT: %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
func.func @two_steps(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>> {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return %y : tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
}

// The effective biases are computed at compile time: bias + input_offset * row sum of the input
// weights (10 + 9 * 3) and -output_offset * row sum of the recurrent weights (1 * -1).
// C: static const int32_t two_steps_lstm_0_input_input_effective_bias[1]
// C-NEXT: 37
// C: static const int32_t two_steps_lstm_0_input_hidden_effective_bias[1]
// C-NEXT: -1
// C: static const cmsis_nn_lstm_params two_steps_lstm_0_params = {
// C: .cell_scale_power = -14,
// C: .cell_gate = {
// C: .activation_type = ARM_TANH},
// The two int16 gate buffers and the int16 cell state are the op's scratch: 3 * 1 * 1 * 2 bytes.
// C: cmsis_nn_lstm_context lstm_0_buffers;
// C-NEXT: lstm_0_buffers.temp1 = two_steps_arena + [[S:[0-9]+]];
// C-NEXT: lstm_0_buffers.temp2 = two_steps_arena +
// C-NEXT: lstm_0_buffers.cell_state = two_steps_arena +
// C-NEXT: scratch @[[S]] (6 B)
// C-NEXT: status = arm_lstm_unidirectional_s8(
// C: &two_steps_lstm_0_params,
// C-NEXT: &lstm_0_buffers);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
