// Table activations that cannot be lowered exactly are one error naming the layer.
// RUN: cmsis-opt %s --quantize --split-input-file --verify-diagnostics | filecheck %s

// TFLite's int8 LOGISTIC only writes scale 1/256, zero point -128.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): TFLite's int8 LOGISTIC writes outputs with scale 0.00390625 and zero point -128, the model's output has 0.0078125:-128; quantize the output that way (as the TFLite converter does)
func.func @logistic_scale(%x: tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<4x!quant.uniform<i8:f32, 0.0078125:-128>> {
  %xf = nn.dequantize %x : (tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<4xf32>
  %y = nn.activation %xf {layer = "act", kind = "sigmoid", rule = "tflite"} : (tensor<4xf32>) -> tensor<4xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.0078125:-128>>
  func.return %q : tensor<4x!quant.uniform<i8:f32, 0.0078125:-128>>
}

// -----

// A slope varying along two axes would need a table per element.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): its slope of shape [2, 2, 1] varies along axes [1, 2] of the input [1, 2, 2, 2]: a table kernel takes a scalar or per-channel slope (one 256-entry table per channel)
func.func @slope_per_element(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x2x2x2xf32>
  %s = nn.constant {value = dense<[[[0.25], [0.5]], [[-0.5], [0.1]]]> : tensor<2x2x1xf32>} : tensor<2x2x1xf32>
  %y = nn.activation %xf, %s {layer = "act", kind = "prelu"} : (tensor<1x2x2x2xf32>, tensor<2x2x1xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-10>>
}

// -----

// A slope computed at run time has no table.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): its slope is computed, not a constant: a table needs the slope at compile time
func.func @computed_slope(%x: tensor<4x!quant.uniform<i8:f32, 0.05:3>>, %s: tensor<4x!quant.uniform<i8:f32, 0.01:0>>) -> tensor<4x!quant.uniform<i8:f32, 0.04:-10>> {
  %xf = nn.dequantize %x : (tensor<4x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<4xf32>
  %sf = nn.dequantize %s : (tensor<4x!quant.uniform<i8:f32, 0.01:0>>) -> tensor<4xf32>
  %y = nn.activation %xf, %sf {layer = "act", kind = "prelu"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.04:-10>>
  func.return %q : tensor<4x!quant.uniform<i8:f32, 0.04:-10>>
}

// -----

// TFLite's HARD_SWISH refuses an output scale below input scale / 128.
// CHECK: error: pass 'quantize': layer 'act' (nn.activation): TFLite's HARD_SWISH needs an output scale of at least the input scale / 128 (input 0.5, output 0.001); give the output a larger scale
func.func @hard_swish_scale(%x: tensor<4x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<4x!quant.uniform<i8:f32, 0.001:0>> {
  %xf = nn.dequantize %x : (tensor<4x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<4xf32>
  %y = nn.activation %xf {layer = "act", kind = "hard_swish", rule = "tflite"} : (tensor<4xf32>) -> tensor<4xf32>
  %q = nn.quantize %y {layer = "act"} : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.001:0>>
  func.return %q : tensor<4x!quant.uniform<i8:f32, 0.001:0>>
}
