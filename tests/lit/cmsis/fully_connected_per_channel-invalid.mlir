// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.fully_connected_per_channel: input [N, K], filter [M][K], one (multiplier, shift) per output row.

// The input is 2-D (a cmsis.reshape flattens it first).
func.func @input_rank(%x: tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:6:3: 'cmsis.fully_connected_per_channel' input: expected rank 2, got shape [1, 4, 4]

// -----

// The filter has M rows of K values.
func.func @filter_shape(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x15xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:15:3: 'cmsis.fully_connected_per_channel' filter: shape [4, 15] does not match the expected [4, 16]

// -----

// The weights are int8.
func.func @filter_type(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi32>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:24:3: 'cmsis.fully_connected_per_channel' filter: expected i8 weights, got i32

// -----

// One int32 bias per output row.
func.func @bias_shape(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<3xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:33:3: 'cmsis.fully_connected_per_channel' bias: shape [3] does not match the expected [4]

// -----

// One multiplier per output row.
func.func @multiplier_count(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:42:3: 'cmsis.fully_connected_per_channel' multiplier: expected 4 values, got 3

// -----

// One shift per output row.
func.func @shift_count(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:51:3: 'cmsis.fully_connected_per_channel' shift: expected 4 values, got 2

// -----

// Shifts stay in [-31, 30].
func.func @shift_range(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, 31, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:60:3: 'cmsis.fully_connected_per_channel' shift: 31 is outside [-31, 30]

// -----

// The result has the input's batch.
func.func @batch(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:69:3: 'cmsis.fully_connected_per_channel' result: batch 2 differs from the input's 1

// -----

// The input offset is minus the input zero point.
func.func @input_offset(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected_per_channel %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -2, -4>, input_offset = 127 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected_per_channel-invalid.mlir:78:3: 'cmsis.fully_connected_per_channel' input_offset: 127 does not match the zero point -128 of its tensor (expected 128)
