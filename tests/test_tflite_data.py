"""The TFLite models in tests/data/tflite against TFLite Micro's outputs stored beside them.

Every model the compiler takes must reproduce TFLite Micro exactly: the
interpreter after `--quantize`, and, for HOST, the host program
`cmsis-compile --host` builds with our runtime and with the real CMSIS-NN
(../shared/cmsis-nn, or $CMSIS_NN; skipped with a message without it).
`make target-check` runs the TRANSPOSE_CONV, LSTM, int16 and int4 ones on QEMU. Every other model (ops
without a kernel yet, int16 ops without an s16 kernel yet) must be refused with one
`error:` line and exit 1, never compiled into something else. SUPPORTED
lists the first kind, so that losing a model fails here rather than moving
it to the second.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_tool

from cmsis_opt.api import Model
from cmsis_opt.cmsis_nn import locate
from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.tflite import import_tflite
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

DATA = ROOT / "tests" / "data" / "tflite"
MODELS = sorted(p.name.removesuffix(".tflite") for p in DATA.glob("*.tflite"))
SUPPORTED = {
    "add.int8", "avg_pool.int8", "conv.int8", "depthwise_conv.int8", "fully_connected.int8", "logistic.int8",
    "max_pool.int8", "mul.int8", "softmax.int8", "tanh.int8", "transpose_conv.int8", "transpose_conv_valid.int8",
    "lstm.int8", "kws_lstm.int8",
    "conv.int16", "depthwise_conv.int16", "fully_connected.int16", "max_pool.int16", "avg_pool.int16",
    "softmax.int16", "kws_conv.int16", "add.int16", "mul.int16", "logistic.int16", "tanh.int16",
    "logistic_pot.int16", "tanh_pot.int16", "mixed_tanh.int8", "lstm.int16",
    "conv.int4", "depthwise_conv.int4", "fully_connected.int4", "conv_1x1.int4", "conv_1x1_s2.int4", "conv_1xn.int4",
    "conv_dilated.int4", "depthwise_m1.int4", "depthwise_m3.int4", "depthwise_odd.int4", "kws_int4.int4",
}
INT16 = sorted(name for name in SUPPORTED if name.endswith(".int16"))
INT4 = sorted(name for name in SUPPORTED if name.endswith(".int4"))
HOST = ("transpose_conv.int8", "transpose_conv_valid.int8", "depthwise_conv.int8", "fully_connected.int8",
        "logistic.int8", "lstm.int8", "kws_lstm.int8", "mixed_tanh.int8", *INT16, *INT4)
"""The models also built into host programs: the kernels no reference model calls, one that every one does (the
rest of the int8 ones run the same kernels as the reference models' host tests), every int16 one and the mixed
int8 / int16 one (the s16 kernels run nowhere else), and every int4-weight one (the s4 kernels)."""


def reference(name: str) -> tuple[list[np.ndarray], np.ndarray]:
    """TFLite Micro's inputs and (single) output for `name`."""
    ref = np.load(DATA / f"{name}.npz")
    inputs = [ref[f"input_{i}"] for i in range(sum(k.startswith("input_") for k in ref.files))]
    return inputs, ref["output_0"]


def test_the_data_is_there_and_small():
    assert SUPPORTED <= set(MODELS), sorted(SUPPORTED - set(MODELS))
    assert all((DATA / f"{name}.npz").is_file() for name in MODELS)
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 1 << 20


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_interpreter_equals_tflite_micro(name):
    module = import_tflite(str(DATA / f"{name}.tflite"))
    QuantizePass().apply(make_context(), module)
    inputs, expected = reference(name)
    (out,) = run_function(module, inputs)
    np.testing.assert_array_equal(out.reshape(expected.shape), expected)


@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
@pytest.mark.parametrize("name", HOST)
def test_host_program_equals_tflite_micro(name, library, tmp_path):
    extra = []
    if library == "cmsis-nn":
        try:
            extra = ["--cmsis-nn", str(locate().root)]
        except CompileError as missing:
            pytest.skip(f"no CMSIS-NN tree: {missing}")
    proc = run_tool("cmsis-compile", str(DATA / f"{name}.tflite"), "-o", str(tmp_path), "--host", "--name", "net",
                    "--quiet", *extra)
    assert proc.returncode == 0, proc.stderr
    inputs, expected = reference(name)
    run = subprocess.run([str(tmp_path / "net_host")], input=b"".join(x.tobytes() for x in inputs),
                         capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    np.testing.assert_array_equal(np.frombuffer(run.stdout, expected.dtype), expected.reshape(-1))


@pytest.mark.parametrize("name", [*INT16, "mixed_tanh.int8", *INT4])
def test_int16_and_int4_models_without_inplace_equal_tflite_micro(name, tmp_path):
    """The s16 and s4 kernels (and the mixed graph's width changes) on disjoint buffers too: the in-place plan above
    is not what makes them exact."""
    proc = run_tool("cmsis-compile", str(DATA / f"{name}.tflite"), "-o", str(tmp_path), "--host", "--name", "net",
                    "--quiet", "--no-inplace")
    assert proc.returncode == 0, proc.stderr
    inputs, expected = reference(name)
    assert expected.dtype == (np.int16 if name.endswith(".int16") else np.int8)
    run = subprocess.run([str(tmp_path / "net_host")], input=b"".join(x.tobytes() for x in inputs),
                         capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    np.testing.assert_array_equal(np.frombuffer(run.stdout, expected.dtype), expected.reshape(-1))


@pytest.mark.parametrize("name", sorted(set(MODELS) - SUPPORTED))
def test_the_rest_is_refused(name):
    with pytest.raises(CompileError) as refused:
        Model.load(DATA / f"{name}.tflite").run("quantize")
    assert "\n" not in str(refused.value)


def test_a_refusal_is_one_error_line_and_no_output(tmp_path: Path):
    proc = run_tool("cmsis-compile", str(DATA / "transpose_conv.int16.tflite"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "has no int16 CMSIS-NN kernel" in lines[0]
    assert not (tmp_path / "out").exists()
