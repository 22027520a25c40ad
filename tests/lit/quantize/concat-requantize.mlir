// A concatenation whose inputs have other scales than its own: each such input is requantized
// (cmsis.requantize) to the concatenation's scale and zero point; an input already there is copied as it is.
// %a at 0.5 : 0 -> 0.25 : -3 is multiplier 2^30 (one half in Q31) and shift 2 (x2).
// RUN: cmsis-opt %s --quantize | filecheck %s

// (The NCHW graph inputs are stored NHWC first: a transpose, and a reshape for the one channel.)
// CHECK-LABEL: func.func @mixed
// CHECK: %[[T:[0-9]+]] = cmsis.transpose %a
// CHECK-NEXT: %[[A:[0-9]+]] = cmsis.requantize %[[T]] {layer = "cat", multiplier = 1073741824 : i32, shift = 2 : i32, input_offset = 0 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32}
// CHECK-NEXT: %[[B:[0-9]+]] = cmsis.reshape %b
// CHECK-NEXT: cmsis.concat %[[A]], %[[B]] {layer = "cat", axis = 3 : i32}
// CHECK-NOT: cmsis.requantize
func.func @mixed(%a: tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>, %b: tensor<1x1x3x3x!quant.uniform<i8:f32, 0.25:-3>>) -> tensor<1x3x3x3x!quant.uniform<i8:f32, 0.25:-3>> {
  %af = nn.dequantize %a : (tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x3xf32>
  %bf = nn.dequantize %b : (tensor<1x1x3x3x!quant.uniform<i8:f32, 0.25:-3>>) -> tensor<1x1x3x3xf32>
  %c = nn.concat %af, %bf {axis = 1 : i64, layer = "cat"} : (tensor<1x2x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x3x3x3xf32>
  %q = nn.quantize %c {layer = "cat"} : (tensor<1x3x3x3xf32>) -> tensor<1x3x3x3x!quant.uniform<i8:f32, 0.25:-3>>
  func.return %q : tensor<1x3x3x3x!quant.uniform<i8:f32, 0.25:-3>>
}
