"""Element-wise int8 activations as 256-entry tables, filled at compile time.

An element-wise function from an int8 tensor with one scale and zero point to
an int8 tensor with its own has only 256 possible inputs, so any such
function is a table `table[q + 128]` of 256 int8 outputs, and one small
kernel (`cmsis.lut`, `cmsis_opt_lut_s8` in runtime/) runs them all. A
per-channel parameter (PRelu's slope) gives one table per channel.

`ACTIVATIONS` holds every function the compiler lowers this way, by the
`kind` of its `nn.activation` op: its float semantics (ONNX's definition,
evaluated in float64 on numpy arrays) and, for the functions TensorFlow Lite
Micro implements, the TFLite builtin whose int8 kernel a `rule = "tflite"`
op reproduces. Adding a function is one entry here (and its importers).

Two rules fill a table (the quantize pass picks one per op, `activation_tables`):

- **float** (ONNX models, and functions TFLite Micro lacks): entry q is
  round(f((q - zp_in) * s_in) / s_out) + zp_out, computed in float64,
  rounded half to even as ONNX QuantizeLinear rounds, clamped to [-128, 127].
- **tflite** (TFLite models): TFLite Micro's own int8 arithmetic evaluated for
  each of the 256 inputs, so the table is bit-exact with its kernel. Each
  `tflm_*` function below names the TFLite Micro source it follows.

Parameters TFLite Micro cannot represent (a multiplier whose shift
overflows, an output quantization its kernel does not produce) raise
`TableError`, which the lowering reports naming the layer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cmsis_opt.fixedpoint import (
    logistic,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    tanh,
)

INT8_MIN, INT8_MAX = -128, 127
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
INT32_MAX = (1 << 31) - 1
CODES = np.arange(INT8_MIN, INT8_MAX + 1, dtype=np.int64)
"""The 256 int8 codes in table order: entry i is the output for input code i - 128."""

Quant = tuple[float, int]
"""(scale, zero point) of a per-tensor int8 tensor."""


class TableError(ValueError):
    """The activation's parameters cannot be represented the way its integer kernel needs (the message says what)."""


# =====================================================================================
# The functions, in float64 (ONNX operator definitions)
# =====================================================================================


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


@dataclass(frozen=True)
class Activation:
    """One element-wise function.

    `function(x, params, slope)` maps float64 reals to float64 reals; `params`
    holds the float attributes named in `defaults` (ONNX's defaults), `slope`
    PRelu's slope broadcast against x (None for the others). `tflite` is the
    TFLite builtin whose int8 kernel `rule = "tflite"` follows (None: no
    TFLite Micro kernel, the float rule only); `onnx` the ONNX operator.
    """

    onnx: str
    function: Callable[[np.ndarray, dict[str, float], np.ndarray | None], np.ndarray]
    defaults: dict[str, float] = field(default_factory=dict)
    tflite: str | None = None
    slope: bool = False


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("Sigmoid", lambda x, p, s: _sigmoid(x), tflite="LOGISTIC"),
    "tanh": Activation("Tanh", lambda x, p, s: np.tanh(x), tflite="TANH"),
    "hard_swish": Activation("HardSwish", lambda x, p, s: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
                             tflite="HARD_SWISH"),
    "hard_sigmoid": Activation("HardSigmoid", lambda x, p, s: np.clip(p["alpha"] * x + p["beta"], 0.0, 1.0),
                               {"alpha": 0.2, "beta": 0.5}),
    "leaky_relu": Activation("LeakyRelu", lambda x, p, s: np.where(x >= 0, x, p["alpha"] * x), {"alpha": 0.01},
                             tflite="LEAKY_RELU"),
    "elu": Activation("Elu", lambda x, p, s: np.where(x > 0, x, p["alpha"] * np.expm1(x)), {"alpha": 1.0},
                      tflite="ELU"),
    "prelu": Activation("PRelu", lambda x, p, s: np.where(x >= 0, x, x * s), tflite="PRELU", slope=True),
    "gelu": Activation("Gelu", lambda x, p, s: _gelu(x)),
    "gelu_tanh": Activation("Gelu", lambda x, p, s: _gelu_tanh(x)),
    "silu": Activation("Swish", lambda x, p, s: x * _sigmoid(p["alpha"] * x), {"alpha": 1.0}),
    "softplus": Activation("Softplus", lambda x, p, s: np.logaddexp(0.0, x)),
}
"""Every table activation by `nn.activation` kind.

gelu is ONNX Gelu with approximate="none" (0.5 x (1 + erf(x / sqrt 2))),
gelu_tanh with approximate="tanh"; silu is x * sigmoid(alpha x) (ONNX Swish,
opset 24; alpha 1 is SiLU, exported as Sigmoid + Mul); hard_swish is
x * clip(x / 6 + 1/2, 0, 1) (ONNX HardSwish, TFLite HARD_SWISH).
"""


