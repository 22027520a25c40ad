// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.patch_stage: a grid of two positive counts that fits the output; a body that is a chain of window ops
// ending in a cmsis.yield of the last op's result.

// Two counts: rows and columns of tiles.
func.func @grid_count(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  %y = cmsis.patch_stage %x {layer = "stage dw..pw", grid = array<i64: 2, 2, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  ^bb0(%0: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>):
    %a = cmsis.depthwise_conv %0 {layer = "dw", filter = dense<1> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>
    %b = cmsis.conv %a {layer = "conv", filter = dense<1> : tensor<4x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -4, -4, -4, -4>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y_1 = cmsis.conv %b {layer = "pw", filter = dense<1> : tensor<4x1x1x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    cmsis.yield %y_1 : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
  func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
}
// CHECK: error: {{.*}}patch_stage-invalid.mlir:7:3: 'cmsis.patch_stage' grid: expected two positive counts [rows, columns], got [2, 2, 1]

// -----

// A grid finer than the output (4x4) has empty tiles.
func.func @grid_too_fine(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  %y = cmsis.patch_stage %x {layer = "stage dw..pw", grid = array<i64: 5, 2>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  ^bb0(%0: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>):
    %a = cmsis.depthwise_conv %0 {layer = "dw", filter = dense<1> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>
    %b = cmsis.conv %a {layer = "conv", filter = dense<1> : tensor<4x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -4, -4, -4, -4>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y_1 = cmsis.conv %b {layer = "pw", filter = dense<1> : tensor<4x1x1x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    cmsis.yield %y_1 : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
  func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
}
// CHECK: error: {{.*}}patch_stage-invalid.mlir:22:3: 'cmsis.patch_stage' grid: 5x2 tiles do not fit an output of 4x4

// -----

// The body yields its last op's result.
func.func @yields_the_middle(%x: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  %y = cmsis.patch_stage %x {layer = "stage dw..pw", grid = array<i64: 2, 2>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
  ^bb0(%0: tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>):
    %a = cmsis.depthwise_conv %0 {layer = "dw", filter = dense<1> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>
    %b = cmsis.conv %a {layer = "conv", filter = dense<1> : tensor<4x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -4, -4, -4, -4>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y_1 = cmsis.conv %b {layer = "pw", filter = dense<1> : tensor<4x1x1x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    cmsis.yield %b : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
  func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
}
// CHECK: error: {{.*}}patch_stage-invalid.mlir:37:3: 'cmsis.patch_stage' body: must yield the last op's result, of the stage output's type

// -----

// The tile loop copies and offsets int8 elements: a body op on int16 (TFLite's 16x8 scheme) is refused.
func.func @int16_body(%x: tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>> {
  %y = cmsis.patch_stage %x {layer = "stage c", grid = array<i64: 2, 1>} : (tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>> {
  ^bb0(%0: tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>):
    %a = cmsis.conv %0 {layer = "c", filter = dense<1> : tensor<2x1x1x2xi8>, bias = dense<0> : tensor<2xi64>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>
    cmsis.yield %a : tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>
  }
  func.return %y : tensor<1x4x4x2x!quant.uniform<i16:f32, 0.5>>
}
// CHECK: error: {{.*}}patch_stage-invalid.mlir:52:3: 'cmsis.patch_stage' body: runs int8 tensors only: 'cmsis.conv' has int16 or wider operands or result
