/*
 * The s4 kernels: int8 activations, int4 weights packed two per byte (the
 * first value in the low nibble, the flat filter packed as one run, as
 * TFLite stores INT4 tensors: "four sequential weights [0x1, 0x2, 0x3, 0x4]
 * packed as [0x21, 0x43]", CMSIS-NN's arm_nnfunctions.h). Each computes what
 * its s8 counterpart computes on the unpacked weights: TFLite's int8
 * convolution, depthwise convolution and fully connected layer, per-channel
 * (per-tensor for the fully connected one) requantization.
 *
 * Written as direct loops (one output value at a time, its whole window read
 * first): the memory order is not CMSIS-NN's, and the compiler never lets an
 * s4 kernel's output overlap its input. The wrappers compute the same values
 * for every kernel they would pick; the scratch sizes are CMSIS-NN's.
 */
#include "nn_support.h"

/* Weight i of a packed int4 array, sign-extended. */
static int32_t s4_at(const int8_t *packed, int32_t i)
{
    const uint32_t byte = (uint32_t)(uint8_t)packed[i >> 1];
    const uint32_t nibble = (i & 1) != 0 ? byte >> 4 : byte & 0xFu;
    return (int32_t)(nibble ^ 8u) - 8;
}

/*
 * Convolution of an NHWC input [N, H, W, C] with an OHWI filter [C_OUT, KH,
 * KW, C]: padded positions contribute nothing (the input's zero point).
 */
