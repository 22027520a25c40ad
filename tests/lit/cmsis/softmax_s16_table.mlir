// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.softmax_s16_table is cmsis_opt_softmax_s16, our int16 softmax over the last axis for ONNX
// A16W8 (output 1/32767 : 0, within 1 LSB of onnxruntime). The table holds exp(-d * s) with 30
// fraction bits for d = max - x: entries 0..255 for d = 256 k, entries 256..511 for d = j. Here the
// input scale s is 1.0: exp(-256) is 0, and the fine entries 2^30 * exp(-j) reach 0 from j = 22 on.

// CHECK-LABEL: func.func @rows
// CHECK-NEXT: %y = cmsis.softmax_s16_table %x {table = dense<"0x{{[0-9A-F]+}}"> : tensor<512xi32>} : (tensor<2x4x!quant.uniform<i16:f32, 1.0:0>>) -> tensor<2x4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
func.func @rows(%x: tensor<2x4x!quant.uniform<i16:f32, 1.0:0>>) -> tensor<2x4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>> {
  %y = cmsis.softmax_s16_table %x {table = dense<[1073741824, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1073741824, 395007542, 145315154, 53458458, 19666268, 7234816, 2661540, 979126, 360200, 132510, 48748, 17933, 6597, 2427, 893, 328, 121, 44, 16, 6, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<512xi32>} : (tensor<2x4x!quant.uniform<i16:f32, 1.0:0>>) -> tensor<2x4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
  func.return %y : tensor<2x4x!quant.uniform<i16:f32, 3.051850947599719e-05:0>>
}

// The table is a flash constant, the function a static definition; 2 rows of 4. A row is read
// whole before it is written, element by element, so the plan puts the output on the input.
// C: static const int32_t rows_softmax_s16_table_0_table[512] ROWS_ALIGNED = {
// C-NEXT: 1073741824, 0,
// C: static arm_cmsis_nn_status cmsis_opt_softmax_s16(
// C-NEXT: const int16_t *input, int32_t rows, int32_t row_size, const int32_t *table, int16_t *output)
// C: /* softmax_s16_table_0: cmsis.softmax_s16_table 2x4 -> 2x4; in @0, out @0 */
// C-NEXT: status = cmsis_opt_softmax_s16(
// C-NEXT: (int16_t *)(rows_arena + 0),
// C-NEXT: 2,
// C-NEXT: 4,
// C-NEXT: rows_softmax_s16_table_0_table,
// C-NEXT: (int16_t *)(rows_arena + 0));
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
