// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.lstm: what arm_lstm_unidirectional_s8 takes, and agreement with the tensor types.

// One multiplier and shift per gate.
func.func @per_gate(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:6:3: 'cmsis.lstm' input_multiplier: expected one multiplier and shift per gate (4)

// -----

// The recurrent weights are [4, H, H].
func.func @recurrent(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[-1], [2], [-3], [4]]> : tensor<4x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:15:3: 'cmsis.lstm' recurrent_weights: shape [4, 1] does not match the expected [4, 1, 1]

// -----

// The input offset is minus the input's zero point.
func.func @offset(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = -9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:24:3: 'cmsis.lstm' input_offset: -9 does not match the zero point -9 of its tensor (expected 9)

// -----

// The cell clip is an int16 cell state code.
func.func @clip(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 40000 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:33:3: 'cmsis.lstm' cell_clip: 40000 is outside [0, 32767]

// -----

// The kernel has a tanh or a sigmoid cell gate.
func.func @activation(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "relu"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:42:3: 'cmsis.lstm' cell_activation: 'relu' is not one of ['sigmoid', 'tanh']

// -----

// The result keeps the input's batch and time dimensions.
func.func @sequence(%x: tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 9 : i32, output_offset = -1 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i8:f32, 0.02:-9>>) -> tensor<1x3x1x!quant.uniform<i8:f32, 0.007:-1>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:51:3: 'cmsis.lstm' result: shape [1, 3, 1] must keep the input's [1, 2] sequence dimensions

// -----

// int16 activations take an int64 bias (arm_lstm_unidirectional_s16).
func.func @s16_bias(%x: tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi32>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 0 : i32, output_offset = 0 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2x1x!quant.uniform<i16:f32, 0.00003:0>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:[[# @LINE - 3]]:3: 'cmsis.lstm' bias: expected i64 elements, got i32

// -----

// Input and result have one width.
func.func @widths(%x: tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) {
  %y = cmsis.lstm %x {input_weights = dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi8>, recurrent_weights = dense<[[[-1]], [[2]], [[-3]], [[4]]]> : tensor<4x1x1xi8>, bias = dense<[[10], [20], [30], [40]]> : tensor<4x1xi64>, input_multiplier = array<i32: 1518500250, 1518500250, 1518500250, 1518500250>, input_shift = array<i32: -1, -1, -1, -1>, hidden_multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, hidden_shift = array<i32: -2, -2, -2, -2>, forget_to_cell_multiplier = 1073741824 : i32, forget_to_cell_shift = -14 : i32, input_to_cell_multiplier = 1073741824 : i32, input_to_cell_shift = -15 : i32, cell_clip = 32767 : i32, cell_scale_power = -14 : i32, output_multiplier = 1227133513 : i32, output_shift = -22 : i32, input_offset = 0 : i32, output_offset = 0 : i32, cell_activation = "tanh"} : (tensor<1x2x2x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.007:0>>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:[[# @LINE - 3]]:3: 'cmsis.lstm' result: mixes int16 and int8 tensors
