// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// arena.alias: the source must be an input of the op that defines the aliased result.

// %b is not an input of the conv defining %y.
func.func @not_an_operand(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %b {max_delta = 0 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}alias-invalid.mlir:7:3: 'arena.alias' source: must be an operand of the op that defines the aliased result

// -----

// A graph input is defined by no op, so nothing may write it over another tensor.
func.func @graph_input(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  arena.alias %x onto %b {max_delta = 0 : i64} : tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}alias-invalid.mlir:16:3: 'arena.alias' result: is a block argument (a graph input): only an op's result can overlap the op's input

// -----

// max_delta is required.
func.func @missing_delta(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  arena.alias %y onto %x : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>
  func.return
}
// CHECK: error: {{.*}}alias-invalid.mlir:26:3: property 'max_delta' expected in operation 'arena.alias'
