/*
 * 1x1 convolutions without padding: a matrix product of the input pixels
 * with the filter rows, as CMSIS-NN's portable C path computes them.
 */
#include "nn_support.h"

int32_t arm_convolve_1x1_s8_fast_get_buffer_size(const cmsis_nn_dims *input_dims)
{
    (void)input_dims;
    return 0;
}

/*
 * Order: output channels two at a time; for each pair, every input pixel
 * (two at a time) is read and the pair's outputs for those pixels written.
 * The whole input is read again for every pair of output channels, so the
 * output must not overlap the input.
 */
arm_cmsis_nn_status arm_convolve_1x1_s8_fast(const cmsis_nn_context *ctx,
                                             const cmsis_nn_conv_params *conv_params,
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
    (void)filter_dims;
    (void)bias_dims;
    if (conv_params->padding.w != 0 || conv_params->padding.h != 0 || conv_params->stride.w != 1 ||
        conv_params->stride.h != 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t pixels = input_dims->n * input_dims->h * input_dims->w;
    nn_mat_mult_nt_t_s8(input_data, filter_data, bias_data, output_data, quant_params->multiplier,
                        quant_params->shift, pixels, output_dims->c, input_dims->c, conv_params->input_offset,
                        conv_params->output_offset, conv_params->activation.min, conv_params->activation.max,
                        output_dims->c, input_dims->c);
    return ARM_CMSIS_NN_SUCCESS;
}

/*
 * Order: one output row at a time (batch by batch); within a row, as
 * arm_convolve_1x1_s8_fast over that row's strided input pixels (every
 * input pixel of the row is read again for every pair of output channels).
 */
arm_cmsis_nn_status arm_convolve_1x1_s8(const cmsis_nn_context *ctx,
                                        const cmsis_nn_conv_params *conv_params,
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
    (void)filter_dims;
    (void)bias_dims;
    if (conv_params->padding.w != 0 || conv_params->padding.h != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    const int32_t input_row_step = input_dims->w * conv_params->stride.h * in_ch;
    const int32_t output_row_size = output_dims->w * out_ch;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *input = input_data + b * input_dims->h * input_dims->w * in_ch;
        for (int32_t row = 0; row < output_dims->h; row++)
        {
            nn_mat_mult_nt_t_s8(input, filter_data, bias_data, output_data, quant_params->multiplier,
                                quant_params->shift, output_dims->w, out_ch, in_ch, conv_params->input_offset,
                                conv_params->output_offset, conv_params->activation.min,
                                conv_params->activation.max, out_ch, in_ch * conv_params->stride.w);
            input += input_row_step;
            output_data += output_row_size;
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
