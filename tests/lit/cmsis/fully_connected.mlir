// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// cmsis.fully_connected is arm_fully_connected_s8: input [N, K], filter rows [M][K],
// one per-tensor (multiplier, shift).

// 16 features to 10 classes; the 160 filter bytes print in hex.
// CHECK-LABEL: func.func @classifier
// CHECK-NEXT: %y = cmsis.fully_connected %x {filter = dense<"0x00254A6F94B9DE03284D7297BCE1062B50759ABFE4092E53789DC2E70C31567BA0C5EA0F34597EA3C8ED12375C81A6CBF0153A5F84A9CEF3183D6287ACD1F61B40658AAFD4F91E43688DB2D7FC21466B90B5DAFF24496E93B8DD02274C7196BBE0052A4F7499BEE3082D52779CC1E60B30557A9FC4E90E33587DA2C7EC11365B80A5CAEF14395E83A8CDF2173C6186ABD0F51A3F6489AED3F81D42678CB1D6FB"> : tensor<10x16xi8>, bias = dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]> : tensor<10xi32>, multiplier = 1342177280 : i32, shift = -7 : i32, input_offset = 128 : i32, output_offset = 12 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.125:12>>
func.func @classifier(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.125:12>> {
  %y = cmsis.fully_connected %x {filter = dense<"0x00254A6F94B9DE03284D7297BCE1062B50759ABFE4092E53789DC2E70C31567BA0C5EA0F34597EA3C8ED12375C81A6CBF0153A5F84A9CEF3183D6287ACD1F61B40658AAFD4F91E43688DB2D7FC21466B90B5DAFF24496E93B8DD02274C7196BBE0052A4F7499BEE3082D52779CC1E60B30557A9FC4E90E33587DA2C7EC11365B80A5CAEF14395E83A8CDF2173C6186ABD0F51A3F6489AED3F81D42678CB1D6FB"> : tensor<10x16xi8>, bias = dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]> : tensor<10xi32>, multiplier = 1342177280 : i32, shift = -7 : i32, input_offset = 128 : i32, output_offset = 12 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.125:12>>
  func.return %y : tensor<1x10x!quant.uniform<i8:f32, 0.125:12>>
}

// The bias is optional.
// CHECK-LABEL: func.func @no_bias
// CHECK-NEXT: %y = cmsis.fully_connected %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>>
func.func @no_bias(%x: tensor<2x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.fully_connected %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>>
}
