// RUN: cmsis-opt %s --bufferize | filecheck %s
// RUN: cmsis-opt %s --bufferize | cmsis-opt --bufferize | filecheck %s
// --bufferize: one arena.buffer per graph input (at the top, named input, input_1, ...)
// and per kernel result (right after it, named from its layer, made unique;
// a layer-less op is named from its kind and step). The reshape view gets none.
// Running it twice changes nothing (second RUN line).

// CHECK:      builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m4", path = "dsp", cmsis_nn = "7.0.0">} {
// CHECK:      func.func @names({{.*}} {
// CHECK-NEXT:   arena.buffer %x {name = "input", size = 16 : i64}
// CHECK-NEXT:   arena.buffer %y {name = "input_1", size = 16 : i64}
// CHECK-NEXT:   %a = cmsis.fully_connected
// CHECK-NEXT:   arena.buffer %a {name = "dense", size = 32 : i64}
// CHECK-NEXT:   %b = cmsis.fully_connected
// CHECK-NEXT:   arena.buffer %b {name = "dense_1", size = 32 : i64}
// CHECK-NEXT:   %sum = cmsis.add
// CHECK-NEXT:   arena.buffer %sum {name = "sum", size = 32 : i64}
// CHECK-NEXT:   %c = cmsis.fully_connected
// CHECK-NEXT:   arena.buffer %c {name = "fully_connected_3", size = 8 : i64}
// CHECK-NEXT:   %v = cmsis.reshape
// CHECK-NEXT:   func.return %v
// CHECK-NOT:    arena.

func.func @names(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>, %y: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<8x1x!quant.uniform<i8:f32, 0.5:0>>) {
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<32x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "dense"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %y {filter = dense<1> : tensor<32x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "dense"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>
  %sum = cmsis.add %a, %b {input1_offset = 0 : i32, input2_offset = 0 : i32, output_offset = 0 : i32, input1_shift = 0 : i32, input2_shift = 0 : i32, output_shift = 0 : i32, left_shift = 0 : i32, input1_multiplier = 1073741824 : i32, input2_multiplier = 1073741824 : i32, output_multiplier = 1073741824 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "sum"} : (tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>
  %c = cmsis.fully_connected %sum {filter = dense<1> : tensor<8x32xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>
  %v = cmsis.reshape %c : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<8x1x!quant.uniform<i8:f32, 0.5:0>>
  func.return %v : tensor<8x1x!quant.uniform<i8:f32, 0.5:0>>
}

