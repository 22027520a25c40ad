// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.quantize: float in, !quant.uniform out, same shape.

// The input must be float.
func.func @int_input(%x: tensor<4xi8>) {
  %q = nn.quantize %x : (tensor<4xi8>) -> tensor<4x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}quantize-invalid.mlir:6:3: 'nn.quantize' operand: expected f32 elements, got i8

// -----

// The result must carry the scale and zero point.
func.func @plain_result(%x: tensor<4xf32>) {
  %q = nn.quantize %x : (tensor<4xf32>) -> tensor<4xi8>
  func.return
}
// CHECK: error: {{.*}}quantize-invalid.mlir:15:3: 'nn.quantize' result: expected a !quant.uniform element type, got i8

// -----

// Quantizing keeps the shape.
func.func @shape(%x: tensor<4xf32>) {
  %q = nn.quantize %x : (tensor<4xf32>) -> tensor<5x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}quantize-invalid.mlir:24:3: 'nn.quantize' result: shape [5] does not match the expected [4]
