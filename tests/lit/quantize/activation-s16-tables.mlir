// An int16 Sigmoid / Tanh from ONNX (no rule: the float function onnxruntime rounds) becomes one
// cmsis.lut_s16: a table for this layer's scales, as few entries as keep every one of the 65,536
// inputs within 1.45 output steps of the exact real (so within 1 of onnxruntime), checked at
// compile time. TFLite's int16 LOGISTIC / TANH (rule = "tflite") keep cmsis.activation_s16.
// RUN: cmsis-opt %s --quantize --split-input-file --verify-diagnostics | filecheck %s

// Input range +-4, output 1/32767: a spacing of 128 codes (513 entries) is enough.
// CHECK-LABEL: func.func @sigmoid
// CHECK-NEXT: %0 = cmsis.lut_s16 %x {layer = "act", table = dense<"0x{{[0-9A-F]+}}"> : tensor<513xi16>, step_log2 = 7 : i32}
func.func @sigmoid(%x: tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %xf = nn.dequantize %x : (tensor<1x16x!quant.uniform<i16:f32, 0.00012207403790398877:0>>) -> tensor<1x16xf32>
  %y = nn.activation %xf {layer = "act", kind = "sigmoid"} : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<1x16xf32>) -> tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %q : tensor<1x16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// -----

// tanh bends more: input range +-8 takes a spacing of 32 codes (2049 entries).
// CHECK-LABEL: func.func @tanh
// CHECK-NEXT: %0 = cmsis.lut_s16 %x {layer = "act", table = dense<"0x{{[0-9A-F]+}}"> : tensor<2049xi16>, step_log2 = 5 : i32}
func.func @tanh(%x: tensor<16x!quant.uniform<i16:f32, 0.00024414807580797754:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %xf = nn.dequantize %x : (tensor<16x!quant.uniform<i16:f32, 0.00024414807580797754:0>>) -> tensor<16xf32>
  %y = nn.activation %xf {layer = "act", kind = "tanh"} : (tensor<16xf32>) -> tensor<16xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<16xf32>) -> tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %q : tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// -----

// Input range +-330: no table of up to 8193 entries follows tanh closely enough.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): tanh from input scale 0.01 to output scale 3.051850947599719e-05 curves too fast for an int16 table of 8193 entries: 20.50 output steps off at best, more than the 1.45 that keeps it within 1 step of onnxruntime
func.func @too_curved(%x: tensor<16x!quant.uniform<i16:f32, 0.01:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %xf = nn.dequantize %x : (tensor<16x!quant.uniform<i16:f32, 0.01:0>>) -> tensor<16xf32>
  %y = nn.activation %xf {layer = "act", kind = "tanh"} : (tensor<16xf32>) -> tensor<16xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<16xf32>) -> tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %q : tensor<16x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// -----

// A clamp after it would bend the table where the interpolation cannot follow.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): an int16 tanh clamped to [0, 16384] has no kernel here (cmsis_opt_lut_s16 interpolates the function alone); supported: no Relu / Clip after it
func.func @clamped(%x: tensor<16x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>> {
  %xf = nn.dequantize %x : (tensor<16x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<16xf32>
  %y = nn.activation %xf {layer = "act", kind = "tanh"} : (tensor<16xf32>) -> tensor<16xf32>
  %c = nn.clip %y {layer = "act", min = 0.0 : f32, max = 0.5 : f32} : (tensor<16xf32>) -> tensor<16xf32>
  %q = nn.quantize %c {layer = "act"} : (tensor<16xf32>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
  func.return %q : tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05:0>>
}
