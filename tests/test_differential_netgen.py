"""Random small int8 networks written directly as `cmsis` IR text, with valid TFLite-style parameters.

    text = random_network(np.random.default_rng(7), "net7")

(A helper of test_differential.py: it holds no tests itself.)

Every network draws its shapes, strides, padding, dilation, activation ranges
and scales at random; requantization parameters come from the scales by
TFLite's own arithmetic (cmsis_opt.quantmath).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cmsis_opt.dialects.quant import format_float
from cmsis_opt.quantmath import add_params, mul_multiplier, quantize_multiplier, softmax_params


@dataclass
class _Value:
    ssa: str
    shape: tuple[int, ...]
    scale: float
    zp: int

    @property
    def type(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        return f"tensor<{dims}x!quant.uniform<i8:f32, {format_float(self.scale)}:{self.zp}>>"


def _ints(values) -> str:
    return ", ".join(str(int(v)) for v in np.asarray(values).reshape(-1))


def _dense(values: np.ndarray, element: str) -> str:
    dims = "x".join(str(d) for d in values.shape)
    data = values.astype("<i1" if element == "i8" else "<i4").tobytes().hex().upper()
    return f'dense<"0x{data}"> : tensor<{dims}x{element}>'


class _Net:
    def __init__(self, rng: np.random.Generator, name: str):
        self.rng, self.name = rng, name
        self.lines: list[str] = []
        self.count = 0
        self.args: list[_Value] = []

    # values and types
    def scale(self) -> float:
        return float(np.float32(2.0 ** self.rng.uniform(-8, -1)))

    def fresh(self, shape, scale=None, zp=None) -> _Value:
        self.count += 1
        return _Value(f"%v{self.count}", tuple(int(d) for d in shape),
                      self.scale() if scale is None else scale,
                      int(self.rng.integers(-128, 100)) if zp is None else zp)

    def input(self, shape) -> _Value:
        value = self.fresh(shape)
        value.ssa = f"%in{len(self.args)}"
        self.args.append(value)
        return value

    def emit(self, op: str, operands: list[_Value], props: str, result: _Value) -> _Value:
        layer = f'layer = "{op.split(".")[1]}{self.count}"'
        body = f"{{{props}, {layer}}}" if props else f"{{{layer}}}"
        self.lines.append(f"  {result.ssa} = {op} {', '.join(v.ssa for v in operands)} {body} : "
                          f"({', '.join(v.type for v in operands)}) -> {result.type}")
        return result

    def activation(self, zp: int) -> str:
        low, high = -128, 127
        if self.rng.random() < 0.3:
            low = max(-128, zp)  # a fused ReLU
        if self.rng.random() < 0.2:
            high = int(self.rng.integers(low, 128))
        return f"act_min = {low} : i32, act_max = {high} : i32"

    def requant(self, depth: int, channels: int) -> tuple[list[int], list[int]]:
        """Per-channel (multiplier, shift) that keep outputs mostly inside int8."""
        mults, shifts = [], []
        for _ in range(channels):
            real = 2.0 ** self.rng.uniform(-2, 1) / (64.0 * math.sqrt(depth) * 8.0)
            m, s = quantize_multiplier(real)
            mults.append(m)
            shifts.append(s)
        return mults, shifts

    def window(self, size_hw, kernel_hw, allow_dilation=True):
        stride = [int(self.rng.integers(1, 3)) for _ in range(2)]
        dilation = [1, 1]
        if allow_dilation and self.rng.random() < 0.2:
            dilation = [int(self.rng.integers(1, 3)) for _ in range(2)]
        pad, out = [], []
        for axis in range(2):
            eff = (kernel_hw[axis] - 1) * dilation[axis] + 1
            if eff > size_hw[axis]:
                dilation[axis] = 1
                eff = kernel_hw[axis]
            p = (eff - 1) // 2 if self.rng.random() < 0.6 else 0
            if eff > size_hw[axis] + 2 * p:
                p = (eff - 1) // 2
            pad.append(p)
            out.append((size_hw[axis] + 2 * p - eff) // stride[axis] + 1)
        return stride, pad, dilation, out

    # layers
    def conv(self, x: _Value, out_channels: int | None = None, kernel=None, generic: bool = False,
             like: _Value | None = None) -> _Value:
        n, h, w, c = x.shape
        oc = out_channels or int(self.rng.integers(1, 9))
        kh, kw = kernel or [int(self.rng.integers(1, min(h, 3) + 1)), int(self.rng.integers(1, min(w, 3) + 1))]
        if kernel is not None:
            stride, pad, dilation, out = [1, 1], [(kh - 1) // 2, (kw - 1) // 2], [1, 1], [h, w]
        else:
            stride, pad, dilation, out = self.window((h, w), (kh, kw))
        y = self.fresh((n, out[0], out[1], oc), *((like.scale, like.zp) if like else ()))
        filt = self.rng.integers(-127, 128, size=(oc, kh, kw, c), dtype=np.int64)
        bias = self.rng.integers(-5000, 5000, size=(oc,), dtype=np.int64)
        mults, shifts = self.requant(kh * kw * c, oc)
        kernel_prop = ', kernel = "generic"' if generic else ""
        props = (f"filter = {_dense(filt, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = array<i32: {_ints(mults)}>, "
                 f"shift = array<i32: {_ints(shifts)}>, input_offset = {-x.zp} : i32, output_offset = {y.zp} : i32, "
                 f"{self.activation(y.zp)}, stride = array<i64: {_ints(stride)}>, padding = array<i64: {_ints(pad)}>, "
                 f"dilation = array<i64: {_ints(dilation)}>{kernel_prop}")
        return self.emit("cmsis.conv", [x], props, y)

    def depthwise(self, x: _Value) -> _Value:
        n, h, w, c = x.shape
        mult = int(self.rng.integers(1, 3))
        kh, kw = int(self.rng.integers(1, min(h, 3) + 1)), int(self.rng.integers(1, min(w, 3) + 1))
        stride, pad, dilation, out = self.window((h, w), (kh, kw))
        y = self.fresh((n, out[0], out[1], c * mult))
        filt = self.rng.integers(-127, 128, size=(1, kh, kw, c * mult), dtype=np.int64)
        bias = self.rng.integers(-5000, 5000, size=(c * mult,), dtype=np.int64)
        mults, shifts = self.requant(kh * kw, c * mult)
        props = (f"filter = {_dense(filt, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = array<i32: {_ints(mults)}>, "
                 f"shift = array<i32: {_ints(shifts)}>, input_offset = {-x.zp} : i32, output_offset = {y.zp} : i32, "
                 f"{self.activation(y.zp)}, stride = array<i64: {_ints(stride)}>, padding = array<i64: {_ints(pad)}>, "
                 f"dilation = array<i64: {_ints(dilation)}>")
        return self.emit("cmsis.depthwise_conv", [x], props, y)

    def pool(self, x: _Value) -> _Value:
        n, h, w, c = x.shape
        kh, kw = int(self.rng.integers(1, min(h, 3) + 1)), int(self.rng.integers(1, min(w, 3) + 1))
        stride, pad, _, out = self.window((h, w), (kh, kw), allow_dilation=False)
        y = self.fresh((n, out[0], out[1], c), x.scale, x.zp)
        kind = "cmsis.max_pool" if self.rng.random() < 0.5 else "cmsis.avg_pool"
        props = (f"kernel = array<i64: {kh}, {kw}>, stride = array<i64: {_ints(stride)}>, "
                 f"padding = array<i64: {_ints(pad)}>, {self.activation(y.zp)}")
        return self.emit(kind, [x], props, y)

    def add_or_mul(self, a: _Value, b: _Value) -> _Value:
        y = self.fresh(a.shape)
        if self.rng.random() < 0.6:
            p = add_params(a.scale, b.scale, y.scale)
            props = (f"input1_offset = {-a.zp} : i32, input1_multiplier = {p['input1_multiplier']} : i32, "
                     f"input1_shift = {p['input1_shift']} : i32, input2_offset = {-b.zp} : i32, "
                     f"input2_multiplier = {p['input2_multiplier']} : i32, input2_shift = {p['input2_shift']} : i32, "
                     f"left_shift = {p['left_shift']} : i32, output_offset = {y.zp} : i32, "
                     f"output_multiplier = {p['output_multiplier']} : i32, output_shift = {p['output_shift']} : i32, "
                     f"{self.activation(y.zp)}")
            return self.emit("cmsis.add", [a, b], props, y)
        y.scale = float(np.float32(a.scale * b.scale * 2.0 ** self.rng.uniform(4, 8)))
        m, s = mul_multiplier(a.scale, b.scale, y.scale)
        props = (f"input1_offset = {-a.zp} : i32, input2_offset = {-b.zp} : i32, output_offset = {y.zp} : i32, "
                 f"output_multiplier = {m} : i32, output_shift = {s} : i32, {self.activation(y.zp)}")
        return self.emit("cmsis.mul", [a, b], props, y)

    def pad(self, x: _Value) -> _Value:
        pre = [0, *(int(self.rng.integers(0, 3)) for _ in range(3))]
        post = [0, *(int(self.rng.integers(0, 3)) for _ in range(3))]
        y = self.fresh([d + a + b for d, a, b in zip(x.shape, pre, post)], x.scale, x.zp)
        return self.emit("cmsis.pad", [x], f"pre_pad = array<i64: {_ints(pre)}>, post_pad = array<i64: {_ints(post)}>", y)

    def concat(self, parts: list[_Value], axis: int) -> _Value:
        shape = list(parts[0].shape)
        shape[axis] = sum(p.shape[axis] for p in parts)
        y = self.fresh(shape, parts[0].scale, parts[0].zp)
        return self.emit("cmsis.concat", parts, f"axis = {axis} : i32", y)

    def requantize_like(self, x: _Value, like: _Value) -> _Value:
        """A 1x1 conv whose output has `like`'s quantization (concat inputs must match)."""
        return self.conv(x, kernel=[1, 1], out_channels=x.shape[3], like=like)

    def reshape(self, x: _Value, shape) -> _Value:
        y = self.fresh(shape, x.scale, x.zp)
        return self.emit("cmsis.reshape", [x], "", y)

    def fully_connected(self, x: _Value) -> _Value:
        n, k = x.shape
        m = int(self.rng.integers(1, 17))
        y = self.fresh((n, m))
        filt = self.rng.integers(-127, 128, size=(m, k), dtype=np.int64)
        bias = self.rng.integers(-5000, 5000, size=(m,), dtype=np.int64)
        (mult,), (shift,) = self.requant(k, 1)
        props = (f"filter = {_dense(filt, 'i8')}, bias = {_dense(bias, 'i32')}, multiplier = {mult} : i32, "
                 f"shift = {shift} : i32, input_offset = {-x.zp} : i32, output_offset = {y.zp} : i32, "
                 f"{self.activation(y.zp)}")
        return self.emit("cmsis.fully_connected", [x], props, y)

    def softmax(self, x: _Value) -> _Value:
        y = self.fresh(x.shape, 1.0 / 256.0, -128)
        m, s, diff_min = softmax_params(x.scale)
        props = f"input_multiplier = {m} : i32, input_left_shift = {s} : i32, diff_min = {diff_min} : i32"
        return self.emit("cmsis.softmax", [x], props, y)

    def text(self, outputs: list[_Value]) -> str:
        args = ", ".join(f"{a.ssa}: {a.type}" for a in self.args)
        results = ", ".join(o.type for o in outputs)
        head = f"func.func @{self.name}({args}) -> ({results}) {{"
        tail = f"  func.return {', '.join(o.ssa for o in outputs)} : {results}\n}}"
        return "\n".join([head, *self.lines, tail]) + "\n"


