/*
 * Internal helpers of the runtime: TFLite's fixed-point arithmetic as
 * CMSIS-NN's default ("double rounding") build computes it (the part the
 * emitted kernels share is cmsis_opt_fixed_point.h), and the matrix
 * products shared by several kernels. Not part of the public API.
 *
 * Overflow follows the two's complement wrap a Cortex-M produces; it is
 * written with unsigned arithmetic so that it is defined C.
 */
#ifndef NN_SUPPORT_H
#define NN_SUPPORT_H

#include "arm_nnfunctions.h"
#include "cmsis_opt_fixed_point.h"

#define NN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NN_MIN(a, b) ((a) < (b) ? (a) : (b))

/* gemmlowp's SaturatingRoundingDoublingHighMul: rounds half away from zero, saturates INT32_MIN^2. */
static inline int32_t nn_doubling_high_mult(int32_t a, int32_t b)
{
    if (a == NN_Q31_MIN && b == NN_Q31_MIN)
    {
        return NN_Q31_MAX;
    }
    const int64_t product = (int64_t)a * (int64_t)b;
    const int64_t nudge = product >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((product + nudge) / ((int64_t)1 << 31));
}

/* Saturating a * 2^exponent (exponent in [0, 31]). */
static inline int32_t nn_mult_by_power_of_two(int32_t a, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (a > threshold)
    {
        return NN_Q31_MAX;
    }
    if (a < -threshold)
    {
        return NN_Q31_MIN;
    }
    return cmsis_opt_shift_left(a, exponent);
}

/* requantize, add the output offset, clamp to [act_min, act_max] and narrow to int8. */
static inline int8_t nn_requantize_to_s8(
    int32_t acc, int32_t multiplier, int32_t shift, int32_t out_offset, int32_t act_min, int32_t act_max)
{
    int32_t value = cmsis_opt_multiply_by_quantized_multiplier(acc, multiplier, shift) + out_offset;
    value = NN_MAX(value, act_min);
    value = NN_MIN(value, act_max);
    return (int8_t)value;
}

/* Leading zero bits of a 32-bit value (32 for 0). */
static inline int32_t nn_count_leading_zeros(uint32_t value)
{
    int32_t count = 0;
    while (count < 32 && !(value & 0x80000000u))
    {
        value <<= 1;
        count++;
    }
    return count;
}

/* floor(a / 2^exponent) for exponent in [0, 62], spelled without shifting a negative number. */
static inline int64_t nn_floor_shift_s64(int64_t a, int32_t exponent)
{
    const int64_t divisor = (int64_t)1 << exponent;
    return a >= 0 ? a / divisor : -((-(a + 1)) / divisor) - 1;
}

/*
 * CMSIS-NN's arm_nn_requantize_s64 (TFLite's int64 MultiplyByQuantizedMultiplier): the Q31 multiplier
 * reduced to Q15 (REDUCE_MULTIPLIER), the product shifted right by 14 - shift and taken as int32, then
 * halved rounding toward +inf.
 */
static inline int32_t nn_requantize_s64(int64_t value, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? ((int64_t)multiplier + (1 << 15)) / (1 << 16) : 0x7FFF;
    const int32_t wide = (int32_t)(uint32_t)(uint64_t)nn_floor_shift_s64(value * reduced, 14 - shift);
    return (int32_t)nn_floor_shift_s64((int64_t)wide + 1, 1);
}

/* requantize an int64 accumulator, clamp to [act_min, act_max] and narrow to int16. */
static inline int16_t nn_requantize_s64_to_s16(int64_t acc, int32_t multiplier, int32_t shift, int32_t act_min,
                                               int32_t act_max)
{
    int32_t value = nn_requantize_s64(acc, multiplier, shift);
    value = NN_MAX(value, act_min);
    value = NN_MIN(value, act_max);
    return (int16_t)value;
}

/*
 * dst[r][o] = requant(sum_k (lhs[r][k] + lhs_offset) * rhs[o][k] + bias[o]) for
 * lhs_rows rows lhs_cols_offset bytes apart and rhs_rows outputs of rhs_cols
 * weights; output row r starts at dst + r * row_address_offset. Order of
 * CMSIS-NN's portable arm_nn_mat_mult_nt_t_s8: output channels two at a
 * time (outer), and for each pair every lhs row, two at a time (inner), each
 * 2x2 block written after its rows are read; so the whole lhs is read again
 * for every pair of output channels.
 */
void nn_mat_mult_nt_t_s8(const int8_t *lhs,
                         const int8_t *rhs,
                         const int32_t *bias,
                         int8_t *dst,
                         const int32_t *dst_multipliers,
                         const int32_t *dst_shifts,
                         int32_t lhs_rows,
                         int32_t rhs_rows,
                         int32_t rhs_cols,
                         int32_t lhs_offset,
                         int32_t dst_offset,
                         int32_t activation_min,
                         int32_t activation_max,
                         int32_t row_address_offset,
                         int32_t lhs_cols_offset);

#endif /* NN_SUPPORT_H */
