// Pooling: max pool overlaps only with allow-undocumented (arm_max_pool_s8's header forbids it);
// average pool (2x2 / 2 on 8x8x16) may write exactly over its input.
// RUN: cmsis-opt %s --split-input-file -p 'inplace-alias' | filecheck %s --check-prefix=DOC
// RUN: cmsis-opt %s --split-input-file -p 'inplace-alias{allow-undocumented=true}' | filecheck %s --check-prefix=UNDOC

builtin.module {
  // DOC-LABEL:   func.func @max
  // DOC-NOT:     arena.alias
  // DOC-LABEL:   func.func @avg
  // UNDOC-LABEL: func.func @max
  // The model takes each output pixel as written before its window is read (the first tap is
  // copied into the output, then compared): the output must stay one pixel (16 bytes) behind.
  // UNDOC:       arena.alias %y onto %x {max_delta = -16 : i64}
  func.func @max(%x : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.max_pool %x {layer = "pool", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// -----

builtin.module {
  // DOC:         arena.alias %y onto %x {max_delta = 0 : i64}
  // UNDOC-LABEL: func.func @avg
  // UNDOC:       arena.alias %y onto %x {max_delta = 0 : i64}
  func.func @avg(%x : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.avg_pool %x {layer = "pool", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x4x4x16x!quant.uniform<i8:f32, 0.5:-128>>
  }
}
