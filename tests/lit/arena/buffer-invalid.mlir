// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// arena.buffer: a positive size, a non-negative offset, a non-empty live interval.

// Every buffer holds at least one byte (only a streamed graph input, which the arena does not hold, has 0).
func.func @zero_size(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 0 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:7:3: 'arena.buffer' size: must be positive (0 only for a graph input), got 0

// -----

// Sizes are positive.
func.func @negative_size(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = -128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:17:3: 'arena.buffer' size: must be positive, got -128

// -----

// Offsets count from the start of the arena.
func.func @negative_offset(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, offset = -16 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:27:3: 'arena.buffer' offset: must be >= 0, got -16

// -----

// The name becomes a C identifier and cannot be empty.
func.func @empty_name(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "", size = 128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:37:3: 'arena.buffer' name: must not be empty

// -----

// A live interval [first, last] with last < first is empty.
func.func @empty_interval(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, first = 3 : i64, last = 2 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:47:3: 'arena.buffer' first: interval [3, 2] is empty or negative

// -----

// Operator steps count from 0.
func.func @negative_step(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, first = -1 : i64, last = 2 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:57:3: 'arena.buffer' first: interval [-1, 2] is empty or negative

// -----

// first and last come together.
func.func @first_without_last(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, first = 0 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:67:3: 'arena.buffer' first: first and last are set together

// -----

// The size is required.
func.func @missing_size(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1"} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}buffer-invalid.mlir:77:3: property 'size' expected in operation 'arena.buffer'
