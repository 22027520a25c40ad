// --patch-split: a stage holding one residual block (MobileNetV2's inverted residual), as a 2x2 grid of tiles.
//
// x (6x6x2) -> expand: conv 1x1 -> 6x6x4 -> dw: depthwise 3x3 (stride 1, padding 1) -> project: conv 1x1 -> 6x6x2
//   -> add(x, project).
// The value x has two readers, so its window on a tile is the union (widest extent per axis) of their needs.
// Output rows [o0, o1) of an op with window k, stride s, padding p read input rows [o0*s - p, (o1-1)*s - p + k);
// an add reads its output rows of both operands. Tile rows [0, 3), chained back last op first:
//   add:      x rows [0, 3), project rows [0, 3)
//   project:  dw rows [0, 3)
//   dw:       [0 - 1, 2 - 1 + 3) = [-1, 4) -> expand rows 0-3, padding 1 above (the image border)
//   expand:   x rows [0, 4)
//   x:        [0, 4) union [0, 3) = [0, 4): rows 0-3; the add reads its rows 0-2 at offset 0.
// Tile rows [3, 6):
//   dw:       [3 - 1, 5 - 1 + 3) = [2, 7) -> expand rows 2-5 (row 6 is CMSIS-NN's far padding)
//   x:        [2, 6) union [3, 6) = [2, 6); the add reads x's rows 3-5, one row into the window.
// Columns alike. So the last tile's window of x is 4x4x2 (row stride 8 bytes) and the add reads it from byte
// (1 * 4 + 1) * 2 = 10, row by row: one arm_elementwise_add_s8 call per row of 3 pixels (6 bytes).
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2}' | filecheck %s --check-prefix=IR
// RUN: cmsis-opt %s -p 'patch-split{grid=2x2},default' -t c | filecheck %s --check-prefix=C
// RUN: not cmsis-opt %s -p 'patch-split{ops=2 grid=2x2}' 2>&1 | filecheck %s --check-prefix=CUT

// IR:      %y = cmsis.patch_stage %x {layer = "stage expand..add", grid = array<i64: 2, 2>}
// IR-NEXT: ^bb0(%0: tensor<1x6x6x2x
// IR-NEXT:   %e = cmsis.conv %0
// IR-NEXT:   %d = cmsis.depthwise_conv %e
// IR-NEXT:   %p = cmsis.conv %d
// IR-NEXT:   %y_1 = cmsis.add %0, %p
// IR-NEXT:   cmsis.yield %y_1
// IR:      func.return %y

// Columns of the table: the depthwise padding (left, top), the offset of x's window in the input, the offset
// of the add's rows inside x's window, the offset of the output tile.
// C:      static const int32_t block_stage_expand__add_tiles[4][5] = {
// C-NEXT:     {1, 1, 0, 0, 0}, /* tile 0: output rows 0-2, columns 0-2; input rows 0-3, columns 0-3 */
// C-NEXT:     {0, 1, 4, 2, 6}, /* tile 1: output rows 0-2, columns 3-5; input rows 0-3, columns 2-5 */
// C-NEXT:     {1, 0, 24, 8, 36}, /* tile 2: output rows 3-5, columns 0-2; input rows 2-5, columns 0-3 */
// C-NEXT:     {0, 0, 28, 10, 42}, /* tile 3: output rows 3-5, columns 3-5; input rows 2-5, columns 2-5 */
// C-NEXT: };
// C:          for (tile_index = 0; tile_index < 4; ++tile_index) {
// C:              /* op3: cmsis.add, row by row at each operand's place in its window */
// C:                  for (row = 0; row < 3; ++row) {
// C-NEXT:                 status = arm_elementwise_add_s8(block_arena + tile[3] + row * 8, block_arena + 32 + row * 6, {{.*}}, block_arena + 64 + row * 6, {{.*}}, 6);
// C-NEXT:                 if (status != ARM_CMSIS_NN_SUCCESS) {

// A stage may not end inside the block: x would be read after it.
// CUT: error: patch-split: 2 ops is not a stage end: a residual block would be cut (later ops read more than the last op's result); stage ends: 4

func.func @block(%x: tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>> {
  %e = cmsis.conv %x {layer = "expand", filter = dense<1> : tensor<4x1x1x2xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -1, -1, -1, -1>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -3 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-3>>
  %d = cmsis.depthwise_conv %e {layer = "dw", filter = dense<1> : tensor<1x3x3x4xi8>, multiplier = array<i32: 1073741824, 1073741824, 1073741824, 1073741824>, shift = array<i32: -3, -3, -3, -3>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -3 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-3>>
  %p = cmsis.conv %d {layer = "project", filter = dense<1> : tensor<2x1x1x4xi8>, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: -2, -2>, input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x6x6x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>
  %y = cmsis.add %x, %p {layer = "add", act_min = -128 : i32, act_max = 127 : i32, input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 3 : i32, input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -3 : i32, output_multiplier = 1073741824 : i32, output_shift = -19 : i32} : (tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>, tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>
  func.return %y : tensor<1x6x6x2x!quant.uniform<i8:f32, 0.5:-3>>
}
