/*
 * Data movement without arithmetic: constant padding and concatenation.
 */
#include "nn_support.h"

/* count copies of value from dst on; returns the end. */
static int8_t *fill(int8_t *dst, int8_t value, int32_t count)
{
    for (int32_t i = 0; i < count; i++)
    {
        dst[i] = value;
    }
    return dst + count;
}

/* Copies count bytes forward (first byte first); returns the end of dst. */
static int8_t *copy_forward(int8_t *dst, const int8_t *src, int32_t count)
{
    for (int32_t i = 0; i < count; i++)
    {
        dst[i] = src[i];
    }
    return dst + count;
}

/*
 * Order: the output is written once, front to back; each input row is read
 * (front to back) just before the output bytes it lands in are written.
 * Every output byte lies at or after the position of the input byte written
 * with it, so the output must not start after the input; CMSIS-NN copies
 * with memcpy, so treat any overlap as unsupported.
 */
arm_cmsis_nn_status arm_pad_s8(const int8_t *input,
                               int8_t *output,
                               const int8_t pad_value,
                               const cmsis_nn_dims *input_size,
                               const cmsis_nn_dims *pre_pad,
                               const cmsis_nn_dims *post_pad)
{
    const int32_t out_h = pre_pad->h + input_size->h + post_pad->h;
    const int32_t out_w = pre_pad->w + input_size->w + post_pad->w;
    const int32_t out_c = pre_pad->c + input_size->c + post_pad->c;
    const int32_t batch_size = out_h * out_w * out_c;
    const int32_t row_size = out_w * out_c;
    output = fill(output, pad_value, batch_size * pre_pad->n);
    for (int32_t b = 0; b < input_size->n; b++)
    {
        output = fill(output, pad_value, row_size * pre_pad->h);
        for (int32_t y = 0; y < input_size->h; y++)
        {
            output = fill(output, pad_value, out_c * pre_pad->w);
            if (input_size->c == out_c)
            {
                output = copy_forward(output, input, input_size->w * input_size->c);
                input += input_size->w * input_size->c;
            }
            else
            {
                for (int32_t x = 0; x < input_size->w; x++)
                {
                    output = fill(output, pad_value, pre_pad->c);
                    output = copy_forward(output, input, input_size->c);
                    input += input_size->c;
                    output = fill(output, pad_value, post_pad->c);
                }
            }
            output = fill(output, pad_value, out_c * post_pad->w);
        }
        output = fill(output, pad_value, row_size * post_pad->h);
    }
    fill(output, pad_value, batch_size * post_pad->n);
    return ARM_CMSIS_NN_SUCCESS;
}

/*
 * The concatenations copy blocks of the input, front to back, into the
 * output at a stride; CMSIS-NN documents that the output must not overlap
 * the input.
 */
static void copy_blocks(const int8_t *input, int32_t blocks, int32_t block_size, int8_t *output, int32_t stride)
{
    for (int32_t i = 0; i < blocks; i++)
    {
        copy_forward(output + i * stride, input + i * block_size, block_size);
    }
}

/* Order: one row of input_x bytes at a time, front to back, each to its strided place in the output. */
void arm_concatenation_s8_x(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_x,
                            const uint32_t offset_x)
{
    copy_blocks(input, input_y * input_z * input_w, input_x, output + offset_x, output_x);
}

/* Order: one block of input_x * input_y bytes at a time, front to back, each to its strided place. */
void arm_concatenation_s8_y(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_y,
                            const uint32_t offset_y)
{
    copy_blocks(input, input_z * input_w, input_x * input_y, output + offset_y * input_x, input_x * output_y);
}

/* Order: one block of input_x * input_y * input_z bytes at a time, front to back, each to its place. */
void arm_concatenation_s8_z(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint16_t output_z,
                            const uint32_t offset_z)
{
    copy_blocks(input, input_w, input_x * input_y * input_z, output + offset_z * input_x * input_y,
                input_x * input_y * output_z);
}

/* Order: the whole input in one forward copy. */
void arm_concatenation_s8_w(const int8_t *input,
                            const uint16_t input_x,
                            const uint16_t input_y,
                            const uint16_t input_z,
                            const uint16_t input_w,
                            int8_t *output,
                            const uint32_t offset_w)
{
    const int32_t size = input_x * input_y * input_z;
    copy_blocks(input, 1, size * input_w, output + offset_w * (uint32_t)size, 0);
}
