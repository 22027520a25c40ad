/*
 * cmsis_opt_requantize_s8: int8 values moved to another scale and zero
 * point, as TensorFlow Lite's int8 -> int8 QUANTIZE computes it
 * (reference_ops::Requantize in tensorflow/lite/kernels/internal/reference/
 * requantize.h). CMSIS-NN v7.0.0 has no such kernel.
 *
 * output[i] = clamp(requantize(input[i] + input_offset, multiplier, shift) + output_offset, act_min, act_max)
 *
 * with CMSIS-NN's default ("double rounding") requantization, TFLite's
 * MultiplyByQuantizedMultiplier.
 *
 * Order: element i is read, then output i written, i increasing; the output
 * may sit exactly on the input.
 *
 * Not a CMSIS-NN function: the compiler also writes the definition between
 * the two marker comments into every generated source that calls it (the
 * function made static), so such a model links with the real CMSIS-NN,
 * which lacks it. It needs nothing but the CMSIS-NN types.
 */
#include "arm_nnfunctions.h"
#include "cmsis_opt_fixed_point.h"

/* cmsis-opt: emitted definition begins */

arm_cmsis_nn_status cmsis_opt_requantize_s8(const int8_t *input,
                                            int32_t size,
                                            int32_t input_offset,
                                            int32_t output_offset,
                                            int32_t multiplier,
                                            int32_t shift,
                                            int32_t act_min,
                                            int32_t act_max,
                                            int8_t *output)
{
    if (size < 0 || shift < -31 || shift > 31)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t i = 0; i < size; i++)
    {
        int32_t value = cmsis_opt_multiply_by_quantized_multiplier(input[i] + input_offset, multiplier, shift);
        value += output_offset;
        value = value < act_min ? act_min : value;
        value = value > act_max ? act_max : value;
        output[i] = (int8_t)value;
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */
