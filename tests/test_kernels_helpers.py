"""Build single cmsis ops from shapes, for the kernel-model and in-place tests (helpers, no tests)."""

from __future__ import annotations

from cmsis_opt.ir import parse_ir
from cmsis_opt.dialects.utils import conv_out_size

Q = "!quant.uniform<i8:f32, 0.5:-128>"
Q16 = "!quant.uniform<i16:f32, 0.5>"
"""int16 activations (TFLite's 16x8 scheme: zero point 0), for the s16 kernels."""
SOFTMAX_Q = "!quant.uniform<i8:f32, 0.00390625:-128>"


def tensor(shape, q: str = Q) -> str:
    return f"tensor<{'x'.join(str(d) for d in shape)}x{q}>"


def out_hw(h, w, kh, kw, sh, sw, ph, pw, dh=1, dw=1):
    """Output size with TFLite SAME-like end padding: at most pad + 1 at the far edge, as the verifier accepts."""
    def one(size, k, s, p, d):
        eff = (k - 1) * d + 1
        for end in range(p, -1, -1):
            if end < eff:
                o = conv_out_size(size, k, s, p, end, d)
                if o >= 1:
                    return o
        return conv_out_size(size, k, s, p, 0, d)
    return one(h, kh, sh, ph, dh), one(w, kw, sw, pw, dw)


def _module(args: list[str], op_text: str, result_type: str) -> str:
    sig = ", ".join(f"%a{i} : {t}" for i, t in enumerate(args))
    return f"""builtin.module {{
  func.func @m({sig}) -> {result_type} {{
    %r = {op_text}
    func.return %r : {result_type}
  }}
}}"""


def _first(text: str, name: str):
    module = parse_ir(text).module
    return next(op for op in module.walk() if op.name == name)


def _requant(oc: int, s16: bool = False) -> str:
    mults = f"multiplier = array<i32: {', '.join(['1073741824'] * oc)}>, shift = array<i32: {', '.join(['0'] * oc)}>, "
    if s16:
        return mults + "input_offset = 0 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32"
    return mults + "input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32"


def conv(n=1, h=8, w=8, c=4, oc=4, kh=3, kw=3, sh=1, sw=1, ph=1, pw=1, dh=1, dw=1, kernel: str | None = None,
         out: tuple[int, int] | None = None, s16: bool = False):
    """A conv op; `out` (OH, OW) overrides the SAME-like output size (for other end padding); `s16`: int16
    activations (arm_convolve_s16)."""
    oh, ow = out or out_hw(h, w, kh, kw, sh, sw, ph, pw, dh, dw)
    q = Q16 if s16 else Q
    i, o = tensor((n, h, w, c), q), tensor((n, oh, ow, oc), q)
    extra = f', kernel = "{kernel}"' if kernel else ""
    text = (f"cmsis.conv %a0 {{filter = dense<1> : tensor<{oc}x{kh}x{kw}x{c}xi8>, {_requant(oc, s16)}, "
            f"stride = array<i64: {sh}, {sw}>, padding = array<i64: {ph}, {pw}>, dilation = array<i64: {dh}, {dw}>{extra}}}"
            f" : ({i}) -> {o}")
    return _first(_module([i], text, o), "cmsis.conv")


def depthwise(n=1, h=8, w=8, c=4, mult=1, kh=3, kw=3, sh=1, sw=1, ph=1, pw=1, dh=1, dw=1, s16: bool = False):
    oc = c * mult
    oh, ow = out_hw(h, w, kh, kw, sh, sw, ph, pw, dh, dw)
    q = Q16 if s16 else Q
    i, o = tensor((n, h, w, c), q), tensor((n, oh, ow, oc), q)
    text = (f"cmsis.depthwise_conv %a0 {{filter = dense<1> : tensor<1x{kh}x{kw}x{oc}xi8>, {_requant(oc, s16)}, "
            f"stride = array<i64: {sh}, {sw}>, padding = array<i64: {ph}, {pw}>, dilation = array<i64: {dh}, {dw}>}}"
            f" : ({i}) -> {o}")
    return _first(_module([i], text, o), "cmsis.depthwise_conv")


