// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.avg_pool: window rules, and the output quantized like the input.

// Window sizes are at least 1.
func.func @kernel_zero(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:6:3: 'cmsis.avg_pool' kernel: values must be >= 1, got [0, 2]

// -----

// Two window sizes (height, width).
func.func @kernel_count(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:15:3: 'cmsis.avg_pool' kernel: expected 2 values, got 3

// -----

// Strides are at least 1.
func.func @stride_zero(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 0>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:24:3: 'cmsis.avg_pool' stride: values must be >= 1, got [2, 0]

// -----

// Padding is smaller than the window.
func.func @padding_window(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 2, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:33:3: 'cmsis.avg_pool' padding: 2 on the height is not smaller than the window 2

// -----

// The output size follows from the window (4, not 5).
func.func @output_size(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:42:3: 'cmsis.avg_pool' result: output height 5 is inconsistent with input 8, window 2, stride 2, padding 0

// -----

// Pooling keeps the channels.
func.func @channels(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:51:3: 'cmsis.avg_pool' result: batch and channels 1, 2 differ from the input's 1, 4

// -----

// Pooling does not requantize: the output scale and zero point are the input's.
func.func @requantize(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.25:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:60:3: 'cmsis.avg_pool' result: quantization !quant.uniform<i8:f32, 0.25:-128> must equal the input's !quant.uniform<i8:f32, 0.5:-128>

// -----

// act_min <= act_max.
func.func @act_range(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.avg_pool %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = 1 : i32, act_max = 0 : i32} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}avg_pool-invalid.mlir:69:3: 'cmsis.avg_pool' act_min: 1 is greater than act_max 0
