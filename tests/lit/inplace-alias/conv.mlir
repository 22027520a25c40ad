// A same-shape 5x5, pad 2 convolution on 32x32x32 (the CIFAR-10 example's second layer shape).
// arm_convolve_s8 writes output pixels in raster order, after reading their receptive
// fields (two pixels per group on C/DSP, four on MVE). Input pixel (y, x) is last read by
// output pixel (y+2, x+2), 2*32+2 = 66 pixels later; with 32 bytes a pixel the output may
// start 66*32 = 2112 bytes before the input. One byte later, output pixel p would cover
// input pixel p-65, which its group partner p+1 still reads: the bound is tight.
// RUN: cmsis-opt %s -p 'liveness,inplace-alias' | filecheck %s
// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m0},liveness,inplace-alias' | filecheck %s
// RUN: cmsis-opt %s -p 'attach-target{core=cortex-m55},inplace-alias' | filecheck %s --check-prefix=MVE

builtin.module {
  func.func @cifar_conv2(%x : tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>> {
    %y = cmsis.conv %x {layer = "conv2", filter = dense<1> : tensor<32x5x5x32xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>} : (tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>
    func.return %y : tensor<1x32x32x32x!quant.uniform<i8:f32, 0.5:-128>>
  }
}

// CHECK:      func.func @cifar_conv2
// CHECK-SAME: arena.inplace = #arena.inplace<kernel_switch = "peak", allow_undocumented = false>
// CHECK:      arena.buffer %x {name = "input", size = 32768 : i64, first = 0 : i64, last = 0 : i64}
// CHECK:      %y = cmsis.conv %x
// CHECK-NEXT: arena.buffer %y {name = "conv2", size = 32768 : i64
// CHECK-NEXT: arena.scratch %y {name = "conv2.scratch", size = 3200 : i64
// CHECK-NEXT: arena.alias %y onto %x {max_delta = -2112 : i64}

// With four pixels a group (the MVE build), input pixel p-65 is read by p+1..p+3 in the same group, so the same bound.
// MVE:      arena.alias %y onto %x {max_delta = -2112 : i64}
