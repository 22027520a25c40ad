// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// RUN: cmsis-opt %s --split-input-file -p default -t c | filecheck %s --check-prefix=C
// cmsis.requantize is cmsis_opt_requantize_s8, our kernel (CMSIS-NN v7.0.0 has none): TFLite's
// int8 -> int8 QUANTIZE, element by element in any layout, with multiplier / shift of
// input_scale / output_scale. The generated C carries the kernel's definition (static).

// A softmax output at 1/256 moved to onnxruntime's 1/255 (the scale ratio, about 255/256, as a Q31 multiplier with shift 0).
// CHECK-LABEL: func.func @to_255
// CHECK-NEXT: %y = cmsis.requantize %x {multiplier = 2139094913 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
func.func @to_255(%x: tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>> {
  %y = cmsis.requantize %x {multiplier = 2139094913 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x10x!quant.uniform<i8:f32, 0.00390625:-128>>) -> tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
  func.return %y : tensor<1x10x!quant.uniform<i8:f32, 0.003921568859368563:-128>>
}

// C: static arm_cmsis_nn_status cmsis_opt_requantize_s8(const int8_t *input,
// C: status = cmsis_opt_requantize_s8(
// C-NEXT: to_255_arena + {{[0-9]+}},
// C-NEXT: 10,
// C-NEXT: 128,
// C-NEXT: -128,
// C-NEXT: 2139094913,
// C-NEXT: 0,
// C-NEXT: -128,
// C-NEXT: 127,
// C-NEXT: to_255_arena + {{[0-9]+}});
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {

// -----

// An NHWC tensor to a coarser scale, clamped at zero (a fused ReLU).
// CHECK-LABEL: func.func @coarser_relu
// CHECK-NEXT: %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = -1 : i32, input_offset = -3 : i32, output_offset = 5 : i32, act_min = 5 : i32, act_max = 127 : i32} : (tensor<1x2x2x3x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0:5>>
func.func @coarser_relu(%x: tensor<1x2x2x3x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0:5>> {
  %y = cmsis.requantize %x {multiplier = 1073741824 : i32, shift = -1 : i32, input_offset = -3 : i32, output_offset = 5 : i32, act_min = 5 : i32, act_max = 127 : i32} : (tensor<1x2x2x3x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0:5>>
  func.return %y : tensor<1x2x2x3x!quant.uniform<i8:f32, 2.0:5>>
}

// -----

// int8 -> int16 (a TFLite QUANTIZE into the int16 part of a mixed graph): cmsis_opt_requantize_s16, told the
// two element sizes. The ratio 100 is 0.78125 * 2^7. Output i (bytes 2i, 2i + 1) is written after input i is
// read, so the output may start before its input, here at the input's 16-byte aligned offset less 16.
// CHECK-LABEL: func.func @widen
// CHECK-NEXT: %y = cmsis.requantize %x {multiplier = 1677721600 : i32, shift = 7 : i32, input_offset = -3 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32} : (tensor<1x8x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x8x!quant.uniform<i16:f32, 0.0005:0>>
func.func @widen(%x: tensor<1x8x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x8x!quant.uniform<i16:f32, 0.0005:0>> {
  %y = cmsis.requantize %x {multiplier = 1677721600 : i32, shift = 7 : i32, input_offset = -3 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32} : (tensor<1x8x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x8x!quant.uniform<i16:f32, 0.0005:0>>
  func.return %y : tensor<1x8x!quant.uniform<i16:f32, 0.0005:0>>
}

// C: static arm_cmsis_nn_status cmsis_opt_requantize_s16(const void *input,
// C: status = cmsis_opt_requantize_s16(
// C-NEXT: widen_arena + 16,
// C-NEXT: 1,
// C-NEXT: 8,
// C-NEXT: -3,
// C-NEXT: 0,
// C-NEXT: 1677721600,
// C-NEXT: 7,
// C-NEXT: -32768,
// C-NEXT: 32767,
// C-NEXT: (int16_t *)(widen_arena + 0),
// C-NEXT: 2);
// C-NEXT: if (status != ARM_CMSIS_NN_SUCCESS) {
