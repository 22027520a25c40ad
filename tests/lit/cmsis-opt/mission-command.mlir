// RUN: cmsis-opt --inplace-alias --arena-alloc %s | filecheck %s
// RUN: cmsis-opt %s --inplace-alias --arena-alloc --verify-arena -t c | filecheck %s --check-prefix=C
// RUN: not cmsis-opt %S/Inputs/float-relu.mlir --arena-alloc 2>&1 | filecheck %s --check-prefix=STAGE
// The mission's own command plans quantized IR with no other flag: the target is the
// default core (recorded on the module), buffers and live steps come from the memory-plan
// analysis, and the plan can go straight to C. On IR that is not lowered yet, a memory pass
// says which pass to run first.

// CHECK:      builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m4", path = "dsp", cmsis_nn = "7.0.0">}
// CHECK:      arena.inplace = #arena.inplace<kernel_switch = "peak", allow_undocumented = false>
// CHECK-SAME: arena.plan = #arena.plan<size = [[SIZE:[0-9]+]], alignment = 16, strategy = "auto (
// CHECK:      arena.buffer %x {name = "input", size = 32 : i64, first = 0 : i64, last = 0 : i64, offset = {{[0-9]+}} : i64}
// CHECK:      arena.buffer %y {name = "conv", size = 48 : i64, first = 0 : i64, last = 1 : i64, offset = {{[0-9]+}} : i64}
// CHECK:      arena.scratch %y {name = "conv.scratch", size = 80 : i64, first = 0 : i64, last = 0 : i64, offset = {{[0-9]+}} : i64}
// CHECK:      arena.alias %y onto %x {max_delta = {{-?[0-9]+}} : i64}

// C: #define TINY_ARENA_SIZE {{[0-9]+}}

// STAGE: error: arena-alloc needs the cmsis dialect: run --quantize first

builtin.module {
  func.func @tiny(%x : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:-128>> {
    %y = cmsis.conv %x {layer = "conv", filter = dense<1> : tensor<3x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:-128>>
    %p = cmsis.max_pool %y {layer = "pool", kernel = array<i64: 4, 4>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:-128>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:-128>>
    func.return %p : tensor<1x1x1x3x!quant.uniform<i8:f32, 0.25:-128>>
  }
}
