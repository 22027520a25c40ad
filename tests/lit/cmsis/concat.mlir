// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.concat is arm_concatenation_s8_{x,y,z,w}: NHWC along `axis` (0..3);
// every input is quantized like the result.

// Concatenating channels (axis 3).
// CHECK-LABEL: func.func @channels
// CHECK-NEXT: %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
func.func @channels(%a: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.concat %a, %b {axis = 3 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x4x4x6x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x4x4x8x!quant.uniform<i8:f32, 0.5:-128>>
}

// Concatenating rows (axis 1) of three inputs.
// CHECK-LABEL: func.func @rows
// CHECK-NEXT: %y = cmsis.concat %a, %b, %c {axis = 1 : i32} : (tensor<1x1x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x2x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x3x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x4x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @rows(%a: tensor<1x1x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %b: tensor<1x2x4x2x!quant.uniform<i8:f32, 0.5:-128>>, %c: tensor<1x3x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x4x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.concat %a, %b, %c {axis = 1 : i32} : (tensor<1x1x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x2x4x2x!quant.uniform<i8:f32, 0.5:-128>>, tensor<1x3x4x2x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x6x4x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x6x4x2x!quant.uniform<i8:f32, 0.5:-128>>
}
