/*
 * int8 and int16 max and average pooling (NHWC); padded positions are left
 * out of the window, as in CMSIS-NN's portable C path. arm_max_pool_s16 and
 * arm_avgpool_s16 are the same loops on int16 elements: each is written once,
 * as a macro, and instantiated for both types.
 */
#include "nn_support.h"

/* The rows or columns [*start, *end) of a window at base that lie inside [0, size). */
static void window_range(int32_t base, int32_t kernel, int32_t size, int32_t *start, int32_t *end)
{
    *start = NN_MAX(0, -base);
    *end = NN_MIN(kernel, size - base);
}

/* The mean of count values summing to sum, rounded half away from zero. */
static int32_t rounded_mean(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

/*
 * arm_max_pool_s8 and arm_max_pool_s16. Order: batch by batch, output pixels in raster order. The output pixel is
 * the accumulator: the first valid input pixel of its window is copied into
 * it, then each further window pixel is read and compared channel by channel.
 * Once the whole batch is done, its outputs are clamped in place. CMSIS-NN
 * documents that the output must not overlap the input.
 */
#define NN_MAX_POOL(SUFFIX, TYPE)                                                                                    \
arm_cmsis_nn_status arm_max_pool_##SUFFIX(const cmsis_nn_context *ctx,                                               \
                                    const cmsis_nn_pool_params *pool_params,                                         \
                                    const cmsis_nn_dims *input_dims,                                                 \
                                    const TYPE *input_data,                                                          \
                                    const cmsis_nn_dims *filter_dims,                                                \
                                    const cmsis_nn_dims *output_dims,                                                \
                                    TYPE *output_data)                                                               \
{                                                                                                                    \
    (void)ctx;                                                                                                       \
    const int32_t channels = input_dims->c;                                                                          \
    const int32_t input_batch = input_dims->h * input_dims->w * channels;                                            \
    const int32_t output_batch = output_dims->h * output_dims->w * channels;                                         \
    const TYPE *src = input_data;                                                                                    \
    TYPE *dst = output_data;                                                                                         \
    for (int32_t b = 0; b < input_dims->n; b++)                                                                      \
    {                                                                                                                \
        TYPE *dst_base = dst;                                                                                        \
        for (int32_t oy = 0; oy < output_dims->h; oy++)                                                              \
        {                                                                                                            \
            const int32_t base_y = oy * pool_params->stride.h - pool_params->padding.h;                              \
            int32_t y0, y1;                                                                                          \
            window_range(base_y, filter_dims->h, input_dims->h, &y0, &y1);                                           \
            for (int32_t ox = 0; ox < output_dims->w; ox++)                                                          \
            {                                                                                                        \
                const int32_t base_x = ox * pool_params->stride.w - pool_params->padding.w;                          \
                int32_t x0, x1;                                                                                      \
                window_range(base_x, filter_dims->w, input_dims->w, &x0, &x1);                                       \
                int first = 1;                                                                                       \
                for (int32_t ky = y0; ky < y1; ky++)                                                                 \
                {                                                                                                    \
                    for (int32_t kx = x0; kx < x1; kx++)                                                             \
                    {                                                                                                \
                        const TYPE *in = src + ((base_y + ky) * input_dims->w + base_x + kx) * channels;             \
                        for (int32_t c = 0; c < channels; c++)                                                       \
                        {                                                                                            \
                            if (first || in[c] > dst[c])                                                             \
                            {                                                                                        \
                                dst[c] = in[c];                                                                      \
                            }                                                                                        \
                        }                                                                                            \
                        first = 0;                                                                                   \
                    }                                                                                                \
                }                                                                                                    \
                dst += channels;                                                                                     \
            }                                                                                                        \
        }                                                                                                            \
        for (int32_t i = 0; i < output_batch; i++)                                                                   \
        {                                                                                                            \
            int32_t value = dst_base[i];                                                                             \
            value = NN_MAX(value, pool_params->activation.min);                                                      \
            value = NN_MIN(value, pool_params->activation.max);                                                      \
            dst_base[i] = (TYPE)value;                                                                               \
        }                                                                                                            \
        src += input_batch;                                                                                          \
    }                                                                                                                \
    return ARM_CMSIS_NN_SUCCESS;                                                                                     \
}

/*
 * arm_avgpool_s8 and arm_avgpool_s16. Order: batch by batch, output pixels in raster order, channel by channel:
 * output element (pixel, c) is written right after reading channel c of its
 * window. Returns ARM_CMSIS_NN_ARG_ERROR (output partly written) when a
 * window holds no input element.
 */
