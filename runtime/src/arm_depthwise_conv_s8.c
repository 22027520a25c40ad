/*
 * Generic int8 depthwise convolution (any channel multiplier, dilation and
 * batch count), and arm_depthwise_conv_s8_opt, which is the same on the
 * portable C path.
 */
#include "nn_support.h"

/* One output element: bias + sum over the valid taps of (input + input_offset) * weight. */
static int32_t depthwise_acc(const cmsis_nn_dw_conv_params *p,
                             const cmsis_nn_dims *input_dims,
                             const int8_t *input,
                             const cmsis_nn_dims *filter_dims,
                             const int8_t *filter,
                             int32_t base_y,
                             int32_t base_x,
                             int32_t in_c,
                             int32_t out_c,
                             int32_t out_ch,
                             int32_t bias)
{
    int32_t acc = bias;
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
            const int32_t value = input[(y * input_dims->w + x) * input_dims->c + in_c] + p->input_offset;
            acc += value * filter[(ky * filter_dims->w + kx) * out_ch + out_c];
        }
    }
    return acc;
}

/*
 * Order: batch by batch, output pixels in raster order; within a pixel, input
 * channel by input channel and, for each, multiplier by multiplier: output
 * element (pixel, c * ch_mult + m) is written right after reading channel c
 * of that pixel's receptive field (read again for every m). Output pixel p is
 * thus written only after the receptive fields of pixels 0..p-1 and, for its
 * channels below c, of pixel p were read.
 */
arm_cmsis_nn_status arm_depthwise_conv_s8(const cmsis_nn_context *ctx,
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
    (void)ctx;
    (void)bias_dims;
    const cmsis_nn_dw_conv_params *p = dw_conv_params;
    const int32_t ch_mult = p->ch_mult;
    const int32_t out_ch = input_dims->c * ch_mult;
    const int32_t input_batch = input_dims->h * input_dims->w * input_dims->c;
    int8_t *out = output_data;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *input = input_data + b * input_batch;
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
                        const int32_t bias = bias_data != NULL ? bias_data[oc] : 0;
                        const int32_t acc = depthwise_acc(p, input_dims, input, filter_dims, filter_data, base_y,
                                                          base_x, c, oc, out_ch, bias);
                        *out++ = nn_requantize_to_s8(acc, quant_params->multiplier[oc], quant_params->shift[oc],
                                                     p->output_offset, p->activation.min, p->activation.max);
                    }
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

int32_t arm_depthwise_conv_s8_opt_get_buffer_size(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

/* Order: arm_depthwise_conv_s8's (the portable C path runs the generic kernel). */
arm_cmsis_nn_status arm_depthwise_conv_s8_opt(const cmsis_nn_context *ctx,
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
    if (input_dims->c != output_dims->c)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    if (ctx->buf == NULL && arm_depthwise_conv_s8_opt_get_buffer_size(input_dims, filter_dims) > 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    return arm_depthwise_conv_s8(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims,
                                 filter_data, bias_dims, bias_data, output_dims, output_data);
}
