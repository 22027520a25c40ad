// A flatten of an NCHW tensor that is stored NHWC, then MatMul + Add + Clip(0, 6):
// no transpose is executed; the fully connected layer reads the NHWC bytes and
// its [out][in] weight columns are permuted instead (logical column c*4 + h*2 + w
// sits at stored position h*4 + w*2 + c). ReLU6 clamps at zp + round(6 / scale):
// 6 / 0.046875 = 128, so act_max = -128 + 128 = 0. Multiplier 0.5 * 0.25 / 0.046875.
// RUN: cmsis-opt %s --quantize | filecheck %s

func.func @net(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x3x!quant.uniform<i8:f32, 0.046875:-128>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x2x2x2xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %flat = nn.reshape %t {layer = "flatten"} : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %w = nn.constant {value = dense<[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14], [15, 16, 17], [18, 19, 20], [21, 22, 23]]> : tensor<8x3xi8>} : tensor<8x3x!quant.uniform<i8<-127:127>:f32, 0.25:0>>
  %wf = nn.dequantize %w : (tensor<8x3x!quant.uniform<i8<-127:127>:f32, 0.25:0>>) -> tensor<8x3xf32>
  %mm = nn.matmul %flat, %wf {layer = "fc"} : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32>
  %b = nn.constant {value = dense<[1, 2, 3]> : tensor<3xi32>} : tensor<3x!quant.uniform<i32:f32, 0.125:0>>
  %bf = nn.dequantize %b : (tensor<3x!quant.uniform<i32:f32, 0.125:0>>) -> tensor<3xf32>
  %y = nn.add %mm, %bf {layer = "fc"} : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %r6 = nn.clip %y {layer = "fc", min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %q = nn.quantize %r6 {layer = "fc"} : (tensor<1x3xf32>) -> tensor<1x3x!quant.uniform<i8:f32, 0.046875:-128>>
  func.return %q : tensor<1x3x!quant.uniform<i8:f32, 0.046875:-128>>
}

// CHECK:      %0 = cmsis.reshape %x {layer = "flatten"} : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x8x!quant.uniform<i8:f32, 0.5:-1>>
// CHECK-NEXT: %1 = cmsis.fully_connected %0 {layer = "fc", filter = dense<{{\[\[}}0, 12, 3, 15, 6, 18, 9, 21], [1, 13, 4, 16, 7, 19, 10, 22], [2, 14, 5, 17, 8, 20, 11, 23]]> : tensor<3x8xi8>,
// CHECK-SAME:   multiplier = 1431655765 : i32, shift = 2 : i32, input_offset = 1 : i32, output_offset = -128 : i32,
// CHECK-SAME:   act_min = -128 : i32, act_max = 0 : i32, bias = dense<[1, 2, 3]> : tensor<3xi32>
// CHECK-NEXT: func.return %1
// CHECK-NOT:  nn.
