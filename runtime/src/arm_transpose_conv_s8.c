/*
 * arm_transpose_conv_s8: int8 transposed convolution (TFLite TRANSPOSE_CONV),
 * with the results of CMSIS-NN's arm_transpose_conv_s8.
 *
 * Written as a gather: each output pixel sums the input pixels whose window
 * covers it, so no row buffer is needed. Order: output pixels in raster
 * order, every channel of a pixel written after reading the input rows
 * (y + padding.h - ky) / stride.h it depends on. CMSIS-NN instead scatters
 * input rows into a rolling int32 buffer and writes output rows behind them;
 * the compiler never lets this kernel's output overlap its input, so the two
 * orders need not agree. Sums wrap modulo 2^32 as the library's do
 * (unsigned arithmetic, so that the C is defined).
 */
#include "nn_support.h"

int32_t arm_transpose_conv_s8_get_buffer_size(const cmsis_nn_transpose_conv_params *transpose_conv_params,
                                              const cmsis_nn_dims *input_dims,
                                              const cmsis_nn_dims *filter_dims,
                                              const cmsis_nn_dims *out_dims)
{
    /* CMSIS-NN v7.0.0's row buffer for input channels up to REVERSE_TCOL_EFFICIENT_THRESHOLD (16) or strides
       above 2, and the size it reports for every shape: the generated code calls arm_transpose_conv_s8 itself */
    const int32_t row = ((input_dims->w - 1) * transpose_conv_params->stride.w +
                         NN_MAX(filter_dims->w, transpose_conv_params->stride.h)) * out_dims->c;
    const int32_t rows = NN_MAX(filter_dims->h, transpose_conv_params->stride.h);
    return row * rows * (int32_t)sizeof(int32_t);
}

/* The sum of output pixel (oy, ox), channel o, before the bias: over the taps whose input pixel exists. */
static uint32_t gather(const cmsis_nn_transpose_conv_params *p,
                       const cmsis_nn_dims *in,
                       const int8_t *input,
                       const cmsis_nn_dims *f,
                       const int8_t *filter,
                       int32_t oy,
                       int32_t ox,
                       int32_t o)
{
    uint32_t acc = 0;
    for (int32_t ky = 0; ky < f->h; ky++)
    {
        const int32_t ty = oy + p->padding.h - ky;
        if (ty < 0 || ty % p->stride.h != 0 || ty / p->stride.h >= in->h)
        {
            continue;
        }
        for (int32_t kx = 0; kx < f->w; kx++)
        {
            const int32_t tx = ox + p->padding.w - kx;
            if (tx < 0 || tx % p->stride.w != 0 || tx / p->stride.w >= in->w)
            {
                continue;
            }
            const int8_t *pixel = input + ((ty / p->stride.h) * in->w + tx / p->stride.w) * in->c;
            const int8_t *weights = filter + ((o * f->h + ky) * f->w + kx) * in->c;
            for (int32_t c = 0; c < in->c; c++)
            {
                acc += (uint32_t)((pixel[c] + p->input_offset) * weights[c]);
            }
        }
    }
    return acc;
}

arm_cmsis_nn_status arm_transpose_conv_s8(const cmsis_nn_context *ctx,
                                          const cmsis_nn_context *reverse_conv_ctx,
                                          const cmsis_nn_transpose_conv_params *transpose_conv_params,
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
    (void)reverse_conv_ctx;
    (void)bias_dims;
    const cmsis_nn_transpose_conv_params *p = transpose_conv_params;
    const int32_t in_batch = input_dims->h * input_dims->w * input_dims->c;
    int8_t *out = output_data;
    for (int32_t n = 0; n < input_dims->n; n++)
    {
        const int8_t *input = input_data + n * in_batch;
        for (int32_t oy = 0; oy < output_dims->h; oy++)
        {
            for (int32_t ox = 0; ox < output_dims->w; ox++)
            {
                for (int32_t o = 0; o < output_dims->c; o++)
                {
                    uint32_t acc = gather(p, input_dims, input, filter_dims, filter_data, oy, ox, o);
                    if (bias_data != NULL)
                    {
                        acc += (uint32_t)bias_data[o];
                    }
                    *out++ = nn_requantize_to_s8((int32_t)acc,
                                                 quant_params->multiplier[o],
                                                 quant_params->shift[o],
                                                 p->output_offset,
                                                 p->activation.min,
                                                 p->activation.max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
