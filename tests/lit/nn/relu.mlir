// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.relu is max(x, 0); in a QDQ model it sits between a compute op and its
// quantize, and lowers to a narrower activation range, not to a kernel.

// CHECK-LABEL: func.func @relu
// CHECK: %y = nn.relu %x : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @relu(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %y = nn.relu %x : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}

// Ops keep the name of their source layer in a `layer` attribute.
// CHECK-LABEL: func.func @named
// CHECK-NEXT: %y = nn.relu %x {layer = "conv1/Relu"} : (tensor<4xf32>) -> tensor<4xf32>
func.func @named(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.relu %x {layer = "conv1/Relu"} : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
