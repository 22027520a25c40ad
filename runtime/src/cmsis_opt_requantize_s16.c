/*
 * cmsis_opt_requantize_s16: int8 or int16 values moved to another scale,
 * zero point and width (int8 -> int16, int16 -> int8, int16 -> int16), as
 * TensorFlow Lite Micro's QUANTIZE between integer types computes it
 * (reference_ops::Requantize in tensorflow/lite/kernels/internal/reference/
 * requantize.h, parameters from PrepareQuantizeReference in
 * micro/kernels/quantize_common.cc): the mixed int8 / int16 graphs of
 * TFLite's 16x8 scheme. CMSIS-NN v7.0.0 has no such kernel; int8 -> int8 is
 * cmsis_opt_requantize_s8.
 *
 * output[i] = clamp(requantize(input[i] + input_offset, multiplier, shift) + output_offset, act_min, act_max)
 *
 * with CMSIS-NN's default ("double rounding") requantization, TFLite's
 * MultiplyByQuantizedMultiplier. input_bytes / output_bytes (1 or 2) say
 * whether input and output are int8_t or int16_t.
 *
 * Order: element i is read, then output i written, i increasing. With a
 * wider output the writes run ahead of the reads in bytes: the compiler's
 * access-order model places the output so that no unread input byte is
 * overwritten.
 *
 * Not a CMSIS-NN function: the compiler also writes the definition between
 * the two marker comments into every generated source that calls it (the
 * function made static), so such a model links with the real CMSIS-NN.
 */
#include "arm_nnfunctions.h"
#include "cmsis_opt_fixed_point.h"

/* cmsis-opt: emitted definition begins */

arm_cmsis_nn_status cmsis_opt_requantize_s16(const void *input,
                                             int32_t input_bytes,
                                             int32_t size,
                                             int32_t input_offset,
                                             int32_t output_offset,
                                             int32_t multiplier,
                                             int32_t shift,
                                             int32_t act_min,
                                             int32_t act_max,
                                             void *output,
                                             int32_t output_bytes)
{
    if (size < 0 || shift < -31 || shift > 31 || (input_bytes != 1 && input_bytes != 2) ||
        (output_bytes != 1 && output_bytes != 2))
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int8_t *input_s8 = (const int8_t *)input;
    const int16_t *input_s16 = (const int16_t *)input;
    int8_t *output_s8 = (int8_t *)output;
    int16_t *output_s16 = (int16_t *)output;
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t x = input_bytes == 1 ? (int32_t)input_s8[i] : (int32_t)input_s16[i];
        int32_t value = cmsis_opt_multiply_by_quantized_multiplier(x + input_offset, multiplier, shift);
        value += output_offset;
        value = value < act_min ? act_min : value;
        value = value > act_max ? act_max : value;
        if (output_bytes == 1)
        {
            output_s8[i] = (int8_t)value;
        }
        else
        {
            output_s16[i] = (int16_t)value;
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
