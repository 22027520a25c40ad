/*
 * Element-wise int8 add and multiply (same shapes, no broadcasting), as
 * TFLite's int8 Add and Mul compute them.
 */
#include "nn_support.h"

/*
 * Order: element by element in increasing index; element i of both inputs
 * is read before output i is written. The output may therefore sit exactly
 * on either input, or anywhere before it.
 */
arm_cmsis_nn_status arm_elementwise_add_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_1_mult,
                                           const int32_t input_1_shift,
                                           const int32_t input_2_offset,
                                           const int32_t input_2_mult,
                                           const int32_t input_2_shift,
                                           const int32_t left_shift,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    for (int32_t i = 0; i < block_size; i++)
    {
        const int32_t a = cmsis_opt_shift_left(input_1_vect[i] + input_1_offset, left_shift);
        const int32_t b = cmsis_opt_shift_left(input_2_vect[i] + input_2_offset, left_shift);
        const int32_t sum = cmsis_opt_multiply_by_quantized_multiplier(a, input_1_mult, input_1_shift) + cmsis_opt_multiply_by_quantized_multiplier(b, input_2_mult, input_2_shift);
        output[i] = nn_requantize_to_s8(sum, out_mult, out_shift, out_offset, out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

/* Order: as arm_elementwise_add_s8 (element i of both inputs read before output i is written). */
arm_cmsis_nn_status arm_elementwise_mul_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_2_offset,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    for (int32_t i = 0; i < block_size; i++)
    {
        const int32_t product = (input_1_vect[i] + input_1_offset) * (input_2_vect[i] + input_2_offset);
        output[i] =
            nn_requantize_to_s8(product, out_mult, out_shift, out_offset, out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}
