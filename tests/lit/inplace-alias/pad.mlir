// arm_pad_s8 writes its output front to back: a run of the zero point, then one memcpy per input
// row (or per pixel when channels are padded), then the next run. On 8x8x4 padded by one row and
// column on every side, output row y + 1 (40 bytes) holds input row y (32 bytes) after 4 bytes of
// padding: the copy of row y writes output bytes [40y + 44, 40y + 76) while it reads input bytes
// [32y, 32y + 32) (memcpy's own order is unknown, so its writes count as first). Every write must
// land on input rows already copied: 40y + 75 + d < 32y for every row y, tightest at the last row
// (y = 7): d <= -132. The output starts 132 bytes before its input.
// RUN: cmsis-opt %s -p 'inplace-alias' | filecheck %s
// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m55},inplace-alias' | filecheck %s

builtin.module {
  func.func @pad(%x : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %p = cmsis.pad %x {pre_pad = array<i64: 0, 1, 1, 0>, post_pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.avg_pool %p {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x10x10x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}

// CHECK:      %p = cmsis.pad %x
// CHECK-NEXT: arena.alias %p onto %x {max_delta = -132 : i64}
