// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.fully_connected: input [N, K], filter [M][K], per-tensor requantization.

// The input is 2-D (a cmsis.reshape flattens it first).
func.func @input_rank(%x: tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:6:3: 'cmsis.fully_connected' input: expected rank 2, got shape [1, 4, 4]

// -----

// The filter has M rows of K values.
func.func @filter_shape(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x15xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:15:3: 'cmsis.fully_connected' filter: shape [4, 15] does not match the expected [4, 16]

// -----

// One bias per output.
func.func @bias_count(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<16xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:24:3: 'cmsis.fully_connected' bias: shape [16] does not match the expected [4]

// -----

// The shift lies in [-31, 30].
func.func @shift_range(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = 31 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:33:3: 'cmsis.fully_connected' shift: 31 is outside [-31, 30]

// -----

// The multiplier is a non-negative Q31 value.
func.func @multiplier_range(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = -1 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:42:3: 'cmsis.fully_connected' multiplier: -1 is outside [0, 2147483647]

// -----

// input_offset is minus the input zero point.
func.func @input_offset(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 127 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:51:3: 'cmsis.fully_connected' input_offset: 127 does not match the zero point -128 of its tensor (expected 128)

// -----

// output_offset is the output zero point.
func.func @output_offset(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:60:3: 'cmsis.fully_connected' output_offset: 0 does not match the zero point 5 of its tensor (expected 5)

// -----

// act_min <= act_max.
func.func @act_range(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = 100 : i32, act_max = 99 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:69:3: 'cmsis.fully_connected' act_min: 100 is greater than act_max 99

// -----

// The batch size is kept.
func.func @batch(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.fully_connected %x {filter = dense<1> : tensor<4x16xi8>, bias = dense<0> : tensor<4xi32>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x4x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:78:3: 'cmsis.fully_connected' result: batch 2 differs from the input's 1
