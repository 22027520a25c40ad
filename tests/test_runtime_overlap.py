"""The compiler's kernel access model against the runtime: overlaps the model calls safe are exact.

the kernel interface models, per CMSIS-NN kernel (KernelOp.access_order), when each input byte is last
read and each output byte first written, and derives how far before its input
an op's output may start. The generated C runs on this runtime on the host,
so for random ops the output placed at exactly that offset (the closest the
memory planner may put it) must give the bytes of separate buffers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import StringAttr



BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
from kernel_cases import (  # noqa: E402
    conv_module,
    i64_array,
    one_op_module,
    out_size,
    output_at,
    pool_line,
    qtype,
    random_conv,
    run_cases,
    the_op,
)

I8 = np.int8


def check_at_model_delta(cases) -> int:
    """cases: (op, line(arena or None), input array, output length). Returns how many could overlap."""
    lines, overlapped = [], 0
    for op, make_line, x, out_len in cases:
        delta = op.path_delta("c", allow_undocumented=True)
        if delta is None:
            continue
        overlapped += 1
        lines += [make_line(None), make_line(output_at(x, out_len, delta))]
    results = run_cases(lines)
    for separate_run, overlapped_run in zip(results[::2], results[1::2]):
        assert separate_run.status == overlapped_run.status == 0
        np.testing.assert_array_equal(overlapped_run.output, separate_run.output)
    return overlapped


@pytest.mark.parametrize("depthwise", [False, True], ids=["conv", "depthwise"])
def test_conv_outputs_at_the_models_safe_offset_are_exact(depthwise):
    rng = np.random.default_rng(57 + depthwise)
    cases = []
    for _ in range(40):
        case = random_conv(rng, depthwise=depthwise)
        kernel = "dw_wrapper" if depthwise else "conv_wrapper"
        op = the_op(conv_module(case, depthwise), "cmsis.depthwise_conv" if depthwise else "cmsis.conv")
        cases.append((op, lambda arena, c=case, k=kernel: c.line(k, arena), case.x, case.output_len))
    assert check_at_model_delta(cases) > 20


def test_generic_pointwise_conv_may_trail_its_input():
    """kernel = "generic" runs a 1x1 layer through arm_convolve_s8, whose pixel order lets the output trail."""
    rng = np.random.default_rng(3)
    cases = []
    for _ in range(10):
        case = random_conv(rng, kh=1, kw=1, sh=1, sw=1, dh=1, dw=1, same=False, n=1)
        text_op = the_op(conv_module(case), "cmsis.conv")
        text_op.properties["kernel"] = StringAttr("generic")
        cases.append((text_op, lambda arena, c=case: c.line("conv_s8", arena), case.x, case.output_len))
    assert check_at_model_delta(cases) == 10


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
def test_pool_outputs_at_the_models_safe_offset_are_exact(kind):
    rng = np.random.default_rng(len(kind) + 100)
    cases = []
    for _ in range(30):
        h, w, c = (int(v) for v in rng.integers(1, 8, size=3))
        kh, kw, sh, sw = (int(v) for v in rng.integers(1, 4, size=4))
        sh, sw = min(sh, 2), min(sw, 2)
        same = bool(rng.integers(2)) or kh > h or kw > w
        (oh, ph), (ow, pw) = out_size(h, kh, sh, 1, same), out_size(w, kw, sw, 1, same)
        x = rng.integers(-128, 128, size=(1, h, w, c)).astype(I8)
        props = (f"kernel = {i64_array((kh, kw))}, stride = {i64_array((sh, sw))}, "
                 f"padding = {i64_array((ph, pw))}, act_min = -100 : i32, act_max = 100 : i32")
        out_shape = (1, oh, ow, c)
        op = the_op(one_op_module(f"cmsis.{kind}", props, [qtype(x.shape, 0)], qtype(out_shape, 0)), f"cmsis.{kind}")
        line = (lambda arena, x=x, k=(kh, kw), s=(sh, sw), p=(ph, pw), o=out_shape:
                pool_line(kind, x, k, s, p, o, (-100, 100), arena))
        cases.append((op, line, x, int(np.prod(out_shape))))
    assert check_at_model_delta(cases) > 20


def test_kws_with_overlapping_buffers_runs_clean_under_sanitizers_and_matches_tflm(models_dir, tmp_path):
    """End to end: the planner overlaps layers (arena below the no-overlap lower bound); the generated C,
    linked with this runtime under ASan/UBSan, reproduces TFLite Micro's outputs."""
    env = {**os.environ, "CFLAGS": "-fsanitize=address,undefined -fno-sanitize-recover=all -O1"}
    compile_ = subprocess.run([str(BIN / "cmsis-compile"), str(models_dir / "kws_dscnn.int8.tflite"), "-o",
                               str(tmp_path), "--host", "--name", "kws"], capture_output=True, text=True, env=env)
    assert compile_.returncode == 0, compile_.stderr
    plan = json.loads((tmp_path / "memory.json").read_text())
    assert plan["arena_bytes"] < plan["activation_no_overlap_bound_bytes"]
    ref = np.load(models_dir / "kws_dscnn.tflm_ref.npz")
    for x, want in zip(ref["inputs"], ref["outputs"]):
        run = subprocess.run([str(tmp_path / "kws_host")], input=x.astype(I8).tobytes(), capture_output=True)
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        np.testing.assert_array_equal(np.frombuffer(run.stdout, I8), want.astype(I8).reshape(-1))
