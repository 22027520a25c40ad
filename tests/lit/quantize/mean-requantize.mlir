// Where --quantize emits our own kernels: cmsis.mean for a global average whose output has its
// own quantization (or a TFLite MEAN), cmsis.requantize where an int8 tensor changes scale
// without a compute op of its own, and after arm_softmax_s8 for an output other than 1/256 : -128.
// RUN: cmsis-opt %s --quantize --split-input-file | filecheck %s

// A GlobalAveragePool whose output keeps the input's quantization stays arm_avgpool_s8.
// CHECK-LABEL: func.func @gap_same
// CHECK: cmsis.avg_pool %{{.*}} {layer = "gap", kernel = array<i64: 4, 4>
// CHECK-NOT: cmsis.mean
func.func @gap_same(%x: tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>> {
  %xf = nn.dequantize %x : (tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x4x4xf32>
  %m = nn.global_avg_pool %xf {layer = "gap"} : (tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32>
  %q = nn.quantize %m {layer = "gap"} : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>>
  func.return %q : tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>>
}

// -----

// Its own output scale: cmsis.mean; 0.5 / 0.125 / 16 = 0.25 is multiplier 2^30 (one half in Q31), shift -1.
// A ReLU after it narrows the clamp.
// CHECK-LABEL: func.func @gap_own_scale
// CHECK: cmsis.mean %{{.*}} {layer = "gap", multiplier = 1073741824 : i32, shift = -1 : i32, input_offset = 4 : i32, output_offset = 2 : i32, act_min = 2 : i32, act_max = 127 : i32} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x1x1x3x!quant.uniform<i8:f32, 0.125:2>>
func.func @gap_own_scale(%x: tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.125:2>> {
  %xf = nn.dequantize %x : (tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x4x4xf32>
  %m = nn.global_avg_pool %xf {layer = "gap"} : (tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32>
  %r = nn.relu %m : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32>
  %q = nn.quantize %r {layer = "gap"} : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.125:2>>
  func.return %q : tensor<1x3x1x1x!quant.uniform<i8:f32, 0.125:2>>
}

// -----

// A TFLite MEAN is cmsis.mean even at equal quantization: TFLite requantizes the sum (1/16: 2^30, shift -3),
// it does not round the average.
// CHECK-LABEL: func.func @tflite_mean
// CHECK: cmsis.mean %{{.*}} {layer = "mean", multiplier = 1073741824 : i32, shift = -3 : i32, input_offset = 4 : i32, output_offset = -4 : i32, act_min = -128 : i32, act_max = 127 : i32}
// CHECK-NOT: cmsis.avg_pool
func.func @tflite_mean(%x: tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>> {
  %xf = nn.dequantize %x : (tensor<1x3x4x4x!quant.uniform<i8:f32, 0.5:-4>>) -> tensor<1x3x4x4xf32>
  %m = nn.global_avg_pool %xf {layer = "mean", tflite_mean} : (tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32>
  %q = nn.quantize %m {layer = "mean"} : (tensor<1x3x1x1xf32>) -> tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>>
  func.return %q : tensor<1x3x1x1x!quant.uniform<i8:f32, 0.5:-4>>
}

// -----

// onnxruntime quantizes a softmax at 1/255 : -128: arm_softmax_s8 (1/256 : -128), then cmsis.requantize.
// CHECK-LABEL: func.func @softmax_255
// CHECK: %[[S:[0-9]+]] = cmsis.softmax %{{.*}} : (tensor<1x10x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
// CHECK-NEXT: cmsis.requantize %[[S]] {layer = "prob", multiplier = 2139094913 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32}
func.func @softmax_255(%x: tensor<1x10x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>> {
  %xf = nn.dequantize %x : (tensor<1x10x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x10xf32>
  %s = nn.softmax %xf {layer = "prob", axis = -1 : i64} : (tensor<1x10xf32>) -> tensor<1x10xf32>
  %q = nn.quantize %s {layer = "prob"} : (tensor<1x10xf32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
  func.return %q : tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
}

// -----

// DequantizeLinear then QuantizeLinear with another scale (TFLite's int8 QUANTIZE): one cmsis.requantize.
// CHECK-LABEL: func.func @requantize_alone
// CHECK: cmsis.requantize %{{.*}} {layer = "q", multiplier = 1073741824 : i32, shift = -1 : i32, input_offset = -3 : i32, output_offset = 5 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x6x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<2x6x!quant.uniform<i8:f32, 2.0:5>>
func.func @requantize_alone(%x: tensor<2x6x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<2x6x!quant.uniform<i8:f32, 2.0:5>> {
  %xf = nn.dequantize %x : (tensor<2x6x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<2x6xf32>
  %q = nn.quantize %xf {layer = "q"} : (tensor<2x6xf32>) -> tensor<2x6x!quant.uniform<i8:f32, 2.0:5>>
  func.return %q : tensor<2x6x!quant.uniform<i8:f32, 2.0:5>>
}
