// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.slice is ONNX Slice with step 1: result[i] = input[starts + i]; the result type gives the sizes.

// The last time step of a sequence (TFLite's STRIDED_SLICE after an LSTM).
// CHECK-LABEL: func.func @last_step
// CHECK: %y = nn.slice %x {starts = array<i64: 0, 19, 0>} : (tensor<1x20x16xf32>) -> tensor<1x1x16xf32>
func.func @last_step(%x: tensor<1x20x16xf32>) -> tensor<1x1x16xf32> {
  %y = nn.slice %x {starts = array<i64: 0, 19, 0>} : (tensor<1x20x16xf32>) -> tensor<1x1x16xf32>
  func.return %y : tensor<1x1x16xf32>
}
