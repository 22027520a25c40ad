// RUN: cmsis-opt %s --quantize | filecheck %s --check-prefix=MODEL
// RUN: cmsis-opt %s --quantize=io-layout=nhwc | filecheck %s --check-prefix=NHWC
// An NCHW graph input read by two layers that run channel-last; the input is transposed once
// (arm_transpose_s8), and both layers read that one copy. With io-layout=nhwc the C API takes
// NHWC, so no transpose runs at all, at the input or at the outputs.

// MODEL-LABEL: func.func @two_pools
// MODEL:       %[[T:.*]] = cmsis.transpose %x {layer = "pool_a", perm = array<i64: 0, 2, 3, 1>}
// MODEL-NEXT:  %[[A:.*]] = cmsis.max_pool %[[T]] {layer = "pool_a"
// MODEL-NEXT:  %[[B:.*]] = cmsis.max_pool %[[T]] {layer = "pool_b"
// MODEL-NEXT:  %[[TA:.*]] = cmsis.transpose %[[A]] {layer = "pool_a", perm = array<i64: 0, 3, 1, 2>}
// MODEL-NEXT:  %[[TB:.*]] = cmsis.transpose %[[B]] {layer = "pool_b", perm = array<i64: 0, 3, 1, 2>}
// MODEL-NEXT:  func.return %[[TA]], %[[TB]]

// NHWC:       func.func @two_pools(%[[X:.*]]: tensor<1x4x4x2x{{.*}}> {nn.layout = "NHWC"})
// NHWC-NOT:   cmsis.transpose
// NHWC:       %[[A:.*]] = cmsis.max_pool %[[X]] {layer = "pool_a"
// NHWC-NEXT:  %[[B:.*]] = cmsis.max_pool %[[X]] {layer = "pool_b"
// NHWC-NEXT:  func.return %[[A]], %[[B]]
func.func @two_pools(%x: tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>) {
  %xf = nn.dequantize %x : (tensor<1x2x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x4x4xf32>
  %p = nn.max_pool %xf {layer = "pool_a", kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %pq = nn.quantize %p {layer = "pool_a"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
  %r = nn.max_pool %xf {layer = "pool_b", kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32>
  %rq = nn.quantize %r {layer = "pool_b"} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>
  func.return %pq, %rq : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>
}
