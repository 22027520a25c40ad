/*
 * int16 convolution (TFLite's 16x8 scheme): arm_convolve_wrapper_s16 and
 * arm_convolve_s16, as CMSIS-NN's portable C path computes them.
 */
#include <string.h>

#include "nn_support.h"

int32_t arm_convolve_s16_get_buffer_size(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    return 2 * input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
}

int32_t arm_convolve_wrapper_s16_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                 const cmsis_nn_dims *input_dims,
                                                 const cmsis_nn_dims *filter_dims,
                                                 const cmsis_nn_dims *output_dims)
{
    (void)conv_params;
    (void)output_dims;
    return arm_convolve_s16_get_buffer_size(input_dims, filter_dims);
}

int32_t arm_convolve_wrapper_s16_get_buffer_size_dsp(const cmsis_nn_conv_params *conv_params,
                                                     const cmsis_nn_dims *input_dims,
                                                     const cmsis_nn_dims *filter_dims,
                                                     const cmsis_nn_dims *output_dims)
{
    return arm_convolve_wrapper_s16_get_buffer_size(conv_params, input_dims, filter_dims, output_dims);
}

/* Four im2col columns of whole 8-lane int16 registers (arm_nn_mat_mult_nt_t_s16). */
int32_t arm_convolve_wrapper_s16_get_buffer_size_mve(const cmsis_nn_conv_params *conv_params,
                                                     const cmsis_nn_dims *input_dims,
                                                     const cmsis_nn_dims *filter_dims,
                                                     const cmsis_nn_dims *output_dims)
{
    (void)conv_params;
    (void)output_dims;
    const int32_t columns = (input_dims->c * filter_dims->w * filter_dims->h + 7) / 8;
    return 4 * columns * 8 * (int32_t)sizeof(int16_t);
}

/* The outputs of `pixels` im2col columns (each `cols` int16 values) for every output channel. */
static int16_t *conv_s16_columns(const int16_t *columns,
                                 int32_t pixels,
                                 int32_t cols,
                                 const int8_t *filter,
                                 const cmsis_nn_bias_data *bias_data,
                                 const cmsis_nn_per_channel_quant_params *quant,
                                 int32_t out_ch,
                                 const cmsis_nn_activation *act,
                                 int16_t *out)
{
    for (int32_t p = 0; p < pixels; p++)
    {
        const int16_t *column = columns + p * cols;
        for (int32_t o = 0; o < out_ch; o++)
        {
            const int8_t *weights = filter + o * cols;
            int64_t acc = 0;
            for (int32_t k = 0; k < cols; k++)
            {
                acc += (int32_t)column[k] * weights[k];
            }
            if (bias_data != NULL && bias_data->is_int32_bias)
            {
                int32_t value = (int32_t)acc;
                if (bias_data->data != NULL)
                {
                    value += ((const int32_t *)bias_data->data)[o];
                }
                value = cmsis_opt_multiply_by_quantized_multiplier(value, quant->multiplier[o], quant->shift[o]);
                *out++ = (int16_t)NN_MIN(NN_MAX(value, act->min), act->max);
                continue;
            }
            if (bias_data != NULL && bias_data->data != NULL)
            {
                acc += ((const int64_t *)bias_data->data)[o];
            }
            *out++ = nn_requantize_s64_to_s16(acc, quant->multiplier[o], quant->shift[o], act->min, act->max);
        }
    }
    return out;
}

/*
 * Order: output pixels in raster order, two at a time: the receptive fields
 * of both pixels are copied into ctx->buf (padding as zeros), then both
 * pixels' outputs are written, every channel; an odd last pixel alone. Output
 * pixel p is thus written only after the receptive fields of pixels 0..p and
 * (when p is the first of its pair) p + 1 were read. Sums are int64, as
 * TFLite Micro's reference kernel keeps them (CMSIS-NN sums the products in
 * int32 before adding the int64 bias: the same while they fit int32); an
 * int32 bias (is_int32_bias) is requantized in 32 bits, as CMSIS-NN does.
 */
arm_cmsis_nn_status arm_convolve_s16(const cmsis_nn_context *ctx,
                                     const cmsis_nn_conv_params *conv_params,
                                     const cmsis_nn_per_channel_quant_params *quant_params,
                                     const cmsis_nn_dims *input_dims,
                                     const int16_t *input_data,
                                     const cmsis_nn_dims *filter_dims,
                                     const int8_t *filter_data,
                                     const cmsis_nn_dims *bias_dims,
                                     const cmsis_nn_bias_data *bias_data,
                                     const cmsis_nn_dims *output_dims,
                                     int16_t *output_data)
{
    (void)bias_dims;
    if (ctx->buf == NULL)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const cmsis_nn_conv_params *p = conv_params;
    const int32_t in_c = input_dims->c;
    const int32_t cols = in_c * filter_dims->h * filter_dims->w;
    int16_t *columns = (int16_t *)ctx->buf;
    int16_t *out = output_data;
    int32_t pending = 0;
    for (int32_t oy = 0; oy < output_dims->h; oy++)
    {
        for (int32_t ox = 0; ox < output_dims->w; ox++)
        {
            int16_t *column = columns + pending * cols;
            for (int32_t ky = 0; ky < filter_dims->h; ky++)
            {
                const int32_t y = oy * p->stride.h - p->padding.h + ky * p->dilation.h;
                for (int32_t kx = 0; kx < filter_dims->w; kx++)
                {
                    const int32_t x = ox * p->stride.w - p->padding.w + kx * p->dilation.w;
                    int16_t *dst = column + (ky * filter_dims->w + kx) * in_c;
                    if (y < 0 || y >= input_dims->h || x < 0 || x >= input_dims->w)
                    {
                        memset(dst, 0, (size_t)in_c * sizeof(int16_t));
                    }
                    else
                    {
                        memcpy(dst, input_data + (y * input_dims->w + x) * in_c, (size_t)in_c * sizeof(int16_t));
                    }
                }
            }
            pending++;
            if (pending == 2)
            {
                out = conv_s16_columns(columns, 2, cols, filter_data, bias_data, quant_params, output_dims->c,
                                       &p->activation, out);
                pending = 0;
            }
        }
    }
    if (pending != 0)
    {
        (void)conv_s16_columns(columns, pending, cols, filter_data, bias_data, quant_params, output_dims->c,
                               &p->activation, out);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

/* Order: arm_convolve_s16's. */
arm_cmsis_nn_status arm_convolve_wrapper_s16(const cmsis_nn_context *ctx,
                                             const cmsis_nn_conv_params *conv_params,
                                             const cmsis_nn_per_channel_quant_params *quant_params,
                                             const cmsis_nn_dims *input_dims,
                                             const int16_t *input_data,
                                             const cmsis_nn_dims *filter_dims,
                                             const int8_t *filter_data,
                                             const cmsis_nn_dims *bias_dims,
                                             const cmsis_nn_bias_data *bias_data,
                                             const cmsis_nn_dims *output_dims,
                                             int16_t *output_data)
{
    return arm_convolve_s16(ctx, conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                            bias_dims, bias_data, output_dims, output_data);
}
