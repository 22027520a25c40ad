// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// arena.scratch is the scratch memory (cmsis_nn_context.buf) of the op defining its
// operand: it lives during that one operator step only.

// The im2col buffer of a 3x3 conv on 3 channels (DSP build: 2 * align4(27) * 2 bytes).
// CHECK-LABEL: func.func @im2col
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.scratch %y {name = "conv1.scratch", size = 112 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @im2col(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.scratch %y {name = "conv1.scratch", size = 112 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// After liveness and allocation: first == last, and an offset.
// CHECK-LABEL: func.func @placed
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.scratch %y {name = "conv1.scratch", size = 112 : i64, first = 0 : i64, last = 0 : i64, offset = 320 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @placed(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.scratch %y {name = "conv1.scratch", size = 112 : i64, first = 0 : i64, last = 0 : i64, offset = 320 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}
