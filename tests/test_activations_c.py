"""Table activations in C: cmsis_opt_lut_s8 in runtime/, and in generated models on the host and on QEMU.

- the runtime function alone, under AddressSanitizer and UndefinedBehaviorSanitizer: one table and one per
  channel, output on a separate buffer, exactly on the input, and before it; argument errors;
- a TFLite chain LEAKY_RELU -> PRELU (per-channel alpha) -> LOGISTIC -> TANH compiled by `cmsis-compile
  --host`, linked with runtime/ and with Arm's CMSIS-NN (which lacks the function: the model carries its
  own static copy), with in-place aliasing (every table's output on its input's bytes) and without it
  (`--no-inplace`: never on them): the outputs equal the interpreter's and TensorFlow Lite Micro's, byte for
  byte;
- the same model, in place and apart, on QEMU's Cortex-M4 and Cortex-M55 with CMSIS-NN built for each (strict
  warnings as errors), equal to TensorFlow Lite Micro; skipped without the Arm toolchain (`make arm-tools`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_tool

pytest.importorskip("tflite_micro")

from test_import_tflite import TfliteModel, options  # noqa: E402
from tflm_oracle import tflm_outputs  # noqa: E402

from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.frontends import import_model  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.passes.quantize import QuantizePass  # noqa: E402

RUNTIME = ROOT / "runtime"
CMSIS_NN = ROOT.parent / "shared" / "cmsis-nn"
SHAPE = [1, 16, 16, 8]
CODES = np.arange(-128, 128, dtype=np.int8)


# -- the runtime function alone ------------------------------------------------------------------

DRIVER = r"""
#include <stdio.h>
#include "cmsis_opt_lut.h"

/* stdin: channels size offset, the table (channels * 256), the input (size); offset: where the output starts
   relative to the input in one buffer (0: in place). stdout: the status, then the output. */
