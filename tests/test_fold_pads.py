"""--fold-pads: folding a pad into the window op after it changes no output bit, and folds where the rules say."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ir_dense as dense
from conftest import ir_ints as ints

from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.utils import conv_out_size
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir, print_ir
from cmsis_opt.passes.fold_pads import fold_function
from cmsis_opt.plan import the_function

ZP = -3
Q_IN = f"!quant.uniform<i8:f32, 0.5:{ZP}>"
Q_OUT = "!quant.uniform<i8:f32, 0.25:-128>"


def t(shape, q=Q_IN) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{q}>"


def random_case(rng: np.random.Generator) -> str | None:
    """A pad, then a conv / depthwise conv / max pool / avg pool on its result; None if the draw is not a valid op."""
    h, w, c = (int(v) for v in rng.integers(2, 9, size=3))
    kind = str(rng.choice(["conv", "depthwise_conv", "max_pool", "avg_pool"]))
    k = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    s = [int(rng.integers(1, 3)), int(rng.integers(1, 3))]
    d = [int(rng.integers(1, 3)), int(rng.integers(1, 3))] if "conv" in kind else [1, 1]
    p = [int(rng.integers(0, (k[i] - 1) * d[i] + 1)) for i in range(2)]
    pre = [0, int(rng.integers(0, 3)), int(rng.integers(0, 3)), 0]
    post = [0, int(rng.integers(0, 3)), int(rng.integers(0, 3)), 0]
    if rng.random() < 0.7:  # mostly padding the window can take (TFLite style: far side at most near side + 1)
        room = [(k[i] - 1) * d[i] - p[i] for i in range(2)]
        pre = [0, min(pre[1], room[0]), min(pre[2], room[1]), 0]
        post = [0, min(post[1], pre[1] + p[0] + 1), min(post[2], pre[2] + p[1] + 1), 0]
    padded = (1, h + pre[1] + post[1], w + pre[2] + post[2], c)
    out = [conv_out_size(padded[1 + i], k[i], s[i], p[i], 0, d[i]) for i in range(2)]
    if min(out) < 1:
        return None
    pad = (f"%p = cmsis.pad %x {{pre_pad = array<i64: {ints(pre)}>, post_pad = array<i64: {ints(post)}>}} "
           f": ({t((1, h, w, c))}) -> {t(padded)}")
    act_min = int(rng.choice([-128, ZP, ZP + 5]))
    if "pool" in kind:
        result = t((1, *out, c))
        op = (f"%y = cmsis.{kind} %p {{kernel = array<i64: {ints(k)}>, stride = array<i64: {ints(s)}>, "
              f"padding = array<i64: {ints(p)}>, act_min = {act_min} : i32, act_max = 127 : i32}} : ({t(padded)}) -> {result}")
    else:
        oc = c * int(rng.integers(1, 3)) if kind == "depthwise_conv" else int(rng.integers(1, 5))
        shape = (oc, *k, c) if kind == "conv" else (1, *k, oc)
        weights = rng.integers(-127, 128, size=shape)
        result = t((1, *out, oc), Q_OUT)
        op = (f"%y = cmsis.{kind} %p {{filter = {dense(weights, 'i8')}, bias = {dense(rng.integers(-900, 900, oc), 'i32')}, "
              f"multiplier = array<i32: {ints([1 << 30] * oc)}>, shift = array<i32: {ints([-6] * oc)}>, input_offset = {-ZP} : i32, "
              f"output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: {ints(s)}>, "
              f"padding = array<i64: {ints(p)}>, dilation = array<i64: {ints(d)}>}} : ({t(padded)}) -> {result}")
    return (f"func.func @f(%x : {t((1, h, w, c))}) -> {result} {{\n  {pad}\n  {op}\n"
            f"  func.return %y : {result}\n}}\n")


def test_folding_changes_no_output_bit():
    rng = np.random.default_rng(2026)
    folded = kept = 0
    while folded + kept < 120:
        text = random_case(rng)
        if text is None:
            continue
        try:
            source = parse_ir(text)
        except Exception:  # the draw broke a window rule of the op itself
            continue
        module = source.module
        x = rng.integers(-128, 128, size=the_function(module).body.block.args[0].type.get_shape(), dtype=np.int8)
        before = run_function(module, [x])[0]
        count = fold_function(the_function(module))
        kind = next(op for op in the_function(module).body.block.ops if op.name != "func.return").name
        assert count == 0 or kind != "cmsis.avg_pool"
        after = run_function(parse_ir(print_ir(module)).module, [x])[0]
        assert np.array_equal(before, after), text
        folded += count
        kept += 1 - count
    assert folded > 15 and kept > 15


def test_a_max_pool_folds_only_under_a_relu():
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    while min(seen.values()) < 5:
        text = random_case(rng)
        if text is None or "max_pool" not in text:
            continue
        try:
            module = parse_ir(text).module
        except Exception:
            continue
        pool = next(op for op in the_function(module).body.block.ops if isinstance(op, cmsis.MaxPoolOp))
        relu = pool.act_min.value.data >= ZP
        if fold_function(the_function(module)):
            assert relu
        seen[relu] += 1


@pytest.mark.parametrize("pipeline", ["fold-pads", "default"])
def test_folding_runs_before_planning_only(pipeline):
    from conftest import run_tool

    text = random_case(np.random.default_rng(3))
    assert text is not None
    result = run_tool("cmsis-opt", "-", "-p", "default", input=text)
    assert result.returncode == 0, result.stderr
    again = run_tool("cmsis-opt", "-", "-p", pipeline, input=result.stdout)
    assert again.returncode == 0, again.stderr  # nothing left to fold: a planned module passes through
