// RUN: cmsis-opt %s --liveness | filecheck %s
// A scratch buffer lives at its own op's step only; the no-overlap bound counts it,
// the activation no-overlap bound does not: 192 + 128 + 112 and 192 + 128.

func.func @conv(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<[1, 2]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, layer = "conv1"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// CHECK: arena.bounds = #arena.bounds<no_overlap = 432, activations = 320>
// CHECK: arena.scratch %y {name = "conv1.scratch", size = 112 : i64, first = 0 : i64, last = 0 : i64}
