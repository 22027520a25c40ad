func.func @tiny(%x: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %c = cmsis.conv %x {filter = dense<1> : tensor<3x3x3x2xi8>, bias = dense<[1, 2, 3]> : tensor<3xi32>, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -3>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, layer = "conv1"} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:-128>>
  %p = cmsis.max_pool %c {kernel = array<i64: 4, 4>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32, layer = "pool"} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:-128>>
  %r = cmsis.reshape %p {layer = "flatten"} : (tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x3x!quant.uniform<i8:f32, 0.25:-128>>
  %s = cmsis.softmax %r {input_multiplier = 1073741824 : i32, input_left_shift = 20 : i32, diff_min = -248 : i32, layer = "softmax"} : (tensor<1x3x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x3x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %s : tensor<1x3x!quant.uniform<i8:f32, 0.00390625:-128>>
}
