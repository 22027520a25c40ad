"""The fixed-point primitives of TFLite int8 / CMSIS-NN, on hand-computed cases."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmsis_opt.fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    count_leading_zeros32,
    exp_on_negative_values,
    multiply_by_quantized_multiplier,
    one_over_one_plus_x_for_x_in_0_1,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)

HALF = 1 << 30  # 0.5 as a Q31 multiplier


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (HALF, HALF, 1 << 29),  # 0.5 * 0.5 = 0.25
        (-HALF, HALF, -(1 << 29)),
        (1, HALF, 1),  # 0.5 rounds up
        (-1, HALF, 0),  # -0.5 rounds up too (ties go toward +inf)
        (3, HALF, 2),  # 1.5 -> 2
        (-3, HALF, -1),  # -1.5 -> -1
        (5, HALF, 3),  # 2.5 -> 3
        (INT32_MAX, INT32_MAX, INT32_MAX - 1),
        (INT32_MIN, INT32_MAX, INT32_MIN + 1),
        (INT32_MIN, INT32_MIN, INT32_MAX),  # the one product that overflows saturates
        (0, INT32_MIN, 0),
    ],
)
def test_saturating_rounding_doubling_high_mul(a, b, expected):
    assert saturating_rounding_doubling_high_mul(a, b) == expected


@pytest.mark.parametrize(
    "x, exponent, expected",
    [
        (5, 1, 3),  # 2.5 -> 3: half away from zero
        (-5, 1, -3),  # -2.5 -> -3
        (6, 2, 2),  # 1.5 -> 2
        (-6, 2, -2),  # -1.5 -> -2
        (7, 2, 2),  # 1.75 -> 2
        (-7, 2, -2),
        (-5, 2, -1),  # -1.25 -> -1
        (5, 2, 1),
        (-1, 1, -1),  # -0.5 -> -1
        (1, 1, 1),
        (-1, 2, 0),
        (12345, 0, 12345),
        (INT32_MIN, 31, -1),
        (INT32_MAX, 31, 1),
    ],
)
def test_rounding_divide_by_power_of_two(x, exponent, expected):
    assert rounding_divide_by_pot(x, exponent) == expected


def _requantize_reference(x: int, multiplier: int, shift: int) -> int:
    """The same arithmetic in plain Python integers and fractions, one step at a time."""
    left = (x << max(shift, 0)) & 0xFFFFFFFF
    left = left - (1 << 32) if left >= 1 << 31 else left
    high = (left * multiplier + (1 << 30)) >> 31
    quotient = Fraction(high, 1 << max(-shift, 0))
    rounded = math.floor(abs(quotient) + Fraction(1, 2))
    return rounded if quotient >= 0 else -rounded


def test_requantize_matches_the_step_by_step_definition_for_every_shift():
    rng = random.Random(7)
    xs, mults, shifts = [], [], []
    for shift in range(-31, 31):
        for _ in range(50):
            xs.append(rng.randint(-(1 << 20), 1 << 20))
            mults.append(rng.randint(1 << 30, INT32_MAX))
            shifts.append(shift)
    got = multiply_by_quantized_multiplier(np.array(xs), np.array(mults), np.array(shifts))
    expected = [_requantize_reference(x, m, s) for x, m, s in zip(xs, mults, shifts)]
    assert got.tolist() == expected


@pytest.mark.parametrize(
    "x, multiplier, shift, expected",
    [
        (7, HALF, 0, 4),  # 3.5 -> 4
        (-7, HALF, 0, -3),  # the high multiply rounds -3.5 up to -3
        (-3, HALF, -1, -1),  # -1.5 -> -1 by the multiply, then -0.5 -> -1 by the shift: double rounding
        (1, HALF, 30, 1 << 29),
        (1000, HALF, 1, 1000),
        (INT32_MAX, INT32_MAX, -31, 1),
        (1 << 30, HALF, 1, INT32_MIN >> 1),  # 2^31 wraps to INT32_MIN before the multiply, as in C
    ],
)
def test_requantize_hand_cases(x, multiplier, shift, expected):
    assert multiply_by_quantized_multiplier(x, multiplier, shift) == expected


@pytest.mark.parametrize(
    "real, expected",
    [
        (0.5, (HALF, 0)),
        (1.0, (HALF, 1)),
        (0.75, (3 << 29, 0)),
        (0.1, (1717986918, -3)),
        (1 - 2.0**-40, (HALF, 1)),  # the mantissa rounds up to 2^31: halved, exponent + 1
        (2.0**-40, (0, 0)),  # too small for a shift of -31
        (0.0, (0, 0)),
    ],
)
def test_quantize_multiplier(real, expected):
    assert quantize_multiplier(real) == expected


def test_wrap_int32_is_twos_complement():
    assert wrap_int32(np.array([1 << 31, -(1 << 31) - 1, 5])).tolist() == [INT32_MIN, INT32_MAX, 5]


def test_count_leading_zeros():
    values = np.array([0, 1, 2, 1 << 19, INT32_MAX, -1, INT32_MIN])
    assert count_leading_zeros32(values).tolist() == [32, 31, 30, 12, 1, 0, 0]


def test_exp_of_zero_is_one():
    assert exp_on_negative_values(0) == INT32_MAX


def test_exp_on_negative_values_tracks_exp():
    """exp(a) for a <= 0 in Q5.26, the result in Q0.31: an approximation, within 2^-22 of math.exp."""
    raws = np.arange(-(31 << 26), 0, 9_973_117, dtype=np.int64)
    got = exp_on_negative_values(raws)
    expected = np.array([math.exp(r / 2**26) * 2**31 for r in raws])
    assert np.all(np.abs(got - expected) <= 2**9)
    assert np.all(np.diff(got) >= 0)  # monotonic


def test_one_over_one_plus_x():
    """1 / (1 + x) for x in [0, 1), all Q0.31: Newton-Raphson, within 8 units of the last place."""
    xs = np.arange(0, INT32_MAX, 1 << 24, dtype=np.int64)
    got = one_over_one_plus_x_for_x_in_0_1(xs)
    expected = 2**31 / (1 + xs / 2**31)
    assert np.all(np.abs(got - np.minimum(expected, INT32_MAX)) <= 8)
    assert one_over_one_plus_x_for_x_in_0_1(1 << 30) == pytest.approx(2**32 / 3, abs=4)


# -- over the whole int32 range, against the C definitions written out literally ----------

int32s = st.integers(INT32_MIN, INT32_MAX)


def _gemmlowp_high_mul(a: int, b: int) -> int:
    """gemmlowp's formulation: a sign-dependent nudge, then division truncating toward zero."""
    if a == b == INT32_MIN:
        return INT32_MAX
    product = a * b
    nudge = (1 << 30) if product >= 0 else 1 - (1 << 30)
    total = product + nudge
    quotient = abs(total) // (1 << 31)
    return quotient if total >= 0 else -quotient


@settings(max_examples=500, deadline=None)
@given(int32s, int32s)
def test_high_mul_equals_gemmlowp_formulation(a, b):
    assert saturating_rounding_doubling_high_mul(a, b) == _gemmlowp_high_mul(a, b)


@settings(max_examples=500, deadline=None)
@given(int32s, st.integers(0, 31))
def test_rounding_divide_is_round_half_away_from_zero(x, exponent):
    quotient = Fraction(x, 1 << exponent)
    rounded = math.floor(abs(quotient) + Fraction(1, 2))
    assert rounding_divide_by_pot(x, exponent) == (rounded if quotient >= 0 else -rounded)