TABLE = "table"
"""The `nn.activation` kind of a function given by its values (`GridValues`), not by a formula: an importer
computes it for a chain of element-wise ops on one int8 tensor (an ONNX QDQ region, see the ONNX importer's
`plan_table_regions`)."""

GridValues = tuple[np.ndarray, Quant]
"""(values, grid) of a `TABLE` function: values[i] (float32) is its output for the real that input code i - 128
holds at `grid`'s (scale, zero point)."""


def on_grid(table: GridValues, x: np.ndarray) -> np.ndarray:
    """A `TABLE` function of the reals `x`: each is read as the code QuantizeLinear gives it on the grid
    (round half to even, saturated), and that code's value is the result."""
    values, (scale, zero_point) = table
    codes = np.clip(np.rint(np.asarray(x, np.float64) / float(np.float32(scale))) + zero_point, INT8_MIN, INT8_MAX)
    return np.asarray(values, np.float64)[codes.astype(np.int64) - INT8_MIN]


def evaluate(kind: str, x: np.ndarray, params: dict[str, float] | None = None,
             slope: np.ndarray | None = None, table: GridValues | None = None) -> np.ndarray:
    """The real function `kind` of the reals `x`, in float64 (`params` default to ONNX's; `table` is a `TABLE`
    function's values and grid)."""
    if kind == TABLE:
        assert table is not None, "a table function needs its values"
        return on_grid(table, x)
    activation = ACTIVATIONS[kind]
    full = {**activation.defaults, **(params or {})}
    values = np.asarray(x, dtype=np.float64)
    return activation.function(values, full, None if slope is None else np.asarray(slope, np.float64))


# =====================================================================================
# The float rule
# =====================================================================================


def float_table(kind: str, q_in: Quant, q_out: Quant, params: dict[str, float] | None = None,
                slope: float | None = None, table: GridValues | None = None) -> np.ndarray:
    """[256] int8 outputs, entry i for input code i - 128: round_half_even(f((q - zp_in) * s_in) / s_out) + zp_out,
    clamped to [-128, 127], in float64.

    ONNX DequantizeLinear -> f -> QuantizeLinear, with f in float64 instead of
    float32. `slope` is PRelu's (one channel's) real slope.
    """
    (s_in, zp_in), (s_out, zp_out) = q_in, q_out
    reals = (CODES - zp_in).astype(np.float64) * float(s_in)
    outputs = evaluate(kind, reals, params, None if slope is None else np.asarray(slope, np.float64), table)
    scaled = outputs / float(s_out)
    if not np.all(np.isfinite(scaled)):
        raise TableError(f"{kind} of the input's range is not finite on the output scale {s_out}")
    return np.clip(np.rint(scaled) + zp_out, INT8_MIN, INT8_MAX).astype(np.int8)


def output_range(kind: str, q_in: Quant, params: dict[str, float] | None = None,
                 slope: np.ndarray | None = None, table: GridValues | None = None) -> tuple[float, float]:
    """(min, max) of f over the 256 reals the int8 input can hold: the exact range of an unquantized result."""
    s_in, zp_in = q_in
    reals = (CODES - zp_in).astype(np.float64) * float(s_in)
    if slope is None:
        values = evaluate(kind, reals, params, table=table)
    else:
        values = evaluate(kind, reals[:, None], params, np.ravel(slope)[None, :])
    return float(values.min()), float(values.max())