def pool(kind="max_pool", n=1, h=8, w=8, c=4, kh=2, kw=2, sh=2, sw=2, ph=0, pw=0, s16: bool = False):
    oh, ow = out_hw(h, w, kh, kw, sh, sw, ph, pw)
    q = Q16 if s16 else Q
    i, o = tensor((n, h, w, c), q), tensor((n, oh, ow, c), q)
    low, high = (-32768, 32767) if s16 else (-128, 127)
    text = (f"cmsis.{kind} %a0 {{kernel = array<i64: {kh}, {kw}>, stride = array<i64: {sh}, {sw}>, "
            f"padding = array<i64: {ph}, {pw}>, act_min = {low} : i32, act_max = {high} : i32}} : ({i}) -> {o}")
    return _first(_module([i], text, o), f"cmsis.{kind}")


def fully_connected(n=1, k=16, m=8):
    i, o = tensor((n, k)), tensor((n, m))
    text = (f"cmsis.fully_connected %a0 {{filter = dense<1> : tensor<{m}x{k}xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, "
            f"input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32}} : ({i}) -> {o}")
    return _first(_module([i], text, o), "cmsis.fully_connected")


def elementwise(kind="add", shape=(1, 4, 4, 8)):
    t = tensor(shape)
    if kind == "add":
        props = ("input1_offset = 128 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, "
                 "input2_offset = 128 : i32, input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, "
                 "output_offset = -128 : i32, output_multiplier = 1073741824 : i32, output_shift = 0 : i32")
    else:
        props = ("input1_offset = 128 : i32, input2_offset = 128 : i32, output_offset = -128 : i32, "
                 "output_multiplier = 1073741824 : i32, output_shift = 0 : i32")
    text = f"cmsis.{kind} %a0, %a1 {{{props}, act_min = -128 : i32, act_max = 127 : i32}} : ({t}, {t}) -> {t}"
    return _first(_module([t, t], text, t), f"cmsis.{kind}")


def softmax(shape=(1, 10)):
    i, o = tensor(shape), tensor(shape, SOFTMAX_Q)
    text = f"cmsis.softmax %a0 {{input_multiplier = 1073741824 : i32, input_left_shift = 20 : i32, diff_min = -100 : i32}} : ({i}) -> {o}"
    return _first(_module([i], text, o), "cmsis.softmax")


def mean(n=1, h=4, w=4, c=3, s16: bool = False):
    """A cmsis.mean op; `s16`: int16 elements (cmsis_opt_mean_s16, zero points 0)."""
    q = Q16 if s16 else Q
    i, o = tensor((n, h, w, c), q), tensor((n, 1, 1, c), q)
    offsets = ("input_offset = 0 : i32, output_offset = 0 : i32, act_min = -32768 : i32, act_max = 32767 : i32"
               if s16 else
               "input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32")
    text = (f"cmsis.mean %a0 {{multiplier = 1073741824 : i32, shift = -3 : i32, {offsets}}} : ({i}) -> {o}")
    return _first(_module([i], text, o), "cmsis.mean")


def requantize(shape=(1, 10)):
    t = tensor(shape)
    text = (f"cmsis.requantize %a0 {{multiplier = 1073741824 : i32, shift = 1 : i32, input_offset = 128 : i32, "
            f"output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32}} : ({t}) -> {t}")
    return _first(_module([t], text, t), "cmsis.requantize")


def pad(shape=(1, 4, 4, 8), pre=(0, 1, 1, 0), post=(0, 1, 1, 0)):
    out = [d + a + b for d, a, b in zip(shape, pre, post)]
    i, o = tensor(shape), tensor(out)
    text = (f"cmsis.pad %a0 {{pre_pad = array<i64: {', '.join(map(str, pre))}>, "
            f"post_pad = array<i64: {', '.join(map(str, post))}>}} : ({i}) -> {o}")
    return _first(_module([i], text, o), "cmsis.pad")
