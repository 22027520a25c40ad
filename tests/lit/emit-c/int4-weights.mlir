// RUN: cmsis-opt %s -p default -t c | filecheck %s
// RUN: cmsis-opt %s -p default | filecheck %s --check-prefix=PLAN
// i4 filters (int8 activations) run CMSIS-NN's s4 kernels on weights packed two per byte, the
// first value in the low nibble, the flat filter as one run: [1, 2, 3, -1, -8, 7] is the bytes
// 0x21, 0xF3, 0x78 (33, -13, 120 as int8_t), [1, -2, 3, -8] the bytes 0xE1, 0x83. The s4
// kernels' memory order is not modelled, so no s4 layer writes over its input.

// CHECK: static const int8_t s4_conv_weights[3] S4_ALIGNED = {
// CHECK-NEXT: 33, -13, 120
// CHECK: static const int8_t s4_fc_weights[2] S4_ALIGNED = {
// CHECK-NEXT: -31, -125
// CHECK: status = arm_convolve_wrapper_s4(
// CHECK: status = arm_fully_connected_s4(

// PLAN-NOT: arena.alias
func.func @s4(%x: tensor<1x1x1x3x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.05:3>> {
  %c = cmsis.conv %x {filter = dense<[[[[1, 2, 3]]], [[[-1, -8, 7]]]]> : tensor<2x1x1x3xi4>, bias = dense<[1, 2]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -3, -3>, input_offset = -3 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, layer = "conv"} : (tensor<1x1x1x3x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x1x1x2x!quant.uniform<i8:f32, 0.05:3>>
  %r = cmsis.reshape %c : (tensor<1x1x1x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.05:3>>
  %y = cmsis.fully_connected %r {filter = dense<[[1, -2], [3, -8]]> : tensor<2x2xi4>, multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = -3 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "fc"} : (tensor<1x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.05:3>>
  func.return %y : tensor<1x2x!quant.uniform<i8:f32, 0.05:3>>
}
