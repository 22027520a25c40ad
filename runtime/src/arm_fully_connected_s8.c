/*
 * arm_fully_connected_s8 / arm_fully_connected_per_channel_s8: int8
 * vector-matrix product with per-tensor or per-row requantization, as
 * CMSIS-NN's portable C path computes it.
 */
#include "nn_support.h"

/* bias + sum_k (input[k] + input_offset) * (weights[k] + filter_offset) */
static int32_t fc_acc(const int8_t *input, const int8_t *weights, int32_t depth, const cmsis_nn_fc_params *p, int32_t bias)
{
    int32_t acc = bias;
    for (int32_t k = 0; k < depth; k++)
    {
        acc += (input[k] + p->input_offset) * (weights[k] + p->filter_offset);
    }
    return acc;
}

/*
 * Both kernels, as the portable arm_nn_vec_mat_mult_t_s8 / _per_ch_s8 run:
 * batch by batch; within a batch, output rows three at a time (then one at a
 * time): each group reads the whole input row, then writes its outputs with
 * row r's (multipliers[r * step], shifts[r * step]). The input is read again
 * for every group of rows, so the output must not overlap the input.
 */
static void fc_rows(const cmsis_nn_fc_params *p,
                    const int32_t *multipliers,
                    const int32_t *shifts,
                    int32_t step,
                    const cmsis_nn_dims *input_dims,
                    const int8_t *input_data,
                    const cmsis_nn_dims *filter_dims,
                    const int8_t *filter_data,
                    const int32_t *bias_data,
                    const cmsis_nn_dims *output_dims,
                    int8_t *output_data)
{
    const int32_t depth = filter_dims->n;
    const int32_t rows = output_dims->c;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *input = input_data + b * depth;
        int8_t *out = output_data + b * rows;
        int32_t r = 0;
        while (r < rows)
        {
            const int32_t count = rows - r >= 3 ? 3 : 1;
            int32_t acc[3];
            for (int32_t i = 0; i < count; i++)
            {
                const int32_t bias = bias_data != NULL ? bias_data[r + i] : 0;
                acc[i] = fc_acc(input, filter_data + (r + i) * depth, depth, p, bias);
            }
            for (int32_t i = 0; i < count; i++)
            {
                out[r + i] = nn_requantize_to_s8(acc[i], multipliers[(r + i) * step], shifts[(r + i) * step],
                                                 p->output_offset, p->activation.min, p->activation.max);
            }
            r += count;
        }
    }
}

arm_cmsis_nn_status arm_fully_connected_s8(const cmsis_nn_context *ctx,
                                           const cmsis_nn_fc_params *fc_params,
                                           const cmsis_nn_per_tensor_quant_params *quant_params,
                                           const cmsis_nn_dims *input_dims,
                                           const int8_t *input_data,
                                           const cmsis_nn_dims *filter_dims,
                                           const int8_t *filter_data,
                                           const cmsis_nn_dims *bias_dims,
                                           const int32_t *bias_data,
                                           const cmsis_nn_dims *output_dims,
                                           int8_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
    fc_rows(fc_params, &quant_params->multiplier, &quant_params->shift, 0, input_dims, input_data, filter_dims,
            filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_fully_connected_per_channel_s8(const cmsis_nn_context *ctx,
                                                       const cmsis_nn_fc_params *fc_params,
                                                       const cmsis_nn_per_channel_quant_params *quant_params,
                                                       const cmsis_nn_dims *input_dims,
                                                       const int8_t *input_data,
                                                       const cmsis_nn_dims *filter_dims,
                                                       const int8_t *filter_data,
                                                       const cmsis_nn_dims *bias_dims,
                                                       const int32_t *bias_data,
                                                       const cmsis_nn_dims *output_dims,
                                                       int8_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
    fc_rows(fc_params, quant_params->multiplier, quant_params->shift, 1, input_dims, input_data, filter_dims,
            filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
}

int32_t arm_fully_connected_s8_get_buffer_size(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

int32_t arm_fully_connected_s8_get_buffer_size_dsp(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

/* Helium: one precomputed int32 kernel sum per output. */
int32_t arm_fully_connected_s8_get_buffer_size_mve(const cmsis_nn_dims *filter_dims)
{
    return filter_dims->c * (int32_t)sizeof(int32_t);
}

arm_cmsis_nn_status arm_vector_sum_s8(int32_t *vector_sum_buf,
                                      const int32_t vector_cols,
                                      const int32_t vector_rows,
                                      const int8_t *vector_data,
                                      const int32_t lhs_offset,
                                      const int32_t rhs_offset,
                                      const int32_t *bias_data)
{
    for (int32_t r = 0; r < vector_rows; r++)
    {
        int32_t sum = 0;
        for (int32_t c = 0; c < vector_cols; c++)
        {
            sum += vector_data[r * vector_cols + c] + rhs_offset;
        }
        vector_sum_buf[r] = (bias_data != NULL ? bias_data[r] : 0) + lhs_offset * sum;
    }
    return ARM_CMSIS_NN_SUCCESS;
}
