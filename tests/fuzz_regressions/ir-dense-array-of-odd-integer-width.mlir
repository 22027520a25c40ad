func.func @fuzz(%in0: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>> {
  %v1 = cmsis.max_pool %in0 {kernel = array<i7106297016: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %v1 : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
}
