// A QDQ model with float graph input and output (as onnxruntime writes them):
// the input's QuantizeLinear and the output's DequantizeLinear become the
// compiled model's int8 interface, marked {nn.float}; one remark says so (the header gives the
// scales and zero points to convert).
// RUN: cmsis-opt %s --quantize | filecheck %s
// RUN: cmsis-opt %s --quantize -o %t 2>&1 | filecheck %s --check-prefix=REMARK
// REMARK: remark: quantize: the model's input and output are float32; the C API takes and gives int8: q = round(x / SCALE) + ZERO_POINT, x = (q - ZERO_POINT) * SCALE, with the header's NAME_INPUT_SCALE / NAME_INPUT_ZERO_POINT, NAME_OUTPUT_SCALE / NAME_OUTPUT_ZERO_POINT (NAME: the C name, --name)

func.func @floatio(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %q = nn.quantize %x : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:3>>
  %xf = nn.dequantize %q : (tensor<1x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x8xf32>
  %s = nn.softmax %xf {layer = "prob", axis = -1 : i64} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %sq = nn.quantize %s {layer = "prob"} : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.00390625:-128>>
  %o = nn.dequantize %sq : (tensor<1x8x!quant.uniform<i8:f32, 0.00390625:-128>>) -> tensor<1x8xf32>
  func.return %o : tensor<1x8xf32>
}

// CHECK:      func.func @floatio(%[[IN:[a-z0-9_]+]]: tensor<1x8x!quant.uniform<i8:f32, 0.5:3>> {nn.float}) -> (tensor<1x8x!quant.uniform<i8:f32, 0.00390625:-128>> {nn.float}) {
// CHECK-NEXT:   %[[OUT:[0-9]+]] = cmsis.softmax %[[IN]] {layer = "prob", input_multiplier = 1073741824 : i32, input_left_shift = 26 : i32, diff_min = -31 : i32}
// CHECK-NEXT:   func.return %[[OUT]]
