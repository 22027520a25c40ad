// A QDQ model with two float graph inputs and one float output: the remark names the header's macros of
// each, as the C header spells them with several inputs (NAME_INPUT_0_*, NAME_INPUT_1_*; one output:
// NAME_OUTPUT_*).
// RUN: cmsis-opt %s --quantize -o %t 2>&1 | filecheck %s
// CHECK: remark: quantize: the model's input 0, input 1 and output are float32; the C API takes and gives int8: q = round(x / SCALE) + ZERO_POINT, x = (q - ZERO_POINT) * SCALE, with the header's NAME_INPUT_0_SCALE / NAME_INPUT_0_ZERO_POINT, NAME_INPUT_1_SCALE / NAME_INPUT_1_ZERO_POINT, NAME_OUTPUT_SCALE / NAME_OUTPUT_ZERO_POINT (NAME: the C name, --name)

func.func @two(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %aq = nn.quantize %a : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:3>>
  %af = nn.dequantize %aq : (tensor<1x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x8xf32>
  %bq = nn.quantize %b : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.25:-1>>
  %bf = nn.dequantize %bq : (tensor<1x8x!quant.uniform<i8:f32, 0.25:-1>>) -> tensor<1x8xf32>
  %s = nn.add %af, %bf {layer = "sum"} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %sq = nn.quantize %s {layer = "sum"} : (tensor<1x8xf32>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>
  %o = nn.dequantize %sq : (tensor<1x8x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x8xf32>
  func.return %o : tensor<1x8xf32>
}
