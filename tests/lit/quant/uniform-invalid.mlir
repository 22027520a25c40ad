// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// !quant.uniform: what a scale, zero point, storage type and axis may be.

// Scales are positive.
func.func @zero_scale(%x: tensor<4x!quant.uniform<i8:f32, 0.0:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:5:36: quant.uniform: scale must be a positive finite number, got 0.0

// -----

// Scales are positive.
func.func @negative_scale(%x: tensor<4x!quant.uniform<i8:f32, -0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:13:40: quant.uniform: scale must be a positive finite number, got -0.5

// -----

// Scales are float32: 1e-50 would become 0.
func.func @underflowing_scale(%x: tensor<4x!quant.uniform<i8:f32, 1.0e-50:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:21:44: quant.uniform: scale is 0 in float32, where scales are held (it underflows), got 1e-50

// -----

// Scales are float32: 1e39 would become infinity.
func.func @overflowing_scale(%x: tensor<4x!quant.uniform<i8:f32, 1.0e39:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:29:43: quant.uniform: scale is infinite in float32, where scales are held (it overflows), got 1e+39

// -----

// The zero point is a value of the storage type.
func.func @zero_point_range(%x: tensor<4x!quant.uniform<i8:f32, 0.5:128>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:37:42: quant.uniform: zero point 128 is outside the storage range [-128, 127]

// -----

// ... and lies within the storage range when it is narrowed.
func.func @zero_point_narrow_range(%x: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5:-128>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:45:49: quant.uniform: zero point -128 is outside the storage range [-127, 127]

// -----

// A narrowed range lies inside the storage type's.
func.func @storage_range(%x: tensor<4x!quant.uniform<i8<-200:127>:f32, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:53:39: quant.uniform: storage range [-200, 127] is not inside [-128, 127]

// -----

// A storage range is not empty.
func.func @storage_range_order(%x: tensor<4x!quant.uniform<i8<5:-5>:f32, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:61:45: quant.uniform: storage range [5, -5] is not inside [-128, 127]

// -----

// Storage is 4 (packed int4 weights), 8, 16, 32 or 64 bits.
func.func @storage_width(%x: tensor<4x!quant.uniform<i2:f32, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:69:39: quant.uniform: storage type must be i4, i8, i16, i32 or i64, got i2

// -----

// Storage is signed (TFLite int8, not uint8).
func.func @unsigned_storage(%x: tensor<4x!quant.uniform<ui8:f32, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:77:42: quant.uniform: storage type must be i4, i8, i16, i32 or i64, got ui8

// -----

// Storage is an integer type.
func.func @float_storage(%x: tensor<4x!quant.uniform<f32:f32, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:85:57: expected an integer storage type such as i8

// -----

// A per-axis type has one scale per index of its axis (3 channels, 2 scales).
func.func @scale_count(%x: tensor<3x2x!quant.uniform<i8:f32:0, {0.5:0, 0.5:0}>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:93:1: 'func.func' argument #0: per-axis quantization on axis 0 needs 3 scales, got 2

// -----

// The axis lies within the tensor's rank.
func.func @axis_range(%x: tensor<3x2x!quant.uniform<i8:f32:2, {0.5:0}>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:101:1: 'func.func' argument #0: per-axis quantization on axis 2 of a rank-2 tensor

// -----

// Per-axis scales are written in braces.
func.func @per_axis_braces(%x: tensor<3x!quant.uniform<i8:f32:0, 0.5:0>>) {
  func.return
}
// CHECK: error: {{.*}}uniform-invalid.mlir:109:66: '{' expected
