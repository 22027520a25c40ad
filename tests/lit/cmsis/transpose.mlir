// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.transpose is arm_transpose_s8: result axis i is input axis perm[i], for 1 to 4 axes;
// the quantization is kept. In C the shape goes in cmsis_nn_dims (n, h, w, c from the first
// axis on) and the permutation in cmsis_nn_transpose_params.

// NHWC back to NCHW.
// CHECK-LABEL: func.func @to_nchw
// CHECK-NEXT: %y = cmsis.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x5x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x4x5x!quant.uniform<i8:f32, 0.5:-128>>
func.func @to_nchw(%x: tensor<1x4x5x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x4x5x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x5x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x3x4x5x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<1x3x4x5x!quant.uniform<i8:f32, 0.5:-128>>
}

// C: static const uint32_t to_nchw_transpose_0_perm[4] TO_NCHW_ALIGNED = {
// C-NEXT: 0, 3, 1, 2
// C: static const cmsis_nn_transpose_params to_nchw_transpose_0_params = {.num_dims = 4, .permutations = to_nchw_transpose_0_perm};
// C: static const cmsis_nn_dims to_nchw_transpose_0_input_dims = {.n = 1, .h = 4, .w = 5, .c = 3};
// C: static const cmsis_nn_dims to_nchw_transpose_0_output_dims = {.n = 1, .h = 3, .w = 4, .c = 5};
// C: status = arm_transpose_s8(
// C-NEXT: to_nchw_arena + {{[0-9]+}},
// C-NEXT: to_nchw_arena + {{[0-9]+}},
// C-NEXT: &to_nchw_transpose_0_input_dims,
// C-NEXT: &to_nchw_transpose_0_output_dims,
// C-NEXT: &to_nchw_transpose_0_params);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
