/*
 * cmsis_opt_lut_s16: an int16 element-wise function as a table of
 * (65536 >> step_log2) + 1 int16 outputs with linear interpolation (see
 * include/cmsis_opt_lut.h). Not a CMSIS-NN function: the compiler also
 * writes the definition between the two marker comments into every
 * generated model that uses it (as a static function), so the model links
 * with the real CMSIS-NN, which lacks it.
 */
#include "cmsis_opt_lut.h"

/* cmsis-opt: emitted definition begins */
/*
 * u = input + 32768 (0 .. 65535) picks entry j = u >> step_log2 and the
 * remainder r = u & (2^step_log2 - 1); with a, b entries j and j + 1 plus
 * 32768 (0 .. 65535), the output is
 *   (a * (2^step_log2 - r) + b * r + 2^(step_log2 - 1)) >> step_log2, less 32768:
 * the line through the two entries, rounded half up. Every term is unsigned
 * and below 2^32 (65535 * 2^15 + 2^14 at most), and the result lies between
 * a and b, so it is an int16 again.
 *
 * Order: element i is read, then output i is written, i increasing. The
 * output may therefore sit exactly on the input, or anywhere before it.
 */
arm_cmsis_nn_status cmsis_opt_lut_s16(
    const int16_t *input, const int16_t *table, int32_t step_log2, int16_t *output, int32_t size)
{
    if (step_log2 < 0 || step_log2 > 15 || size < 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const uint32_t shift = (uint32_t)step_log2;
    const uint32_t span = 1u << shift;
    const uint32_t rounding = span >> 1;
    for (int32_t i = 0; i < size; i++)
    {
        const uint32_t u = (uint32_t)((int32_t)input[i] + 32768);
        const uint32_t j = u >> shift;
        const uint32_t r = u & (span - 1u);
        const uint32_t a = (uint32_t)((int32_t)table[j] + 32768);
        const uint32_t b = (uint32_t)((int32_t)table[j + 1u] + 32768);
        const uint32_t value = (a * (span - r) + b * r + rounding) >> shift;
        output[i] = (int16_t)((int32_t)value - 32768);
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
