// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.global_avg_pool: NCHW in, N x C x 1 x 1 out.

// The input is rank 4.
func.func @rank(%x: tensor<1x8x8xf32>) {
  %y = nn.global_avg_pool %x : (tensor<1x8x8xf32>) -> tensor<1x8x1x1xf32>
  func.return
}
// CHECK: error: {{.*}}global_avg_pool-invalid.mlir:6:3: 'nn.global_avg_pool' input: expected a rank-4 NCHW tensor, got rank 3

// -----

// The spatial dimensions collapse to 1x1; channels stay.
func.func @result(%x: tensor<1x8x4x4xf32>) {
  %y = nn.global_avg_pool %x : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  func.return
}
// CHECK: error: {{.*}}global_avg_pool-invalid.mlir:15:3: 'nn.global_avg_pool' result: shape [1, 8] does not match the expected [1, 8, 1, 1]
