"""The host runtime run with each op's output placed exactly `max_delta` bytes past its input.

Single-op networks with random weights and shapes get the alias from
--inplace-alias, then a hand-made plan that uses it to the last byte; the
generated C, linked with runtime/, must give the interpreter's outputs.
"""

from __future__ import annotations

import random
import shutil
import subprocess

import numpy as np
import pytest

from cmsis_opt.backend.c import emit_c
from cmsis_opt.context import make_context
from cmsis_opt.dialects import arena
from cmsis_opt.dialects.utils import conv_out_size
from cmsis_opt.hostbuild import HostModel, build_host, compiler_command
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.inplace_alias import InplaceAliasPass
from cmsis_opt.passes.attach_target import AttachTargetPass
from cmsis_opt.passes.bufferize import BufferizePass
from cmsis_opt.plan import invalidate, memory_plan


Q = "!quant.uniform<i8:f32, 0.5:-3>"
SQ = "!quant.uniform<i8:f32, 0.00390625:-128>"


def t(shape, q=Q) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{q}>"


def hexbytes(array: np.ndarray) -> str:
    return '"0x' + array.tobytes().hex().upper() + '"'


def requant(count: int, taps: int) -> str:
    """Per-channel multipliers that keep outputs mostly inside int8 for random weights."""
    shift = -max(0, round(np.log2(np.sqrt(taps) * 5460 / 40)) - 1)
    return (f"multiplier = array<i32: {', '.join(['1518500250'] * count)}>, shift = array<i32: {', '.join([str(shift)] * count)}>, "
            "input_offset = 3 : i32, output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32")


