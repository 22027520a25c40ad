/*
 * int16 depthwise convolution (TFLite's 16x8 scheme): arm_depthwise_conv_wrapper_s16
 * and arm_depthwise_conv_s16; the portable C path of arm_depthwise_conv_fast_s16
 * is the generic kernel, so the wrapper needs no buffer here.
 */
#include "nn_support.h"

int32_t arm_depthwise_conv_wrapper_s16_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                       const cmsis_nn_dims *input_dims,
                                                       const cmsis_nn_dims *filter_dims,
                                                       const cmsis_nn_dims *output_dims)
{
    (void)dw_conv_params;
    (void)input_dims;
    (void)filter_dims;
    (void)output_dims;
    return 0;
}

/* Whether the wrapper runs arm_depthwise_conv_fast_s16 (USE_FAST_DW_CONV_S16_FUNCTION). */
static int uses_fast_s16(const cmsis_nn_dw_conv_params *p, const cmsis_nn_dims *filter_dims)
{
    return p->ch_mult == 1 && p->dilation.w == 1 && p->dilation.h == 1 && filter_dims->w * filter_dims->h < 512;
}

/* The DSP build's im2col of one pixel's whole window. */
int32_t arm_depthwise_conv_wrapper_s16_get_buffer_size_dsp(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                           const cmsis_nn_dims *input_dims,
                                                           const cmsis_nn_dims *filter_dims,
                                                           const cmsis_nn_dims *output_dims)
{
    (void)output_dims;
    if (!uses_fast_s16(dw_conv_params, filter_dims))
    {
        return 0;
    }
    return input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
}

/* Four pixels' windows plus 8 bytes the MVE kernel may read past them. */
int32_t arm_depthwise_conv_wrapper_s16_get_buffer_size_mve(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                           const cmsis_nn_dims *input_dims,
                                                           const cmsis_nn_dims *filter_dims,
                                                           const cmsis_nn_dims *output_dims)
{
    (void)output_dims;
    if (!uses_fast_s16(dw_conv_params, filter_dims))
    {
        return 0;
    }
    return 4 * input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t) + 8;
}

/*
 * Order: output pixels in raster order; within a pixel, input channel by
 * input channel and, for each, multiplier by multiplier: output element
 * (pixel, c * ch_mult + m) is written right after reading channel c of that
 * pixel's receptive field. Batch 1.
 */
arm_cmsis_nn_status arm_depthwise_conv_s16(const cmsis_nn_context *ctx,
                                           const cmsis_nn_dw_conv_params *dw_conv_params,
                                           const cmsis_nn_per_channel_quant_params *quant_params,
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
    const cmsis_nn_dw_conv_params *p = dw_conv_params;
    const int32_t ch_mult = p->ch_mult;
    const int32_t out_ch = input_dims->c * ch_mult;
    int16_t *out = output_data;
    for (int32_t oy = 0; oy < output_dims->h; oy++)
    {
        const int32_t base_y = oy * p->stride.h - p->padding.h;
        for (int32_t ox = 0; ox < output_dims->w; ox++)
        {
            const int32_t base_x = ox * p->stride.w - p->padding.w;
            for (int32_t c = 0; c < input_dims->c; c++)
            {
                for (int32_t m = 0; m < ch_mult; m++)
                {
                    const int32_t oc = c * ch_mult + m;
                    int64_t acc = bias_data != NULL ? bias_data[oc] : 0;
                    for (int32_t ky = 0; ky < filter_dims->h; ky++)
                    {
                        const int32_t y = base_y + ky * p->dilation.h;
                        if (y < 0 || y >= input_dims->h)
                        {
                            continue;
                        }
                        for (int32_t kx = 0; kx < filter_dims->w; kx++)
                        {
                            const int32_t x = base_x + kx * p->dilation.w;
                            if (x < 0 || x >= input_dims->w)
                            {
                                continue;
                            }
                            const int32_t value = input_data[(y * input_dims->w + x) * input_dims->c + c];
                            acc += value * filter_data[(ky * filter_dims->w + kx) * out_ch + oc];
                        }
                    }
                    *out++ = nn_requantize_s64_to_s16(acc, quant_params->multiplier[oc], quant_params->shift[oc],
                                                      p->activation.min, p->activation.max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

/* Order: arm_depthwise_conv_s16's (the portable C path runs the generic kernel either way). */
arm_cmsis_nn_status arm_depthwise_conv_wrapper_s16(const cmsis_nn_context *ctx,
                                                   const cmsis_nn_dw_conv_params *dw_conv_params,
                                                   const cmsis_nn_per_channel_quant_params *quant_params,
                                                   const cmsis_nn_dims *input_dims,
                                                   const int16_t *input_data,
                                                   const cmsis_nn_dims *filter_dims,
                                                   const int8_t *filter_data,
                                                   const cmsis_nn_dims *bias_dims,
                                                   const int64_t *bias_data,
                                                   const cmsis_nn_dims *output_dims,
                                                   int16_t *output_data)
{
    return arm_depthwise_conv_s16(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims,
                                  filter_data, bias_dims, bias_data, output_dims, output_data);
}
