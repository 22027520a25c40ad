// RUN: cmsis-opt %s --bufferize | filecheck %s --check-prefix=M4
// RUN: cmsis-opt %s --attach-target=core=cortex-m55 --bufferize | filecheck %s --check-prefix=M55
// RUN: cmsis-opt %s --attach-target=core=cortex-m0 --bufferize | filecheck %s --check-prefix=M0
// RUN: cmsis-opt %s --attach-target=core=cortex-m55 --bufferize --attach-target=core=cortex-m4 --bufferize | filecheck %s --check-prefix=M4
// RUN: cmsis-opt %s --attach-target=core=cortex-m55 --bufferize | cmsis-opt --bufferize | filecheck %s --check-prefix=M55
// The scratch of a kernel op (its *_get_buffer_size for the target's build) becomes an
// arena.scratch right after the op's buffer: a 3x3x3 conv runs arm_convolve_s8, whose
// im2col takes 2 * align4(27) * 2 = 112 bytes on the C and DSP paths and 4 * ceil16(27) = 128 on MVE.
// The target is the module's (--attach-target; cortex-m4 when none is attached, and then recorded).
// Re-running after attaching another target updates the size in place (fourth RUN line); the
// recorded target stays with the IR (fifth).

func.func @conv(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<[1, 2]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, layer = "conv1"} : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>
}

// M4:       cmsis.target = #cmsis.target<"cortex-m4", path = "dsp", cmsis_nn = "7.0.0">
// M4:       arena.buffer %x {name = "input", size = 192 : i64}
// M4:       arena.buffer %y {name = "conv1", size = 128 : i64}
// M4-NEXT:  arena.scratch %y {name = "conv1.scratch", size = 112 : i64}
// M4-NOT:   arena.scratch

// M55:      cmsis.target = #cmsis.target<"cortex-m55", path = "mve", cmsis_nn = "7.0.0">
// M55:      arena.scratch %y {name = "conv1.scratch", size = 128 : i64}

// M0:       cmsis.target = #cmsis.target<"cortex-m0", path = "c", cmsis_nn = "7.0.0">
// M0:       arena.scratch %y {name = "conv1.scratch", size = 112 : i64}

