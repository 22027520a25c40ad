/*
 * arm_convolve_wrapper_s8 and the 1xN convolution: CMSIS-NN's choice of
 * convolution kernel, and the scratch each build of CMSIS-NN asks for.
 */
#include "nn_support.h"

/* Handled by the 1x1 kernels: 1x1 filter, no padding, no dilation, one group. */
static int is_convolve_1x1(const cmsis_nn_conv_params *conv_params,
                           const cmsis_nn_dims *input_dims,
                           const cmsis_nn_dims *filter_dims)
{
    return conv_params->padding.w == 0 && conv_params->padding.h == 0 && filter_dims->w == 1 &&
           filter_dims->h == 1 && conv_params->dilation.w == 1 && conv_params->dilation.h == 1 &&
           input_dims->c == filter_dims->c;
}

static int is_convolve_1x1_fast(const cmsis_nn_conv_params *conv_params)
{
    return conv_params->stride.w == 1 && conv_params->stride.h == 1;
}

/* Handled by arm_convolve_1_x_n_s8: one input row, 1xN filter, no dilation along x, one group. */
static int is_convolve_1_x_n(const cmsis_nn_conv_params *conv_params,
                             const cmsis_nn_dims *input_dims,
                             const cmsis_nn_dims *filter_dims)
{
    return input_dims->h == 1 && conv_params->dilation.w == 1 && filter_dims->h == 1 &&
           ((int64_t)conv_params->stride.w * input_dims->c) % 4 == 0 && input_dims->c == filter_dims->c;
}

/* Order: that of the kernel it picks (arm_convolve_1x1_s8_fast, arm_convolve_1x1_s8 or arm_convolve_s8). */
arm_cmsis_nn_status arm_convolve_wrapper_s8(const cmsis_nn_context *ctx,
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
    if (is_convolve_1x1(conv_params, input_dims, filter_dims))
    {
        if (is_convolve_1x1_fast(conv_params))
        {
            return arm_convolve_1x1_s8_fast(ctx, conv_params, quant_params, input_dims, input_data, filter_dims,
                                            filter_data, bias_dims, bias_data, output_dims, output_data);
        }
        return arm_convolve_1x1_s8(ctx, conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                                   bias_dims, bias_data, output_dims, output_data);
    }
    if (is_convolve_1_x_n(conv_params, input_dims, filter_dims))
    {
        return arm_convolve_1_x_n_s8(ctx, conv_params, quant_params, input_dims, input_data, filter_dims,
                                     filter_data, bias_dims, bias_data, output_dims, output_data);
    }
    return arm_convolve_s8(ctx, conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                           bias_dims, bias_data, NULL, output_dims, output_data);
}

/* Order: arm_convolve_s8's (the portable C path has no 1xN kernel of its own). */
arm_cmsis_nn_status arm_convolve_1_x_n_s8(const cmsis_nn_context *ctx,
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
    if (input_dims->h != 1 || conv_params->dilation.w != 1 || ctx->buf == NULL || conv_params->stride.w == 0 ||
        ((int64_t)conv_params->stride.w * input_dims->c) % 4 != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    return arm_convolve_s8(ctx, conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                           bias_dims, bias_data, NULL, output_dims, output_data);
}

int32_t arm_convolve_1_x_n_s8_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                              const cmsis_nn_dims *input_dims,
                                              const cmsis_nn_dims *filter_dims,
                                              const cmsis_nn_dims *output_dims)
{
    (void)conv_params;
    (void)output_dims;
    return arm_convolve_s8_get_buffer_size(input_dims, filter_dims);
}

int32_t arm_convolve_wrapper_s8_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                const cmsis_nn_dims *input_dims,
                                                const cmsis_nn_dims *filter_dims,
                                                const cmsis_nn_dims *output_dims)
{
    if (is_convolve_1x1(conv_params, input_dims, filter_dims))
    {
        return is_convolve_1x1_fast(conv_params) ? arm_convolve_1x1_s8_fast_get_buffer_size(input_dims) : 0;
    }
    if (is_convolve_1_x_n(conv_params, input_dims, filter_dims))
    {
        return arm_convolve_1_x_n_s8_get_buffer_size(conv_params, input_dims, filter_dims, output_dims);
    }
    return arm_convolve_s8_get_buffer_size(input_dims, filter_dims);
}

/* The DSP build needs what the portable one needs (1x1 fast: none when CMSIS-NN is built with gcc). */
int32_t arm_convolve_wrapper_s8_get_buffer_size_dsp(const cmsis_nn_conv_params *conv_params,
                                                    const cmsis_nn_dims *input_dims,
                                                    const cmsis_nn_dims *filter_dims,
                                                    const cmsis_nn_dims *output_dims)
{
    return arm_convolve_wrapper_s8_get_buffer_size(conv_params, input_dims, filter_dims, output_dims);
}

/* Helium arm_convolve_s8: four int8 im2col columns, each rounded up to 16 bytes. */
static int32_t convolve_s8_buffer_size_mve(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    const int32_t col_length = input_dims->c * filter_dims->w * filter_dims->h;
    return 4 * ((col_length + 15) / 16) * 16;
}

/* Helium arm_convolve_1_x_n_s8: the padded left or right window, whichever is larger. */
static int32_t convolve_1_x_n_buffer_size_mve(const cmsis_nn_conv_params *conv_params,
                                              const cmsis_nn_dims *input_dims,
                                              const cmsis_nn_dims *filter_dims,
                                              const cmsis_nn_dims *output_dims)
{
    const int32_t pad_x = conv_params->padding.w;
    const int32_t stride_x = conv_params->stride.w;
    const int32_t channels = input_dims->c;
    const int32_t total_pad = (output_dims->w - 1) * stride_x + filter_dims->w - input_dims->w;
    const int32_t asym_pad = total_pad % 2;
    const int32_t right_pads = pad_x + asym_pad != 0 ? NN_MAX(1, (pad_x + asym_pad + stride_x - 1) / stride_x) : 0;
    const int32_t left_pads = pad_x != 0 ? NN_MAX(1, (pad_x + stride_x - 1) / stride_x) : 0;
    const int32_t unpadded = NN_MAX(output_dims->w - (right_pads + left_pads), 0);
    if (right_pads + unpadded + left_pads != output_dims->w)
    {
        return convolve_s8_buffer_size_mve(input_dims, filter_dims);
    }
    const int32_t pad_size_left = pad_x * channels;
    const int32_t pad_size_right = asym_pad ? right_pads * channels : pad_size_left;
    const int32_t elements_left = filter_dims->w * channels;
    const int32_t elements_right = elements_left - channels;
    return NN_MAX(elements_left + pad_size_left, elements_right + pad_size_right);
}

int32_t arm_convolve_wrapper_s8_get_buffer_size_mve(const cmsis_nn_conv_params *conv_params,
                                                    const cmsis_nn_dims *input_dims,
                                                    const cmsis_nn_dims *filter_dims,
                                                    const cmsis_nn_dims *output_dims)
{
    if (is_convolve_1x1(conv_params, input_dims, filter_dims))
    {
        return 0;
    }
    if (is_convolve_1_x_n(conv_params, input_dims, filter_dims))
    {
        return convolve_1_x_n_buffer_size_mve(conv_params, input_dims, filter_dims, output_dims);
    }
    return convolve_s8_buffer_size_mve(input_dims, filter_dims);
}
