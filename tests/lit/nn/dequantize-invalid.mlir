// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.dequantize: !quant.uniform in, f32 out, same shape.

// The operand must carry a scale and zero point.
func.func @plain_operand(%x: tensor<4xi8>) {
  %y = nn.dequantize %x : (tensor<4xi8>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}dequantize-invalid.mlir:6:3: 'nn.dequantize' operand: expected a !quant.uniform element type, got i8

// -----

// The result is f32.
func.func @int_result(%x: tensor<4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = nn.dequantize %x : (tensor<4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<4xi32>
  func.return
}
// CHECK: error: {{.*}}dequantize-invalid.mlir:15:3: 'nn.dequantize' result: expected f32 elements, got i32

// -----

// Dequantizing keeps the shape.
func.func @shape(%x: tensor<4x!quant.uniform<i8:f32, 0.5:0>>) {
  %y = nn.dequantize %x : (tensor<4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<2x2xf32>
  func.return
}
// CHECK: error: {{.*}}dequantize-invalid.mlir:24:3: 'nn.dequantize' result: shape [2, 2] does not match the expected [4]