static arm_cmsis_nn_status conv_s4(const cmsis_nn_conv_params *p,
                                   const cmsis_nn_per_channel_quant_params *q,
                                   const cmsis_nn_dims *in,
                                   const int8_t *input,
                                   const cmsis_nn_dims *f,
                                   const int8_t *filter,
                                   const int32_t *bias,
                                   const cmsis_nn_dims *out,
                                   int8_t *output)
{
    if (f->c != in->c)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t b = 0; b < in->n; b++)
    {
        for (int32_t oy = 0; oy < out->h; oy++)
        {
            for (int32_t ox = 0; ox < out->w; ox++)
            {
                for (int32_t oc = 0; oc < out->c; oc++)
                {
                    int32_t acc = bias != NULL ? bias[oc] : 0;
                    for (int32_t ky = 0; ky < f->h; ky++)
                    {
                        const int32_t y = oy * p->stride.h - p->padding.h + ky * p->dilation.h;
                        if (y < 0 || y >= in->h)
                        {
                            continue;
                        }
                        for (int32_t kx = 0; kx < f->w; kx++)
                        {
                            const int32_t x = ox * p->stride.w - p->padding.w + kx * p->dilation.w;
                            if (x < 0 || x >= in->w)
                            {
                                continue;
                            }
                            const int8_t *pixel = input + ((b * in->h + y) * in->w + x) * in->c;
                            const int32_t tap = ((oc * f->h + ky) * f->w + kx) * f->c;
                            for (int32_t c = 0; c < in->c; c++)
                            {
                                acc += (pixel[c] + p->input_offset) * s4_at(filter, tap + c);
                            }
                        }
                    }
                    output[((b * out->h + oy) * out->w + ox) * out->c + oc] = nn_requantize_to_s8(
                        acc, q->multiplier[oc], q->shift[oc], p->output_offset, p->activation.min, p->activation.max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_convolve_wrapper_s4(const cmsis_nn_context *ctx,
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
    (void)bias_dims;
    return conv_s4(conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                   output_dims, output_data);
}

arm_cmsis_nn_status arm_convolve_s4(const cmsis_nn_context *ctx,
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
    if (ctx == NULL || ctx->buf == NULL)
    {
        return ARM_CMSIS_NN_ARG_ERROR; /* CMSIS-NN's im2col needs its buffer */
    }
    return arm_convolve_wrapper_s4(ctx, conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                                   bias_dims, bias_data, output_dims, output_data);
}

int32_t arm_convolve_s4_get_buffer_size(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    return 2 * filter_dims->w * filter_dims->h * input_dims->c * (int32_t)sizeof(int16_t);
}

/* No buffer for 1x1 filters without padding or dilation (arm_convolve_1x1_s4[_fast]), else arm_convolve_s4's. */
int32_t arm_convolve_wrapper_s4_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                const cmsis_nn_dims *input_dims,
                                                const cmsis_nn_dims *filter_dims,
                                                const cmsis_nn_dims *output_dims)
{
    (void)output_dims;
    if (conv_params->padding.w == 0 && conv_params->padding.h == 0 && filter_dims->w == 1 && filter_dims->h == 1 &&
        conv_params->dilation.w == 1 && conv_params->dilation.h == 1)
    {
        return 0;
    }
    return arm_convolve_s4_get_buffer_size(input_dims, filter_dims);
}

int32_t arm_convolve_wrapper_s4_get_buffer_size_dsp(const cmsis_nn_conv_params *conv_params,
                                                    const cmsis_nn_dims *input_dims,
                                                    const cmsis_nn_dims *filter_dims,
                                                    const cmsis_nn_dims *output_dims)
{
    return arm_convolve_wrapper_s4_get_buffer_size(conv_params, input_dims, filter_dims, output_dims);
}

/* CMSIS-NN v7.0.0 answers the s8 wrapper's MVE size here. */
int32_t arm_convolve_wrapper_s4_get_buffer_size_mve(const cmsis_nn_conv_params *conv_params,
                                                    const cmsis_nn_dims *input_dims,
                                                    const cmsis_nn_dims *filter_dims,
                                                    const cmsis_nn_dims *output_dims)
{
    return arm_convolve_wrapper_s8_get_buffer_size_mve(conv_params, input_dims, filter_dims, output_dims);
}

/* Depthwise: output channel oc reads input channel oc / ch_mult; the filter is 1HWC [1, KH, KW, C_OUT]; batch 1. */
arm_cmsis_nn_status arm_depthwise_conv_s4(const cmsis_nn_context *ctx,
                                          const cmsis_nn_dw_conv_params *p,
                                          const cmsis_nn_per_channel_quant_params *q,
                                          const cmsis_nn_dims *in,
                                          const int8_t *input,
                                          const cmsis_nn_dims *f,
                                          const int8_t *filter,
                                          const cmsis_nn_dims *bias_dims,
                                          const int32_t *bias,
                                          const cmsis_nn_dims *out,
                                          int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    if (out->c != in->c * p->ch_mult)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t oy = 0; oy < out->h; oy++)
    {
        for (int32_t ox = 0; ox < out->w; ox++)
        {
            for (int32_t oc = 0; oc < out->c; oc++)
            {
                const int32_t ic = oc / p->ch_mult;
                int32_t acc = bias != NULL ? bias[oc] : 0;
                for (int32_t ky = 0; ky < f->h; ky++)
                {
                    const int32_t y = oy * p->stride.h - p->padding.h + ky * p->dilation.h;
                    if (y < 0 || y >= in->h)
                    {
                        continue;
                    }
                    for (int32_t kx = 0; kx < f->w; kx++)
                    {
                        const int32_t x = ox * p->stride.w - p->padding.w + kx * p->dilation.w;
                        if (x < 0 || x >= in->w)
                        {
                            continue;
                        }
                        acc += (input[(y * in->w + x) * in->c + ic] + p->input_offset) *
                               s4_at(filter, (ky * f->w + kx) * out->c + oc);
                    }
                }
                output[(oy * out->w + ox) * out->c + oc] = nn_requantize_to_s8(
                    acc, q->multiplier[oc], q->shift[oc], p->output_offset, p->activation.min, p->activation.max);
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s4(const cmsis_nn_context *ctx,
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
    return arm_depthwise_conv_s4(ctx, dw_conv_params, quant_params, input_dims, input_data, filter_dims, filter_data,
                                 bias_dims, bias_data, output_dims, output_data);
}

/* Multiplier 1, one batch, no dilation (arm_depthwise_conv_s4_opt): the s8 opt kernel's DSP size on C and DSP builds
   alike (arm_depthwise_conv_get_buffer_sizes_s4.c), else none. */
int32_t arm_depthwise_conv_wrapper_s4_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                      const cmsis_nn_dims *input_dims,
                                                      const cmsis_nn_dims *filter_dims,
                                                      const cmsis_nn_dims *output_dims)
{
    if (input_dims->c == output_dims->c && input_dims->n == 1 && dw_conv_params->dilation.w == 1 &&
        dw_conv_params->dilation.h == 1)
    {
        return input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
    }
    return 0;
}

int32_t arm_depthwise_conv_wrapper_s4_get_buffer_size_dsp(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                          const cmsis_nn_dims *input_dims,
                                                          const cmsis_nn_dims *filter_dims,
                                                          const cmsis_nn_dims *output_dims)
{
    return arm_depthwise_conv_wrapper_s4_get_buffer_size(dw_conv_params, input_dims, filter_dims, output_dims);
}

/* The s8 opt kernel's MVE size: four columns of 124-channel blocks. */
int32_t arm_depthwise_conv_wrapper_s4_get_buffer_size_mve(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                          const cmsis_nn_dims *input_dims,
                                                          const cmsis_nn_dims *filter_dims,
                                                          const cmsis_nn_dims *output_dims)
{
    if (input_dims->c == output_dims->c && input_dims->n == 1 && dw_conv_params->dilation.w == 1 &&
        dw_conv_params->dilation.h == 1)
    {
        return 4 * 124 * filter_dims->w * filter_dims->h;
    }
    return 0;
}

/* Per batch, per output row r: bias[r] + sum_k (input[k] + input_offset) * W[r][k] (filter_offset not used). */
arm_cmsis_nn_status arm_fully_connected_s4(const cmsis_nn_context *ctx,
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
    const int32_t depth = filter_dims->n;
    const int32_t rows = output_dims->c;
    for (int32_t b = 0; b < input_dims->n; b++)
    {
        const int8_t *input = input_data + b * depth;
        for (int32_t r = 0; r < rows; r++)
        {
            int32_t acc = bias_data != NULL ? bias_data[r] : 0;
            for (int32_t k = 0; k < depth; k++)
            {
                acc += (input[k] + fc_params->input_offset) * s4_at(filter_data, r * depth + k);
            }
            output_data[b * rows + r] =
                nn_requantize_to_s8(acc, quant_params->multiplier, quant_params->shift, fc_params->output_offset,
                                    fc_params->activation.min, fc_params->activation.max);
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
