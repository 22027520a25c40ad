// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s -p default -t c | filecheck %s --check-prefix=C
// cmsis.slice cuts one axis of a row-major int8 tensor: result[i] = input[starts + i]. CMSIS-NN has
// no slice kernel: the C copies one contiguous run per row with memcpy.

// The last step of an LSTM's output sequence: one row of 16 bytes from byte 19 * 16.
// CHECK-LABEL: func.func @last_step
// CHECK-NEXT: %y = cmsis.slice %x {starts = array<i64: 0, 19, 0>} : (tensor<1x20x16x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<1x1x16x!quant.uniform<i8:f32, 0.007:-1>>
func.func @last_step(%x: tensor<1x20x16x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<1x1x16x!quant.uniform<i8:f32, 0.007:-1>> {
  %y = cmsis.slice %x {starts = array<i64: 0, 19, 0>} : (tensor<1x20x16x!quant.uniform<i8:f32, 0.007:-1>>) -> tensor<1x1x16x!quant.uniform<i8:f32, 0.007:-1>>
  func.return %y : tensor<1x1x16x!quant.uniform<i8:f32, 0.007:-1>>
}
// C: /* 1 row of 16 bytes from offset 304 */
// C: for (row = 0; row < 1; ++row) {
// C-NEXT: memcpy(last_step_arena + {{[0-9]+}} + row * 16, last_step_arena + {{[0-9]+}} + 304 + row * 320, 16u);
