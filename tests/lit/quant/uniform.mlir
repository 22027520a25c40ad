// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// !quant.uniform, the quantized element type: real = (stored - zero_point) * scale.
// Every scale keeps all its bits through print and parse.

// Per tensor: storage type, expressed type, scale:zero_point.
// CHECK-LABEL: func.func @per_tensor(%x: tensor<4x!quant.uniform<i8:f32, 0.5:-128>>)
func.func @per_tensor(%x: tensor<4x!quant.uniform<i8:f32, 0.5:-128>>) {
  func.return
}

// A missing zero point means 0, and prints explicitly.
// CHECK-LABEL: func.func @default_zero_point(%x: tensor<4x!quant.uniform<i8:f32, 0.25:0>>)
func.func @default_zero_point(%x: tensor<4x!quant.uniform<i8:f32, 0.25>>) {
  func.return
}

// A float32 scale (here 1/255 as float32) prints as the shortest decimal that reads back to the same bits.
// CHECK-LABEL: func.func @float32_scale(%x: tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>>)
func.func @float32_scale(%x: tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>>) {
  func.return
}

// Very small scales print in exponent form.
// CHECK-LABEL: func.func @tiny_scale(%x: tensor<4x!quant.uniform<i8:f32, 1.1920928955078125e-07:0>>)
func.func @tiny_scale(%x: tensor<4x!quant.uniform<i8:f32, 1.1920928955078125e-07:0>>) {
  func.return
}

// An integer scale is a float like any other.
// CHECK-LABEL: func.func @integer_scale(%x: tensor<4x!quant.uniform<i8:f32, 2.0:0>>)
func.func @integer_scale(%x: tensor<4x!quant.uniform<i8:f32, 2:0>>) {
  func.return
}

// Weights use the narrow range [-127, 127]; a range other than the full one prints in angle brackets.
// CHECK-LABEL: func.func @narrow_range(%x: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5:0>>)
func.func @narrow_range(%x: tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5:0>>) {
  func.return
}

// The full range of the storage type is not printed.
// CHECK-LABEL: func.func @full_range_elided(%x: tensor<4x!quant.uniform<i8:f32, 0.5:0>>)
func.func @full_range_elided(%x: tensor<4x!quant.uniform<i8<-128:127>:f32, 0.5:0>>) {
  func.return
}

// Biases are int32 with zero point 0.
// CHECK-LABEL: func.func @int32_bias(%x: tensor<4x!quant.uniform<i32:f32, 0.0001220703125:0>>)
func.func @int32_bias(%x: tensor<4x!quant.uniform<i32:f32, 0.0001220703125:0>>) {
  func.return
}

// 16-bit storage is accepted too.
// CHECK-LABEL: func.func @int16(%x: tensor<4x!quant.uniform<i16:f32, 0.5:-3>>)
func.func @int16(%x: tensor<4x!quant.uniform<i16:f32, 0.5:-3>>) {
  func.return
}

// Per axis: `:axis` after the expressed type, then one scale:zero_point per index (OIHW conv weights, axis 0).
// CHECK-LABEL: func.func @per_axis_0(%x: tensor<3x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0}>>)
func.func @per_axis_0(%x: tensor<3x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0}>>) {
  func.return
}

// Depthwise 1HWC filters are quantized on axis 3.
// CHECK-LABEL: func.func @per_axis_3(%x: tensor<1x3x3x2x!quant.uniform<i8<-127:127>:f32:3, {0.007874015718698502:0, 0.015748031437397003:0}>>)
func.func @per_axis_3(%x: tensor<1x3x3x2x!quant.uniform<i8<-127:127>:f32:3, {0.007874015718698502:0, 0.015748031437397003:0}>>) {
  func.return
}
