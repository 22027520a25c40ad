// RUN: cmsis-opt %s -p default -t c | filecheck %s
// RUN: cmsis-opt %s -p 'default{inplace=false}' -t c | filecheck %s --check-prefix=APART
// A kernel CMSIS-NN lacks (cmsis_opt_lut_s8, for cmsis.lut) is written into the model's C as a
// static definition, once however many layers call it, before the first function that calls
// it; each layer has its own table in flash. Element i is read before output i is written, so
// with in-place aliasing each table layer writes over its input; without it, never.

// CHECK: #define ACTS_ARENA_SIZE 48
// CHECK: static const int8_t acts_sigmoid_table[256] ACTS_ALIGNED = {
// CHECK: static const int8_t acts_prelu_table[512] ACTS_ALIGNED = {
// CHECK: static arm_cmsis_nn_status cmsis_opt_lut_s8(
// CHECK-NEXT: const int8_t *input, const int8_t *table, int32_t channels, int8_t *output, int32_t size)
// CHECK-NOT: cmsis_opt_lut_s8(
// CHECK: int acts_invoke(void)
// CHECK: /* sigmoid: cmsis.lut 1x4x4x2 -> 1x4x4x2; in @[[C:[0-9]+]], out @[[C]] */
// CHECK-NEXT: status = cmsis_opt_lut_s8(acts_arena + [[C]], acts_sigmoid_table, 1, acts_arena + [[C]], 32);
// CHECK-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
// CHECK: /* prelu: cmsis.lut 1x4x4x2 -> 1x4x4x2; in @[[C]], out @[[C]] */
// CHECK-NEXT: status = cmsis_opt_lut_s8(acts_arena + [[C]], acts_prelu_table, 2, acts_arena + [[C]], 32);
// CHECK-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {

// APART: #define ACTS_ARENA_SIZE 64
// APART: /* sigmoid: cmsis.lut 1x4x4x2 -> 1x4x4x2; in @[[A:[0-9]+]], out @[[B:[0-9]+]] */
// APART: /* prelu: cmsis.lut 1x4x4x2 -> 1x4x4x2; in @[[B]], out @[[A]] */
func.func @acts(%x: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>> {
  %c = cmsis.conv %x {filter = dense<1> : tensor<2x1x1x2xi8>, bias = dense<[1, 2]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -3, -3>, input_offset = -3 : i32, output_offset = 3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, layer = "conv"} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
  %y = cmsis.lut %c {layer = "sigmoid", table = dense<1> : tensor<256xi8>} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
  %z = cmsis.lut %y {layer = "prelu", table = dense<2> : tensor<2x256xi8>} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
  func.return %z : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.05:3>>
}
