/*
 * The int8 matrix product behind the 1x1 convolutions (see nn_support.h).
 */
#include "nn_support.h"

/* bias + sum_k (row[k] + lhs_offset) * weights[k] */
static int32_t dot_with_offset(const int8_t *row, const int8_t *weights, int32_t cols, int32_t lhs_offset, int32_t bias)
{
    int32_t acc = bias;
    for (int32_t k = 0; k < cols; k++)
    {
        acc += (row[k] + lhs_offset) * weights[k];
    }
    return acc;
}

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
                         int32_t lhs_cols_offset)
{
    int32_t o = 0;
    for (; o + 1 < rhs_rows; o += 2)
    {
        const int8_t *w0 = rhs + o * rhs_cols;
        const int8_t *w1 = w0 + rhs_cols;
        const int32_t b0 = bias != NULL ? bias[o] : 0;
        const int32_t b1 = bias != NULL ? bias[o + 1] : 0;
        const int8_t *row = lhs;
        int8_t *out = dst + o;
        int32_t r = 0;
        for (; r + 1 < lhs_rows; r += 2)
        {
            const int8_t *next = row + lhs_cols_offset;
            const int32_t acc00 = dot_with_offset(row, w0, rhs_cols, lhs_offset, b0);
            const int32_t acc01 = dot_with_offset(row, w1, rhs_cols, lhs_offset, b1);
            const int32_t acc10 = dot_with_offset(next, w0, rhs_cols, lhs_offset, b0);
            const int32_t acc11 = dot_with_offset(next, w1, rhs_cols, lhs_offset, b1);
            out[0] = nn_requantize_to_s8(acc00, dst_multipliers[o], dst_shifts[o], dst_offset, activation_min,
                                         activation_max);
            out[1] = nn_requantize_to_s8(acc01, dst_multipliers[o + 1], dst_shifts[o + 1], dst_offset,
                                         activation_min, activation_max);
            out += row_address_offset;
            out[0] = nn_requantize_to_s8(acc10, dst_multipliers[o], dst_shifts[o], dst_offset, activation_min,
                                         activation_max);
            out[1] = nn_requantize_to_s8(acc11, dst_multipliers[o + 1], dst_shifts[o + 1], dst_offset,
                                         activation_min, activation_max);
            out += row_address_offset;
            row = next + lhs_cols_offset;
        }
        if (r < lhs_rows)
        {
            const int32_t acc0 = dot_with_offset(row, w0, rhs_cols, lhs_offset, b0);
            const int32_t acc1 = dot_with_offset(row, w1, rhs_cols, lhs_offset, b1);
            out[0] = nn_requantize_to_s8(acc0, dst_multipliers[o], dst_shifts[o], dst_offset, activation_min,
                                         activation_max);
            out[1] = nn_requantize_to_s8(acc1, dst_multipliers[o + 1], dst_shifts[o + 1], dst_offset,
                                         activation_min, activation_max);
        }
    }
    if (o < rhs_rows)
    {
        const int8_t *w0 = rhs + o * rhs_cols;
        const int32_t b0 = bias != NULL ? bias[o] : 0;
        const int8_t *row = lhs;
        int8_t *out = dst + o;
        for (int32_t r = 0; r < lhs_rows; r++)
        {
            const int32_t acc = dot_with_offset(row, w0, rhs_cols, lhs_offset, b0);
            out[0] = nn_requantize_to_s8(acc, dst_multipliers[o], dst_shifts[o], dst_offset, activation_min,
                                         activation_max);
            out += row_address_offset;
            row += lhs_cols_offset;
        }
    }
}
