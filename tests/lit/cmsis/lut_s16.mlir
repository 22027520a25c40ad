// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.lut_s16 is cmsis_opt_lut_s16, our kernel for an int16 element-wise function (ONNX A16W8
// Sigmoid / Tanh): (65536 >> step_log2) + 1 int16 entries, entry j the output for input code
// j * 2^step_log2 - 32768, linear interpolation between the two entries around each input,
// rounded half up. The compiler fills the table for the layer's scales; here step_log2 = 15
// gives three entries (codes -32768, 0 and 32768): -32768, 0 and 32767, the identity up to rounding.

// CHECK-LABEL: func.func @three_entries
// CHECK-NEXT: %y = cmsis.lut_s16 %x {table = dense<[-32768, 0, 32767]> : tensor<3xi16>, step_log2 = 15 : i32} : (tensor<1x8x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x8x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
func.func @three_entries(%x: tensor<1x8x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x8x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %y = cmsis.lut_s16 %x {table = dense<[-32768, 0, 32767]> : tensor<3xi16>, step_log2 = 15 : i32} : (tensor<1x8x!quant.uniform<i16:f32, 0.0001:0>>) -> tensor<1x8x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %y : tensor<1x8x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// The table is a flash constant, the function a static definition; element i is read before
// output i is written, so the plan puts the output on the input.
// C: static const int16_t three_entries_lut_s16_0_table[3] THREE_ENTRIES_ALIGNED = {
// C-NEXT: -32768, 0, 32767
// C: static arm_cmsis_nn_status cmsis_opt_lut_s16(
// C-NEXT: const int16_t *input, const int16_t *table, int32_t step_log2, int16_t *output, int32_t size)
// C: /* lut_s16_0: cmsis.lut_s16 1x8 -> 1x8; in @0, out @0 */
// C-NEXT: status = cmsis_opt_lut_s16(
// C-NEXT: (int16_t *)(three_entries_arena + 0),
// C-NEXT: three_entries_lut_s16_0_table,
// C-NEXT: 15,
// C-NEXT: (int16_t *)(three_entries_arena + 0),
// C-NEXT: 8);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
