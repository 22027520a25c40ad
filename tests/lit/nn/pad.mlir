// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.pad is ONNX Pad in constant mode: pads = [begin_0, .., begin_n, end_0, .., end_n].

// Zero padding of the spatial dimensions only.
// CHECK-LABEL: func.func @spatial
// CHECK: %y = nn.pad %x {pads = array<i64: 0, 0, 1, 2, 0, 0, 1, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x6x8xf32>
func.func @spatial(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x6x8xf32> {
  %y = nn.pad %x {pads = array<i64: 0, 0, 1, 2, 0, 0, 1, 2>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x6x8xf32>
  func.return %y : tensor<1x3x6x8xf32>
}

// An explicit fill value.
// CHECK-LABEL: func.func @fill
// CHECK: %y = nn.pad %x {pads = array<i64: 1, 0>, value = 2.500000e-01 : f32} : (tensor<3xf32>) -> tensor<4xf32>
func.func @fill(%x: tensor<3xf32>) -> tensor<4xf32> {
  %y = nn.pad %x {pads = array<i64: 1, 0>, value = 0.25 : f32} : (tensor<3xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