# =====================================================================================
# TFLite Micro's integer arithmetic
# =====================================================================================


def _f32(x: float | np.floating) -> np.float32:
    return np.float32(x)


def _round_half_away(x: float) -> int:
    """TfLiteRound / std::round: halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def tflite_quantize_multiplier(real: float) -> tuple[int, int]:
    """(Q31 mantissa, shift) of a real multiplier of either sign, as TFLite's QuantizeMultiplier.

    tensorflow/lite/kernels/internal/quantization_util.cc: frexp, the mantissa
    times 2^31 rounded half away from zero, a mantissa of 2^31 halved with the
    shift one up, shifts below -31 flushed to (0, 0) (TFLite Micro's default
    double-rounding build: no saturation of large shifts).
    """
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise TableError(f"the multiplier {real} is not finite")
    fraction, shift = math.frexp(real)
    mantissa = _round_half_away(fraction * (1 << 31))
    if mantissa == 1 << 31:
        mantissa //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return mantissa, shift


def _requantize(x: np.ndarray, multiplier: int, shift: int, what: str) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (tensorflow/lite/kernels/internal/common.h, double rounding) of int32 x.

    Raises TableError when x * 2^shift overflows int32, which the C code does not survive.
    """
    x = np.asarray(x, dtype=np.int64)
    if shift > 0 and x.size and int(np.abs(x).max()) << shift > INT32_MAX:
        raise TableError(f"the {what} multiplier needs a left shift of {shift}, which overflows int32 "
                         "(the output scale is too small for the input scale)")
    return multiply_by_quantized_multiplier(x, multiplier, shift)


def _clamp8(x: np.ndarray) -> np.ndarray:
    return np.clip(x, INT8_MIN, INT8_MAX).astype(np.int8)


