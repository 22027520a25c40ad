// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s --split-input-file -p default -t c | filecheck %s --check-prefix=C
// cmsis.mean is cmsis_opt_mean_s8, our kernel (CMSIS-NN v7.0.0 has none): TFLite's int8 MEAN over
// H and W of NHWC [N, H, W, C] -> [N, 1, 1, C]. multiplier / shift hold input_scale / output_scale
// with 1/(H*W) folded in, as TFLite's QuantizedMeanOrSum folds it. The generated C carries the
// kernel's definition (static), so a build linked with Arm's CMSIS-NN has it too.

// mean_same.tflite's layer: 7x7 window, equal scales; the multiplier is 2^30 * 2^5 // 49.
// CHECK-LABEL: func.func @mean_7x7
// CHECK-NEXT: %y = cmsis.mean %x {multiplier = 701219150 : i32, shift = -4 : i32, input_offset = 4 : i32, output_offset = -4 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x7x7x16x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<1x1x1x16x!quant.uniform<i8:f32, 0.07236137:-4>>
func.func @mean_7x7(%x: tensor<1x7x7x16x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<1x1x1x16x!quant.uniform<i8:f32, 0.07236137:-4>> {
  %y = cmsis.mean %x {multiplier = 701219150 : i32, shift = -4 : i32, input_offset = 4 : i32, output_offset = -4 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x7x7x16x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<1x1x1x16x!quant.uniform<i8:f32, 0.07236137:-4>>
  func.return %y : tensor<1x1x1x16x!quant.uniform<i8:f32, 0.07236137:-4>>
}

// C: static const cmsis_nn_dims mean_7x7_mean_0_input_dims = {.n = 1, .h = 7, .w = 7, .c = 16};
// C: static arm_cmsis_nn_status cmsis_opt_mean_s8(const cmsis_nn_dims *input_dims,
// C: status = cmsis_opt_mean_s8(
// C-NEXT: &mean_7x7_mean_0_input_dims,
// C-NEXT: mean_7x7_arena + {{[0-9]+}},
// C-NEXT: 4,
// C-NEXT: -4,
// C-NEXT: 701219150,
// C-NEXT: -4,
// C-NEXT: -128,
// C-NEXT: 127,
// C-NEXT: mean_7x7_arena + {{[0-9]+}});
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {

// -----

// Another output scale and zero point, two batches, a clamp.
// CHECK-LABEL: func.func @requantizing
// CHECK-NEXT: %y = cmsis.mean %x {multiplier = 1431655765 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 10 : i32, act_min = 10 : i32, act_max = 127 : i32} : (tensor<2x3x2x5x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<2x1x1x5x!quant.uniform<i8:f32, 0.02:10>>
func.func @requantizing(%x: tensor<2x3x2x5x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<2x1x1x5x!quant.uniform<i8:f32, 0.02:10>> {
  %y = cmsis.mean %x {multiplier = 1431655765 : i32, shift = -2 : i32, input_offset = 4 : i32, output_offset = 10 : i32, act_min = 10 : i32, act_max = 127 : i32} : (tensor<2x3x2x5x!quant.uniform<i8:f32, 0.07236137:-4>>) -> tensor<2x1x1x5x!quant.uniform<i8:f32, 0.02:10>>
  func.return %y : tensor<2x1x1x5x!quant.uniform<i8:f32, 0.02:10>>
}
