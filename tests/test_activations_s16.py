"""int16 LOGISTIC and TANH against TensorFlow Lite Micro, bit for bit, on every one of the 65,536 int16 inputs.

Each single-op TFLite model (int16 in, int16 out at 2^-15, zero points 0:
TFLite's 16x8 scheme) is built with the flatbuffer schema for one input
scale, lowered by --quantize to one cmsis.activation_s16 and run on an input
holding every int16 code by PyPI tflite-micro, by our interpreter, and by
host programs linked with runtime/ and with the real CMSIS-NN. Power-of-two
input scales (and one just off 2^-12, which TFLite Micro's CheckedLog2 takes
as 2^-12) run CMSIS-NN's arm_nn_activation_s16 (its fixed multiplier is
TFLite Micro's there); the others, drawn log-uniform over [1e-5, 5], run our
cmsis_opt_activation_s16. Prepare rules TFLite Micro enforces are refused by
us with a located error.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from conftest import ROOT  # noqa: E402
from host_programs import build_programs, program_for, run_program  # noqa: E402
from test_import_tflite import TfliteModel  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.dialects import cmsis  # noqa: E402
from cmsis_opt.dialects.cmsis_activation import activation_s16, tflm_activation_s16  # noqa: E402
from cmsis_opt.errors import CompileError  # noqa: E402
from cmsis_opt.frontends import import_model  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.passes.default import DefaultPipeline  # noqa: E402
from cmsis_opt.passes.quantize import QuantizePass  # noqa: E402
from cmsis_opt.plan import memory_plan  # noqa: E402

CODES = np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)
Q15 = 2.0 ** -15
POWERS = [*(2.0 ** e for e in (-15, -12, -11, -10, -8, -5, -3, 0, 2)), float(np.float32(2.0 ** -12 * 1.0004))]
"""Input scales run by arm_nn_activation_s16: 2^-12 (and 2^-11 for tanh) is TFLite Micro's own power-of-two case,
as is 2^-12 * 1.0004 (CheckedLog2's tolerance: TFLite Micro computes with 2^-12); the others reach multiplier
3 * 2^t through its general formula."""


def other_scales(kind: str) -> list[float]:
    rng = np.random.default_rng([16, len(kind)])
    return [float(np.float32(np.exp(rng.uniform(np.log(1e-5), np.log(5.0))))) for _ in range(6)]


def single_op(kind: str, scale: float, out_scale: float = Q15) -> bytes:
    m = TfliteModel()
    x = m.tensor("x", list(CODES.shape), kind="INT16", scale=scale, zp=0)
    y = m.tensor("y", list(CODES.shape), kind="INT16", scale=out_scale, zp=0)
    m.op(kind, [x], [y])
    return m.build([x], [y])


def tflm(data: bytes, x: np.ndarray = CODES) -> np.ndarray:
    """TFLite Micro's output for input `x`, flat (an arena of 1 MiB: the default is 10 times the model)."""
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    interpreter.set_input(x, 0)
    interpreter.invoke()
    return interpreter.get_output(0).reshape(-1)


def lowered(tmp_path, name: str, data: bytes):
    """The .tflite `data` written to TMP/NAME.tflite, imported and lowered by --quantize."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    return module


@pytest.mark.parametrize("kind", ["LOGISTIC", "TANH"])
def test_every_int16_input_equals_tflite_micro(tmp_path, kind):
    scales = {f"p{i}": s for i, s in enumerate(POWERS)} | {f"s{i}": s for i, s in enumerate(other_scales(kind))}
    modules, expected = {}, {}
    for name, scale in scales.items():
        data = single_op(kind, scale)
        module = lowered(tmp_path, name, data)
        (op,) = [op for op in module.walk() if isinstance(op, cmsis.ActivationS16Op)]
        want = "arm_nn_activation_s16" if name.startswith("p") else "cmsis_opt_activation_s16"
        assert op.kernel_function("c") == want, (scale, op)
        expected[name] = tflm(data)
        (ours,) = run_function(module, [CODES])
        np.testing.assert_array_equal(ours.reshape(-1), expected[name], err_msg=f"interpreter, scale {scale}")
        modules[name] = module
    programs = build_programs(tmp_path, modules)
    for library in ("runtime", "cmsis-nn"):
        program = program_for(programs, library)
        for name, scale in scales.items():
            out = run_program(program, name, [CODES], dtype=np.int16)
            np.testing.assert_array_equal(out, expected[name], err_msg=f"{library}, scale {scale}")


def test_the_lowering_runs_in_place(tmp_path):
    """Element i is read before output i is written: the planner puts the output on the input."""
    module = lowered(tmp_path, "m", single_op("TANH", 0.001))
    DefaultPipeline(core="cortex-m4").apply(make_context(), module)
    assert memory_plan(module).arena_size == CODES.size * 2


@pytest.mark.parametrize("kind, scale, out_scale, message", [
    ("LOGISTIC", 0.001, 2.0 ** -14, r"TFLite's int16 LOGISTIC writes scale 2\^-15 \(1/32768\) and no clamp"),
    ("TANH", 8.0, Q15, r"an input scale of 8.0 overflows TFLite Micro's int32 input product in int16 TANH"),
])
def test_what_tflite_micro_cannot_run_is_a_located_error(tmp_path, kind, scale, out_scale, message):
    """Output scale: TFLite Micro's Prepare fails; input scale 8: its int32 product overflows."""
    data = single_op(kind, scale, out_scale)
    with pytest.raises(CompileError, match=f"layer 'y' \\(nn.activation\\): {message}"):
        lowered(tmp_path, "m", data)
    if out_scale != Q15:
        with pytest.raises(RuntimeError, match="failed to allocate tensors"):
            runtime.Interpreter.from_bytes(data, arena_size=1 << 20)


DRIVER = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"
arm_cmsis_nn_status cmsis_opt_activation_s16(const int16_t *input, int16_t *output, int32_t size,
                                             int32_t input_multiplier, int32_t input_shift,
                                             arm_nn_activation_type type);
static int16_t x[65536], y[65536];
int main(void)
{
    long cmsis, multiplier, shift, sigmoid;
    for (long i = 0; i < 65536; i++) x[i] = (int16_t)(i - 32768);
    while (scanf("%ld %ld %ld %ld", &cmsis, &multiplier, &shift, &sigmoid) == 4)
    {
        const arm_nn_activation_type type = sigmoid ? ARM_SIGMOID : ARM_TANH;
        const arm_cmsis_nn_status status = cmsis
            ? arm_nn_activation_s16(x, y, 65536, (int32_t)shift, type)
            : cmsis_opt_activation_s16(x, y, 65536, (int32_t)multiplier, (int32_t)shift, type);
        if (status != ARM_CMSIS_NN_SUCCESS) return 2;
        for (long i = 0; i < 65536; i++) printf("%d\n", y[i]);
    }
    return 0;
}
"""


def test_runtime_kernels_under_sanitizers(tmp_path):
    """runtime/'s cmsis_opt_activation_s16 and arm_nn_activation_s16 at the ends of their ranges (the largest
    multiplier TFLite Micro's int32 product allows, shift 31, CMSIS-NN's left shifts -31 and 14), built strict
    and run under ASan/UBSan, equal the interpreter's arithmetic (the one checked against TFLite Micro above)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the runtime driver")
    runtime_dir = ROOT / "runtime"
    (tmp_path / "driver.c").write_text(DRIVER)
    exe = tmp_path / "driver"
    subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-O1", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{runtime_dir / 'include'}",
                    str(runtime_dir / "src" / "cmsis_opt_activation_s16.c"), str(tmp_path / "driver.c"), "-o",
                    str(exe)], check=True)
    cases = [(0, 65536, 0), (0, 24576, 31), (0, 3, 0), (0, 30236, 13), (0, 16384, 14), (1, 0, -31), (1, 0, 14),
             (1, 0, -3), (1, 0, 0)]
    lines = [f"{cmsis} {m} {s} {sig}" for cmsis, m, s in cases for sig in (1, 0)]
    run = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.array(run.stdout.split(), np.int64).reshape(len(lines), -1)
    codes = CODES.reshape(-1)
    row = 0
    for cmsis, m, s in cases:
        for sigmoid in (True, False):
            want = activation_s16(codes, s, sigmoid) if cmsis else tflm_activation_s16(codes, m, s, sigmoid)
            np.testing.assert_array_equal(got[row], want, err_msg=f"{'cmsis' if cmsis else 'ours'} {m} {s}")
            row += 1
