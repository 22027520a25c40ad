/*
 * cmsis-opt's own int8 kernel, beside the CMSIS-NN API: element-wise
 * activations CMSIS-NN has no s8 kernel for (sigmoid, tanh, hard swish,
 * leaky ReLU, ELU, PReLU, GELU, SiLU, softplus, ...), each given as a table
 * of 256 outputs, one per int8 input, computed by the compiler; int16
 * functions as an interpolated table (cmsis_opt_lut_s16).
 *
 * Generated models carry their own static copy of this function (CMSIS-NN
 * does not have it), so they link with the real library as they are; this
 * declaration is for programs that call the runtime's copy directly.
 */
#ifndef CMSIS_OPT_LUT_H
#define CMSIS_OPT_LUT_H

#include "arm_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * output[i] = table[(i % channels) * 256 + input[i] + 128] for i in [0, size).
 * channels 1: one table for every element; otherwise one table per channel of
 * the last (fastest varying) axis, e.g. C of an NHWC tensor (a per-channel
 * PReLU slope). Returns ARM_CMSIS_NN_ARG_ERROR when channels < 1 or size is
 * negative or not a multiple of channels, else ARM_CMSIS_NN_SUCCESS.
 */
arm_cmsis_nn_status cmsis_opt_lut_s8(const int8_t *input,
                                     const int8_t *table,
                                     int32_t channels,
                                     int8_t *output,
                                     int32_t size);

/*
 * An int16 element-wise function (zero points 0) as a table of
 * (65536 >> step_log2) + 1 outputs, entry j for input code
 * j * 2^step_log2 - 32768 (the last one for 32768, past the range), and
 * linear interpolation between the two entries around each input, rounded
 * half up: for u = input[i] + 32768, j = u >> step_log2, r the remainder,
 * output[i] = (a * (2^step_log2 - r) + b * r + 2^(step_log2 - 1)) >> step_log2
 * - 32768 with a, b = table[j], table[j + 1] plus 32768. Element i is read
 * before output i is written (in place works). Returns ARM_CMSIS_NN_ARG_ERROR
 * when step_log2 is outside [0, 15] or size is negative, else
 * ARM_CMSIS_NN_SUCCESS.
 */
arm_cmsis_nn_status cmsis_opt_lut_s16(const int16_t *input,
                                      const int16_t *table,
                                      int32_t step_log2,
                                      int16_t *output,
                                      int32_t size);

/*
 * An int16 softmax over `rows` rows of `row_size` elements (the last axis),
 * output scale 1/32767, zero point 0: per row, d = max - x, exp(-d s) =
 * table[d >> 8] * table[256 + (d & 255)] / 2^60 rounded to 30 fraction
 * bits (a [512] table for the layer's input scale s), summed in uint64, and
 * output = (e * 32767 + sum / 2) / sum. A row is read whole before it is
 * written (in place works). Returns ARM_CMSIS_NN_ARG_ERROR when rows < 0 or
 * row_size < 1, else ARM_CMSIS_NN_SUCCESS.
 */
arm_cmsis_nn_status cmsis_opt_softmax_s16(const int16_t *input,
                                          int32_t rows,
                                          int32_t row_size,
                                          const int32_t *table,
                                          int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* CMSIS_OPT_LUT_H */
