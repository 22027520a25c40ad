/*
 * arm_depthwise_conv_wrapper_s8: CMSIS-NN's choice of depthwise kernel on the
 * portable C path, and the scratch each build of CMSIS-NN asks for.
 */
#include "nn_support.h"

/* Channels per block of the Helium arm_depthwise_conv_s8_opt. */
#define DW_CH_IN_BLOCK_MVE 124

/* Multiplier 1, one batch, no dilation: the optimized kernels apply. */
static int is_dw_opt(const cmsis_nn_dw_conv_params *p, const cmsis_nn_dims *input_dims)
{
    return p->ch_mult == 1 && input_dims->n == 1 && p->dilation.w == 1 && p->dilation.h == 1;
}

static int is_dw_3x3(const cmsis_nn_dw_conv_params *p, const cmsis_nn_dims *filter_dims)
{
    return filter_dims->w == 3 && filter_dims->h == 3 && p->padding.h <= 1 && p->padding.w <= 1;
}

/* Order: that of the kernel it picks (arm_depthwise_conv_3x3_s8 or arm_depthwise_conv_s8). */
arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(const cmsis_nn_context *ctx,
                                                  const cmsis_nn_dw_conv_params *dw_conv_params,
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
    if (is_dw_opt(dw_conv_params, input_dims))
    {
        if (is_dw_3x3(dw_conv_params, filter_dims))
        {
            return arm_depthwise_conv_3x3_s8(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims,
                                             filter_data, bias_dims, bias_data, output_dims, output_data);
        }
        return arm_depthwise_conv_s8_opt(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims,
                                         filter_data, bias_dims, bias_data, output_dims, output_data);
    }
    return arm_depthwise_conv_s8(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims,
                                 filter_data, bias_dims, bias_data, output_dims, output_data);
}

/* Multiplier 1 (sizes compare channels, as CMSIS-NN does), one batch, no dilation. */
static int sizes_dw_opt(const cmsis_nn_dw_conv_params *p,
                        const cmsis_nn_dims *input_dims,
                        const cmsis_nn_dims *output_dims)
{
    return input_dims->c == output_dims->c && input_dims->n == 1 && p->dilation.w == 1 && p->dilation.h == 1;
}

int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                      const cmsis_nn_dims *input_dims,
                                                      const cmsis_nn_dims *filter_dims,
                                                      const cmsis_nn_dims *output_dims)
{
    if (sizes_dw_opt(dw_conv_params, input_dims, output_dims) && !is_dw_3x3(dw_conv_params, filter_dims))
    {
        return arm_depthwise_conv_s8_opt_get_buffer_size(input_dims, filter_dims);
    }
    return 0;
}

/* DSP arm_depthwise_conv_s8_opt: one int16 im2col column of the whole window. */
int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                          const cmsis_nn_dims *input_dims,
                                                          const cmsis_nn_dims *filter_dims,
                                                          const cmsis_nn_dims *output_dims)
{
    if (sizes_dw_opt(dw_conv_params, input_dims, output_dims) && !is_dw_3x3(dw_conv_params, filter_dims))
    {
        return input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
    }
    return 0;
}

/* Helium arm_depthwise_conv_s8_opt (also for 3x3 filters): four columns of one channel block. */
int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                          const cmsis_nn_dims *input_dims,
                                                          const cmsis_nn_dims *filter_dims,
                                                          const cmsis_nn_dims *output_dims)
{
    if (sizes_dw_opt(dw_conv_params, input_dims, output_dims))
    {
        return 4 * DW_CH_IN_BLOCK_MVE * filter_dims->w * filter_dims->h;
    }
    return 0;
}
