/*
 * Element-wise int8 and int16 add and multiply (same shapes, no
 * broadcasting), as TFLite's Add and Mul compute them; the s16 functions
 * are the s8 loops on int16 elements (offsets 0), each written once as a
 * macro and instantiated for both types.
 */
#include "nn_support.h"

/* requantize, add the output offset, clamp to [act_min, act_max]. */
static int32_t requantize_clamped(int32_t acc, int32_t multiplier, int32_t shift, int32_t out_offset, int32_t act_min,
                                  int32_t act_max)
{
    const int32_t value = cmsis_opt_multiply_by_quantized_multiplier(acc, multiplier, shift) + out_offset;
    return NN_MIN(NN_MAX(value, act_min), act_max);
}

/*
 * arm_elementwise_add_s8 and arm_elementwise_add_s16. Order: element by
 * element in increasing index; element i of both inputs is read before
 * output i is written. The output may therefore sit exactly on either input,
 * or anywhere before it.
 */
#define NN_ELEMENTWISE_ADD(SUFFIX, TYPE)                                                                              \
    arm_cmsis_nn_status arm_elementwise_add_##SUFFIX(const TYPE *input_1_vect,                                        \
                                                     const TYPE *input_2_vect,                                        \
                                                     const int32_t input_1_offset,                                    \
                                                     const int32_t input_1_mult,                                      \
                                                     const int32_t input_1_shift,                                     \
                                                     const int32_t input_2_offset,                                    \
                                                     const int32_t input_2_mult,                                      \
                                                     const int32_t input_2_shift,                                     \
                                                     const int32_t left_shift,                                        \
                                                     TYPE *output,                                                    \
                                                     const int32_t out_offset,                                        \
                                                     const int32_t out_mult,                                          \
                                                     const int32_t out_shift,                                         \
                                                     const int32_t out_activation_min,                                \
                                                     const int32_t out_activation_max,                                \
                                                     const int32_t block_size)                                        \
    {                                                                                                                 \
        for (int32_t i = 0; i < block_size; i++)                                                                      \
        {                                                                                                             \
            const int32_t a = cmsis_opt_shift_left(input_1_vect[i] + input_1_offset, left_shift);                       \
            const int32_t b = cmsis_opt_shift_left(input_2_vect[i] + input_2_offset, left_shift);                       \
            const int32_t sum =                                                                                       \
                cmsis_opt_multiply_by_quantized_multiplier(a, input_1_mult, input_1_shift) + cmsis_opt_multiply_by_quantized_multiplier(b, input_2_mult, input_2_shift);        \
            output[i] = (TYPE)requantize_clamped(sum, out_mult, out_shift, out_offset, out_activation_min,            \
                                                 out_activation_max);                                                 \
        }                                                                                                             \
        return ARM_CMSIS_NN_SUCCESS;                                                                                  \
    }

/* arm_elementwise_mul_s8 and arm_elementwise_mul_s16. Order: as the add's (element i read before output i). */
#define NN_ELEMENTWISE_MUL(SUFFIX, TYPE)                                                                              \
    arm_cmsis_nn_status arm_elementwise_mul_##SUFFIX(const TYPE *input_1_vect,                                        \
                                                     const TYPE *input_2_vect,                                        \
                                                     const int32_t input_1_offset,                                    \
                                                     const int32_t input_2_offset,                                    \
                                                     TYPE *output,                                                    \
                                                     const int32_t out_offset,                                        \
                                                     const int32_t out_mult,                                          \
                                                     const int32_t out_shift,                                         \
                                                     const int32_t out_activation_min,                                \
                                                     const int32_t out_activation_max,                                \
                                                     const int32_t block_size)                                        \
    {                                                                                                                 \
        for (int32_t i = 0; i < block_size; i++)                                                                      \
        {                                                                                                             \
            const int32_t product = (input_1_vect[i] + input_1_offset) * (input_2_vect[i] + input_2_offset);          \
            output[i] = (TYPE)requantize_clamped(product, out_mult, out_shift, out_offset, out_activation_min,        \
                                                 out_activation_max);                                                 \
        }                                                                                                             \
        return ARM_CMSIS_NN_SUCCESS;                                                                                  \
    }

NN_ELEMENTWISE_ADD(s8, int8_t)
NN_ELEMENTWISE_ADD(s16, int16_t)
NN_ELEMENTWISE_MUL(s8, int8_t)
NN_ELEMENTWISE_MUL(s16, int16_t)
