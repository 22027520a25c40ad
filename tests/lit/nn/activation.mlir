// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.activation is an element-wise function int8 models run as a 256-entry table:
// `kind` names it (cmsis_opt.lut.ACTIVATIONS), alpha / beta are its float attributes,
// PRelu takes its slope as a second operand, and rule = "tflite" asks for TFLite Micro's
// int8 arithmetic when lowered.

// CHECK-LABEL: func.func @sigmoid
// CHECK: %y = nn.activation %x {kind = "sigmoid"} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @sigmoid(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %y = nn.activation %x {kind = "sigmoid"} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func.func @hard_sigmoid
// CHECK: nn.activation %x {kind = "hard_sigmoid", alpha = 2.500000e-01 : f32, beta = 4.000000e-01 : f32}
func.func @hard_sigmoid(%x: tensor<10xf32>) -> tensor<10xf32> {
  %y = nn.activation %x {kind = "hard_sigmoid", alpha = 0.25 : f32, beta = 0.4 : f32} : (tensor<10xf32>) -> tensor<10xf32>
  func.return %y : tensor<10xf32>
}

// CHECK-LABEL: func.func @tflite_leaky_relu
// CHECK: nn.activation %x {kind = "leaky_relu", alpha = 1.000000e-01 : f32, rule = "tflite"}
func.func @tflite_leaky_relu(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %y = nn.activation %x {kind = "leaky_relu", alpha = 0.1 : f32, rule = "tflite"} : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  func.return %y : tensor<1x3x4x4xf32>
}

// A per-channel slope [C, 1, 1] broadcast against NCHW.
// CHECK-LABEL: func.func @prelu
// CHECK: nn.activation %x, %s {kind = "prelu"} : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
func.func @prelu(%x: tensor<1x3x4x4xf32>, %s: tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32> {
  %y = nn.activation %x, %s {kind = "prelu"} : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
  func.return %y : tensor<1x3x4x4xf32>
}
