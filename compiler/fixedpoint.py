"""Integer fixed-point arithmetic of TFLite int8 kernels and CMSIS-NN, on numpy arrays.

Every function takes and returns int64 arrays (or Python ints) holding int32
values, and behaves exactly like the 32-bit C code of the kernels: Q31
mantissas, "double rounding" requantization, gemmlowp's fixed-point exp and
reciprocal used by the int8 softmax.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def as_int64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def wrap_int32(x) -> np.ndarray:
    """Two's-complement wrap of int64 values to int32 (what 32-bit C arithmetic yields)."""
    return ((as_int64(x) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate_int32(x) -> np.ndarray:
    return np.clip(as_int64(x), INT32_MIN, INT32_MAX)


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """High 32 bits of 2*a*b, rounded (ties toward +inf); INT32_MIN * INT32_MIN saturates to INT32_MAX.

    Equal to gemmlowp's SaturatingRoundingDoublingHighMul and CMSIS-NN's
    arm_nn_doubling_high_mult: floor((a*b + 2^30) / 2^31).
    """
    a, b = as_int64(a), as_int64(b)
    result = (a * b + (1 << 30)) >> 31
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, result)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """x / 2^exponent rounded half away from zero (gemmlowp RoundingDivideByPOT), exponent in 0..31."""
    x, exponent = as_int64(x), as_int64(exponent)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def saturating_left_shift(x, exponent: int) -> np.ndarray:
    """x * 2^exponent saturated to int32 (gemmlowp SaturatingRoundingMultiplyByPOT, positive exponent)."""
    return saturate_int32(as_int64(x) << exponent)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """Requantize: (x << max(shift, 0)) as int32, doubling high multiply, rounding right shift by max(-shift, 0).

    `multiplier` and `shift` may be arrays broadcasting against `x` (per channel).
    """
    shift = as_int64(shift)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = wrap_int32(as_int64(x) << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def reduce_multiplier(multiplier) -> np.ndarray:
    """A Q31 multiplier rounded to Q15 (CMSIS-NN's REDUCE_MULTIPLIER, TFLite's int64 MultiplyByQuantizedMultiplier):
    (m + 2^15) >> 16, or 0x7FFF from 0x7FFF0000 on."""
    m = as_int64(multiplier)
    return np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)


def multiply_by_quantized_multiplier_s64(x, multiplier, shift) -> np.ndarray:
    """Requantize an int64 accumulator (the 16x8 kernels'): x times the Q15-reduced multiplier, shifted right by
    15 - shift with rounding (ties toward +inf).

    CMSIS-NN's arm_nn_requantize_s64 (Include/arm_nnsupportfunctions.h): the product shifted by 14 - shift is
    taken as int32, then (r + 1) >> 1; TFLite's MultiplyByQuantizedMultiplier(int64_t, ...) computes the same
    for the accumulators it allows (|x| < 2^47, the result within int32).
    """
    shift = as_int64(shift)
    product = as_int64(x) * reduce_multiplier(multiplier)
    return (wrap_int32(product >> (14 - shift)) + 1) >> 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """A positive real multiplier as (Q31 mantissa, shift), as TFLite's QuantizeMultiplier.

    real = m * 2^(shift - 31)
    """
    if real == 0.0:
        return 0, 0
    mantissa, exponent = math.frexp(real)
    q = _round_half_away(mantissa * (1 << 31))
    if q == 1 << 31:
        q //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    return int(q), int(exponent)


def _round_half_away(value: float) -> int:
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


# -- gemmlowp fixed-point functions used by the int8 softmax ----------------
# A raw int32 with k integer bits represents raw / 2^(31 - k).

_ONE_Q0 = INT32_MAX  # "one" with 0 integer bits (the largest representable value)
_EXP_MINUS_ONE_EIGHTH = 1895147668  # exp(-1/8) in Q0.31
_ONE_THIRD = 715827883  # 1/3 in Q0.31
# exp(-2^k) in Q0.31 for k = -2 .. 4, applied for each set bit of the remainder
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def _exp_on_interval_minus_quarter_to_zero(a: np.ndarray) -> np.ndarray:
    """exp(a) for a in [-1/4, 0), both in Q0.31: a Taylor expansion around -1/8."""
    mul = saturating_rounding_doubling_high_mul
    x = a + (1 << 28)
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(mul(x4_over_4 + x3, _ONE_THIRD) + x2, 1)
    return _EXP_MINUS_ONE_EIGHTH + mul(_EXP_MINUS_ONE_EIGHTH, x + poly)


def exp_on_negative_values(a, integer_bits: int = 5) -> np.ndarray:
    """exp(a) for a <= 0 with `integer_bits` integer bits (at most 5); result in Q0.31."""
    assert 0 <= integer_bits <= 5
    a = as_int64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter
    result = _exp_on_interval_minus_quarter_to_zero(
        saturating_left_shift(a_mod_quarter_minus_quarter, integer_bits)
    )
    remainder = a_mod_quarter_minus_quarter - a
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where(remainder & bit, saturating_rounding_doubling_high_mul(result, multiplier), result)
    return np.where(a == 0, _ONE_Q0, result)


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1) in Q0.31, by three Newton-Raphson steps; result in Q0.31."""
    mul = saturating_rounding_doubling_high_mul
    a = as_int64(a)
    total = a + _ONE_Q0
    half_denominator = _trunc_div(total + np.where(total >= 0, 1, -1), 2)
    x = 1515870810 + mul(half_denominator, -1010580540)  # 48/17 - 32/17 * d, Q2.29
    one_q2 = 1 << 29
    for _ in range(3):
        x = x + saturating_left_shift(mul(x, one_q2 - mul(half_denominator, x)), 2)
    return saturating_left_shift(x, 1)


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    """C integer division (rounds toward zero)."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def count_leading_zeros32(x) -> np.ndarray:
    """Leading zero bits of x seen as an unsigned 32-bit number (32 for zero)."""
    x = as_int64(x) & 0xFFFFFFFF
    bits = sum(((x >= (1 << k)).astype(np.int64) for k in range(32)), start=np.zeros_like(x))
    return 32 - bits


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """(1 - a) / (1 + a) for a in [0, 1) in Q0.31 (gemmlowp fixedpoint.h, used by its tanh); result in Q0.31.

    The same Newton-Raphson division as `one_over_one_plus_x_for_x_in_0_1`,
    finishing with x - 1 instead of x / 2.
    """
    mul = saturating_rounding_doubling_high_mul
    a = as_int64(a)
    total = a + _ONE_Q0
    half_denominator = _trunc_div(total + np.where(total >= 0, 1, -1), 2)
    x = 1515870810 + mul(half_denominator, -1010580540)  # 48/17 - 32/17 * d, Q2.29
    one_q2 = 1 << 29
    for _ in range(3):
        x = x + saturating_left_shift(mul(x, one_q2 - mul(half_denominator, x)), 2)
    return saturating_left_shift(x - one_q2, 2)


def logistic(a, integer_bits: int) -> np.ndarray:
    """1 / (1 + exp(-a)) of a raw int32 with `integer_bits` integer bits (at most 5); result in Q0.31.

    gemmlowp fixedpoint.h `logistic`: computed on |a| as 1 / (1 + exp(-|a|)),
    mirrored as one minus that (a raw int32 subtraction) for negative a, and
    exactly one half for a == 0.
    """
    a = as_int64(a)
    positive = a > 0
    magnitude = np.where(positive, a, wrap_int32(-a))
    on_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap_int32(-magnitude), integer_bits))
    on_negative = wrap_int32(_ONE_Q0 - on_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, on_positive, on_negative))


def tanh(a, integer_bits: int) -> np.ndarray:
    """tanh(a) of a raw int32 with `integer_bits` integer bits (at most 4); result in Q0.31.

    gemmlowp fixedpoint.h `tanh`: -tanh(n) for n = -|a| is
    (1 - exp(2n)) / (1 + exp(2n)), where 2n is n read with one more integer
    bit; its sign is restored, and a == 0 gives 0.
    """
    a = as_int64(a)
    negative = a < 0
    n = np.where(negative, a, wrap_int32(-a))
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, wrap_int32(-t), t))
