/*
 * arm_softmax_s8: TFLite's int8 softmax in gemmlowp fixed point (5 integer
 * bits for the scaled differences, 12 bits of headroom for the sum).
 */
#include "nn_support.h"

#define SOFTMAX_ACCUM_BITS 12

/* exp(x) for x <= 0 given in Q5.26, as Q0.31 (gemmlowp's exp_on_negative_values). */
static int32_t exp_on_negative_values(int32_t value)
{
    /* Reduce to [-1/4, 0): value = remainder part + a multiple of 1/4. */
    const int32_t quarter_bits = 24;
    const int32_t mod_minus_quarter = (value & ((1 << quarter_bits) - 1)) - (1 << quarter_bits);
    const int32_t remainder = mod_minus_quarter - value;

    /* exp on [-1/4, 0) by a Taylor expansion around -1/8 (x = input + 1/8 in Q0.31). */
    const int32_t x = cmsis_opt_shift_left(mod_minus_quarter, 5) + (1 << 28);
    const int32_t x2 = nn_doubling_high_mult(x, x);
    const int32_t x3 = nn_doubling_high_mult(x2, x);
    const int32_t x4_over_4 = cmsis_opt_divide_pot(nn_doubling_high_mult(x2, x2), 2);
    const int32_t poly = cmsis_opt_divide_pot(nn_doubling_high_mult(x4_over_4 + x3, 715827883) + x2, 1);
    const int32_t exp_minus_one_eighth = 1895147668;
    int32_t result = exp_minus_one_eighth + nn_doubling_high_mult(exp_minus_one_eighth, x + poly);

    /* Multiply in exp(-2^k / 4) for every bit k of the reduced multiple of 1/4. */
    static const int32_t exp_of_minus_powers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                   39332535,   720401,     242};
    for (int32_t k = 0; k < 7; k++)
    {
        if (remainder & (1 << (quarter_bits + k)))
        {
            result = nn_doubling_high_mult(result, exp_of_minus_powers[k]);
        }
    }
    return value == 0 ? NN_Q31_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1) given in Q0.31, as Q2.29 scaled by 1/2 (gemmlowp's Newton-Raphson). */
static int32_t one_over_one_plus_x(int32_t value)
{
    const int64_t sum = (int64_t)value + (int64_t)NN_Q31_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + nn_doubling_high_mult(half_denominator, -1010580540); /* 48/17 - 32/17 * d */
    const int32_t one = 1 << 29;
    for (int32_t i = 0; i < 3; i++)
    {
        const int32_t error = one - nn_doubling_high_mult(half_denominator, x);
        x += nn_mult_by_power_of_two(nn_doubling_high_mult(x, error), 2);
    }
    return nn_mult_by_power_of_two(x, 1);
}

/* exp(mult * diff * 2^shift) of one difference to the row maximum, in Q0.31. */
static int32_t scaled_exp(int32_t diff, int32_t mult, int32_t shift)
{
    return exp_on_negative_values(nn_doubling_high_mult(cmsis_opt_shift_left(diff, shift), mult));
}

/*
 * Order: row by row; each row is read whole twice (its maximum, then the sum
 * of exponentials) before any of its outputs is written; then element i is
 * read and output i written, in increasing i. The output may therefore sit
 * exactly on the input, or anywhere before it.
 */
void arm_softmax_s8(const int8_t *input,
                    const int32_t num_rows,
                    const int32_t row_size,
                    const int32_t mult,
                    const int32_t shift,
                    const int32_t diff_min,
                    int8_t *output)
{
    for (int32_t row = 0; row < num_rows; row++)
    {
        int32_t max = input[0];
        for (int32_t i = 1; i < row_size; i++)
        {
            max = NN_MAX(max, input[i]);
        }
        int32_t sum = 0;
        for (int32_t i = 0; i < row_size; i++)
        {
            const int32_t diff = input[i] - max;
            if (diff >= diff_min)
            {
                sum += cmsis_opt_divide_pot(scaled_exp(diff, mult, shift), SOFTMAX_ACCUM_BITS);
            }
        }
        const int32_t headroom = nn_count_leading_zeros((uint32_t)sum);
        const uint32_t normalized = sum > 0 ? (uint32_t)sum << headroom : 0u;
        const int32_t shifted_scale = one_over_one_plus_x((int32_t)(normalized - 0x80000000u));
        const int32_t bits_over_unit = SOFTMAX_ACCUM_BITS - headroom + 23;
        for (int32_t i = 0; i < row_size; i++)
        {
            const int32_t diff = input[i] - max;
            int32_t value = NN_Q7_MIN;
            if (diff >= diff_min)
            {
                const int32_t scaled = nn_doubling_high_mult(shifted_scale, scaled_exp(diff, mult, shift));
                value = cmsis_opt_divide_pot(scaled, bits_over_unit) + NN_Q7_MIN;
                value = NN_MIN(value, (int32_t)NN_Q7_MAX);
                value = NN_MAX(value, (int32_t)NN_Q7_MIN);
            }
            output[i] = (int8_t)value;
        }
        input += row_size;
        output += row_size;
    }
}
