// Element-wise activations CMSIS-NN has no s8 kernel for become one cmsis.lut: a table of 256
// outputs computed at compile time (TFLite Micro's arithmetic for rule = "tflite", the float
// function rounded once otherwise), in whatever order the input is stored.
// RUN: cmsis-opt %s --quantize --split-input-file | filecheck %s
// RUN: cmsis-opt %s --quantize --split-input-file -o %t 2>&1 | filecheck %s --check-prefix=REMARK

// TFLite's LOGISTIC: the inputs below -6.5 all give code -128.
// CHECK-LABEL: func.func @tflite_sigmoid
// CHECK-NEXT: %0 = cmsis.lut %x {layer = "act", table = dense<"0x80808080808080{{[0-9A-F]+}}7F7F7F"> : tensor<256xi8>} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.00390625:-128>>
// CHECK-NEXT: func.return %0
func.func @tflite_sigmoid(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2xf32>
  %y = nn.activation %xf {layer = "act", kind = "sigmoid", rule = "tflite"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.00390625:-128>>
}

// -----

// A Clip after the activation clamps the table: tanh in [0, 0.5] is codes 0 to 64 (0x40).
// CHECK-LABEL: func.func @clipped_tanh
// CHECK-NEXT: cmsis.lut %x {layer = "act", table = dense<"0x00000000{{[0-9A-F]+}}40404040"> : tensor<256xi8>}
func.func @clipped_tanh(%x: tensor<16x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<16x!quant.uniform<i8:f32, 0.0078125:0>> {
  %xf = nn.dequantize %x : (tensor<16x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<16xf32>
  %y = nn.activation %xf {layer = "act", kind = "tanh"} : (tensor<16xf32>) -> tensor<16xf32>
  %c = nn.clip %y {layer = "act", min = 0.0 : f32, max = 0.5 : f32} : (tensor<16xf32>) -> tensor<16xf32>
  %q = nn.quantize %c {layer = "act"} : (tensor<16xf32>) -> tensor<16x!quant.uniform<i8:f32, 0.0078125:0>>
  func.return %q : tensor<16x!quant.uniform<i8:f32, 0.0078125:0>>
}

// -----

// A per-channel PRelu slope gives one table per channel, which must be the stored last axis:
// an NCHW graph input is transposed to NHWC first (and back for the NCHW output).
// CHECK-LABEL: func.func @prelu_nchw
// CHECK-NEXT: %0 = cmsis.transpose %x {layer = "act", perm = array<i64: 0, 2, 3, 1>}
// CHECK-NEXT: %1 = cmsis.lut %0 {layer = "act", table = dense<"0x{{[0-9A-F]+}}"> : tensor<2x256xi8>}
// CHECK-NEXT: %2 = cmsis.transpose %1 {layer = "act", perm = array<i64: 0, 3, 1, 2>}
func.func @prelu_nchw(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2xf32>
  %s = nn.constant {value = dense<[[[0.25]], [[-0.5]]]> : tensor<2x1x1xf32>} : tensor<2x1x1xf32>
  %y = nn.activation %xf, %s {layer = "act", kind = "prelu"} : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
}

// -----

// A scalar slope is one table, in any order.
// CHECK-LABEL: func.func @prelu_scalar
// CHECK-NEXT: %0 = cmsis.lut %x {layer = "act", table = dense<"0x{{[0-9A-F]+}}"> : tensor<256xi8>}
// CHECK-NEXT: func.return %0
func.func @prelu_scalar(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2xf32>
  %s = nn.constant {value = dense<0.25> : tensor<1xf32>} : tensor<1xf32>
  %y = nn.activation %xf, %s {layer = "act", kind = "prelu"} : (tensor<1x2x2x2xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
}

// -----

// A graph output left in float after a table activation of an int8 tensor (onnxruntime does not
// quantize HardSwish) is quantized with the exact range of the 256 possible values,
// [-0.375, 6.2] here, and the C API gives it as int8.
// REMARK: remark: quantize: the model's output is float32; the C API takes and gives int8
// CHECK-LABEL: func.func @float_tail
// CHECK-SAME: -> (tensor<16x!quant.uniform<i8:f32, 0.025784313678741455:-113>> {nn.float})
// CHECK-NEXT: %0 = cmsis.lut %x {layer = "act", table = dense<"0x{{[0-9A-F]+}}"> : tensor<256xi8>}
func.func @float_tail(%x: tensor<16x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<16xf32> {
  %xf = nn.dequantize %x : (tensor<16x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<16xf32>
  %y = nn.activation %xf {layer = "act", kind = "hard_swish"} : (tensor<16xf32>) -> tensor<16xf32>
  func.return %y : tensor<16xf32>
}
