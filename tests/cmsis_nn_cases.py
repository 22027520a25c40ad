"""Single-kernel cmsis networks as IR text, with every parameter chosen: shapes, window, padding at both ends.

(Helpers of test_cmsis_nn_branches.py; no tests here.) Weights, biases,
inputs and requantization are random but valid (seeded by the network name),
so outputs spread over the int8 range.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from cmsis_opt.dialects.quant import format_float
from cmsis_opt.quantmath import quantize_multiplier

IN_Q = (0.0625, -7)
OUT_Q = (0.125, 5)


def _type(shape, q=IN_Q) -> str:
    return f"tensor<{'x'.join(str(d) for d in shape)}x!quant.uniform<i8:f32, {format_float(q[0])}:{q[1]}>>"


def _dense(values: np.ndarray, element: str) -> str:
    data = values.astype("<i1" if element == "i8" else "<i4").tobytes().hex().upper()
    return f'dense<"0x{data}"> : tensor<{"x".join(str(d) for d in values.shape)}x{element}>'


def _ints(values) -> str:
    return ", ".join(str(int(v)) for v in values)


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def out_size(size: int, kernel: int, stride: int, pad: int, end: int, dilation: int = 1) -> int:
    return (size + pad + end - ((kernel - 1) * dilation + 1)) // stride + 1


def _function(name: str, input_shapes, op_text: str, result_shape, result_q=OUT_Q) -> str:
    args = ", ".join(f"%in{k}: {_type(s)}" for k, s in enumerate(input_shapes))
    result = _type(result_shape, result_q)
    return (f"func.func @{name}({args}) -> ({result}) {{\n  %r = {op_text} -> {result}\n"
            f"  func.return %r : {result}\n}}\n")


def _requant(rng: np.random.Generator, depth: int, channels: int) -> tuple[list[int], list[int]]:
    mults, shifts = [], []
    for _ in range(channels):
        m, s = quantize_multiplier(2.0 ** rng.uniform(-1.5, 0.5) / (40.0 * math.sqrt(depth)))
        mults.append(m)
        shifts.append(s)
    return mults, shifts


def _filter_op(kind: str, name: str, shape, oc: int, kernel, stride, pad, end, dilation, filter_shape,
               extra: str = "") -> str:
    rng = rng_for(name)
    n, h, w, c = shape
    oh = out_size(h, kernel[0], stride[0], pad[0], end[0], dilation[0])
    ow = out_size(w, kernel[1], stride[1], pad[1], end[1], dilation[1])
    weights = rng.integers(-127, 128, size=filter_shape)
    bias = rng.integers(-3000, 3000, size=(oc,))
    depth = kernel[0] * kernel[1] * (c if kind == "conv" else 1)
    mults, shifts = _requant(rng, depth, oc)
    props = (f"filter = {_dense(weights, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = array<i32: {_ints(mults)}>, "
             f"shift = array<i32: {_ints(shifts)}>, input_offset = {-IN_Q[1]} : i32, output_offset = {OUT_Q[1]} : i32, "
             f"act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: {_ints(stride)}>, "
             f"padding = array<i64: {_ints(pad)}>, dilation = array<i64: {_ints(dilation)}>{extra}, layer = \"{name}\"")
    return _function(name, [shape], f"cmsis.{kind} %in0 {{{props}}} : ({_type(shape)})", (n, oh, ow, oc))


def conv(name: str, shape, oc: int, kernel=(1, 1), stride=(1, 1), pad=(0, 0), end=None, dilation=(1, 1),
         generic: bool = False) -> str:
    """cmsis.conv on NHWC `shape`; `pad` is the top/left padding, `end` the bottom/right (default: the same)."""
    extra = ', kernel = "generic"' if generic else ""
    return _filter_op("conv", name, shape, oc, kernel, stride, pad, end or pad, dilation,
                      (oc, kernel[0], kernel[1], shape[3]), extra)


def depthwise(name: str, shape, mult: int, kernel=(3, 3), stride=(1, 1), pad=(0, 0), end=None,
              dilation=(1, 1)) -> str:
    oc = shape[3] * mult
    return _filter_op("depthwise_conv", name, shape, oc, kernel, stride, pad, end or pad, dilation,
                      (1, kernel[0], kernel[1], oc))


def avg_pool(name: str, shape, kernel, stride, pad=(0, 0), end=None) -> str:
    end = end or pad
    n, h, w, c = shape
    oh, ow = (out_size(h, kernel[0], stride[0], pad[0], end[0]), out_size(w, kernel[1], stride[1], pad[1], end[1]))
    props = (f"kernel = array<i64: {_ints(kernel)}>, stride = array<i64: {_ints(stride)}>, "
             f"padding = array<i64: {_ints(pad)}>, act_min = -128 : i32, act_max = 127 : i32, layer = \"{name}\"")
    return _function(name, [shape], f"cmsis.avg_pool %in0 {{{props}}} : ({_type(shape)})", (n, oh, ow, c), IN_Q)


def fully_connected(name: str, batches: int, depth: int, rows: int) -> str:
    rng = rng_for(name)
    weights = rng.integers(-127, 128, size=(rows, depth))
    bias = rng.integers(-3000, 3000, size=(rows,))
    (mult,), (shift,) = _requant(rng, depth, 1)
    props = (f"filter = {_dense(weights, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = {mult} : i32, "
             f"shift = {shift} : i32, input_offset = {-IN_Q[1]} : i32, output_offset = {OUT_Q[1]} : i32, "
             f"act_min = -128 : i32, act_max = 127 : i32, layer = \"{name}\"")
    shape = (batches, depth)
    return _function(name, [shape], f"cmsis.fully_connected %in0 {{{props}}} : ({_type(shape)})", (batches, rows))


def transpose(name: str, shape, perm) -> str:
    props = f'perm = array<i64: {_ints(perm)}>, layer = "{name}"'
    return _function(name, [shape], f"cmsis.transpose %in0 {{{props}}} : ({_type(shape)})",
                     tuple(shape[p] for p in perm), IN_Q)


def inputs_for(name: str, shapes) -> list[np.ndarray]:
    rng = rng_for(name + "/input")
    return [rng.integers(-128, 128, size=s, dtype=np.int8) for s in shapes]


def transpose_conv(name: str, shape, oc: int, kernel, stride, pad=(0, 0), end=(0, 0)) -> str:
    """cmsis.transpose_conv on NHWC `shape`: output (in - 1) * stride + kernel - pad - end per axis (`end` may be
    negative down to -(stride - kernel) where the stride exceeds the kernel: rows of bias alone)."""
    rng = rng_for(name)
    n, h, w, c = shape
    oh = (h - 1) * stride[0] + kernel[0] - pad[0] - end[0]
    ow = (w - 1) * stride[1] + kernel[1] - pad[1] - end[1]
    weights = rng.integers(-127, 128, size=(oc, kernel[0], kernel[1], c))
    bias = rng.integers(-3000, 3000, size=(oc,))
    mults, shifts = _requant(rng, kernel[0] * kernel[1] * c, oc)
    props = (f"filter = {_dense(weights, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = array<i32: {_ints(mults)}>, "
             f"shift = array<i32: {_ints(shifts)}>, input_offset = {-IN_Q[1]} : i32, output_offset = {OUT_Q[1]} : i32, "
             f"act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: {_ints(stride)}>, "
             f"padding = array<i64: {_ints(pad)}>, dilation = array<i64: 1, 1>, layer = \"{name}\"")
    return _function(name, [shape], f"cmsis.transpose_conv %in0 {{{props}}} : ({_type(shape)})", (n, oh, ow, oc))
