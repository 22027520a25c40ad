// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.constant: the value must agree with the result type.

// The value's shape must be the result's.
func.func @shape() {
  %c = nn.constant {value = dense<1> : tensor<4xi8>} : tensor<2x2xi8>
  func.return
}
// CHECK: error: {{.*}}constant-invalid.mlir:6:3: 'nn.constant' value: shape [4] differs from the result's [2, 2]

// -----

// A plain (not quantized) result has the value's element type.
func.func @element() {
  %c = nn.constant {value = dense<1.0> : tensor<4xf32>} : tensor<4xi8>
  func.return
}
// CHECK: error: {{.*}}constant-invalid.mlir:15:3: 'nn.constant' value: element type f32 differs from the result's i8

// -----

// A quantized result stores the value's integer type.
func.func @storage() {
  %c = nn.constant {value = dense<1> : tensor<4xi32>} : tensor<4x!quant.uniform<i8:f32, 0.5:0>>
  func.return
}
// CHECK: error: {{.*}}constant-invalid.mlir:24:3: 'nn.constant' value: stored as i32 but the quantized type stores i8

// -----

// Per-axis weights need one scale per index of the axis (4 channels, 3 scales).
func.func @scale_count() {
  %c = nn.constant {value = dense<1> : tensor<4x2xi8>} : tensor<4x2x!quant.uniform<i8:f32:0, {0.5:0, 0.5:0, 0.5:0}>>
  func.return
}
// CHECK: error: {{.*}}constant-invalid.mlir:33:3: 'nn.constant' result #0: per-axis quantization on axis 0 needs 4 scales, got 3

// -----

// Only f32 and integer constants are supported.
func.func @half() {
  %c = nn.constant {value = dense<1.0> : tensor<2xf16>} : tensor<2xf16>
  func.return
}
// CHECK: error: {{.*}}constant-invalid.mlir:42:3: 'nn.constant' value: expected f32 or i4/i8/i16/i32/i64 elements, got f16
