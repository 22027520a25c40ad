// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.activation: a known kind with its own attributes, a slope for PRelu only, float tensors of one shape.

// An unknown function.
func.func @kind(%x: tensor<4xf32>) {
  %y = nn.activation %x {kind = "mish"} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:6:3: 'nn.activation' kind: unknown activation 'mish'; known: sigmoid, tanh, hard_swish, hard_sigmoid, leaky_relu, elu, prelu, gelu, gelu_tanh, silu, softplus

// -----

// Sigmoid has no alpha.
func.func @attribute(%x: tensor<4xf32>) {
  %y = nn.activation %x {kind = "sigmoid", alpha = 0.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:15:3: 'nn.activation' alpha: sigmoid has no alpha attribute

// -----

// Gelu has no TFLite Micro int8 kernel.
func.func @rule(%x: tensor<4xf32>) {
  %y = nn.activation %x {kind = "gelu", rule = "tflite"} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:24:3: 'nn.activation' rule: gelu has no TFLite Micro kernel to follow

// -----

// PRelu needs its slope.
func.func @no_slope(%x: tensor<4xf32>) {
  %y = nn.activation %x {kind = "prelu"} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:33:3: 'nn.activation' slope: prelu needs slope operand

// -----

// The slope broadcasts to the input (ONNX's unidirectional broadcasting).
func.func @slope_shape(%x: tensor<1x3x4x4xf32>, %s: tensor<3xf32>) {
  %y = nn.activation %x, %s {kind = "prelu"} : (tensor<1x3x4x4xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:42:3: 'nn.activation' slope: shape [3] does not broadcast to the input's [1, 3, 4, 4]

// -----

// The result has the input's shape.
func.func @shape(%x: tensor<4xf32>) {
  %y = nn.activation %x {kind = "tanh"} : (tensor<4xf32>) -> tensor<2x2xf32>
  func.return
}
// CHECK: error: {{.*}}activation-invalid.mlir:51:3: 'nn.activation' result: shape [2, 2] does not match the expected [4]
