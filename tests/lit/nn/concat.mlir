// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.concat is ONNX Concat along `axis`: all other dimensions agree.

// CHECK-LABEL: func.func @channels
// CHECK: %y = nn.concat %a, %b, %c {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x6x4x4xf32>
func.func @channels(%a: tensor<1x2x4x4xf32>, %b: tensor<1x3x4x4xf32>, %c: tensor<1x1x4x4xf32>) -> tensor<1x6x4x4xf32> {
  %y = nn.concat %a, %b, %c {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x6x4x4xf32>
  func.return %y : tensor<1x6x4x4xf32>
}

// A single input is a copy.
// CHECK-LABEL: func.func @single
// CHECK: %y = nn.concat %a {axis = 0 : i64} : (tensor<5xf32>) -> tensor<5xf32>
func.func @single(%a: tensor<5xf32>) -> tensor<5xf32> {
  %y = nn.concat %a {axis = 0 : i64} : (tensor<5xf32>) -> tensor<5xf32>
  func.return %y : tensor<5xf32>
}
