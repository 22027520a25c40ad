// --fold-pads: a zero-point cmsis.pad read only by a conv, depthwise conv or (with a ReLU) max pool
// becomes that op's padding; the pad's far-side rows and columns become the op's implied padding.
// RUN: cmsis-opt %s --split-input-file --fold-pads | filecheck %s

// A 3x3 convolution with no padding of its own, after one row and column of padding on every side:
// the same as a 3x3 convolution with padding [1, 1] (and the implied one row and column at the far side).
// CHECK-LABEL: func.func @conv_same
// CHECK-NOT:   cmsis.pad
// CHECK:       %y = cmsis.conv %x {{.*}}padding = array<i64: 1, 1>
// CHECK-SAME:  (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x8
builtin.module {
  func.func @conv_same(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.conv %p {layer = "conv", filter = dense<1> : tensor<8x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x8x8x8x!quant.uniform<i8:f32, 0.25:-128>>
  }
}

// -----

// TensorFlow's stride-2 "SAME" written as an explicit pad of one row and column at the far side only:
// the depthwise convolution keeps padding [0, 0]; the far row is its implied padding.
// CHECK-LABEL: func.func @depthwise_far_side
// CHECK-NOT:   cmsis.pad
// CHECK:       %y = cmsis.depthwise_conv %x {{.*}}padding = array<i64: 0, 0>
builtin.module {
  func.func @depthwise_far_side(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 0, 0, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.depthwise_conv %p {layer = "conv", filter = dense<1> : tensor<1x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.25:-128>>
  }
}

// -----

// Padding adds up: one explicit row and column, then a 5x5 convolution with padding [1, 1] -> padding [2, 2].
// CHECK-LABEL: func.func @adds_up
// CHECK:       %y = cmsis.conv %x {{.*}}padding = array<i64: 2, 2>
builtin.module {
  func.func @adds_up(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.conv %p {layer = "conv", filter = dense<1> : tensor<2x5x5x4xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
  }
}

// -----

// Max pooling skips padded taps, an explicit pad makes the zero point (-3) a candidate: with act_min = -3
// (a fused ReLU) the clamp hides the difference, so the pad folds.
// CHECK-LABEL: func.func @max_pool_relu
// CHECK-NOT:   cmsis.pad
// CHECK:       %y = cmsis.max_pool %x {{.*}}padding = array<i64: 1, 1>
builtin.module {
  func.func @max_pool_relu(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 0, 0, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.max_pool %p {layer = "pool", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -3 : i32, act_max = 127 : i32} : (tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}

// -----

// Without the ReLU the zero point could be the maximum of a border window: the pad stays.
// CHECK-LABEL: func.func @max_pool_stays
// CHECK:       cmsis.pad
// CHECK:       cmsis.max_pool {{.*}}padding = array<i64: 0, 0>
builtin.module {
  func.func @max_pool_stays(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 0, 0, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.max_pool %p {layer = "pool", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}

// -----

// Average pooling divides by the valid taps only, the explicit pad's taps count: never folded.
// CHECK-LABEL: func.func @avg_pool_stays
// CHECK:       cmsis.pad
// CHECK:       cmsis.avg_pool
builtin.module {
  func.func @avg_pool_stays(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 0, 0, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.avg_pool %p {layer = "pool", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x9x9x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}

// -----

// Three rows of padding before a 3x3 window: CMSIS-NN takes padding smaller than the window only.
// CHECK-LABEL: func.func @not_representable
// CHECK:       cmsis.pad
builtin.module {
  func.func @not_representable(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x6x2x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 3, 0, 0>, post_pad = array<i64: 0, 0, 0, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x11x8x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.conv %p {layer = "conv", filter = dense<1> : tensor<2x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x11x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x9x6x2x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x9x6x2x!quant.uniform<i8:f32, 0.25:-128>>
  }
}

// -----

// Padding the channels changes what the convolution multiplies: it stays.
// CHECK-LABEL: func.func @channels
// CHECK:       cmsis.pad
builtin.module {
  func.func @channels(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 2>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x6x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.conv %p {layer = "conv", filter = dense<1> : tensor<2x3x3x6xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x10x10x6x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
  }
}

// -----

// A pad with two readers stays (both would need it folded, and it is one buffer either way).
// CHECK-LABEL: func.func @two_readers
// CHECK:       cmsis.pad
builtin.module {
  func.func @two_readers(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:-128>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
    %a = cmsis.conv %p {layer = "a", filter = dense<1> : tensor<2x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
    %b = cmsis.conv %p {layer = "b", filter = dense<1> : tensor<2x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 3 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>
    %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>, tensor<1x8x8x2x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %y : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.25:-128>>
  }
}
