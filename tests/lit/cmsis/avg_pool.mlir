// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.avg_pool is arm_avgpool_s8: NHWC; window `kernel`, `stride`, top/left `padding`;
// the output keeps the input's scale and zero point.

// The CIFAR-10 example's 3x3 / 2 pooling: 32x32 -> 16x16, the last window clipped.
// CHECK-LABEL: func.func @cifar_3x3_s2
// CHECK-NEXT: %y = cmsis.avg_pool %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x32x!quant.uniform<i8:f32, 0.5:-128>>
func.func @cifar_3x3_s2(%x: tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x32x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.avg_pool %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x32x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x16x16x32x!quant.uniform<i8:f32, 0.5:-128>>
}

// Padding 1 (SAME) and a narrowed activation range.
// CHECK-LABEL: func.func @padded_clamped
// CHECK-NEXT: %y = cmsis.avg_pool %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, act_min = -100 : i32, act_max = 100 : i32} : (tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @padded_clamped(%x: tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.avg_pool %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, act_min = -100 : i32, act_max = 100 : i32} : (tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x5x5x2x!quant.uniform<i8:f32, 0.5:-128>>
}
