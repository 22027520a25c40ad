"""TFLite's parameter arithmetic (compiler/quantmath.py) on values worked out by hand."""

import math

import numpy as np
import pytest

from cmsis_opt import quantmath as qm


def test_powers_of_two_are_exact():
    assert qm.quantize_multiplier(0.5) == (1 << 30, 0)
    assert qm.quantize_multiplier(1.0) == (1 << 30, 1)
    assert qm.quantize_multiplier(0.25) == (1 << 30, -1)
    assert qm.quantize_multiplier(3.0) == (3 << 29, 2)


def test_zero_multiplier_is_zero():
    assert qm.quantize_multiplier(0.0) == (0, 0)


def test_mantissa_rounds_half_away_from_zero():
    # fraction 0.5 + 1.5 * 2^-31 -> mantissa 2^30 + 1.5 -> 2^30 + 2
    assert qm.quantize_multiplier(0.5 + 1.5 * 2.0**-31) == ((1 << 30) + 2, 0)
    # 2^30 + 0.5 rounds up too (not to even)
    assert qm.quantize_multiplier(0.5 + 0.5 * 2.0**-31) == ((1 << 30) + 1, 0)


def test_mantissa_rounding_to_two_to_the_31_is_halved():
    assert qm.quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)


def test_tiny_multipliers_flush_to_zero():
    assert qm.quantize_multiplier(2.0**-32) == (1 << 30, -31)
    assert qm.quantize_multiplier(2.0**-33) == (0, 0)


def test_multiplier_reconstructs_the_real_value():
    for real in (0.0123, 0.75, 1.9, 3.3e-5):
        m, s = qm.quantize_multiplier(real)
        assert (1 << 30) <= m < (1 << 31)
        assert math.isclose(m * 2.0 ** (s - 31), real, rel_tol=2**-30)


def test_conv_multiplier_widens_each_scale_to_double():
    s_in, s_w, s_out = 0.1, 0.003, 0.07
    expected = float(np.float32(s_in)) * float(np.float32(s_w)) / float(np.float32(s_out))
    mults, shifts = qm.conv_multipliers(s_in, [s_w, 2 * s_w], s_out)
    assert (mults[0], shifts[0]) == qm.quantize_multiplier(expected)
    assert mults[1] == mults[0] and shifts[1] == shifts[0] + 1


def test_add_uses_left_shift_20_and_twice_the_larger_scale():
    p = qm.add_params(0.5, 0.25, 1.0)
    assert p["left_shift"] == 20
    assert (p["input1_multiplier"], p["input1_shift"]) == (1 << 30, 0)  # 0.5 / 1.0
    assert (p["input2_multiplier"], p["input2_shift"]) == (1 << 30, -1)  # 0.25 / 1.0
    assert (p["output_multiplier"], p["output_shift"]) == (1 << 30, -19)  # 1.0 / 2^20


def test_mul_multiplier():
    assert qm.mul_multiplier(0.5, 0.5, 0.125) == (1 << 30, 2)


def test_softmax_params_of_a_known_scale():
    # beta * scale * 2^26 = 2^26 / 16 = 2^22 -> mantissa 2^30, left shift 23
    mult, shift, diff_min = qm.softmax_params(1.0 / 16.0)
    assert (mult, shift) == (1 << 30, 23)
    # radius = 31 * 2^26 / 2^23 = 248
    assert diff_min == -248


def test_softmax_multiplier_is_capped():
    # 1e6 * 2^26 is capped at 2^31 - 1: mantissa 2^31 - 1, shift 31, radius 0
    assert qm.softmax_params(1e6) == ((1 << 31) - 1, 31, 0)


def test_relu_range_starts_at_the_zero_point():
    assert qm.activation_range(0.05, -128, 0.0, None) == (-128, 127)
    assert qm.activation_range(0.05, -10, 0.0, None) == (-10, 127)


def test_relu6_range_uses_float32_division_and_round_half_away():
    # 6 / 0.046875 = 128 exactly -> -128 + 128 = 0
    assert qm.activation_range(0.046875, -128, 0.0, 6.0) == (-128, 0)
    # 6 / 0.048 = 125.0000... -> 125
    assert qm.activation_range(0.048, -128, 0.0, 6.0) == (-128, -3)
    # 6 / 0.1 = 60 -> capped by 127
    assert qm.activation_range(0.01, 0, 0.0, 6.0) == (0, 127)


def test_relu_n1_to_1_range():
    assert qm.activation_range(1.0 / 64, 0, -1.0, 1.0) == (-64, 64)


def test_round_half_away_from_zero():
    assert [qm.round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -2.5)] == [1, 2, 3, -1, -3]


def test_rejects_negative_multipliers():
    with pytest.raises(ValueError):
        qm.quantize_multiplier(-0.5)
