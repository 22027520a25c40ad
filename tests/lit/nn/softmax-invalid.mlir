// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.softmax: axis within the rank, beta > 0.

// A rank-2 tensor has axes -2..1.
func.func @axis(%x: tensor<1x10xf32>) {
  %y = nn.softmax %x {axis = 2 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:6:3: 'nn.softmax' axis: 2 is out of range for rank 2

// -----

// beta scales the logits and must be positive.
func.func @beta(%x: tensor<1x10xf32>) {
  %y = nn.softmax %x {axis = -1 : i64, beta = 0.0 : f32} : (tensor<1x10xf32>) -> tensor<1x10xf32>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:15:3: 'nn.softmax' beta: must be positive, got 0.0

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<1x10xf32>) {
  %y = nn.softmax %x {axis = -1 : i64} : (tensor<1x10xf32>) -> tensor<10xf32>
  func.return
}
// CHECK: error: {{.*}}softmax-invalid.mlir:24:3: 'nn.softmax' result: shape [10] does not match the expected [1, 10]
