"""Integer-exact numpy kernels for the `cmsis` dialect (CMSIS-NN / TFLite int8 semantics).

Each kernel takes the op and its int8 NHWC operands and returns an int8
array. Arithmetic runs in int64 (exact); matrix products run as float64
BLAS products, which are exact here because every partial sum is an
integer far below 2^53.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.ir import Operation

from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.dialects.utils import ints, shape_of, to_numpy

from .fixedpoint import (
    count_leading_zeros32,
    exp_on_negative_values,
    multiply_by_quantized_multiplier,
    one_over_one_plus_x_for_x_in_0_1,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)

SOFTMAX_ACCUM_BITS = 12  # integer bits of the sum of exponentials
SOFTMAX_DIFF_BITS = 5  # integer bits of the scaled input differences


def window_patches(x: np.ndarray, kernel, stride, pad_before, dilation, out_hw, fill) -> np.ndarray:
    """The receptive field of every output pixel of an NHWC window op: [N, OH, OW, KH, KW, C].

    Positions outside the input (padding, including any implied bottom/right
    padding the output size needs) hold `fill`.
    """
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (pt, pl), (dh, dw), (oh, ow) = kernel, stride, pad_before, dilation, out_hw
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    need_h, need_w = (oh - 1) * sh + eh, (ow - 1) * sw + ew
    pb, pr = max(need_h - h - pt, 0), max(need_w - w - pl, 0)
    padded = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    view = sliding_window_view(padded, (eh, ew), axis=(1, 2))  # [N, H', W', C, EH, EW]
    view = view[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, :, ::dh, ::dw]
    return view.transpose(0, 1, 2, 4, 5, 3)


def _int(attr) -> int:
    return attr.value.data


def _clamp_to_int8(values: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(values, low, high).astype(np.int8)


def _activation(op: Operation) -> tuple[int, int]:
    return _int(op.act_min), _int(op.act_max)


def _bias(op: Operation, channels: int) -> np.ndarray:
    return np.zeros(channels, np.int64) if op.bias is None else to_numpy(op.bias).astype(np.int64)


def _requantize_and_clamp(acc: np.ndarray, op: Operation, multiplier, shift) -> np.ndarray:
    """The kernels' int32 accumulator (wrapping as the C code does), requantized, offset and clamped."""
    out = multiply_by_quantized_multiplier(wrap_int32(acc), multiplier, shift) + _int(op.output_offset)
    return _clamp_to_int8(out, *_activation(op))


def _filter_patches(op: Operation, x: np.ndarray, kernel) -> np.ndarray:
    """Receptive fields of (x + input_offset) as float64; padding contributes zero."""
    shifted = x.astype(np.float64) + _int(op.input_offset)
    out_hw = shape_of(op.output)[1:3]
    return window_patches(shifted, kernel, ints(op.stride), ints(op.padding), ints(op.dilation), out_hw, 0.0)


def conv(op: cmsis.ConvOp, x: np.ndarray) -> np.ndarray:
    """arm_convolve_wrapper_s8: per-channel requantized convolution, OHWI filter."""
    weights = to_numpy(op.filter)
    oc, kh, kw, ic = weights.shape
    patches = _filter_patches(op, x, (kh, kw))
    n, oh, ow = patches.shape[:3]
    columns = patches.reshape(n * oh * ow, kh * kw * ic)
    acc = np.rint(columns @ weights.reshape(oc, -1).astype(np.float64).T).astype(np.int64)
    acc = acc.reshape(n, oh, ow, oc) + _bias(op, oc)
    return _requantize_and_clamp(acc, op, np.array(ints(op.multiplier)), np.array(ints(op.shift)))


def depthwise_conv(op: cmsis.DepthwiseConvOp, x: np.ndarray) -> np.ndarray:
    """arm_depthwise_conv_wrapper_s8: output channel c reads input channel c // multiplier."""
    weights = to_numpy(op.filter)[0]  # [KH, KW, C_out]
    kh, kw, oc = weights.shape
    patches = _filter_patches(op, x, (kh, kw))
    multiplier = oc // x.shape[3]
    if multiplier > 1:
        patches = patches[..., np.repeat(np.arange(x.shape[3]), multiplier)]
    acc = np.einsum("nhwijc,ijc->nhwc", patches, weights.astype(np.float64), optimize=True)
    acc = np.rint(acc).astype(np.int64) + _bias(op, oc)
    return _requantize_and_clamp(acc, op, np.array(ints(op.multiplier)), np.array(ints(op.shift)))


def fully_connected(op: cmsis.FullyConnectedOp, x: np.ndarray) -> np.ndarray:
    """arm_fully_connected_s8: per-tensor requantized x @ W^T + bias."""
    weights = to_numpy(op.filter)
    shifted = x.astype(np.float64) + _int(op.input_offset)
    acc = np.rint(shifted @ weights.astype(np.float64).T).astype(np.int64) + _bias(op, weights.shape[0])
    return _requantize_and_clamp(acc, op, _int(op.multiplier), _int(op.shift))


