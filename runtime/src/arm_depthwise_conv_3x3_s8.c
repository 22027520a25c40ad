/*
 * arm_depthwise_conv_3x3_s8: 3x3 depthwise convolution, channel multiplier
 * 1, horizontal padding at most 1, one batch, no dilation.
 */
#include "nn_support.h"

/* Which of the three filter columns fall inside the input for a window starting at column in_x. */
static void valid_columns(int32_t in_x, int32_t input_x, int valid[3])
{
    valid[0] = in_x >= 0;
    valid[1] = in_x + 1 < input_x;
    valid[2] = in_x + 2 < input_x;
}

/* Accumulates channels [c0, c0 + count) of one window into acc. */
static void window_acc(const int8_t *input,
                       const int8_t *filter,
                       int32_t input_x,
                       int32_t channels,
                       int32_t row_start,
                       int32_t row_end,
                       int32_t in_y,
                       int32_t in_x,
                       int32_t input_offset,
                       int32_t c0,
                       int32_t count,
                       int32_t *acc)
{
    int valid[3];
    valid_columns(in_x, input_x, valid);
    for (int32_t ky = row_start; ky < row_end; ky++)
    {
        for (int32_t kx = 0; kx < 3; kx++)
        {
            if (!valid[kx])
            {
                continue;
            }
            const int8_t *in = input + ((in_y + ky) * input_x + in_x + kx) * channels + c0;
            const int8_t *w = filter + (ky * 3 + kx) * channels + c0;
            for (int32_t i = 0; i < count; i++)
            {
                acc[i] += (in[i] + input_offset) * w[i];
            }
        }
    }
}

/*
 * Order: output pixels in raster order; within a pixel, channels four at a
 * time (then one at a time): each group's outputs are written right after
 * that group's channels of the receptive field are read. Output pixel p is
 * thus written only after the receptive fields of pixels 0..p-1 and, for its
 * lower channels, of pixel p were read.
 */
arm_cmsis_nn_status arm_depthwise_conv_3x3_s8(const cmsis_nn_context *ctx,
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
    const int32_t channels = input_dims->c;
    if (channels != output_dims->c)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    if (p->padding.w > 1 || filter_dims->w != 3 || filter_dims->h != 3)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    int8_t *out = output_data;
    for (int32_t oy = 0; oy < output_dims->h; oy++)
    {
        const int32_t in_y = oy * p->stride.h - p->padding.h;
        const int32_t row_start = NN_MAX(0, -in_y);
        const int32_t row_end = NN_MIN(3, input_dims->h - in_y);
        for (int32_t ox = 0; ox < output_dims->w; ox++)
        {
            const int32_t in_x = ox * p->stride.w - p->padding.w;
            int32_t c0 = 0;
            while (c0 < channels)
            {
                const int32_t count = channels - c0 >= 4 ? 4 : 1;
                int32_t acc[4] = {0, 0, 0, 0};
                for (int32_t i = 0; i < count; i++)
                {
                    acc[i] = bias_data != NULL ? bias_data[c0 + i] : 0;
                }
                window_acc(input_data, filter_data, input_dims->w, channels, row_start, row_end, in_y, in_x,
                           p->input_offset, c0, count, acc);
                for (int32_t i = 0; i < count; i++)
                {
                    *out++ = nn_requantize_to_s8(acc[i], quant_params->multiplier[c0 + i],
                                                 quant_params->shift[c0 + i], p->output_offset, p->activation.min,
                                                 p->activation.max);
                }
                c0 += count;
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
