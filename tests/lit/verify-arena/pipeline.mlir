// RUN: cmsis-opt %s --liveness --arena-alloc --verify-arena | filecheck %s
// RUN: cmsis-opt %s --liveness --inplace-alias --arena-alloc --verify-arena | filecheck %s
// RUN: cmsis-opt %s --arena-alloc="strategy=naive" --verify-arena | filecheck %s
// Every strategy's plan, with or without in-place aliases, passes the independent check
// (the module comes out unchanged by --verify-arena).

// CHECK: func.func @intervals
// CHECK: arena.plan = #arena.plan<size =

func.func @intervals(%x: tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) {
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<16x8xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %x {filter = dense<1> : tensor<16x8xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %c = cmsis.add %a, %b {input1_offset = 0 : i32, input2_offset = 0 : i32, output_offset = 0 : i32, input1_shift = 0 : i32, input2_shift = 0 : i32, output_shift = 0 : i32, left_shift = 0 : i32, input1_multiplier = 1073741824 : i32, input2_multiplier = 1073741824 : i32, output_multiplier = 1073741824 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "c"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %v = cmsis.reshape %c : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
  %d = cmsis.fully_connected %v {filter = dense<1> : tensor<4x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "d"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>
  %e = cmsis.fully_connected %d {filter = dense<1> : tensor<2x4xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "e"} : (tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %a, %e : tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
}

