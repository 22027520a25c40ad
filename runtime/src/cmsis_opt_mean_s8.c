/*
 * cmsis_opt_mean_s8: the mean over H and W of an int8 NHWC tensor with
 * requantization, as TensorFlow Lite's int8 MEAN computes it
 * (reference_ops::QuantizedMeanOrSum in tensorflow/lite/kernels/internal/
 * reference/reduce.h). CMSIS-NN v7.0.0 has no such kernel.
 *
 * output[n][c] = clamp(requantize(sum over h, w of (input[n][h][w][c] + input_offset),
 *                                 multiplier, shift) + output_offset, act_min, act_max)
 *
 * with CMSIS-NN's default ("double rounding") requantization, TFLite's
 * MultiplyByQuantizedMultiplier; multiplier and shift already include the
 * 1 / (H * W). The output is [N, 1, 1, C].
 *
 * Order: batch by batch, channel by channel; each channel's H * W values are
 * read, then its one output byte is written.
 *
 * Not a CMSIS-NN function: the compiler also writes the definition between
 * the two marker comments into every generated source that calls it (the
 * function made static), so such a model links with the real CMSIS-NN,
 * which lacks it. It needs nothing but the CMSIS-NN types.
 */
#include "arm_nnfunctions.h"

/* cmsis-opt: emitted definition begins */

/* x * 2^exponent with the wrap of a 32-bit register (exponent in [0, 31]). */
static int32_t cmsis_opt_mean_shift_left(int32_t x, int32_t exponent)
{
    return (int32_t)((uint32_t)x << exponent);
}

/* (a * b + 2^30) >> 31, the rounding doubling high multiply (no saturation: b < 2^31). */
static int32_t cmsis_opt_mean_high_mult(int32_t a, int32_t b)
{
    const int64_t product = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    const int64_t one = (int64_t)1 << 31;
    return (int32_t)(product >= 0 ? product / one : -((-product - 1) / one) - 1);
}

/* x / 2^exponent rounded half away from zero (exponent in [0, 31]). */
static int32_t cmsis_opt_mean_divide_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    int32_t result = x >> exponent;
    int32_t threshold = mask >> 1;
    if (result < 0)
    {
        threshold++;
    }
    if (remainder > threshold)
    {
        result++;
    }
    return result;
}

arm_cmsis_nn_status cmsis_opt_mean_s8(const cmsis_nn_dims *input_dims,
                                      const int8_t *input,
                                      int32_t input_offset,
                                      int32_t output_offset,
                                      int32_t multiplier,
                                      int32_t shift,
                                      int32_t act_min,
                                      int32_t act_max,
                                      int8_t *output)
{
    const int32_t pixels = input_dims->h * input_dims->w;
    const int32_t channels = input_dims->c;
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    if (pixels < 1 || channels < 1 || input_dims->n < 1 || right > 31 || left > 31)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t n = 0; n < input_dims->n; n++)
    {
        const int8_t *batch = input + n * pixels * channels;
        for (int32_t c = 0; c < channels; c++)
        {
            int32_t sum = 0;
            for (int32_t p = 0; p < pixels; p++)
            {
                sum += batch[p * channels + c] + input_offset;
            }
            int32_t value = cmsis_opt_mean_divide_pot(
                cmsis_opt_mean_high_mult(cmsis_opt_mean_shift_left(sum, left), multiplier), right);
            value += output_offset;
            value = value < act_min ? act_min : value;
            value = value > act_max ? act_max : value;
            output[n * channels + c] = (int8_t)value;
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