def _input_scaling(s_in: float, integer_bits: int, what: str) -> tuple[int, int, int]:
    """(multiplier, left shift, radius) of LOGISTIC / TANH: s_in * 2^(31 - integer_bits) split by frexp.

    tensorflow/lite/micro/kernels/logistic_common.cc and tanh.cc
    (CalculateArithmeticOpData): the mantissa rounded half away from zero and
    cast to int32, the radius from CalculateInputRadius
    (tensorflow/lite/kernels/internal/quantization_util.cc).
    """
    real = float(_f32(s_in)) * float(1 << (31 - integer_bits))
    fraction, shift = math.frexp(real)
    multiplier = _round_half_away(fraction * (1 << 31))
    if multiplier > INT32_MAX or shift < 0:
        raise TableError(f"the input scale {s_in} gives {what} an input multiplier int32 cannot hold; "
                         "quantize the input with a scale of at least 2^-28")
    radius = math.floor(1.0 * ((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << shift))
    return multiplier, shift, radius


def _check_output(q_out: Quant, scale: float, zero_point: int, builtin: str) -> None:
    if (float(_f32(q_out[0])), q_out[1]) != (scale, zero_point):
        raise TableError(f"TFLite's int8 {builtin} writes outputs with scale {scale} and zero point {zero_point}, "
                         f"the model's output has {q_out[0]}:{q_out[1]}; quantize the output that way (as the "
                         "TFLite converter does)")


def tflm_logistic(q_in: Quant, q_out: Quant) -> np.ndarray:
    """LOGISTIC: tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h (int8 `Logistic`).

    The input minus its zero point, outside (-radius, radius) saturated to
    -128 / 127; inside, rescaled to Q4.27, gemmlowp's fixed-point logistic to
    Q0.31, divided by 2^23 (rounding half away from zero) minus 128. The
    output is always scale 1/256, zero point -128
    (tensorflow/lite/micro/kernels/logistic_common.cc checks the zero point).
    """
    _check_output(q_out, 1.0 / 256.0, -128, "LOGISTIC")
    multiplier, shift, radius = _input_scaling(q_in[0], 4, "LOGISTIC")
    x = CODES - q_in[1]
    inside = (x > -radius) & (x < radius)
    scaled = _requantize(np.where(inside, x, 0), multiplier, shift, "LOGISTIC input")
    out = rounding_divide_by_pot(logistic(scaled, 4), 31 - 8) - 128
    return _clamp8(np.where(x <= -radius, INT8_MIN, np.where(x >= radius, INT8_MAX, out)))


def tflm_tanh(q_in: Quant, q_out: Quant) -> np.ndarray:
    """TANH: tensorflow/lite/kernels/internal/reference/integer_ops/tanh.h (int8 `Tanh`).

    As LOGISTIC, with gemmlowp's fixed-point tanh and a division by 2^24: the
    output is always scale 1/128, zero point 0 (tensorflow/lite/micro/kernels/tanh.cc).
    """
    _check_output(q_out, 1.0 / 128.0, 0, "TANH")
    multiplier, shift, radius = _input_scaling(q_in[0], 4, "TANH")
    x = CODES - q_in[1]
    inside = (x > -radius) & (x < radius)
    scaled = _requantize(np.where(inside, x, 0), multiplier, shift, "TANH input")
    out = rounding_divide_by_pot(tanh(scaled, 4), 31 - 7)
    return _clamp8(np.where(x <= -radius, INT8_MIN, np.where(x >= radius, INT8_MAX, out)))


# -- int16 fixed point of HARD_SWISH (C++ int16_t arithmetic, each result wrapped to 16 bits) -------------


def _wrap16(x: int) -> int:
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _srdhm16(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16: (a*b + 2^14) / 2^15 rounded, -2^15 squared saturates."""
    if a == b == INT16_MIN:
        return INT16_MAX
    total = a * b + ((1 << 14) if a * b >= 0 else 1 - (1 << 14))
    quotient = abs(total) >> 15  # C++ division truncates toward zero
    return _wrap16(quotient if total >= 0 else -quotient)


def _sdhm16(a: int, b: int) -> int:
    """SaturatingDoublingHighMul (tensorflow/lite/kernels/internal/reference/hard_swish.h): a*b / 2^15, truncated."""
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    quotient = abs(ab) >> 15
    return _wrap16(quotient if ab >= 0 else -quotient)


def _saturating_left_shift16(value: int, amount: int) -> int:
    """SaturatingLeftShift (reference/hard_swish.h): value * 2^amount clamped to int16."""
    return max(INT16_MIN, min(INT16_MAX, value * (1 << amount)))


def _rounding_divide_by_pot16(x: int, exponent: int) -> int:
    """gemmlowp RoundingDivideByPOT on int16 (the mask taken to 16 bits, as the C++ template does)."""
    mask = _wrap16((1 << exponent) - 1)
    remainder = _wrap16(x & mask)
    threshold = _wrap16((mask >> 1) + (1 if x < 0 else 0))
    return _wrap16((x >> exponent) + (1 if remainder > threshold else 0))


def _downscale_to_int16(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier (tensorflow/lite/kernels/internal/common.h): round to the top 16 bits."""
    if multiplier >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


def tflm_hard_swish(q_in: Quant, q_out: Quant) -> np.ndarray:
    """HARD_SWISH: reference_ops::HardSwish, HardSwishParams (tensorflow/lite/kernels/internal/reference/hard_swish.h).

    Parameters as tensorflow/lite/micro/kernels/hard_swish_common.cc computes
    them: hires input scale s_in / 128 in float32; the output multiplier
    (hires / s_out) and the "reluish" multiplier (hires / (3 / 32768)), each
    from QuantizeMultiplier and rounded to 16 bits; TFLite refuses an output
    multiplier with a positive exponent. Then per input: the int16 fixed-point
    steps of the reference kernel.
    """
    (s_in, zp_in), (s_out, zp_out) = q_in, q_out
    hires = _f32(_f32(1.0 / 128.0) * _f32(s_in))
    out_mult, out_exp = tflite_quantize_multiplier(float(_f32(hires / _f32(s_out))))
    if out_exp > 0:
        raise TableError(f"TFLite's HARD_SWISH needs an output scale of at least the input scale / 128 "
                         f"(input {s_in}, output {s_out}); give the output a larger scale")
    relu_mult, relu_exp = tflite_quantize_multiplier(float(_f32(hires / _f32(3.0 / 32768.0))))
    out16, relu16 = _downscale_to_int16(out_mult), _downscale_to_int16(relu_mult)
    table = []
    for code in CODES.tolist():
        value = _wrap16(code - zp_in)
        hires_value = _wrap16(value * (1 << 7))
        preshift = _srdhm16(hires_value, out16)
        reluish = hires_value
        if relu_exp > 0:
            reluish = _saturating_left_shift16(reluish, relu_exp - 1)
        reluish = _srdhm16(reluish, relu16)
        if relu_exp > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if relu_exp < 0:
            reluish = _rounding_divide_by_pot16(reluish, -relu_exp)
        reluish = _wrap16((reluish + (1 << 15)) >> 1)
        output = _rounding_divide_by_pot16(_sdhm16(reluish, preshift), -out_exp)
        table.append(_wrap16(output + zp_out))
    return _clamp8(np.array(table, dtype=np.int64))


def tflm_leaky_relu(q_in: Quant, q_out: Quant, alpha: float) -> np.ndarray:
    """LEAKY_RELU: QuantizeLeakyRelu (tensorflow/lite/kernels/internal/reference/leaky_relu.h).

    Multipliers as tensorflow/lite/micro/kernels/leaky_relu_common.cc: s_in *
    alpha / s_out and s_in / s_out in float32, then QuantizeMultiplier (alpha
    may be negative). Inputs at or above the zero point take the identity
    multiplier, the others alpha's; plus the output zero point, clamped.
    """
    (s_in, zp_in), (s_out, zp_out) = q_in, q_out
    alpha_mult = tflite_quantize_multiplier(float(_f32(_f32(_f32(s_in) * _f32(alpha)) / _f32(s_out))))
    identity_mult = tflite_quantize_multiplier(float(_f32(_f32(s_in) / _f32(s_out))))
    x = CODES - zp_in
    positive = _requantize(np.maximum(x, 0), *identity_mult, "LEAKY_RELU identity")
    negative = _requantize(np.minimum(x, 0), *alpha_mult, "LEAKY_RELU alpha")
    return _clamp8(np.where(x >= 0, positive, negative) + zp_out)


def tflm_elu(q_in: Quant, q_out: Quant) -> np.ndarray:
    """ELU: PopulateLookupTable with exp(x) - 1 below zero (tensorflow/lite/micro/kernels/elu.cc).

    In float32: the input (q - zp_in) * s_in, the transform expf(x) - 1 for x
    < 0, times 1 / s_out, rounded half away from zero, plus zp_out, clamped.
    expf is the correctly rounded float32 exponential.
    """
    (s_in, zp_in), (s_out, zp_out) = q_in, q_out
    inverse = _f32(_f32(1.0) / _f32(s_out))
    table = []
    for code in CODES.tolist():
        x = _f32(_f32(s_in) * _f32(code - zp_in))
        y = _f32(_f32(math.exp(float(x))) - _f32(1.0)) if x < 0 else x
        rescaled = _round_half_away(float(_f32(y * inverse)))
        table.append(rescaled + zp_out)
    return _clamp8(np.array(table, dtype=np.int64))


def tflm_prelu(q_in: Quant, q_out: Quant, alpha_codes: Sequence[int], q_alpha: Quant) -> np.ndarray:
    """PRELU: BroadcastPrelu4DSlow (tensorflow/lite/kernels/internal/reference/prelu.h); one table per alpha code.

    Multipliers as tensorflow/lite/micro/kernels/prelu_common.cc, in double:
    s_in / s_out, and s_in * s_alpha / s_out for (q - zp_in) * (alpha -
    zp_alpha) below the input zero point. Returns [len(alpha_codes), 256].
    """
    (s_in, zp_in), (s_out, zp_out), (s_alpha, zp_alpha) = q_in, q_out, q_alpha
    m1 = tflite_quantize_multiplier(float(_f32(s_in)) / float(_f32(s_out)))
    m2 = tflite_quantize_multiplier(float(_f32(s_in)) * float(_f32(s_alpha)) / float(_f32(s_out)))
    x = CODES - zp_in
    positive = _requantize(np.maximum(x, 0), *m1, "PRELU identity")
    tables = []
    for code in alpha_codes:
        product = np.minimum(x, 0) * (int(code) - zp_alpha)
        negative = _requantize(product, *m2, "PRELU alpha")
        tables.append(_clamp8(np.where(x >= 0, positive, negative) + zp_out))
    return np.stack(tables)


def tflm_table(kind: str, q_in: Quant, q_out: Quant, params: dict[str, float] | None = None) -> np.ndarray:
    """The TFLite Micro table of `kind` (not PRelu, whose alpha is a tensor: `tflm_prelu`)."""
    params = {**ACTIVATIONS[kind].defaults, **(params or {})}
    if kind == "sigmoid":
        return tflm_logistic(q_in, q_out)
    if kind == "tanh":
        return tflm_tanh(q_in, q_out)
    if kind == "hard_swish":
        return tflm_hard_swish(q_in, q_out)
    if kind == "leaky_relu":
        return tflm_leaky_relu(q_in, q_out, params["alpha"])
    if kind == "elu":
        if params["alpha"] != 1.0:
            raise TableError(f"TFLite's ELU has alpha 1, got {params['alpha']}")
        return tflm_elu(q_in, q_out)
    raise TableError(f"{kind} has no TFLite Micro int8 kernel")


def tflm_lut_s16(func: Callable[[np.float32], np.float32], input_min: float, input_max: float) -> np.ndarray:
    """The 513-entry int16 table TFLite builds for an int16-input function (`gen_lut<float, int16_t, int16_t>` in
    tensorflow/lite/kernels/internal/common.h, output range [-1, 1]): 512 steps over [input_min, input_max], each
    sample moved by half its interpolation error at the step's midpoint, then func(input_max); float32 arithmetic.

    `func` maps a float32 to a float32, rounded once (as the C library's expf is, to the nearest float32).
    """
    steps = 512
    lo, hi = np.float32(input_min), np.float32(input_max)
    step = np.float32((hi - lo) / np.float32(steps))
    half_step = np.float32(step / np.float32(2))
    scaling = np.float32(np.float32(65536) / np.float32(2))
    table = np.empty(steps + 1, np.int16)

    def rounded(x: np.float32) -> np.float32:
        return np.float32(np.sign(x) * np.floor(np.abs(x) + np.float32(0.5)))  # std::round: half away from zero

    for i in range(steps):
        start = np.float32(lo + np.float32(np.float32(i) * step))
        val = func(start)
        midpoint = func(np.float32(start + half_step))
        following = func(np.float32(lo + np.float32(np.float32(i + 1) * step)))
        sample = rounded(np.float32(val * scaling))
        interpolated = rounded(np.float32(np.float32(np.float32(following * scaling) + sample) / np.float32(2)))
        err = np.float32(interpolated - rounded(np.float32(midpoint * scaling)))
        bias = rounded(np.float32(err / np.float32(2)))
        table[i] = int(min(max(np.float32(sample - bias), -32768.0), 32767.0))
    table[steps] = int(min(max(rounded(np.float32(func(hi) * scaling)), -32768.0), 32767.0))
    return table


def f32_exp(x: np.float32) -> np.float32:
    """exp in float32, rounded once from the double result."""
    return np.float32(math.exp(float(x)))


def f32_one_over_one_plus(x: np.float32) -> np.float32:
    """1 / (1 + x), each operation in float32."""
    return np.float32(np.float32(1) / np.float32(np.float32(1) + x))


# =====================================================================================
# int16: a per-layer table with linear interpolation (ONNX A16W8)
# =====================================================================================

S16_STEP_LOG2 = (7, 6, 5, 4, 3)
"""Table spacings tried, widest first: input codes 2^s apart, (65536 >> s) + 1 entries (513 to 8193)."""
S16_ERROR_BOUND = 1.45
"""Largest |kernel output - f(x * s_in) / s_out| accepted, over every int16 input, in output steps. onnxruntime
rounds its float32 value to the nearest code, so the kernel is within 1 step of it while its float32 value is
within 0.05 steps of the exact real (1.45 + 0.05 < 2)."""


def lut_s16(x: np.ndarray, table: np.ndarray, step_log2: int) -> np.ndarray:
    """`cmsis_opt_lut_s16` of the int16 codes `x`, exactly as runtime/src/cmsis_opt_lut_s16.c computes it.

    u = x + 32768 splits into entry j = u >> s and remainder r = u & (2^s - 1); the output is
    (a * (2^s - r) + b * r + 2^(s-1)) >> s - 32768 with a, b the entries j, j + 1 offset by 32768
    (non-negative, so every step is unsigned 32-bit arithmetic). Returns int64 values in int16 range."""
    u = x.astype(np.int64) + 32768
    j = u >> step_log2
    r = u & ((1 << step_log2) - 1)
    entries = table.astype(np.int64) + 32768
    a, b = entries[j], entries[j + 1]
    rounding = (1 << (step_log2 - 1)) if step_log2 > 0 else 0
    return ((a * ((1 << step_log2) - r) + b * r + rounding) >> step_log2) - 32768


def float_reals_s16(kind: str, s_in: float, s_out: float, params: dict[str, float] | None = None,
                    table: GridValues | None = None, codes: np.ndarray | None = None) -> np.ndarray:
    """f(q * s_in) / s_out in float64 for int16 codes q (zero points 0: the symmetric int16 scheme); all 65,536
    codes by default. The scales are read as float32, as ONNX stores them."""
    q = np.arange(INT16_MIN, INT16_MAX + 2, dtype=np.int64) if codes is None else codes
    reals = q.astype(np.float64) * float(np.float32(s_in))
    return evaluate(kind, reals, params, None, table) / float(np.float32(s_out))


def float_table_s16(kind: str, s_in: float, s_out: float, params: dict[str, float] | None = None,
                    table: GridValues | None = None) -> tuple[np.ndarray, int, float]:
    """(table, step_log2, error) of the int16 element-wise function `kind` from scale `s_in` to `s_out` (zero
    points 0): the widest spacing in `S16_STEP_LOG2` whose interpolation `lut_s16` is within `S16_ERROR_BOUND`
    of the exact real (saturated to int16) for all 65,536 inputs (checked here, input by input), and that largest
    error in output steps. Entry j is round_half_even(f((j * 2^s - 32768) * s_in) / s_out) saturated;
    the last one is at code 32768, past the int16 range, so that every input has a right neighbour.
    Raises TableError when no spacing meets the bound or the function is not finite there."""
    codes = np.arange(INT16_MIN, INT16_MAX + 1, dtype=np.int64)
    exact = np.clip(float_reals_s16(kind, s_in, s_out, params, table, codes), INT16_MIN, INT16_MAX)
    if not np.all(np.isfinite(exact)):
        raise TableError(f"{kind} of the int16 input range is not finite on the output scale {s_out}")
    worst = math.inf
    for step_log2 in S16_STEP_LOG2:
        knots = np.arange(INT16_MIN, INT16_MAX + 2, 1 << step_log2, dtype=np.int64)
        reals = float_reals_s16(kind, s_in, s_out, params, table, knots)
        entries = np.clip(np.rint(reals), INT16_MIN, INT16_MAX).astype(np.int16)
        error = float(np.max(np.abs(lut_s16(codes, entries, step_log2) - exact)))
        if error <= S16_ERROR_BOUND:
            return entries, step_log2, error
        worst = min(worst, error)
    raise TableError(f"{kind} from input scale {s_in} to output scale {s_out} curves too fast for an int16 table of "
                     f"{(65536 >> S16_STEP_LOG2[-1]) + 1} entries: {worst:.2f} output steps off at best, more than "
                     f"the {S16_ERROR_BOUND} that keeps it within 1 step of onnxruntime")


# =====================================================================================
# int16 softmax as onnxruntime computes it (ONNX A16W8): exp from two tables, exact integer division
# =====================================================================================

SOFTMAX_S16_ONE_LOG2 = 30
"""exp values are fixed point with 30 fraction bits: 2^30 is 1 (entries fit int32)."""
SOFTMAX_S16_MAX_ROW = 1024
"""Longest row (softmax axis) accepted: the error analysis of `softmax_table_s16` bounds the kernel's real value
within (n + 1) * 32767 * 2^-29 / (1 - n * 2^-29) output steps of the exact one, 0.063 at n = 1024."""
SOFTMAX_S16_OUTPUT_SCALE = float(np.float32(1.0 / 32767.0))
"""The output scale of an ONNX A16W8 softmax (onnxruntime's quantize_static, symmetric int16: [0, 1] / 32767)."""


def softmax_exp_table_s16(s_in: float, beta: float = 1.0) -> np.ndarray:
    """[512] int32 exp table of `cmsis_opt_softmax_s16` for input scale `s_in` (read as float32) and `beta`.

    With s = s_in * beta, entry k (0..255) is round(exp(-256 k s) * 2^30) and entry 256 + j (0..255) is
    round(exp(-j s) * 2^30), in float64: a difference d = max - x (0..65535 input codes) has
    exp(-d s) = entry[d >> 8] * entry[256 + (d & 255)] / 2^60. Entries where exp is below 2^-31 are 0 (far
    below the 2^-40 where any output could still change). Raises TableError for a scale that is not positive
    and finite."""
    s = float(np.float32(s_in)) * float(beta)
    if not (math.isfinite(s) and s > 0.0):
        raise TableError(f"the softmax's input scale times beta is {s}, not a positive finite number")
    one = float(1 << SOFTMAX_S16_ONE_LOG2)
    k = np.arange(256, dtype=np.float64)
    entries = np.concatenate([np.exp(-256.0 * k * s), np.exp(-k * s)]) * one
    return np.floor(entries + 0.5).astype(np.int64).astype(np.int32)


def softmax_table_s16(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """`cmsis_opt_softmax_s16` of int16 rows `x` ([..., n], the softmax over the last axis), exactly as
    runtime/src/cmsis_opt_softmax_s16.c computes it; int64 codes in [0, 32767], output scale 1/32767, zero point 0.

    Per row: d_i = max - x_i (0..65535); E_i = (H[d_i >> 8] * L[d_i & 255] + 2^29) >> 30 with H, L the two halves
    of `table` (`softmax_exp_table_s16`); S = sum E_i (uint64); out_i = (E_i * 32767 + S / 2) / S, truncated:
    32767 E_i / S rounded half up (E_i <= S, so it never passes 32767).

    Error analysis (reals, exp values in units of 1): each entry is off its exp by at most 2^-31 (rounding; the
    float64 exp adds 2^-52 relative), entries are at most 1, and the shift rounds by 2^-31, so
    |E_i - e_i| <= 3 * 2^-31 + 2^-62 < eps = 2^-29, e_i = exp(-d_i s). The row's maximum has E = e = 1, so the
    exact sum is at least 1 and |E_i / S - e_i / sum e| <= eps + n eps / (1 - n eps). Times 32767, the kernel's
    real value before rounding is within (n + 1) * 32767 * 2^-29 / (1 - n * 2^-29) steps of the exact softmax:
    0.063 for n <= `SOFTMAX_S16_MAX_ROW`. onnxruntime rounds its float32 softmax of the dequantized inputs
    (error measured by the tests, far below 0.9 step); two values less than 1 apart round to codes at most 1
    apart, so the kernel is within 1 LSB of onnxruntime."""
    rows = np.asarray(x, dtype=np.int64)
    t = np.asarray(table, dtype=np.int64)
    high, low = t[:256], t[256:]
    d = rows.max(axis=-1, keepdims=True) - rows
    e = (high[d >> 8] * low[d & 255] + (1 << (SOFTMAX_S16_ONE_LOG2 - 1))) >> SOFTMAX_S16_ONE_LOG2
    total = e.sum(axis=-1, keepdims=True)
    return (e * 32767 + total // 2) // total


def softmax_error_bound_s16(n: int) -> float:
    """The kernel's worst distance, in output steps, from the exact softmax of a row of `n` (before rounding)."""
    eps = 2.0 ** -29
    return (n + 1) * 32767 * eps / (1 - n * eps)
