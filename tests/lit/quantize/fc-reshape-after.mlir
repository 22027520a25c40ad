// A reshape between the compute op and its QuantizeLinear is a view of the result.
// RUN: cmsis-opt %s --quantize | filecheck %s

func.func @net(%x: tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x3x!quant.uniform<i8:f32, 0.25:0>> {
  %xf = nn.dequantize %x : (tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4xf32>
  %w = nn.constant {value = dense<1> : tensor<6x4xi8>} : tensor<6x4x!quant.uniform<i8<-127:127>:f32, 0.5:0>>
  %wf = nn.dequantize %w : (tensor<6x4x!quant.uniform<i8<-127:127>:f32, 0.5:0>>) -> tensor<6x4xf32>
  %y = nn.fully_connected %xf, %wf {layer = "fc"} : (tensor<1x4xf32>, tensor<6x4xf32>) -> tensor<1x6xf32>
  %r = nn.reshape %y {layer = "fc.reshape"} : (tensor<1x6xf32>) -> tensor<1x2x3xf32>
  %q = nn.quantize %r {layer = "fc"} : (tensor<1x2x3xf32>) -> tensor<1x2x3x!quant.uniform<i8:f32, 0.25:0>>
  func.return %q : tensor<1x2x3x!quant.uniform<i8:f32, 0.25:0>>
}

// CHECK:      %0 = cmsis.fully_connected %x {layer = "fc"
// CHECK-SAME:   multiplier = 1073741824 : i32, shift = 1 : i32
// CHECK-SAME:   -> tensor<1x6x!quant.uniform<i8:f32, 0.25:0>>
// CHECK-NEXT: %1 = cmsis.reshape %0 {layer = "fc"} : (tensor<1x6x!quant.uniform<i8:f32, 0.25:0>>) -> tensor<1x2x3x!quant.uniform<i8:f32, 0.25:0>>
// CHECK-NEXT: func.return %1
