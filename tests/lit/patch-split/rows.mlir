// --stream-input without --patch: the first layer alone, run in bands of rows (a stage of one op, R x 1 tiles).
//
// The layer: conv 3x3, stride 1, padding 1, 8x8x2 -> 8x8x4. As 4 bands of 2 output rows, with
// output rows [o0, o1) reading input rows [o0 - 1, o1 + 1), clipped to the image:
//   band 0: output rows 0-1 <- input rows 0-2 (padding 1 above: the image border)
//   band 1: output rows 2-3 <- input rows 1-4
//   band 2: output rows 4-5 <- input rows 3-6
//   band 3: output rows 6-7 <- input rows 5-7 (CMSIS-NN pads the far border itself)
// Every window is whole rows (8 x 2 = 16 bytes a row), so its rows go straight into the tile region, in one
// call, with no line buffer. Two rows of each window were in the previous one (rows 1-2, 3-4, 5-6): they are
// moved to the window's start (memmove of 32 bytes from 16 or 32 bytes further), and only the new rows are
// asked for: 0-2, 3-4, 5-6, 7. Each input row is asked for once, in order.
// RUN: cmsis-opt %s -p 'patch-split{ops=1 grid=4x1 stream-input=true},default' | filecheck %s --check-prefix=IR
// RUN: cmsis-opt %s -p 'patch-split{ops=1 grid=4x1 stream-input=true},default' -t c | filecheck %s

// The input has no bytes. The tile region is the largest window (4 rows: 64 bytes) and arm_convolve_s8's
// im2col buffer (2 x 3 x 3 x 2 int16: 72, rounded to 80 bytes): 144 bytes. No line buffer, and no room for the
// band's output: a band of whole rows is one contiguous run of the NHWC output, and the conv writes it there.
// IR:      arena.buffer %x {name = "input", size = 0 : i64
// IR:      cmsis.patch_stage %x {layer = "stage conv", grid = array<i64: 4, 1>, stream_input}
// IR:      arena.scratch %y {name = "stage conv.scratch", size = 144 : i64

// CHECK:      int rows_read_input_rows(int first_row, int rows, int8_t *dst);
// CHECK:      static const int32_t rows_stage_conv_tiles[4][[[COLUMNS:[0-9]+]]] = {
// CHECK-NEXT:     {{.*}} /* tile 0: output rows 0-1, columns 0-7; input rows 0-2, columns 0-7 */
// CHECK-NEXT:     {{.*}} /* tile 1: output rows 2-3, columns 0-7; input rows 1-4, columns 0-7 */
// CHECK-NEXT:     {{.*}} /* tile 2: output rows 4-5, columns 0-7; input rows 3-6, columns 0-7 */
// CHECK-NEXT:     {{.*}} /* tile 3: output rows 6-7, columns 0-7; input rows 5-7, columns 0-7 */
// CHECK-NEXT: };
// The columns: the band's padding above and window rows, then (tile[3], tile[4]) the kept rows' offset in the
// previous window and their bytes ({0, 0}, {16, 32}, {32, 32}, {32, 32}), (tile[5], tile[6]) how many rows to
// ask for and the first ({3, 0}, {2, 3}, {2, 5}, {1, 7}), tile[7] the band's offset in the output.
// CHECK:      /* read in: the tile's input window, whole rows: the rows the previous window also held are kept, the others asked for */
// CHECK-NEXT: memmove(rows_arena + [[REGION:[0-9]+]], rows_arena + [[REGION]] + tile[{{[0-9]+}}], (unsigned int)tile[{{[0-9]+}}]);
// CHECK-NEXT: if (tile[[[NEW:[0-9]+]]] > 0 && rows_read_input_rows(tile[{{[0-9]+}}], tile[[[NEW]]], rows_arena + [[REGION]] + tile[{{[0-9]+}}]) != 0) {
// CHECK-NEXT:     return ROWS_INPUT_READ_FAILED;
// The conv's output pointer is the band's place in the output (arena offset 0), tile[7] = 64 x the first row:
// CHECK:      status = arm_convolve_wrapper_s8(
// CHECK:          rows_arena + 0 + tile[7]);
// CHECK-NOT:  copy out

builtin.module {
  func.func @rows(%x : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %y = cmsis.conv %x {layer = "conv", filter = dense<1> : tensor<4x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -4, -4, -4, -4>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}
