// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// arena.buffer describes the bytes of one activation tensor; each memory pass adds
// to it: --bufferize the name and size, --liveness the first and last operator
// steps, --arena-alloc the offset in the arena.

// A graph input and a conv output, named and sized.
// CHECK-LABEL: func.func @after_bufferize
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %x {name = "input", size = 192 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %y {name = "conv1", size = 128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @after_bufferize(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %x {name = "input", size = 192 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// Graph inputs live from step 0, graph outputs to the last step.
// CHECK-LABEL: func.func @after_liveness
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %x {name = "input", size = 192 : i64, first = 0 : i64, last = 0 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %y {name = "conv1", size = 128 : i64, first = 0 : i64, last = 0 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @after_liveness(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %x {name = "input", size = 192 : i64, first = 0 : i64, last = 0 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, first = 0 : i64, last = 0 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// Placed buffers carry their byte offset.
// CHECK-LABEL: func.func @after_alloc
// CHECK-NEXT: %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %x {name = "input", size = 192 : i64, first = 0 : i64, last = 0 : i64, offset = 0 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
// CHECK-NEXT: arena.buffer %y {name = "conv1", size = 128 : i64, first = 0 : i64, last = 0 : i64, offset = 192 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @after_alloc(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %x {name = "input", size = 192 : i64, first = 0 : i64, last = 0 : i64, offset = 0 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  arena.buffer %y {name = "conv1", size = 128 : i64, first = 0 : i64, last = 0 : i64, offset = 192 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}
