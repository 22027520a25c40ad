/*
 * cmsis_opt_softmax_s16: an int16 softmax over rows, output scale 1/32767,
 * zero point 0 (the float softmax of an ONNX A16W8 model, rounded), from a
 * 512-entry exp table the compiler fills for the layer's input scale (see
 * include/cmsis_opt_lut.h). Not a CMSIS-NN function: the compiler also
 * writes the definition between the two marker comments into every
 * generated model that uses it (as a static function).
 */
#include "cmsis_opt_lut.h"

/* cmsis-opt: emitted definition begins */
/*
 * Per row: d = max - x (0 .. 65535); exp(-d s) in units of 2^-30 is
 * (table[d >> 8] * table[256 + (d & 255)] + 2^29) >> 30 (entries at most
 * 2^30, so the product is below 2^61); the sum is uint64 (below 2^62 for
 * any int32 row length); output i is (e_i * 32767 + sum / 2) / sum, the
 * ratio rounded half up, at most 32767 since e_i <= sum.
 *
 * Order: a row's inputs are all read (maximum, then sum), then element i is
 * read again and output i written, i increasing. The output may therefore
 * sit exactly on the input; it must not overlap it otherwise.
 */
arm_cmsis_nn_status cmsis_opt_softmax_s16(
    const int16_t *input, int32_t rows, int32_t row_size, const int32_t *table, int16_t *output)
{
    if (rows < 0 || row_size < 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int16_t *in = input;
    int16_t *out = output;
    for (int32_t r = 0; r < rows; r++, in += row_size, out += row_size)
    {
        int32_t max = in[0];
        for (int32_t i = 1; i < row_size; i++)
        {
            if (in[i] > max)
            {
                max = in[i];
            }
        }
        uint64_t sum = 0;
        for (int32_t i = 0; i < row_size; i++)
        {
            const uint32_t d = (uint32_t)(max - (int32_t)in[i]);
            const uint64_t high = (uint64_t)(uint32_t)table[d >> 8];
            const uint64_t low = (uint64_t)(uint32_t)table[256u + (d & 255u)];
            sum += (high * low + (1u << 29)) >> 30;
        }
        for (int32_t i = 0; i < row_size; i++)
        {
            const uint32_t d = (uint32_t)(max - (int32_t)in[i]);
            const uint64_t high = (uint64_t)(uint32_t)table[d >> 8];
            const uint64_t low = (uint64_t)(uint32_t)table[256u + (d & 255u)];
            const uint64_t e = (high * low + (1u << 29)) >> 30;
            out[i] = (int16_t)((e * 32767u + sum / 2u) / sum);
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
