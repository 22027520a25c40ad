// --patch-split: a 3-op stage run as a 2x2 grid of output tiles.
//
// The stage: depthwise 3x3 (stride 1, padding 1) 8x8x2 -> 8x8x2, conv 3x3 (stride 2, padding 0, TensorFlow's
// SAME: one implied row / column at the far side) 8x8x2 -> 4x4x4, conv 1x1 4x4x4 -> 4x4x4.
// Output rows [o0, o1) of an op with window k, stride s, padding p read input rows [o0*s - p, (o1-1)*s - p + k).
// Tile rows [0, 2) of the output, chained back last op first:
//   1x1 conv:   rows [0, 2)
//   conv s2:    [0*2 - 0, 1*2 - 0 + 3) = [0, 5)
//   depthwise:  [0 - 1, 4 - 1 + 3) = [-1, 6) -> input rows 0-5, padding 1 above (the image border)
// Tile rows [2, 4):
//   conv s2:    [4, 3*2 + 3) = [4, 9) -> rows 4-7 (row 8 is the implied far padding)
//   depthwise:  [4 - 1, 7 - 1 + 3) = [3, 9) -> input rows 3-7, padding 0
// Columns alike. Rows 3-5 are read by both tile rows: the halo, computed twice.
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2}' | filecheck %s --check-prefix=IR
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2},default' -t c | filecheck %s --check-prefix=C
// RUN: cmsis-opt %s -p 'patch-split{ops=2 grid=2x2}' | filecheck %s --check-prefix=TWO
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2 stream-input=true},default' | filecheck %s --check-prefix=SIR
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2 stream-input=true},default' -t c | filecheck %s --check-prefix=STREAM

// IR:      %y = cmsis.patch_stage %x {layer = "stage dw..pw", grid = array<i64: 2, 2>}
// IR-NEXT: ^bb0(%0: tensor<1x8x8x2x
// IR-NEXT:   cmsis.depthwise_conv %0
// IR-NEXT:   cmsis.conv
// IR-NEXT:   %y_1 = cmsis.conv
// IR-NEXT:   cmsis.yield %y_1
// IR:      func.return %y

// The C is one loop over a constant table with a row per tile: what differs between tiles (the padding of the
// first op, window and tile sizes, offsets of the window and of the output tile); the rest stays constant.
// C:      static const cmsis_nn_dims stage_stage_dw__pw_op0_filter_dims = {.n = 1, .h = 3, .w = 3, .c = 2};
// C:      static const int32_t stage_stage_dw__pw_tiles[4][[[COLUMNS:[0-9]+]]] = {
// C-NEXT:     {1, 1, 6, 6, {{.*}}}, /* tile 0: output rows 0-1, columns 0-1; input rows 0-5, columns 0-5 */
// C-NEXT:     {0, 1, 6, 5, {{.*}}}, /* tile 1: output rows 0-1, columns 2-3; input rows 0-5, columns 3-7 */
// C-NEXT:     {1, 0, 5, 6, {{.*}}}, /* tile 2: output rows 2-3, columns 0-1; input rows 3-7, columns 0-5 */
// C-NEXT:     {0, 0, 5, 5, {{.*}}}, /* tile 3: output rows 2-3, columns 2-3; input rows 3-7, columns 3-7 */
// C-NEXT: };
// C:      int stage_invoke(void)
// C:          for (tile_index = 0; tile_index < 4; ++tile_index) {
// C-NEXT:         const int32_t *tile = stage_stage_dw__pw_tiles[tile_index];
// C-NEXT:         const cmsis_nn_dw_conv_params stage_stage_dw__pw_op0_params = {{.*}}.padding = {.w = tile[0], .h = tile[1]}
// C-NEXT:         const cmsis_nn_dims stage_stage_dw__pw_op0_input_dims = {.n = 1, .h = tile[2], .w = tile[3], .c = 2};
// C:              /* copy in: the tile's input window, row by row */
// C:              status = arm_depthwise_conv_wrapper_s8(
// C:              status = arm_convolve_wrapper_s8(
// C:              status = arm_convolve_wrapper_s8(
// C:              /* copy out: the result tile into the stage output, row by row */
// C-NOT:      status = arm_
// C:      int stage_check(void)
// C:          for (tile_index = 0; tile_index < 4; ++tile_index) {

// With ops=2 the 1x1 conv stays outside the stage:
// TWO:      %b = cmsis.patch_stage %x {layer = "stage dw..conv", grid = array<i64: 2, 2>}
// TWO:      cmsis.yield
// TWO:      %y = cmsis.conv %b

// stream-input=true: the input is not held. It has a buffer of 0 bytes, and each tile asks the application
// for its window's rows one at a time, into a line buffer of one input row (8 x 2 = 16 bytes) at the end of the
// tile region (160 bytes of ping-pong, then the line: 176 bytes).
// SIR:      arena.buffer %x {name = "input", size = 0 : i64
// SIR:      cmsis.patch_stage %x {layer = "stage dw..pw", grid = array<i64: 2, 2>, stream_input}
// SIR:      arena.scratch %y {name = "stage dw..pw.scratch", size = 176 : i64
// STREAM:      int stage_read_input_rows(int first_row, int rows, int8_t *dst);
// STREAM-NEXT: #define STAGE_INPUT_READ_FAILED (-100)
// STREAM-NOT:  stage_input(void)
// STREAM:      /* read in: the tile's input window, row by row */
// STREAM:          for (row = 0; row < tile[2]; ++row) {
// STREAM-NEXT:         if (stage_read_input_rows(tile[[[FIRST:[0-9]+]]] + row, 1, stage_arena + 160) != 0) {
// STREAM-NEXT:             return STAGE_INPUT_READ_FAILED;
// STREAM:      int stage_run(int8_t *output)

builtin.module {
  func.func @stage(%x : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>> {
    %a = cmsis.depthwise_conv %x {layer = "dw", filter = dense<1> : tensor<1x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>
    %b = cmsis.conv %a {layer = "conv", filter = dense<1> : tensor<4x3x3x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -4, -4, -4, -4>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    %y = cmsis.conv %b {layer = "pw", filter = dense<1> : tensor<4x1x1x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -2, -2, -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
    func.return %y : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
  }
}
