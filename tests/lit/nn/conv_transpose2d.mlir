// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.conv_transpose2d is ONNX ConvTranspose (group 1, dilation 1): NCHW input, weight [C_in, C_out, KH, KW],
// pads [top, left, bottom, right]; the output is stride * (in - 1) + k - pads + an output padding below the stride.

// Stride 2, bottom/right padding 1: 4x4 to 8x8.
// CHECK-LABEL: func.func @stride2
// CHECK-NEXT: %y = nn.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<8x6x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
func.func @stride2(%x: tensor<1x8x4x4xf32>, %w: tensor<8x6x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x8x8xf32> {
  %y = nn.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<8x6x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
  func.return %y : tensor<1x6x8x8xf32>
}
