"""numpy kernels for the `nn` dialect: float32 ONNX semantics, NCHW, plus quantize/dequantize.

Each kernel takes the op and its operand arrays and returns the result
array; `NNFunctions` registers them with xDSL's interpreter. Layout-only ops
(reshape, transpose, pad, concat) also work on the stored integers of
quantized tensors.
"""

from __future__ import annotations

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls

from cmsis_opt import lut
from cmsis_opt.dialects import nn
from cmsis_opt.dialects.quant import UniformQuantizedType, quant_of
from cmsis_opt.dialects.utils import ints, numpy_dtype, shape_of, to_numpy, window_patches


def _axis_shape(q: UniformQuantizedType, rank: int) -> tuple[int, ...]:
    """Shape that broadcasts per-axis scales/zero points against a tensor of `rank`."""
    axis = q.axis
    if axis is None:  # per tensor
        return ()
    shape = [1] * rank
    shape[axis] = len(q.scales)
    return tuple(shape)


def quant_params(q: UniformQuantizedType, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Scales (float32) and zero points (int64) shaped to broadcast against a rank-`rank` tensor."""
    shape = _axis_shape(q, rank)
    scales = np.array(q.scales, np.float32).reshape(shape)
    zero_points = np.array(q.zero_points, np.int64).reshape(shape)
    return scales, zero_points


def quantize_array(x: np.ndarray, q: UniformQuantizedType) -> np.ndarray:
    """ONNX QuantizeLinear: clamp(round_half_even(x / scale) + zero_point), float32 division."""
    scales, zero_points = quant_params(q, x.ndim)
    # the quotient is clamped before the int64 cast, which wraps past 9.2e18 (1e30 became qmin): 2**40 is far past
    # any storage type's range, so every value clamped there saturates as it would unclamped
    with np.errstate(over="ignore"):  # a quotient past float32's range is inf, which the clamp saturates
        quotient = np.clip(np.rint(np.asarray(x, np.float32) / scales), -(2.0 ** 40), 2.0 ** 40)
    rounded = quotient.astype(np.int64) + zero_points
    return np.clip(rounded, q.qmin, q.qmax).astype(numpy_dtype(q.storage_type))


def dequantize_array(x: np.ndarray, q: UniformQuantizedType) -> np.ndarray:
    """ONNX DequantizeLinear: (q - zero_point) * scale in float32."""
    scales, zero_points = quant_params(q, x.ndim)
    return ((x.astype(np.float32) - zero_points.astype(np.float32)) * scales).astype(np.float32)


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def constant(op: nn.ConstantOp) -> np.ndarray:
    return to_numpy(op.value)


def quantize(op: nn.QuantizeOp, x: np.ndarray) -> np.ndarray:
    q = quant_of(op.output.type)
    assert q is not None
    return quantize_array(x, q)


def dequantize(op: nn.DequantizeOp, x: np.ndarray) -> np.ndarray:
    q = quant_of(op.input.type)
    assert q is not None
    return dequantize_array(x, q)


def _nhwc(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1)


def conv2d(op: nn.Conv2DOp, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """ONNX Conv with groups, strides, dilations and [top, left, bottom, right] pads."""
    group = op.group.value.data
    out_c, in_per_group, kh, kw = w.shape
    n, _, oh, ow = shape_of(op.output)
    pads = ints(op.pads)
    patches = window_patches(_nhwc(x), (kh, kw), ints(op.strides), pads[:2], ints(op.dilations), (oh, ow), 0.0)
    patches = patches.reshape(n, oh, ow, kh, kw, group, in_per_group)
    weights = w.reshape(group, out_c // group, in_per_group, kh, kw)
    out = np.einsum("nhwijgc,gocij->nghwo", patches, weights, optimize=True)
    out = out.transpose(0, 1, 4, 2, 3).reshape(n, out_c, oh, ow)
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return _f32(out)


def conv_transpose2d(op: nn.ConvTranspose2DOp, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """ONNX ConvTranspose (group 1): every input pixel scatters x[c] * w[c, o] into its output window."""
    n, _, h, wd = x.shape
    _, out_c, kh, kw = w.shape
    oh, ow = shape_of(op.output)[2:]
    (sh, sw), pads = ints(op.strides), ints(op.pads)
    full = np.zeros((n, out_c, (h - 1) * sh + kh, (wd - 1) * sw + kw), np.float64)
    contrib = np.einsum("nchw,coij->nohwij", x.astype(np.float64), w.astype(np.float64), optimize=True)
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += contrib[..., i, j]
    grown = np.pad(full, ((0, 0), (0, 0), (0, max(pads[0] + oh - full.shape[2], 0)),
                          (0, max(pads[1] + ow - full.shape[3], 0))))
    out = grown[:, :, pads[0]:pads[0] + oh, pads[1]:pads[1] + ow]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return _f32(out)


def fully_connected(op: nn.FullyConnectedOp, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    out = x @ w.T
    return _f32(out if b is None else out + b)


def matmul(op: nn.MatMulOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _f32(a @ b)


def _pool_patches(op: nn.MaxPoolOp | nn.AvgPoolOp, x: np.ndarray, fill: float) -> np.ndarray:
    """Windows of an ONNX pool op: [N, OH, OW, KH, KW, C]."""
    oh, ow = shape_of(op.output)[2:]
    return window_patches(_nhwc(x), ints(op.kernel), ints(op.strides), ints(op.pads)[:2], (1, 1), (oh, ow), fill)


def _nchw(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 3, 1, 2)


def max_pool(op: nn.MaxPoolOp, x: np.ndarray) -> np.ndarray:
    """ONNX MaxPool: padded positions never win."""
    return _f32(_nchw(_pool_patches(op, x, -np.inf).max(axis=(3, 4))))


def avg_pool(op: nn.AvgPoolOp, x: np.ndarray) -> np.ndarray:
    """ONNX AveragePool, count_include_pad=0: the mean over the valid positions."""
    total = _pool_patches(op, x, 0.0).sum(axis=(3, 4), dtype=np.float32)
    count = _pool_patches(op, np.ones_like(x), 0.0).sum(axis=(3, 4), dtype=np.float32)
    return _f32(_nchw(total / count))


def global_avg_pool(op: nn.GlobalAvgPoolOp, x: np.ndarray) -> np.ndarray:
    return _f32(x.mean(axis=(2, 3), keepdims=True, dtype=np.float32))


def add(op: nn.AddOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _f32(a + b)


def mul(op: nn.MulOp, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _f32(a * b)


def relu(op: nn.ReluOp, x: np.ndarray) -> np.ndarray:
    return _f32(np.maximum(x, 0))


def clip(op: nn.ClipOp, x: np.ndarray) -> np.ndarray:
    return _f32(np.clip(x, op.min.value.data, op.max.value.data))


def softmax(op: nn.SoftmaxOp, x: np.ndarray) -> np.ndarray:
    """ONNX Softmax (opset 13) of beta * x along `axis`."""
    axis = op.axis.value.data
    beta = 1.0 if op.beta is None else op.beta.value.data
    scaled = x * np.float32(beta)
    exps = np.exp(scaled - scaled.max(axis=axis, keepdims=True))
    return _f32(exps / exps.sum(axis=axis, keepdims=True))


def activation(op: nn.ActivationOp, x: np.ndarray, slope: np.ndarray | None = None) -> np.ndarray:
    """The activation's float function (cmsis_opt.lut.ACTIVATIONS), evaluated in float64, as float32."""
    return _f32(lut.evaluate(op.kind.data, x, op.params, slope, op.table))


def reshape(op: nn.ReshapeOp, x: np.ndarray) -> np.ndarray:
    return x.reshape(shape_of(op.output))


def transpose(op: nn.TransposeOp, x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(ints(op.perm)))


def pad(op: nn.PadOp, x: np.ndarray) -> np.ndarray:
    """ONNX Pad, constant mode; on stored integers the value is quantized with the tensor's type."""
    pads = ints(op.pads)
    rank = x.ndim
    value = 0.0 if op.value is None else op.value.value.data
    q = quant_of(op.input.type)
    fill: float | int = value
    if q is not None:
        fill = int(np.clip(np.rint(np.float32(value) / np.float32(q.scale)) + q.zero_point, q.qmin, q.qmax))
    return np.pad(x, list(zip(pads[:rank], pads[rank:], strict=True)), constant_values=fill)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def lstm(op: nn.LSTMOp, x: np.ndarray, w: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """nn.lstm in float64, rounded to float32 at the end: gates (i, f, c~, o), state starting at zero."""
    seq = np.asarray(x, np.float64)
    if op.time_major is None:
        seq = seq.transpose(1, 0, 2)  # [T, B, I]
    hidden = op.hidden
    cell_act = np.tanh if op.cell_activation.data == "tanh" else _sigmoid
    clip = op.cell_clip.value.data
    h = np.zeros((seq.shape[1], hidden))
    c = np.zeros((seq.shape[1], hidden))
    outs = []
    for step in seq:
        gates = step @ np.asarray(w, np.float64).T + h @ np.asarray(r, np.float64).T + np.asarray(b, np.float64)
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * cell_act(g)
        if clip > 0:
            c = np.clip(c, -clip, clip)
        h = _sigmoid(o) * np.tanh(c)
        outs.append(h)
    out = np.stack(outs)  # [T, B, H]
    return _f32(out if op.time_major is not None else out.transpose(1, 0, 2))


def slice_(op: nn.SliceOp, x: np.ndarray) -> np.ndarray:
    index = tuple(slice(s, s + n) for s, n in zip(ints(op.starts), shape_of(op.output), strict=True))
    return np.ascontiguousarray(x[index])


def concat(op: nn.ConcatOp, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=op.axis.value.data)


@register_impls
class NNFunctions(InterpreterFunctions):
    """xDSL interpreter implementations of the nn ops, one per op, each calling the numpy function above."""

    @impl(nn.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: nn.ConstantOp, args: PythonValues) -> PythonValues:
        return (constant(op, *args),)

    @impl(nn.QuantizeOp)
    def run_quantize(self, interpreter: Interpreter, op: nn.QuantizeOp, args: PythonValues) -> PythonValues:
        return (quantize(op, *args),)

    @impl(nn.DequantizeOp)
    def run_dequantize(self, interpreter: Interpreter, op: nn.DequantizeOp, args: PythonValues) -> PythonValues:
        return (dequantize(op, *args),)

    @impl(nn.Conv2DOp)
    def run_conv2d(self, interpreter: Interpreter, op: nn.Conv2DOp, args: PythonValues) -> PythonValues:
        return (conv2d(op, *args),)

    @impl(nn.ConvTranspose2DOp)
    def run_conv_transpose2d(self, interpreter: Interpreter, op: nn.ConvTranspose2DOp,
                             args: PythonValues) -> PythonValues:
        return (conv_transpose2d(op, *args),)

    @impl(nn.FullyConnectedOp)
    def run_fully_connected(
        self, interpreter: Interpreter, op: nn.FullyConnectedOp, args: PythonValues
    ) -> PythonValues:
        return (fully_connected(op, *args),)

    @impl(nn.MatMulOp)
    def run_matmul(self, interpreter: Interpreter, op: nn.MatMulOp, args: PythonValues) -> PythonValues:
        return (matmul(op, *args),)

    @impl(nn.MaxPoolOp)
    def run_max_pool(self, interpreter: Interpreter, op: nn.MaxPoolOp, args: PythonValues) -> PythonValues:
        return (max_pool(op, *args),)

    @impl(nn.AvgPoolOp)
    def run_avg_pool(self, interpreter: Interpreter, op: nn.AvgPoolOp, args: PythonValues) -> PythonValues:
        return (avg_pool(op, *args),)

    @impl(nn.GlobalAvgPoolOp)
    def run_global_avg_pool(self, interpreter: Interpreter, op: nn.GlobalAvgPoolOp, args: PythonValues) -> PythonValues:
        return (global_avg_pool(op, *args),)

    @impl(nn.AddOp)
    def run_add(self, interpreter: Interpreter, op: nn.AddOp, args: PythonValues) -> PythonValues:
        return (add(op, *args),)

    @impl(nn.MulOp)
    def run_mul(self, interpreter: Interpreter, op: nn.MulOp, args: PythonValues) -> PythonValues:
        return (mul(op, *args),)

    @impl(nn.ReluOp)
    def run_relu(self, interpreter: Interpreter, op: nn.ReluOp, args: PythonValues) -> PythonValues:
        return (relu(op, *args),)

    @impl(nn.ClipOp)
    def run_clip(self, interpreter: Interpreter, op: nn.ClipOp, args: PythonValues) -> PythonValues:
        return (clip(op, *args),)

    @impl(nn.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: nn.SoftmaxOp, args: PythonValues) -> PythonValues:
        return (softmax(op, *args),)

    @impl(nn.ActivationOp)
    def run_activation(self, interpreter: Interpreter, op: nn.ActivationOp, args: PythonValues) -> PythonValues:
        return (activation(op, *args),)

    @impl(nn.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: nn.ReshapeOp, args: PythonValues) -> PythonValues:
        return (reshape(op, *args),)

    @impl(nn.TransposeOp)
    def run_transpose(self, interpreter: Interpreter, op: nn.TransposeOp, args: PythonValues) -> PythonValues:
        return (transpose(op, *args),)

    @impl(nn.PadOp)
    def run_pad(self, interpreter: Interpreter, op: nn.PadOp, args: PythonValues) -> PythonValues:
        return (pad(op, *args),)

    @impl(nn.ConcatOp)
    def run_concat(self, interpreter: Interpreter, op: nn.ConcatOp, args: PythonValues) -> PythonValues:
        return (concat(op, *args),)

    @impl(nn.LSTMOp)
    def run_lstm(self, interpreter: Interpreter, op: nn.LSTMOp, args: PythonValues) -> PythonValues:
        return (lstm(op, *args),)

    @impl(nn.SliceOp)
    def run_slice(self, interpreter: Interpreter, op: nn.SliceOp, args: PythonValues) -> PythonValues:
        return (slice_(op, *args),)