#define NN_AVGPOOL(SUFFIX, TYPE)                                                                                     \
arm_cmsis_nn_status arm_avgpool_##SUFFIX(const cmsis_nn_context *ctx,                                                \
                                   const cmsis_nn_pool_params *pool_params,                                          \
                                   const cmsis_nn_dims *input_dims,                                                  \
                                   const TYPE *input_data,                                                           \
                                   const cmsis_nn_dims *filter_dims,                                                 \
                                   const cmsis_nn_dims *output_dims,                                                 \
                                   TYPE *output_data)                                                                \
{                                                                                                                    \
    (void)ctx;                                                                                                       \
    const int32_t channels = input_dims->c;                                                                          \
    const int32_t input_batch = input_dims->h * input_dims->w * channels;                                            \
    const int32_t output_batch = output_dims->h * output_dims->w * channels;                                         \
    for (int32_t b = 0; b < input_dims->n; b++)                                                                      \
    {                                                                                                                \
        const TYPE *src = input_data + b * input_batch;                                                              \
        TYPE *dst = output_data + b * output_batch;                                                                  \
        for (int32_t oy = 0; oy < output_dims->h; oy++)                                                              \
        {                                                                                                            \
            const int32_t base_y = oy * pool_params->stride.h - pool_params->padding.h;                              \
            int32_t y0, y1;                                                                                          \
            window_range(base_y, filter_dims->h, input_dims->h, &y0, &y1);                                           \
            for (int32_t ox = 0; ox < output_dims->w; ox++)                                                          \
            {                                                                                                        \
                const int32_t base_x = ox * pool_params->stride.w - pool_params->padding.w;                          \
                int32_t x0, x1;                                                                                      \
                window_range(base_x, filter_dims->w, input_dims->w, &x0, &x1);                                       \
                for (int32_t c = 0; c < channels; c++)                                                               \
                {                                                                                                    \
                    int32_t sum = 0;                                                                                 \
                    int32_t count = 0;                                                                               \
                    for (int32_t ky = y0; ky < y1; ky++)                                                             \
                    {                                                                                                \
                        for (int32_t kx = x0; kx < x1; kx++)                                                         \
                        {                                                                                            \
                            sum += src[((base_y + ky) * input_dims->w + base_x + kx) * channels + c];                \
                            count++;                                                                                 \
                        }                                                                                            \
                    }                                                                                                \
                    if (count == 0)                                                                                  \
                    {                                                                                                \
                        return ARM_CMSIS_NN_ARG_ERROR;                                                               \
                    }                                                                                                \
                    int32_t value = rounded_mean(sum, count);                                                        \
                    value = NN_MAX(value, pool_params->activation.min);                                              \
                    value = NN_MIN(value, pool_params->activation.max);                                              \
                    dst[(oy * output_dims->w + ox) * channels + c] = (TYPE)value;                                    \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
    }                                                                                                                \
    return ARM_CMSIS_NN_SUCCESS;                                                                                     \
}

NN_MAX_POOL(s8, int8_t)
NN_MAX_POOL(s16, int16_t)
NN_AVGPOOL(s8, int8_t)
NN_AVGPOOL(s16, int16_t)

int32_t arm_avgpool_s8_get_buffer_size(const int dim_dst_width, const int ch_src)
{
    (void)dim_dst_width;
    (void)ch_src;
    return 0;
}

/* DSP: one int32 sum per channel. */
int32_t arm_avgpool_s8_get_buffer_size_dsp(const int dim_dst_width, const int ch_src)
{
    (void)dim_dst_width;
    return ch_src * (int32_t)sizeof(int32_t);
}

int32_t arm_avgpool_s8_get_buffer_size_mve(const int dim_dst_width, const int ch_src)
{
    (void)dim_dst_width;
    (void)ch_src;
    return 0;
}

int32_t arm_avgpool_s16_get_buffer_size(const int dim_dst_width, const int ch_src)
{
    return arm_avgpool_s8_get_buffer_size(dim_dst_width, ch_src);
}

/* DSP: one int32 sum per channel. */
int32_t arm_avgpool_s16_get_buffer_size_dsp(const int dim_dst_width, const int ch_src)
{
    return arm_avgpool_s8_get_buffer_size_dsp(dim_dst_width, ch_src);
}

int32_t arm_avgpool_s16_get_buffer_size_mve(const int dim_dst_width, const int ch_src)
{
    return arm_avgpool_s8_get_buffer_size_mve(dim_dst_width, ch_src);
}
