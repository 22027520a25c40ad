// arm_fully_connected_s8 re-reads the whole input for every output row: no overlap, even
// though the input (seen through the flattening view) dies here.
// RUN: cmsis-opt %s -p 'liveness,inplace-alias' | filecheck %s
// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m55},liveness,inplace-alias' | filecheck %s

// CHECK:     arena.buffer %x {name = "input", size = 64 : i64, first = 0 : i64, last = 0 : i64}
// CHECK-NOT: arena.alias
// CHECK:     func.return
builtin.module {
  func.func @classifier(%x : tensor<1x2x2x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:-128>> {
    %f = cmsis.reshape %x : (tensor<1x2x2x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x64x!quant.uniform<i8:f32, 0.5:-128>>
    %y = cmsis.fully_connected %f {layer = "fc", filter = dense<1> : tensor<8x64xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x64x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x8x!quant.uniform<i8:f32, 0.5:-128>>
  }
}
