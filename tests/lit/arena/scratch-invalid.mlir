// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// arena.scratch: a buffer that lives during exactly one operator step.

// A scratch buffer is live only during its own op.
func.func @two_steps(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.scratch %y {name = "conv1.scratch", size = 112 : i64, first = 0 : i64, last = 1 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}scratch-invalid.mlir:7:3: 'arena.scratch' last: a scratch buffer lives during exactly one operator step

// -----

// Sizes are positive.
func.func @negative_size(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.scratch %y {name = "conv1.scratch", size = -1 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}scratch-invalid.mlir:17:3: 'arena.scratch' size: must be positive, got -1

// -----

// Offsets count from the start of the arena.
func.func @negative_offset(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.scratch %y {name = "conv1.scratch", size = 112 : i64, offset = -1 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}scratch-invalid.mlir:27:3: 'arena.scratch' offset: must be >= 0, got -1
