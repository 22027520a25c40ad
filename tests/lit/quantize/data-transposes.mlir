// RUN: cmsis-opt %s --quantize --split-input-file | filecheck %s
// Where the bytes of a tensor must move to another order (the model's graph output is NCHW but
// the kernels store NHWC; a reshape regroups NHWC-stored elements), --quantize emits a
// cmsis.transpose (arm_transpose_s8) with the permutation from the stored order to the wanted one.

// The max pool runs NHWC; the output is returned in the model's NCHW order.
// CHECK-LABEL: func.func @nchw_output
// CHECK:       %{{.*}} = cmsis.max_pool
// CHECK-NEXT:  %[[T:.*]] = cmsis.transpose %{{.*}} {layer = "pool", perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2x{{.*}}>) -> tensor<1x2x2x2x
// CHECK-NEXT:  func.return %[[T]]
func.func @nchw_output(%x: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>> {
  %xf = nn.dequantize %x : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x2xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %p = nn.max_pool %t {layer = "pool", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %p {layer = "pool"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
}

//

// -----

// NHWC-stored [1, 2, 2, 2] (logical NCHW after the transpose) reshaped to rank 3: row-major order first.
// CHECK-LABEL: func.func @reshape_needs_transpose
// CHECK:       %[[T:.*]] = cmsis.transpose %x {layer = "squash", perm = array<i64: 0, 3, 1, 2>}
// CHECK-NEXT:  %[[R:.*]] = cmsis.reshape %[[T]] {layer = "squash"} : (tensor<1x2x2x2x{{.*}}>) -> tensor<1x2x4x
// CHECK-NEXT:  func.return %[[R]]
func.func @reshape_needs_transpose(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x4x!quant.uniform<i8:f32, 0.5:0>> {
  %t = nn.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
  %r = nn.reshape %t {layer = "squash"} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x4x!quant.uniform<i8:f32, 0.5:0>>
  func.return %r : tensor<1x2x4x!quant.uniform<i8:f32, 0.5:0>>
}

//
