// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.fully_connected: x [N, K], weight [M, K], bias [M] -> [N, M].

// Input and weight are rank 2.
func.func @rank(%x: tensor<1x2x8xf32>, %w: tensor<4x8xf32>) {
  %y = nn.fully_connected %x, %w : (tensor<1x2x8xf32>, tensor<4x8xf32>) -> tensor<1x4xf32>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:6:3: 'nn.fully_connected' input: expected rank-2 input and weight, got [1, 2, 8] and [4, 8]

// -----

// The weight rows have K values.
func.func @features(%x: tensor<1x8xf32>, %w: tensor<4x7xf32>) {
  %y = nn.fully_connected %x, %w : (tensor<1x8xf32>, tensor<4x7xf32>) -> tensor<1x4xf32>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:15:3: 'nn.fully_connected' weight: has 7 input features, input has 8

// -----

// One bias value per output.
func.func @bias(%x: tensor<1x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  %y = nn.fully_connected %x, %w, %b : (tensor<1x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<1x4xf32>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:24:3: 'nn.fully_connected' bias: expected shape [4], got [8]

// -----

// The result is [N, M].
func.func @result(%x: tensor<1x8xf32>, %w: tensor<4x8xf32>) {
  %y = nn.fully_connected %x, %w : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<4x1xf32>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:33:3: 'nn.fully_connected' result: shape [4, 1] does not match the expected [1, 4]

// -----

// The bias is f32 like the other operands (a QDQ bias goes through nn.dequantize).
func.func @int_bias(%x: tensor<1x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xi32>) {
  %y = nn.fully_connected %x, %w, %b : (tensor<1x8xf32>, tensor<4x8xf32>, tensor<4xi32>) -> tensor<1x4xf32>
  func.return
}
// CHECK: error: {{.*}}fully_connected-invalid.mlir:42:3: 'nn.fully_connected' operand: expected f32 elements, got i32
