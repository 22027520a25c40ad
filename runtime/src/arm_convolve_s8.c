/*
 * arm_convolve_s8: general int8 convolution through an im2col scratch of two
 * output pixels, as CMSIS-NN's portable C path computes it.
 */
#include "nn_support.h"

/* What the pixel loops need to know about one convolution. */
typedef struct
{
    int32_t input_x, input_y, input_ch;    /* input_x/y are the (possibly upscaled) sizes */
    int32_t stored_x;                      /* columns actually stored per input row */
    int32_t kernel_x, kernel_y, kernel_ch; /* kernel_ch: input channels of one group */
    int32_t stride_x, stride_y, pad_x, pad_y, dilation_x, dilation_y;
    int32_t x_rshift, y_rshift; /* 1 where the input is upscaled by 2 (zeros in between) */
    int32_t input_offset;
} conv_geometry;

/* im2col columns hold a multiple of 4 int16 values. */
static int32_t aligned_cols(int32_t cols)
{
    return (cols + 3) / 4 * 4;
}

int32_t arm_convolve_s8_get_buffer_size(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    const int32_t cols = filter_dims->w * filter_dims->h * input_dims->c;
    return 2 * aligned_cols(cols) * (int32_t)sizeof(int16_t);
}

/* Is input position (y, x) of the (upscaled) input a stored element? */
static int is_stored(const conv_geometry *g, int32_t y, int32_t x)
{
    if (y < 0 || y >= g->input_y || x < 0 || x >= g->input_x)
    {
        return 0;
    }
    return !((g->y_rshift && (y & 1)) || (g->x_rshift && (x & 1)));
}

/*
 * One im2col column: the receptive field of output pixel (out_y, out_x) over
 * the channels [ch0, ch0 + kernel_ch), each as int16 value + input_offset;
 * padding and inserted zeros give 0 (the real value 0).
 */
static void im2col_pixel(
    const conv_geometry *g, const int8_t *input, int32_t out_y, int32_t out_x, int32_t ch0, int16_t *col)
{
    const int32_t base_y = out_y * g->stride_y - g->pad_y;
    const int32_t base_x = out_x * g->stride_x - g->pad_x;
    for (int32_t ky = 0; ky < g->kernel_y; ky++)
    {
        const int32_t y = base_y + ky * g->dilation_y;
        for (int32_t kx = 0; kx < g->kernel_x; kx++)
        {
            const int32_t x = base_x + kx * g->dilation_x;
            if (is_stored(g, y, x))
            {
                const int8_t *src =
                    input + ((y >> g->y_rshift) * g->stored_x + (x >> g->x_rshift)) * g->input_ch + ch0;
                for (int32_t c = 0; c < g->kernel_ch; c++)
                {
                    col[c] = (int16_t)(src[c] + g->input_offset);
                }
            }
            else
            {
                for (int32_t c = 0; c < g->kernel_ch; c++)
                {
                    col[c] = 0;
                }
            }
            col += g->kernel_ch;
        }
    }
}

/* Output channel o of one column: bias + sum(col * weights), requantized and clamped. */
static int8_t conv_output(const int16_t *col,
                          const int8_t *weights,
                          int32_t cols,
                          int32_t bias,
                          int32_t multiplier,
                          int32_t shift,
                          const cmsis_nn_conv_params *params)
{
    int32_t acc = bias;
    for (int32_t k = 0; k < cols; k++)
    {
        acc += (int32_t)col[k] * weights[k];
    }
    return nn_requantize_to_s8(
        acc, multiplier, shift, params->output_offset, params->activation.min, params->activation.max);
}

/* Writes `channels` outputs of each of the `pixels` (1 or 2) columns; pixel p goes to out + p * pixel_stride. */
static void gemm_columns(const int16_t *cols,
                         int32_t pixels,
                         int32_t col_stride,
                         int32_t col_len,
                         const int8_t *filter,
                         const int32_t *bias,
                         const int32_t *mult,
                         const int32_t *shift,
                         int32_t channels,
                         const cmsis_nn_conv_params *params,
                         int8_t *out,
                         int32_t pixel_stride)
{
    for (int32_t o = 0; o < channels; o++)
    {
        const int32_t b = bias != NULL ? bias[o] : 0;
        for (int32_t p = 0; p < pixels; p++)
        {
            out[p * pixel_stride + o] =
                conv_output(cols + p * col_stride, filter + o * col_len, col_len, b, mult[o], shift[o], params);
        }
    }
}

