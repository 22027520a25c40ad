// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.conv: what arm_convolve_wrapper_s8 accepts, and agreement with the tensor types.

// Shifts lie in [-31, 30] (a right shift of at most 31 bits).
func.func @shift_low(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -32, 0>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:6:3: 'cmsis.conv' shift: -32 is outside [-31, 30]

// -----

// A left shift above 30 would overflow the 32-bit accumulator.
func.func @shift_high(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 31>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:15:3: 'cmsis.conv' shift: 31 is outside [-31, 30]

// -----

// Multipliers are Q31 mantissas in [0, 2^31 - 1].
func.func @multiplier_negative(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: -5, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:24:3: 'cmsis.conv' multiplier: -5 is outside [0, 2147483647]

// -----

// One multiplier per output channel.
func.func @multiplier_count(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:33:3: 'cmsis.conv' multiplier: expected 2 values, got 1

// -----

// One shift per output channel.
func.func @shift_count(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0, 0>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:42:3: 'cmsis.conv' shift: expected 2 values, got 3

// -----

// input_offset is minus the input zero point (-(-128) = 128).
func.func @input_offset_mismatch(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 127 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:51:3: 'cmsis.conv' input_offset: 127 does not match the zero point -128 of its tensor (expected 128)

// -----

// input_offset lies in [-127, 128].
func.func @input_offset_range(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 129 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:60:3: 'cmsis.conv' input_offset: 129 is outside [-127, 128]

// -----

// output_offset is the output zero point (5).
func.func @output_offset_mismatch(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = -5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:69:3: 'cmsis.conv' output_offset: -5 does not match the zero point 5 of its tensor (expected 5)

// -----

// output_offset lies in [-128, 127].
func.func @output_offset_range(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 300 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:78:3: 'cmsis.conv' output_offset: 300 is outside [-128, 127]

// -----

// The activation range is not empty.
func.func @act_min_above_act_max(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = 10 : i32, act_max = -10 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:87:3: 'cmsis.conv' act_min: 10 is greater than act_max -10

// -----

// The activation range lies within int8.
func.func @act_max_range(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 128 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:96:3: 'cmsis.conv' act_max: 128 is outside [-128, 127]

// -----

// The OHWI filter has the input's channel count last (3, not 4).
func.func @filter_channels(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x4xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:105:3: 'cmsis.conv' filter: shape [2, 3, 3, 4] does not match the expected [2, 3, 3, 3]

// -----

// The OHWI filter has one row per output channel (2, not 3).
func.func @filter_outputs(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<3x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:114:3: 'cmsis.conv' filter: shape [3, 3, 3, 3] does not match the expected [2, 3, 3, 3]

// -----

// The filter is rank 4.
func.func @filter_rank(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x9x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:123:3: 'cmsis.conv' filter: expected an OHWI filter of rank 4, got [2, 9, 3]

// -----

// Weights are int8 (or int4: the s4 kernels).
func.func @filter_type(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi16>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:132:3: 'cmsis.conv' filter: expected i8 or i4 weights, got i16

// -----

// One bias per output channel.
func.func @bias_count(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<3xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:141:3: 'cmsis.conv' bias: shape [3] does not match the expected [2]

// -----

// Biases are int32.
func.func @bias_type(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:150:3: 'cmsis.conv' bias: expected i32 values, got i8

// -----

// Strides are at least 1.
func.func @stride_zero(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 0, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:159:3: 'cmsis.conv' stride: values must be >= 1, got [0, 1]

// -----

// Two strides (height, width).
func.func @stride_count(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:168:3: 'cmsis.conv' stride: expected 2 values, got 1

// -----

// Padding is not negative.
func.func @padding_negative(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: -1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:177:3: 'cmsis.conv' padding: values must be >= 0, got [-1, 1]

// -----

// Padding is smaller than the window, or a window would see no input.
func.func @padding_window(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 3, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x12x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:186:3: 'cmsis.conv' padding: 3 on the height is not smaller than the window 3

// -----

// Dilation is at least 1.
func.func @dilation_zero(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 0>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:195:3: 'cmsis.conv' dilation: values must be >= 1, got [1, 0]

// -----

// The output size follows from input, window, stride and padding: stride 1 cannot shrink 8 rows to 4.
func.func @output_size(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:204:3: 'cmsis.conv' result: output height 4 is inconsistent with input 8, window 3, stride 1, padding 1

// -----

// The batch size is kept.
func.func @batch(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:213:3: 'cmsis.conv' result: batch 2 differs from the input's 1

// -----

// Activations are NHWC, rank 4.
func.func @input_rank(%x: tensor<8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:222:3: 'cmsis.conv' input: expected rank 4, got shape [8, 8, 3]

// -----

// Activations are int8 with a per-tensor !quant.uniform type.
func.func @float_input(%x: tensor<1x8x8x3xf32>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:231:3: 'cmsis.conv' input: expected int8 or int16 per-tensor !quant.uniform elements, got f32

// -----

// Activations are quantized per tensor, not per axis.
func.func @per_axis_output(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32:3, {0.5:0, 0.5:0}>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:240:3: 'cmsis.conv' result: expected int8 or int16 per-tensor !quant.uniform elements, got !quant.uniform<i8:f32:3, {0.5:0, 0.5:0}>

// -----

// The only forced kernel variant is "generic".
func.func @kernel_variant(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<0> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -1, -1>, input_offset = 128 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, kernel = "fast"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:5>>
  func.return
}
// CHECK: error: {{.*}}conv-invalid.mlir:249:3: 'cmsis.conv' kernel: unknown kernel variant 'fast' (known: generic)
