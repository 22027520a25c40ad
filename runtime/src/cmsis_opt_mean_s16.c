/*
 * cmsis_opt_mean_s16: the mean over H and W of an int16 NHWC tensor with
 * requantization: cmsis_opt_mean_s8's arithmetic on int16 values (the
 * arithmetic of TensorFlow Lite's reference_ops::QuantizedMeanOrSum,
 * tensorflow/lite/kernels/internal/reference/reduce.h, for int16), used for
 * an int16 GlobalAveragePool / ReduceMean whose output has its own scale
 * (ONNX A16W8 models). CMSIS-NN v7.0.0 has no such kernel.
 *
 * output[n][c] = clamp(requantize(sum over h, w of (input[n][h][w][c] + input_offset),
 *                                 multiplier, shift) + output_offset, act_min, act_max)
 *
 * with CMSIS-NN's default ("double rounding") requantization, TFLite's
 * MultiplyByQuantizedMultiplier; multiplier and shift already include the
 * 1 / (H * W). The sum is int32: the caller keeps H * W at most 2^31 / 32768
 * values of at most 32768 in magnitude. The output is [N, 1, 1, C].
 *
 * Order: batch by batch, channel by channel; each channel's H * W values are
 * read, then its one output value is written.
 *
 * Not a CMSIS-NN function: the compiler also writes the definition between
 * the two marker comments into every generated source that calls it (the
 * function made static), so such a model links with the real CMSIS-NN,
 * which lacks it. It needs nothing but the CMSIS-NN types.
 */
#include "arm_nnfunctions.h"
#include "cmsis_opt_fixed_point.h"

/* cmsis-opt: emitted definition begins */

arm_cmsis_nn_status cmsis_opt_mean_s16(const cmsis_nn_dims *input_dims,
                                       const int16_t *input,
                                       int32_t input_offset,
                                       int32_t output_offset,
                                       int32_t multiplier,
                                       int32_t shift,
                                       int32_t act_min,
                                       int32_t act_max,
                                       int16_t *output)
{
    const int32_t pixels = input_dims->h * input_dims->w;
    const int32_t channels = input_dims->c;
    if (pixels < 1 || channels < 1 || input_dims->n < 1 || shift < -31 || shift > 31)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t n = 0; n < input_dims->n; n++)
    {
        const int16_t *batch = input + n * pixels * channels;
        for (int32_t c = 0; c < channels; c++)
        {
            int32_t sum = 0;
            for (int32_t p = 0; p < pixels; p++)
            {
                sum += batch[p * channels + c] + input_offset;
            }
            int32_t value = cmsis_opt_multiply_by_quantized_multiplier(sum, multiplier, shift);
            value += output_offset;
            value = value < act_min ? act_min : value;
            value = value > act_max ? act_max : value;
            output[n * channels + c] = (int16_t)value;
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