/*
 * Order (one batch after the other, one group after the other): output
 * pixels in raster order, two at a time; both pixels' receptive fields are
 * copied into the scratch (int16, input offset added) before any output
 * channel of the pair is written; a last odd pixel is handled alone. With
 * one group, output pixel p is therefore written only after the receptive
 * fields of pixels 0..p (and p+1 when p is even) were read; with several
 * groups every group reads the whole input again.
 */
arm_cmsis_nn_status arm_convolve_s8(const cmsis_nn_context *ctx,
                                    const cmsis_nn_conv_params *conv_params,
                                    const cmsis_nn_per_channel_quant_params *quant_params,
                                    const cmsis_nn_dims *input_dims,
                                    const int8_t *input_data,
                                    const cmsis_nn_dims *filter_dims,
                                    const int8_t *filter_data,
                                    const cmsis_nn_dims *bias_dims,
                                    const int32_t *bias_data,
                                    const cmsis_nn_dims *upscale_dims,
                                    const cmsis_nn_dims *output_dims,
                                    int8_t *output_data)
{
    (void)bias_dims;
    if (ctx->buf == NULL || filter_dims->c <= 0 || input_dims->c < filter_dims->c)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int32_t groups = input_dims->c / filter_dims->c;
    if (input_dims->c % groups != 0 || output_dims->c % groups != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }

    conv_geometry g;
    g.input_x = input_dims->w;
    g.input_y = input_dims->h;
    g.input_ch = input_dims->c;
    g.kernel_x = filter_dims->w;
    g.kernel_y = filter_dims->h;
    g.kernel_ch = filter_dims->c;
    g.stride_x = conv_params->stride.w;
    g.stride_y = conv_params->stride.h;
    g.pad_x = conv_params->padding.w;
    g.pad_y = conv_params->padding.h;
    g.dilation_x = conv_params->dilation.w;
    g.dilation_y = conv_params->dilation.h;
    g.x_rshift = (upscale_dims != NULL && upscale_dims->w == 2) ? 1 : 0;
    g.y_rshift = (upscale_dims != NULL && upscale_dims->h == 2) ? 1 : 0;
    g.stored_x = g.input_x >> g.x_rshift;
    g.input_offset = conv_params->input_offset;

    const int32_t output_x = output_dims->w;
    const int32_t output_y = output_dims->h;
    const int32_t output_ch = output_dims->c;
    const int32_t channels = output_ch / groups;
    const int32_t col_len = g.kernel_x * g.kernel_y * g.kernel_ch;
    const int32_t col_stride = aligned_cols(col_len);
    const int32_t input_batch = g.stored_x * (g.input_y >> g.y_rshift) * g.input_ch;
    const int32_t output_batch = output_x * output_y * output_ch;
    int16_t *const cols = (int16_t *)ctx->buf;

    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *input = input_data + b * input_batch;
        for (int32_t grp = 0; grp < groups; grp++)
        {
            const int8_t *filter = filter_data + grp * channels * col_len;
            const int32_t *bias = bias_data != NULL ? bias_data + grp * channels : NULL;
            const int32_t *mult = quant_params->multiplier + grp * channels;
            const int32_t *shift = quant_params->shift + grp * channels;
            int8_t *out = output_data + b * output_batch + grp * channels;
            int32_t pending = 0;
            for (int32_t oy = 0; oy < output_y; oy++)
            {
                for (int32_t ox = 0; ox < output_x; ox++)
                {
                    im2col_pixel(&g, input, oy, ox, grp * g.kernel_ch, cols + pending * col_stride);
                    pending++;
                    if (pending == 2)
                    {
                        gemm_columns(cols, 2, col_stride, col_len, filter, bias, mult, shift, channels,
                                     conv_params, out, output_ch);
                        out += 2 * output_ch;
                        pending = 0;
                    }
                }
            }
            if (pending == 1)
            {
                gemm_columns(cols, 1, col_stride, col_len, filter, bias, mult, shift, channels, conv_params, out,
                             output_ch);
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
