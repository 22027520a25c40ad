/*
 * cmsis_opt_lut_s8: an int8 element-wise function as a table of 256 outputs
 * per channel (see include/cmsis_opt_lut.h). Not a CMSIS-NN function: the
 * compiler also writes the definition between the two marker comments into
 * every generated model that uses it (as a static function), so the model
 * links with the real CMSIS-NN, which lacks it.
 */
#include "cmsis_opt_lut.h"

/* cmsis-opt: emitted definition begins */
/*
 * Order: element i is read, then output i is written, i increasing (channels
 * innermost). The output may therefore sit exactly on the input, or anywhere
 * before it.
 */
arm_cmsis_nn_status cmsis_opt_lut_s8(
    const int8_t *input, const int8_t *table, int32_t channels, int8_t *output, int32_t size)
{
    if (channels < 1 || size < 0 || size % channels != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; i += channels)
    {
        const int8_t *channel_table = table;
        for (int32_t c = 0; c < channels; c++)
        {
            output[i + c] = channel_table[(int32_t)input[i + c] + 128];
            channel_table += 256;
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
