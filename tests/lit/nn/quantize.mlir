// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.quantize turns float values into stored int8 codes; the scale and zero
// point live in the result's !quant.uniform element type.

// CHECK-LABEL: func.func @graph_output
// CHECK: %q = nn.quantize %x : (tensor<1x10xf32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
func.func @graph_output(%x: tensor<1x10xf32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %q = nn.quantize %x : (tensor<1x10xf32>) -> tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %q : tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>
}

// A float32 scale such as 1/255 keeps every bit through the text form.
// CHECK-LABEL: func.func @exact_scale
// CHECK: nn.quantize %x : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
func.func @exact_scale(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>> {
  %q = nn.quantize %x : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
  func.return %q : tensor<4x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
}
