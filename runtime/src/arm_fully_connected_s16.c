/*
 * int16 fully connected layer (TFLite's 16x8 scheme): int64 sums, one
 * multiplier and shift for the whole tensor. The buffer is unused on every
 * path.
 */
#include "nn_support.h"

/*
 * Order: batch by batch, output by output: every output of a batch row is
 * written after the whole row was read (and the row is read again for each).
 */
arm_cmsis_nn_status arm_fully_connected_s16(const cmsis_nn_context *ctx,
                                            const cmsis_nn_fc_params *fc_params,
                                            const cmsis_nn_per_tensor_quant_params *quant_params,
                                            const cmsis_nn_dims *input_dims,
                                            const int16_t *input_data,
                                            const cmsis_nn_dims *filter_dims,
                                            const int8_t *filter_data,
                                            const cmsis_nn_dims *bias_dims,
                                            const int64_t *bias_data,
                                            const cmsis_nn_dims *output_dims,
                                            int16_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
    const int32_t depth = filter_dims->n;
    const int32_t rows = output_dims->c;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int16_t *input = input_data + b * depth;
        for (int32_t r = 0; r < rows; r++)
        {
            const int8_t *weights = filter_data + r * depth;
            int64_t acc = bias_data != NULL ? bias_data[r] : 0;
            for (int32_t k = 0; k < depth; k++)
            {
                acc += (int32_t)input[k] * weights[k];
            }
            output_data[b * rows + r] = nn_requantize_s64_to_s16(acc, quant_params->multiplier, quant_params->shift,
                                                                 fc_params->activation.min,
                                                                 fc_params->activation.max);
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

int32_t arm_fully_connected_s16_get_buffer_size(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

int32_t arm_fully_connected_s16_get_buffer_size_dsp(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

int32_t arm_fully_connected_s16_get_buffer_size_mve(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}