int main(void)
{
    static int8_t table[64 * 256];
    static int8_t buffer[3 * 4096];
    int channels, size, offset, value, i;
    while (scanf("%d %d %d", &channels, &size, &offset) == 3) {
        int8_t *input = buffer + 4096;
        int8_t *output = input + offset;
        for (i = 0; i < channels * 256 && i < 64 * 256; i++) {
            if (scanf("%d", &value) != 1) return 2;
            table[i] = (int8_t)value;
        }
        for (i = 0; i < size; i++) {
            if (scanf("%d", &value) != 1) return 2;
            input[i] = (int8_t)value;
        }
        printf("%d", (int)cmsis_opt_lut_s8(input, table, (int32_t)channels, output, (int32_t)size));
        for (i = 0; i < (size > 0 ? size : 0); i++) printf(" %d", (int)output[i]);
        printf("\n");
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the runtime driver")
    work = tmp_path_factory.mktemp("lut_driver")
    (work / "driver.c").write_text(DRIVER)
    exe = work / "driver"
    subprocess.run(["gcc", "-std=c99", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    f"-I{RUNTIME / 'include'}", str(RUNTIME / "src" / "cmsis_opt_lut_s8.c"), str(work / "driver.c"),
                    "-o", str(exe)], check=True)
    return exe


def run_driver(driver: Path, cases) -> list[list[int]]:
    lines = [" ".join(map(str, [c, n, off, *t.reshape(-1).tolist(), *x.tolist()])) for c, n, off, t, x in cases]
    proc = subprocess.run([str(driver)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [[int(v) for v in line.split()] for line in proc.stdout.splitlines()]


def test_runtime_function_in_place_and_per_channel(driver):
    rng = np.random.default_rng(5)
    cases, expected = [], []
    for channels in (1, 3, 8):
        for offset in (0, -7, 600, -600):  # in place, before the input, separate buffers after and before
            size = channels * 64
            tables = rng.integers(-128, 128, (channels, 256)).astype(np.int8)
            x = rng.integers(-128, 128, size).astype(np.int8)
            cases.append((channels, size, offset, tables, x))
            expected.append([0, *tables[np.arange(size) % channels, x.astype(np.int64) + 128].tolist()])
    assert run_driver(driver, cases) == expected


def test_runtime_function_refuses_what_it_cannot_index(driver):
    results = run_driver(driver, [(0, 4, 600, np.zeros((0, 256), np.int8), np.zeros(4, np.int8)),  # no channels
                                  (3, 4, 600, np.zeros((3, 256), np.int8), np.zeros(4, np.int8))])  # 4 % 3 != 0
    assert [r[0] for r in results] == [-1, -1]


# -- a generated model ---------------------------------------------------------------------------

def chain_model() -> bytes:
    """x -> LEAKY_RELU -> PRELU (one alpha per channel) -> LOGISTIC -> TANH -> y, NHWC [1, 16, 16, 8]."""
    rng = np.random.default_rng(21)
    m = TfliteModel()
    x = m.tensor("x", SHAPE, scale=0.04, zp=-7)
    leaky = m.tensor("leaky", SHAPE, scale=0.035, zp=-30)
    alpha = m.tensor("alpha", [SHAPE[-1]], data=rng.integers(-100, 100, SHAPE[-1]).astype(np.int8), scale=0.006,
                     zp=2)
    prelu = m.tensor("prelu", SHAPE, scale=0.03, zp=5)
    logistic = m.tensor("logistic", SHAPE, scale=1 / 256, zp=-128)
    y = m.tensor("y", SHAPE, scale=1 / 128, zp=0)
    m.op("LEAKY_RELU", [x], [leaky], options("LeakyReluOptionsT", alpha=0.15), "LeakyReluOptions")
    m.op("PRELU", [leaky, alpha], [prelu])
    m.op("LOGISTIC", [prelu], [logistic])
    m.op("TANH", [logistic], [y])
    return m.build([x], [y])


def inputs() -> list[np.ndarray]:
    count = int(np.prod(SHAPE[:-1]))
    every = CODES[(np.arange(count)[:, None] + np.arange(SHAPE[-1])[None, :]) % 256].reshape(SHAPE)
    rng = np.random.default_rng(8)
    return [every, *(rng.integers(-128, 128, SHAPE).astype(np.int8) for _ in range(3))]


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> tuple[Path, bytes]:
    work = tmp_path_factory.mktemp("chain")
    data = chain_model()
    (work / "chain.tflite").write_bytes(data)
    return work / "chain.tflite", data


CHAIN = (("x", "leaky"), ("leaky", "prelu"), ("prelu", "logistic"), ("logistic", "y"))
"""(producer, consumer) of each table layer of `chain_model`."""


def check_placement(plan: dict, inplace: bool) -> None:
    """In place: every table's output sits exactly on its input and the arena is one tensor. Apart (--no-inplace):
    no table's output overlaps its input, and the arena holds two tensors."""
    buffers = {b["name"]: b for b in plan["buffers"]}
    size = int(np.prod(SHAPE))
    for producer, consumer in CHAIN:
        source = buffers["input" if producer == "x" else producer]["offset"]
        target = buffers[consumer]["offset"]
        if inplace:
            assert target == source, (consumer, plan["buffers"])
        else:
            assert abs(target - source) >= size, (consumer, plan["buffers"])
    assert plan["arena_bytes"] == (1 if inplace else 2) * size


@pytest.mark.parametrize("inplace", [True, False], ids=["inplace", "apart"])
@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
def test_host_program_equals_tflite_micro_in_place_and_apart(tmp_path, chain, library, inplace):
    path, data = chain
    args = [str(path), "-o", str(tmp_path), "--host", "--name", "chain", *([] if inplace else ["--no-inplace"])]
    if library == "cmsis-nn":
        if not CMSIS_NN.is_dir():
            pytest.skip(f"no CMSIS-NN tree at {CMSIS_NN}")
        args += ["--cmsis-nn", str(CMSIS_NN)]
    result = run_tool("cmsis-compile", *args)
    assert result.returncode == 0, result.stderr
    source = (tmp_path / "chain.c").read_text()
    assert source.count("static arm_cmsis_nn_status cmsis_opt_lut_s8(") == 1
    assert source.count("status = cmsis_opt_lut_s8(") == 4
    check_placement(json.loads((tmp_path / "memory.json").read_text()), inplace)
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    xs = inputs()
    for x, want in zip(xs, tflm_outputs(data, xs), strict=True):
        program = subprocess.run([str(tmp_path / "chain_host")], input=x.tobytes(), capture_output=True)
        assert program.returncode == 0, program.stderr
        got = np.frombuffer(program.stdout, np.int8)
        assert np.array_equal(got, want.reshape(-1))
        assert np.array_equal(got, run_function(module, [x])[0].reshape(-1))


def test_generated_c_is_strict_c99(tmp_path, chain):
    path, _ = chain
    assert run_tool("cmsis-compile", str(path), "-o", str(tmp_path), "--name", "chain").returncode == 0
    result = subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror",
                             f"-I{RUNTIME / 'include'}", "-c", str(tmp_path / "chain.c"), "-o",
                             str(tmp_path / "chain.o")], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr


needs_qemu = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                reason="the Arm toolchain and QEMU are not installed (make arm-tools)")


@needs_qemu
@pytest.mark.parametrize("inplace", [True, False], ids=["inplace", "apart"])
@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_on_qemu_with_cmsis_nn_equals_tflite_micro(tmp_path, chain, core, inplace):
    from cmsis_opt.cmsis_nn import build_library, locate
    from cmsis_opt.tools.target_check import Case, check

    if not CMSIS_NN.is_dir():
        pytest.skip(f"no CMSIS-NN tree at {CMSIS_NN}")
    path, data = chain
    xs = inputs()
    case = Case("chain", path, np.stack(xs), np.stack(tflm_outputs(data, xs)), () if inplace else ("--no-inplace",))
    row = check(case, core, tmp_path, build_library(core, locate(str(CMSIS_NN))))
    assert row.exact == f"{len(xs)}/{len(xs)}"
    check_placement(json.loads((tmp_path / f"chain-{core}" / "c" / "memory.json").read_text()), inplace)
    assert row.arena == (1 if inplace else 2) * int(np.prod(SHAPE))
