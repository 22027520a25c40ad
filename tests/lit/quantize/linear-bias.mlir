// x @ W + b where the MatMul is quantized before its bias Add (onnxruntime's QDQ form): one fully
// connected layer when the rule of Lowering.bias_folds holds (the MatMul's steps under two output steps,
// its int8 range shifted by each bias reaching the output range's last step), else the MatMul keeps its
// layer and the bias is a channel affine (a 1x1 depthwise convolution). The bias is an int8 constant here
// ([2], scale 0.5): folded, it becomes int32 at the accumulator's scale 0.5 * 0.25 (codes 8 and -4).
// RUN: cmsis-opt %s --quantize --split-input-file | filecheck %s

// CHECK-LABEL: func.func @folds
// CHECK-NEXT: %0 = cmsis.fully_connected %x {layer = "add", filter = dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>, multiplier = 1073741824 : i32, shift = -2 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, bias = dense<[8, -4]> : tensor<2xi32>}
// CHECK-NEXT: func.return %0
func.func @folds(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2xf32>
  %w = nn.constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>} : tensor<2x2x!quant.uniform<i8:f32, 0.25:0>>
  %wf = nn.dequantize %w : (tensor<2x2x!quant.uniform<i8:f32, 0.25:0>>) -> tensor<2x2xf32>
  %m = nn.matmul %xf, %wf {layer = "mm"} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %mq = nn.quantize %m {layer = "mm"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.5:0>>
  %md = nn.dequantize %mq : (tensor<1x2x!quant.uniform<i8:f32, 1.5:0>>) -> tensor<1x2xf32>
  %b = nn.constant {value = dense<[2, -1]> : tensor<2xi8>} : tensor<2x!quant.uniform<i8:f32, 0.5:0>>
  %bf = nn.dequantize %b : (tensor<2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<2xf32>
  %y = nn.add %md, %bf {layer = "add"} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %q = nn.quantize %y {layer = "add"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
}

// -----

// The MatMul's int8 range [-12.8, 12.7] ends well inside the output's [-128, 127]: onnxruntime clamps it
// first, so the bias is its own layer (weights +-127 scaled 1/127 per channel, the bias at their accumulator).
// CHECK-LABEL: func.func @clamps
// CHECK: %[[M:[0-9]+]] = cmsis.fully_connected %x {layer = "mm", {{.*}}} : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.1:0>>
// CHECK-NEXT: %[[V:[0-9]+]] = cmsis.reshape %[[M]] {layer = "add"} : (tensor<1x2x!quant.uniform<i8:f32, 0.1:0>>) -> tensor<1x1x1x2x!quant.uniform<i8:f32, 0.1:0>>
// CHECK-NEXT: %[[A:[0-9]+]] = cmsis.depthwise_conv %[[V]] {layer = "add", filter = dense<127> : tensor<1x1x1x2xi8>, bias = dense<[1270, -635]> : tensor<2xi32>
func.func @clamps(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2xf32>
  %w = nn.constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>} : tensor<2x2x!quant.uniform<i8:f32, 0.25:0>>
  %wf = nn.dequantize %w : (tensor<2x2x!quant.uniform<i8:f32, 0.25:0>>) -> tensor<2x2xf32>
  %m = nn.matmul %xf, %wf {layer = "mm"} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %mq = nn.quantize %m {layer = "mm"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 0.1:0>>
  %md = nn.dequantize %mq : (tensor<1x2x!quant.uniform<i8:f32, 0.1:0>>) -> tensor<1x2xf32>
  %b = nn.constant {value = dense<[2, -1]> : tensor<2xi8>} : tensor<2x!quant.uniform<i8:f32, 0.5:0>>
  %bf = nn.dequantize %b : (tensor<2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<2xf32>
  %y = nn.add %bf, %md {layer = "add"} : (tensor<2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %q = nn.quantize %y {layer = "add"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
}

// -----

// A product with a per-channel constant (NCHW axis 1) is a channel affine too: the factor 0.5 is weight 127
// at scale 0.5/127, -2.0 is -127 at 2.0/127; no bias.
// CHECK-LABEL: func.func @per_channel_scale
// CHECK: cmsis.depthwise_conv %{{.*}} {layer = "mul", filter = dense<{{\[\[\[\[}}127, -127]]]]> : tensor<1x1x1x2xi8>, bias = dense<0> : tensor<2xi32>
func.func @per_channel_scale(%x: tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x3xf32>
  %c = nn.constant {value = dense<[[[0.5]], [[-2.0]]]> : tensor<2x1x1xf32>} : tensor<2x1x1xf32>
  %y = nn.mul %xf, %c {layer = "mul"} : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %q = nn.quantize %y {layer = "mul"} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>
  func.return %q : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:0>>
}
