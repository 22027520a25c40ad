// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.relu: f32 in, same shape out.

// The result has the input's shape.
func.func @shape(%x: tensor<4xf32>) {
  %y = nn.relu %x : (tensor<4xf32>) -> tensor<5xf32>
  func.return
}
// CHECK: error: {{.*}}relu-invalid.mlir:6:3: 'nn.relu' result: shape [5] does not match the expected [4]

// -----

// Stored int8 codes must be dequantized first.
func.func @int(%x: tensor<4xi8>) {
  %y = nn.relu %x : (tensor<4xi8>) -> tensor<4xi8>
  func.return
}
// CHECK: error: {{.*}}relu-invalid.mlir:15:3: 'nn.relu' operand: expected f32 elements, got i8

// -----

// A `layer` attribute is the source layer's name: a string.
func.func @layer(%x: tensor<4xf32>) {
  %y = nn.relu %x {layer = 3 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}relu-invalid.mlir:24:3: 'nn.relu' layer: expected the source layer's name as a string, got 3 : i64
