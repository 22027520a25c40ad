// An int16 Softmax from ONNX A16W8 (output 1/32767 : 0, as onnxruntime's quantize_static writes it)
// becomes one cmsis.softmax_s16_table: a 512-entry exp table for this layer's input scale, within
// 1 LSB of onnxruntime's float softmax. TFLite's int16 SOFTMAX (1/32768 : 0) keeps arm_softmax_s16.
// RUN: cmsis-opt %s --quantize --split-input-file --verify-diagnostics | filecheck %s

// CHECK-LABEL: func.func @onnx
// CHECK-NEXT: %0 = cmsis.softmax_s16_table %x {layer = "prob", table = dense<"0x{{[0-9A-F]+}}"> : tensor<512xi32>}
func.func @onnx(%x: tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %xf = nn.dequantize %x : (tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16xf32>
  %y = nn.softmax %xf {layer = "prob", axis = 1 : i64} : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %q = nn.quantize %y {layer = "prob"} : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %q : tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// -----

// CHECK-LABEL: func.func @tflite
// CHECK-NEXT: %0 = cmsis.softmax %x {layer = "prob",
func.func @tflite(%x: tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>> {
  %xf = nn.dequantize %x : (tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16xf32>
  %y = nn.softmax %xf {layer = "prob", axis = 1 : i64} : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %q = nn.quantize %y {layer = "prob"} : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return %q : tensor<1x16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
}

// -----

// The error analysis covers rows up to 1024 elements.
// CHECK: error: pass 'quantize': layer 'prob' (nn.softmax): an int16 softmax over 2048 elements is longer than the 1024 cmsis_opt_softmax_s16 is proven within 1 LSB of onnxruntime for; split the axis or keep this softmax in float
func.func @long(%x: tensor<1x2048x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2048x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %xf = nn.dequantize %x : (tensor<1x2048x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x2048xf32>
  %y = nn.softmax %xf {layer = "prob", axis = 1 : i64} : (tensor<1x2048xf32>) -> tensor<1x2048xf32>
  %q = nn.quantize %y {layer = "prob"} : (tensor<1x2048xf32>) -> tensor<1x2048x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %q : tensor<1x2048x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}
