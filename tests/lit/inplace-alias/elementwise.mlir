// Element-wise add and mul, softmax and our table kernel (cmsis.lut) read element i before they
// write element i, in order: the output may sit exactly on a dying input (delta 0), never ahead of it.
// RUN: cmsis-opt %s --split-input-file -p 'inplace-alias' | filecheck %s
// RUN: cmsis-opt %s --split-input-file -p 'attach-target{core=cortex-m55},inplace-alias' | filecheck %s

// Both inputs die at the add: each may be overwritten.
// CHECK-LABEL: func.func @add
// CHECK:       arena.alias %s onto %a {max_delta = 0 : i64}
// CHECK-NEXT:  arena.alias %s onto %b {max_delta = 0 : i64}
builtin.module {
  func.func @add(%a : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>, %b : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>> {
    %s = cmsis.add %a, %b {layer = "add", input1_offset = 128 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 128 : i32, input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -128 : i32, output_multiplier = 1073741824 : i32, output_shift = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %s : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// -----

// CHECK-LABEL: func.func @mul
// CHECK:       arena.alias %m onto %a {max_delta = 0 : i64}
builtin.module {
  func.func @mul(%a : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>> {
    %m = cmsis.mul %a, %a {layer = "square", input1_offset = 128 : i32, input2_offset = 128 : i32, output_offset = -128 : i32, output_multiplier = 1073741824 : i32, output_shift = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %m : tensor<1x8x8x16x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// -----

// CHECK-LABEL: func.func @softmax
// CHECK:       arena.alias %p onto %x {max_delta = 0 : i64}
builtin.module {
  func.func @softmax(%x : tensor<1x10x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>> {
    %p = cmsis.softmax %x {layer = "softmax", input_multiplier = 1073741824 : i32, input_left_shift = 20 : i32, diff_min = -100 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
    func.return %p : tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  }
}

// -----

// cmsis_opt_lut_s8 reads input i, then writes output i: one table or one per channel alike.
// CHECK-LABEL: func.func @lut
// CHECK:       arena.alias %y onto %x {max_delta = 0 : i64}
// CHECK:       arena.alias %z onto %y {max_delta = 0 : i64}
builtin.module {
  func.func @lut(%x : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>> {
    %y = cmsis.lut %x {layer = "act", table = dense<1> : tensor<256xi8>} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
    %z = cmsis.lut %y {layer = "prelu", table = dense<2> : tensor<2x256xi8>} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
    func.return %z : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
  }
}
