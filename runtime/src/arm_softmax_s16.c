/*
 * int16 softmax (TFLite's SoftmaxInt16, CMSIS-NN's arm_softmax_s16): the
 * exp and 1 / (1 + x) tables are the caller's (513 int16 entries each).
 */
#include "nn_support.h"

/* Linear interpolation at value in a 513-entry table: entry 256 + (value >> 7), the low 7 bits rounding the slope. */
static int16_t lut_lookup(int32_t value, const int16_t *lut)
{
    const int32_t index = 256 + (int32_t)nn_floor_shift_s64(value, 7);
    const int32_t offset = value & 0x7f;
    const int32_t base = lut[index];
    const int32_t slope = lut[index + 1] - base;
    return (int16_t)(base + (int32_t)nn_floor_shift_s64((int64_t)slope * offset + 64, 7));
}

/*
 * Order: row by row: the row is read for its maximum, then element i is read
 * and exp(x_i - max) written to output i, in increasing order; the outputs
 * are then read back and scaled in place. Output i is so written only after
 * input i and every input before it were read.
 */
arm_cmsis_nn_status arm_softmax_s16(const int16_t *input,
                                    const int32_t num_rows,
                                    const int32_t row_size,
                                    const int32_t mult,
                                    const int32_t shift,
                                    const cmsis_nn_softmax_lut_s16 *softmax_params,
                                    int16_t *output)
{
    if (softmax_params->exp_lut == NULL || softmax_params->one_by_one_lut == NULL)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t row = 0; row < num_rows; row++)
    {
        const int16_t *in = input + row * row_size;
        int16_t *out = output + row * row_size;
        int16_t max = in[0];
        for (int32_t col = 1; col < row_size; col++)
        {
            max = (int16_t)NN_MAX(max, in[col]);
        }
        int32_t sum = 0;
        for (int32_t col = 0; col < row_size; col++)
        {
            const int32_t scaled = cmsis_opt_multiply_by_quantized_multiplier(in[col] - max, mult, shift) + 32767;
            out[col] = lut_lookup(NN_MIN(NN_MAX(scaled, -32768), 32767), softmax_params->exp_lut);
            sum += out[col];
        }
        const int32_t headroom = nn_count_leading_zeros((uint32_t)sum);
        const int32_t shifted = (int32_t)nn_floor_shift_s64(((int64_t)sum << (headroom - 1)) + (1 << 13), 14);
        const int16_t reciprocal = lut_lookup(NN_MIN(NN_MAX(shifted - 98304, -32768), 32767),
                                              softmax_params->one_by_one_lut);
        for (int32_t col = 0; col < row_size; col++)
        {
            const int64_t product = (int64_t)out[col] * reciprocal;
            const int64_t value = nn_floor_shift_s64(nn_floor_shift_s64(product, 30 - headroom) + 1, 1);
            out[col] = (int16_t)NN_MIN(NN_MAX(value, -32768), 32767);
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