def _pool_patches(op: Operation, x: np.ndarray, fill: int) -> np.ndarray:
    out_hw = shape_of(op.output)[1:3]
    return window_patches(x, ints(op.kernel), ints(op.stride), ints(op.padding), (1, 1), out_hw, fill)


def max_pool(op: cmsis.MaxPoolOp, x: np.ndarray) -> np.ndarray:
    """arm_max_pool_s8: the largest valid input of each window; padding never wins."""
    patches = _pool_patches(op, x.astype(np.int64), np.iinfo(np.int64).min)
    return _clamp_to_int8(patches.max(axis=(3, 4)), *_activation(op))


def avg_pool(op: cmsis.AvgPoolOp, x: np.ndarray) -> np.ndarray:
    """arm_avgpool_s8: sum of the valid inputs / their count, rounded half away from zero."""
    total = _pool_patches(op, x.astype(np.int64), 0).sum(axis=(3, 4))
    count = _pool_patches(op, np.ones(x.shape, np.int64), 0).sum(axis=(3, 4))
    half = count // 2
    mean = np.where(total > 0, (total + half) // count, -((half - total) // count))
    return _clamp_to_int8(mean, *_activation(op))


def softmax(op: cmsis.SoftmaxOp, x: np.ndarray) -> np.ndarray:
    """arm_softmax_s8 over the last dimension (gemmlowp fixed-point exp; output 1/256, zp -128)."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.int64)
    diff = rows - rows.max(axis=1, keepdims=True)
    valid = diff >= _int(op.diff_min)
    scaled = saturating_rounding_doubling_high_mul(
        wrap_int32(diff << _int(op.input_left_shift)), _int(op.input_multiplier)
    )
    exps = exp_on_negative_values(scaled, SOFTMAX_DIFF_BITS)
    total = np.where(valid, rounding_divide_by_pot(exps, SOFTMAX_ACCUM_BITS), 0).sum(axis=1, keepdims=True)
    headroom = count_leading_zeros32(total)
    reciprocal = one_over_one_plus_x_for_x_in_0_1((total << headroom) - (1 << 31))
    bits_over_unit = SOFTMAX_ACCUM_BITS - headroom + 31 - 8
    out = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(reciprocal, exps), bits_over_unit) - 128
    return np.where(valid, np.clip(out, -128, 127), -128).astype(np.int8).reshape(x.shape)


def add(op: cmsis.AddOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """arm_elementwise_add_s8: both inputs rescaled with left_shift, summed, requantized."""
    shift = _int(op.left_shift)
    sa = multiply_by_quantized_multiplier(
        (a.astype(np.int64) + _int(op.input1_offset)) << shift, _int(op.input1_multiplier), _int(op.input1_shift))
    sb = multiply_by_quantized_multiplier(
        (b.astype(np.int64) + _int(op.input2_offset)) << shift, _int(op.input2_multiplier), _int(op.input2_shift))
    out = multiply_by_quantized_multiplier(sa + sb, _int(op.output_multiplier), _int(op.output_shift))
    return _clamp_to_int8(out + _int(op.output_offset), *_activation(op))


def mul(op: cmsis.MulOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """arm_elementwise_mul_s8: (a + offset1) * (b + offset2), requantized."""
    product = (a.astype(np.int64) + _int(op.input1_offset)) * (b.astype(np.int64) + _int(op.input2_offset))
    out = multiply_by_quantized_multiplier(product, _int(op.output_multiplier), _int(op.output_shift))
    return _clamp_to_int8(out + _int(op.output_offset), *_activation(op))


def pad(op: cmsis.PadOp, x: np.ndarray) -> np.ndarray:
    """arm_pad_s8: constant padding with the zero point (real 0)."""
    q = quant_of(op.output.type)
    assert q is not None
    widths = list(zip(ints(op.pre_pad), ints(op.post_pad)))
    return np.pad(x, widths, constant_values=q.zero_point).astype(np.int8)


def concat(op: cmsis.ConcatOp, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=_int(op.axis)).astype(np.int8)


def reshape(op: cmsis.ReshapeOp, x: np.ndarray) -> np.ndarray:
    return x.reshape(shape_of(op.output))


KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "cmsis.conv": conv,
    "cmsis.depthwise_conv": depthwise_conv,
    "cmsis.fully_connected": fully_connected,
    "cmsis.max_pool": max_pool,
    "cmsis.avg_pool": avg_pool,
    "cmsis.softmax": softmax,
    "cmsis.add": add,
    "cmsis.mul": mul,
    "cmsis.pad": pad,
    "cmsis.concat": concat,
    "cmsis.reshape": reshape,
}
