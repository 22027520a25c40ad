/*
 * cmsis_opt_fixed_point.h: TensorFlow Lite's MultiplyByQuantizedMultiplier
 * (tensorflow/lite/kernels/internal/common.h), CMSIS-NN's default ("double
 * rounding") requantization, for cmsis-opt's own kernels
 * (cmsis_opt_mean_s8.c, cmsis_opt_requantize_s8.c) and the runtime's
 * kernels (nn_support.h). Overflow follows the two's complement wrap a
 * Cortex-M produces, written with unsigned arithmetic so that it is defined C.
 *
 * The compiler writes the text between the two marker comments once into a
 * generated source whose kernels need it, before those kernels' definitions
 * (dialects/c_definitions.py), so the functions are static here too.
 */
#ifndef CMSIS_OPT_FIXED_POINT_H
#define CMSIS_OPT_FIXED_POINT_H

#include "arm_nnfunctions.h"

/* cmsis-opt: emitted definition begins */

/* x * 2^exponent with the wrap of a 32-bit register (exponent in [0, 31]). */
static inline int32_t cmsis_opt_shift_left(int32_t x, int32_t exponent)
{
    return (int32_t)((uint32_t)x << exponent);
}

/* (a * b + 2^30) >> 31, the rounding doubling high multiply (no saturation: b < 2^31). */
static inline int32_t cmsis_opt_high_mult(int32_t a, int32_t b)
{
    const int64_t product = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    const int64_t one = (int64_t)1 << 31;
    return (int32_t)(product >= 0 ? product / one : -((-product - 1) / one) - 1);
}

/* x / 2^exponent rounded half away from zero (exponent in [0, 31]). */
static inline int32_t cmsis_opt_divide_pot(int32_t x, int32_t exponent)
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

/* x * multiplier * 2^shift / 2^31, rounded as TFLite's MultiplyByQuantizedMultiplier
 * (shift in [-31, 31], checked by the caller). */
static inline int32_t cmsis_opt_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return cmsis_opt_divide_pot(cmsis_opt_high_mult(cmsis_opt_shift_left(x, left), multiplier), right);
}
/* cmsis-opt: emitted definition ends */

#endif
