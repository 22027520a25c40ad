// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.clip: min <= max, shape unchanged.

// An empty range.
func.func @min_above_max(%x: tensor<4xf32>) {
  %y = nn.clip %x {min = 6.0 : f32, max = 0.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}clip-invalid.mlir:6:3: 'nn.clip' min: 6.0 is greater than max 0.0

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<4xf32>) {
  %y = nn.clip %x {min = 0.0 : f32, max = 6.0 : f32} : (tensor<4xf32>) -> tensor<2x2xf32>
  func.return
}
// CHECK: error: {{.*}}clip-invalid.mlir:15:3: 'nn.clip' result: shape [2, 2] does not match the expected [4]