def random_network(rng: np.random.Generator, name: str) -> str:
    """IR text of one random network: a few 4-D layers, optionally a branch, then maybe FC and softmax."""
    net = _Net(rng, name)
    shape = (1, int(rng.integers(1, 10)), int(rng.integers(1, 10)), int(rng.integers(1, 9)))
    x = net.input(shape)
    if rng.random() < 0.15:  # two graph inputs meeting in an add / mul
        x = net.add_or_mul(x, net.input(shape))
    outputs: list[_Value] = []
    for _ in range(int(rng.integers(1, 5))):
        choice = rng.choice(["conv", "generic", "depthwise", "pool", "residual", "pad", "concat"])
        if choice == "conv":
            x = net.conv(x)
        elif choice == "generic":
            x = net.conv(x, generic=True)
        elif choice == "depthwise":
            x = net.depthwise(x)
        elif choice == "pool":
            x = net.pool(x)
        elif choice == "residual":
            x = net.add_or_mul(x, net.conv(x, kernel=[3, 3], out_channels=x.shape[3]))
        elif choice == "pad":
            x = net.pad(x)
        else:
            axis = int(rng.integers(1, 4))
            other = net.requantize_like(x, x)
            x = net.concat([x, other] if rng.random() < 0.7 else [x, other, x], axis)
        if rng.random() < 0.1:
            outputs.append(x)  # an intermediate result is a second graph output
    if rng.random() < 0.5:
        flat = net.reshape(x, (x.shape[0], int(np.prod(x.shape[1:]))))
        x = net.fully_connected(flat)
    if rng.random() < 0.4:
        x = net.softmax(x)
    return net.text([*outputs, x])
