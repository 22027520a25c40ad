// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.constant holds weights and biases. More than 100 values print as hex
// bytes, fewer as a list, a uniform tensor as one splat value.

// A small float constant prints as a list.
// CHECK-LABEL: func.func @float_list
// CHECK: %c = nn.constant {value = dense<[5.000000e-01, -1.000000e+00, 2.000000e+00]> : tensor<3xf32>} : tensor<3xf32>
func.func @float_list() -> tensor<3xf32> {
  %c = nn.constant {value = dense<[0.5, -1.0, 2.0]> : tensor<3xf32>} : tensor<3xf32>
  func.return %c : tensor<3xf32>
}

// Conv weights of a QDQ model: int8 bytes (printed in hex), one scale per
// output channel on axis 0, zero point 0, narrow range [-127, 127].
// CHECK-LABEL: func.func @per_axis_weights
// CHECK: %w = nn.constant {value = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<4x3x3x3xi8>} : tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0, 0.0625:0}>>
func.func @per_axis_weights() -> tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0, 0.0625:0}>> {
  %w = nn.constant {value = dense<"0x000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F606162636465666768696A6B"> : tensor<4x3x3x3xi8>} : tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0, 0.0625:0}>>
  func.return %w : tensor<4x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0, 0.125:0, 0.0625:0}>>
}

// A bias: int32 values with scale input_scale * weight_scale[c], zero point 0.
// CHECK-LABEL: func.func @bias
// CHECK: %b = nn.constant {value = dense<[1, -2, 300, -40000]> : tensor<4xi32>} : tensor<4x!quant.uniform<i32:f32:0, {0.25:0, 0.125:0, 0.0625:0, 0.03125:0}>>
func.func @bias() -> tensor<4x!quant.uniform<i32:f32:0, {0.25:0, 0.125:0, 0.0625:0, 0.03125:0}>> {
  %b = nn.constant {value = dense<[1, -2, 300, -40000]> : tensor<4xi32>} : tensor<4x!quant.uniform<i32:f32:0, {0.25:0, 0.125:0, 0.0625:0, 0.03125:0}>>
  func.return %b : tensor<4x!quant.uniform<i32:f32:0, {0.25:0, 0.125:0, 0.0625:0, 0.03125:0}>>
}

// A uniform tensor prints as one splat value, whatever its size.
// CHECK-LABEL: func.func @splat
// CHECK: %z = nn.constant {value = dense<-128> : tensor<16x16xi8>} : tensor<16x16x!quant.uniform<i8:f32, 0.5:-128>>
func.func @splat() -> tensor<16x16x!quant.uniform<i8:f32, 0.5:-128>> {
  %z = nn.constant {value = dense<-128> : tensor<16x16xi8>} : tensor<16x16x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %z : tensor<16x16x!quant.uniform<i8:f32, 0.5:-128>>
}
