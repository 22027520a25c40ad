"""TFLite's int8 parameter arithmetic, reproduced to the last bit.

Each kernel's Prepare step in TensorFlow Lite (Micro) turns float32 scales
into fixed-point multipliers and shifts. Which products are formed in
float32 and which in double decides the last bit, so every function here
states the precision it follows. Shifts use CMSIS-NN's convention: the
power-of-two exponent, positive meaning a left shift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Q31 = 1 << 31
INT8_MIN, INT8_MAX = -128, 127
ADD_LEFT_SHIFT = 20
SOFTMAX_INTEGER_BITS = 5


def round_half_away(x: float) -> int:
    """C's round(): halves go away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


class ScaleRangeError(ValueError):
    """A rescale factor that CMSIS-NN's (multiplier, shift) pair cannot represent: 2^30 or more."""


MAX_SHIFT = 30
"""The largest left shift CMSIS-NN's requantization takes (arm_nn_requantize: a shift above 30 overflows)."""


def quantize_multiplier(real: float, max_shift: int | None = MAX_SHIFT) -> tuple[int, int]:
    """(Q31 mantissa, exponent) with real ~= mantissa * 2^(exponent - 31).

    As TFLite's QuantizeMultiplier: frexp, mantissa rounded half away from
    zero, a mantissa rounding up to 2^31 halved (exponent + 1), exponents
    below -31 flushed to (0, 0). Raises ScaleRangeError for an exponent above
    `max_shift` (MAX_SHIFT: real >= 2^30), which no shift of a requantization
    represents; None for the softmax's input multiplier, whose shift is its own.
    """
    if real == 0.0:
        return 0, 0
    if real < 0 or not math.isfinite(real):
        raise ValueError(f"multiplier must be a finite non-negative number, got {real}")
    fraction, exponent = math.frexp(real)
    mantissa = round_half_away(fraction * Q31)
    if mantissa == Q31:
        mantissa //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    if max_shift is not None and exponent > max_shift:
        raise ScaleRangeError(f"the rescale factor {real:.6g} (the input scales over the output scale) is 2^30 or "
                              "more, beyond what CMSIS-NN's multiplier and shift represent: check the model's scales")
    return mantissa, exponent


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp: a multiplier in (0, 1)."""
    if not 0.0 < real < 1.0:
        raise ValueError(f"multiplier must be in (0, 1), got {real}")
    return quantize_multiplier(real)


def quantize_multiplier_greater_than_one(real: float) -> tuple[int, int]:
    """QuantizeMultiplierGreaterThanOne: a multiplier above 1, exponent >= 0."""
    if not real > 1.0:
        raise ValueError(f"multiplier must be greater than 1, got {real}")
    mantissa, exponent = quantize_multiplier(real, max_shift=None)  # the softmax's left shift reaches 31
    assert exponent >= 0
    return mantissa, exponent


def _f32(x: float) -> float:
    return float(np.float32(x))


def conv_multipliers(
    input_scale: float, filter_scales: Sequence[float], output_scale: float
) -> tuple[list[int], list[int]]:
    """Per-output-channel (multipliers, shifts) of conv / depthwise conv.

    kernel_util.cc PopulateConvolutionQuantizationParams: every float32 scale
    widened to double, then double(input) * double(filter[c]) / double(output).
    """
    mults, shifts = [], []
    input_f32, output_f32 = _f32(input_scale), _f32(output_scale)
    for filter_scale in filter_scales:
        real = input_f32 * _f32(filter_scale) / output_f32
        m, s = quantize_multiplier(real)
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def fully_connected_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """GetQuantizedConvolutionMultipler: double(input) * double(filter) / double(output)."""
    real = _f32(input_scale) * _f32(filter_scale) / _f32(output_scale)
    return quantize_multiplier(real)


def add_params(scale1: float, scale2: float, output_scale: float, left_shift: int = ADD_LEFT_SHIFT) -> dict[str, int]:
    """int8 Add: both inputs to a common scale twice the larger input scale, left shift 20 (15 for int16:
    TFLite Micro's add.cc)."""
    twice_max = 2.0 * max(_f32(scale1), _f32(scale2))
    m1, s1 = quantize_multiplier_smaller_than_one(_f32(scale1) / twice_max)
    m2, s2 = quantize_multiplier_smaller_than_one(_f32(scale2) / twice_max)
    mo, so = quantize_multiplier_smaller_than_one(twice_max / ((1 << left_shift) * _f32(output_scale)))
    return {
        "left_shift": left_shift,
        "input1_multiplier": m1,
        "input1_shift": s1,
        "input2_multiplier": m2,
        "input2_shift": s2,
        "output_multiplier": mo,
        "output_shift": so,
    }


def mul_multiplier(scale1: float, scale2: float, output_scale: float) -> tuple[int, int]:
    """int8 Mul: double(s1) * double(s2) / double(s_out)."""
    return quantize_multiplier(_f32(scale1) * _f32(scale2) / _f32(output_scale))


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite CalculateInputRadius: the largest input difference softmax can rescale."""
    max_rescaled = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(max_rescaled))


def softmax_params(input_scale: float, beta: float = 1.0) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) of int8 softmax.

    PreprocessSoftmaxScaling with 5 integer bits: beta * input_scale * 2^26,
    capped at 2^31 - 1, as a multiplier above one; diff_min is minus the
    input radius.
    """
    real = min(float(beta) * _f32(input_scale) * (1 << (31 - SOFTMAX_INTEGER_BITS)), Q31 - 1.0)
    multiplier, left_shift = quantize_multiplier_greater_than_one(real)
    diff_min = -calculate_input_radius(SOFTMAX_INTEGER_BITS, left_shift)
    return multiplier, left_shift, diff_min


def softmax_s16_params(input_scale: float, beta: float = 1.0) -> tuple[int, int]:
    """(input_multiplier, input_left_shift) of the int16 softmax: input differences scaled so that [-65535, 0]
    stands for [-10, 0] (softmax.cc CalculateSoftmaxParams, int16: input scale * beta / (10 / 65535), in double,
    through QuantizeMultiplier)."""
    return quantize_multiplier(_f32(input_scale) * float(beta) / (10.0 / 65535.0))


def requantize_multiplier(input_scale: float, output_scale: float) -> tuple[int, int]:
    """int8 -> int8 QUANTIZE: double(input) / double(output) (quantize_common.cc PrepareQuantizeReference)."""
    return quantize_multiplier(_f32(input_scale) / _f32(output_scale))


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """(multiplier, shift) of TFLite's int8 MEAN over `count` elements, with 1/count folded in.

    reduce_common.cc PrepareMeanOrSum: double(input) / double(output) as
    QuantizeMultiplier; reference/reduce.h QuantizedMeanOrSum then folds the
    division in: s = floor(log2(count)), capped at 32 and at 31 + shift,
    multiplier' = (multiplier << s) // count (int64, truncated), shift' = shift - s.
    """
    if count < 1:
        raise ValueError(f"a mean needs at least one element, got {count}")
    multiplier, shift = quantize_multiplier(_f32(input_scale) / _f32(output_scale))
    bits = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << bits) // count, shift - bits


def quantize_value(value: float, scale: float, zero_point: int) -> int:
    """TFLite's activation-range quantize: zp + round(float32(value) / float32(scale)), in float32."""
    quotient = float(np.float32(value) / np.float32(scale))
    if math.isnan(quotient):
        raise ValueError(f"cannot quantize {value} with scale {scale}")
    if math.isinf(quotient):  # an unbounded clip edge (-inf / +inf) or beyond float32: saturates anyway
        return zero_point + (1 << 40 if quotient > 0 else -(1 << 40))
    return zero_point + round_half_away(quotient)


def activation_range(scale: float, zero_point: int, low: float | None = None, high: float | None = None,
                     qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[int, int]:
    """Clamp range of a fused activation clipping reals to [low, high] (None: unbounded).

    ReLU is (0, None), ReLU6 (0, 6), RELU_N1_TO_1 (-1, 1), as
    CalculateActivationRangeQuantized.
    """
    act_min = qmin if low is None else max(qmin, quantize_value(low, scale, zero_point))
    act_max = qmax if high is None else min(qmax, quantize_value(high, scale, zero_point))
    return act_min, act_max
