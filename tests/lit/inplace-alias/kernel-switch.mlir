// A pointwise (1x1, stride 1, no padding) convolution goes to arm_convolve_1x1_s8_fast, which
// re-reads its whole input for every pair of output channels: no overlap. Lowered to the
// generic arm_convolve_s8 (kernel = "generic") it needs an im2col scratch of
// 2 * align4(8) * 2 = 32 bytes but writes pixel by pixel after reading them: on 16x16x8 -> 16x16x16
// the output (twice the input) may start 2032 bytes before the input: output pixel 253,
// written with 252 before pixels 254 and 255 are read, must end (at 254*16 + d) before
// input pixel 254 starts (at 254*8), so d <= 2032 - 4064 = -2032.
// RUN: cmsis-opt %s -p 'liveness,inplace-alias{kernel-switch=always}' | filecheck %s --check-prefix=ALWAYS
// RUN: cmsis-opt %s -p 'liveness,inplace-alias{kernel-switch=never}' | filecheck %s --check-prefix=NEVER
// RUN: cmsis-opt %s -p 'liveness,inplace-alias' | filecheck %s --check-prefix=ALWAYS
// RUN: cmsis-opt %s -p 'inplace-alias' | filecheck %s --check-prefix=BARE
// Without buffers in the IR, --inplace-alias writes only what it decides: the switch and the alias.
// BARE:      %y = cmsis.conv %x {{.*}}kernel = "generic"
// BARE-NEXT: arena.alias %y onto %x {max_delta = -2032 : i64}

// ALWAYS:      %y = cmsis.conv %x {{.*}}kernel = "generic"
// ALWAYS-NEXT: arena.buffer %y {name = "pw", size = 4096 : i64
// ALWAYS-NEXT: arena.scratch %y {name = "pw.scratch", size = 32 : i64, first = 0 : i64, last = 0 : i64}
// ALWAYS-NEXT: arena.alias %y onto %x {max_delta = -2032 : i64}

// NEVER:       %y = cmsis.conv %x
// NEVER-NOT:   kernel = "generic"
// NEVER-NOT:   arena.scratch
// NEVER-NOT:   arena.alias
// NEVER:       func.return
builtin.module {
  func.func @pointwise(%x : tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x16x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.conv %x {layer = "pw", filter = dense<1> : tensor<16x1x1x8xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x8x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x16x16x16x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x16x16x16x!quant.uniform<i8:f32, 0.5:-128>>
  }
}
