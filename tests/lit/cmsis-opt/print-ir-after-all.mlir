// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m0},bufferize,liveness' --print-ir-after-all -o %t 2>&1 | filecheck %s
// RUN: cmsis-opt %s -p '' --print-ir-after-all 2>&1 | filecheck %s --check-prefix=EMPTY
// --print-ir-after-all writes the IR to stderr after every pass of the pipeline,
// each dump under a header naming the pass; `-p 'a,b{opt=value}'` runs passes
// in order with their options. An empty pipeline runs nothing and dumps nothing.

// CHECK: // -----// IR Dump After attach-target //----- //
// CHECK-NEXT: builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m0", path = "c", cmsis_nn = "7.0.0">} {
// CHECK-NOT: arena.buffer
// CHECK: // -----// IR Dump After bufferize //----- //
// CHECK-NEXT: builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m0"
// CHECK: arena.buffer %y {name = "conv"
// CHECK: // -----// IR Dump After liveness //----- //
// CHECK-NEXT: builtin.module attributes
// CHECK-NEXT: func.func @f({{.*}}arena.bounds = #arena.bounds<no_overlap = 
// CHECK-NOT: IR Dump After

// EMPTY-NOT: IR Dump
// EMPTY: builtin.module {
// EMPTY-NEXT: func.func @f(
// EMPTY-NOT: arena.
// EMPTY-NOT: IR Dump

func.func @f(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<[1, 2]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, layer = "conv"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}