def conv_case(rng):
    k = rng.choice([1, 3, 5])
    c, oc, h, w, s = rng.randint(1, 9), rng.randint(1, 9), rng.randint(k, 10), rng.randint(k, 10), rng.choice([1, 1, 2])
    pad = rng.randrange(0, k // 2 + 1)
    oh, ow = conv_out_size(h, k, s, pad, pad, 1), conv_out_size(w, k, s, pad, pad, 1)
    weights = np.array([rng.randint(-127, 127) for _ in range(oc * k * k * c)], dtype=np.int8)
    kernel = ', kernel = "generic"' if k == 1 and pad == 0 and s == 1 else ""  # the fast 1x1 kernel allows no overlap
    op = (f"cmsis.conv %x {{filter = dense<{hexbytes(weights)}> : tensor<{oc}x{k}x{k}x{c}xi8>, {requant(oc, k * k * c)}, "
          f"stride = array<i64: {s}, {s}>, padding = array<i64: {pad}, {pad}>, dilation = array<i64: 1, 1>{kernel}}}"
          f" : ({t((1, h, w, c))}) -> {t((1, oh, ow, oc))}")
    return [(1, h, w, c)], op, (1, oh, ow, oc)


def depthwise_case(rng):
    k = rng.choice([1, 3, 3, 5])
    c, mult, h, w, s = rng.randint(1, 9), rng.choice([1, 1, 2, 4]), rng.randint(k, 10), rng.randint(k, 10), rng.choice([1, 2])
    pad = rng.randrange(0, min(k // 2, 1) + 1)
    oh, ow = conv_out_size(h, k, s, pad, pad, 1), conv_out_size(w, k, s, pad, pad, 1)
    oc = c * mult
    weights = np.array([rng.randint(-127, 127) for _ in range(k * k * oc)], dtype=np.int8)
    op = (f"cmsis.depthwise_conv %x {{filter = dense<{hexbytes(weights)}> : tensor<1x{k}x{k}x{oc}xi8>, {requant(oc, k * k)}, "
          f"stride = array<i64: {s}, {s}>, padding = array<i64: {pad}, {pad}>, dilation = array<i64: 1, 1>}}"
          f" : ({t((1, h, w, c))}) -> {t((1, oh, ow, oc))}")
    return [(1, h, w, c)], op, (1, oh, ow, oc)


def pool_case(rng, kind):
    k, s, c = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 12)
    h, w = rng.randint(k, 9), rng.randint(k, 9)
    pad = rng.randrange(0, k)
    oh, ow = conv_out_size(h, k, s, pad, pad, 1), conv_out_size(w, k, s, pad, pad, 1)
    op = (f"cmsis.{kind} %x {{kernel = array<i64: {k}, {k}>, stride = array<i64: {s}, {s}>, padding = array<i64: {pad}, {pad}>, "
          f"act_min = -128 : i32, act_max = 127 : i32}} : ({t((1, h, w, c))}) -> {t((1, oh, ow, c))}")
    return [(1, h, w, c)], op, (1, oh, ow, c)


def elementwise_case(rng, kind):
    shape = (1, rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 9))
    props = {"add": "input1_offset = 3 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 3 : i32, "
                    "input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -3 : i32, "
                    "output_multiplier = 1073741824 : i32, output_shift = -19 : i32",
             "mul": "input1_offset = 3 : i32, input2_offset = 3 : i32, output_offset = -3 : i32, output_multiplier = 1073741824 : i32, "
                    "output_shift = -6 : i32"}[kind]
    op = f"cmsis.{kind} %x, %x1 {{{props}, act_min = -128 : i32, act_max = 127 : i32}} : ({t(shape)}, {t(shape)}) -> {t(shape)}"
    return [shape, shape], op, shape


def softmax_case(rng):
    shape = (rng.randint(1, 4), rng.randint(2, 20))
    op = (f"cmsis.softmax %x {{input_multiplier = 1518500250 : i32, input_left_shift = 22 : i32, diff_min = -248 : i32}}"
          f" : ({t(shape)}) -> {t(shape, SQ)}")
    return [shape], op, shape


def module_text(inputs, op, out_shape, out_q=Q) -> str:
    names = ["%x", "%x1"][: len(inputs)]
    args = ", ".join(f"{n} : {t(s)}" for n, s in zip(names, inputs))
    out = t(out_shape, SQ if "softmax" in op else Q)
    return f"builtin.module {{\n  func.func @net({args}) -> {out} {{\n    %y = {op}\n    func.return %y : {out}\n  }}\n}}\n"


def plan_on_the_alias(module, delta: int) -> None:
    """Input 0 at max(0, -delta), the output exactly delta bytes after it, everything else above both."""
    plan = memory_plan(module)
    func = module.ops.first
    src, out = plan.buffer(func.body.block.args[0]), plan.buffer(func.body.block.last_op.operands[0])
    base = max(0, -delta)
    src.op.set("offset", base)
    out.op.set("offset", base + delta)
    top = max(base + src.size, base + delta + out.size)
    for b in plan.buffers:
        if b.op not in (src.op, out.op):
            b.op.set("offset", top)
            top += b.size
    func.attributes["arena.plan"] = arena.PlanAttr(top, 1, "by hand")
    invalidate(module)


CASES = ([("conv", conv_case)] * 12 + [("depthwise", depthwise_case)] * 12 + [("max", lambda r: pool_case(r, "max_pool"))] * 4
         + [("avg", lambda r: pool_case(r, "avg_pool"))] * 4 + [("add", lambda r: elementwise_case(r, "add"))] * 2
         + [("mul", lambda r: elementwise_case(r, "mul"))] * 2 + [("softmax", softmax_case)] * 2)


@pytest.mark.skipif(shutil.which(compiler_command()[0]) is None, reason="no C compiler")
@pytest.mark.parametrize("target", ["cortex-m0", "cortex-m4"])
def test_runtime_is_exact_with_outputs_on_their_inputs_at_max_delta(tmp_path, target):
    rng = random.Random(target)
    networks, sources, models = [], [], []
    for index, (kind, make) in enumerate(CASES):
        inputs, op, out_shape = make(rng)
        source = parse_ir(module_text(inputs, op, out_shape))
        for step in (AttachTargetPass(core=target), InplaceAliasPass(kernel_switch="never", allow_undocumented=True),
                     BufferizePass()):
            step.apply(make_context(), source.module)
        alias = next((a for a in source.module.walk() if isinstance(a, arena.AliasOp) and a.source is source.module.ops.first.body.block.args[0]), None)
        if alias is None:  # e.g. a strided 1x1 conv with one output row: the model allows no overlap
            continue
        plan_on_the_alias(source.module, alias.max_delta.value.data)
        name = f"net{index}"
        header, code = emit_c(source.module, name=name)
        (tmp_path / f"{name}.h").write_text(header)
        (tmp_path / f"{name}.c").write_text(code)
        sources.append(tmp_path / f"{name}.c")
        arrays = [np.array([rng.randint(-128, 127) for _ in range(int(np.prod(s)))], dtype=np.int8).reshape(s) for s in inputs]
        expected = run_function(source.module, arrays)[0]
        networks.append((name, kind, op, arrays, expected, alias.max_delta.value.data))
        models.append(HostModel(name, [a.size for a in arrays], [expected.size]))
    assert len(networks) >= 0.8 * len(CASES)
    program = tmp_path / "host"
    build_host(sources, models, program)
    for name, kind, op, arrays, expected, delta in networks:
        result = subprocess.run([str(program), name], input=b"".join(a.tobytes() for a in arrays), capture_output=True)
        assert result.returncode == 0, result.stderr
        got = np.frombuffer(result.stdout, dtype=np.int8)
        assert np.array_equal(got, expected.astype(np.int8).ravel()), f"{kind} at max_delta {delta} differs on the host:\n{op}"
