"""`cmsis.lut_s16` / `cmsis_opt_lut_s16`: ONNX A16W8 Sigmoid and Tanh as a per-layer interpolated int16 table.

onnxruntime runs an int16 QDQ Sigmoid / Tanh as DequantizeLinear, the float
function, QuantizeLinear (round half to even). The compiler fills a table for
the layer's scales (`lut.float_table_s16`) and checks all 65,536 inputs at
compile time. Here every one of the 65,536 inputs is compared, for several
scale pairs, with onnxruntime itself (a DequantizeLinear -> f ->
QuantizeLinear graph fed every int16 code): at most 1 step off. runtime/'s C,
built strict under ASan/UBSan, gives the interpreter's arithmetic bit for bit.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT
from onnx import TensorProto, helper, numpy_helper

from cmsis_opt import lut

CODES = np.arange(-32768, 32768, dtype=np.int64)
# (function, input scale, output scale): onnxruntime's fixed outputs (1/32767 for both with ActivationSymmetric),
# input ranges from about +-1 to +-32, and other output scales
CASES = [("sigmoid", 1.0 / 32767, 1.0 / 32767), ("sigmoid", 4.0 / 32767, 1.0 / 32767),
         ("sigmoid", 1.7e-4, 1.0 / 32767), ("sigmoid", 1e-3, 1.0 / 32767), ("sigmoid", 3e-4, 2.0 / 32767),
         ("tanh", 1.0 / 32767, 1.0 / 32767), ("tanh", 2.5e-4, 1.0 / 32767), ("tanh", 1.1e-4, 1.0 / 32767),
         ("tanh", 3e-4, 4.0 / 32767), ("tanh", 6e-4, 1.0 / 32767)]


def onnxruntime_codes(kind: str, s_in: float, s_out: float) -> np.ndarray:
    """onnxruntime's int16 DequantizeLinear -> Sigmoid / Tanh -> QuantizeLinear of every int16 code (int64)."""
    import onnx
    from onnx_oracle import session

    op = {"sigmoid": "Sigmoid", "tanh": "Tanh"}[kind]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s_in", "zero"], ["r"]),
             helper.make_node(op, ["r"], ["f"]),
             helper.make_node("QuantizeLinear", ["f", "s_out", "zero"], ["y"])]
    inits = [numpy_helper.from_array(np.array(s_in, np.float32), "s_in"),
             numpy_helper.from_array(np.array(s_out, np.float32), "s_out"),
             numpy_helper.from_array(np.array(0, np.int16), "zero")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.INT16, [65536])],
                              [helper.make_tensor_value_info("y", TensorProto.INT16, [65536])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    (y,) = session(model).run(None, {"x": CODES.astype(np.int16)})
    return y.astype(np.int64)


@pytest.mark.parametrize(("kind", "s_in", "s_out"), CASES)
def test_every_int16_input_is_within_one_step_of_onnxruntime(kind, s_in, s_out):
    """All 65,536 inputs: the interpolated table against onnxruntime's own codes (at most 1 step) and against the
    float64 function rounded half to even (at most 1 step; the compile-time bound, 1.45 steps from the exact
    real, holds too). onnxruntime's own codes are within 0.55 steps of the exact real, the premise of that
    bound."""
    table, step_log2, error = lut.float_table_s16(kind, s_in, s_out)
    assert len(table) == (65536 >> step_log2) + 1 and error <= lut.S16_ERROR_BOUND
    ours = lut.lut_s16(CODES, table, step_log2)
    reals = lut.float_reals_s16(kind, s_in, s_out, codes=CODES)
    rounded = np.clip(np.rint(reals), -32768, 32767)
    assert np.abs(ours - rounded).max() <= 1
    assert np.abs(ours - np.clip(reals, -32768, 32767)).max() == pytest.approx(error)
    theirs = onnxruntime_codes(kind, s_in, s_out)
    assert np.abs(ours - theirs).max() <= 1, (kind, s_in, s_out, int(np.abs(ours - theirs).max()))
    # the bound's premise: onnxruntime's float32 value is within 0.05 steps of the exact real (0.506 measured)
    assert np.abs(theirs - np.clip(reals, -32768, 32767)).max() <= 0.55


def test_table_size_follows_the_curvature():
    """513 entries while the function bends slowly over one step of 128 codes; more as the input scale grows."""
    sizes = [len(lut.float_table_s16("tanh", s, 1.0 / 32767)[0]) for s in (5e-5, 1.1e-4, 2.5e-4, 6e-4)]
    assert sizes == sorted(sizes) and sizes[0] == 513 and sizes[-1] > 2049, sizes


def test_a_function_too_curved_for_the_largest_table_is_refused():
    with pytest.raises(lut.TableError, match=r"tanh from input scale 0.01 to output scale 3.05\d*e-05 curves too "
                                             r"fast for an int16 table of 8193 entries: [\d.]+ output steps off"):
        lut.float_table_s16("tanh", 0.01, 1.0 / 32767)


DRIVER = r"""
#include <stdio.h>
#include "cmsis_opt_lut.h"
static int16_t x[65536], y[65536], table[8193];
int main(void)
{
    long step_log2, entries, value;
    for (long i = 0; i < 65536; i++) x[i] = (int16_t)(i - 32768);
    while (scanf("%ld %ld", &step_log2, &entries) == 2)
    {
        for (long j = 0; j < entries; j++)
        {
            if (scanf("%ld", &value) != 1) return 3;
            table[j] = (int16_t)value;
        }
        if (cmsis_opt_lut_s16(x, table, (int32_t)step_log2, y, 65536) != ARM_CMSIS_NN_SUCCESS) return 2;
        for (long i = 0; i < 65536; i++) printf("%d\n", y[i]);
    }
    if (cmsis_opt_lut_s16(x, table, 16, y, 1) != ARM_CMSIS_NN_ARG_ERROR) return 4;
    return 0;
}
"""


def test_runtime_kernel_equals_the_interpreter_under_sanitizers(tmp_path):
    """runtime/src/cmsis_opt_lut_s16.c, strict C99 under ASan/UBSan, on all 65,536 inputs for tables of every
    size the compiler picks and for extreme entries (-32768 and 32767 next to each other, the widest steps):
    `lut.lut_s16`'s values."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the runtime driver")
    (tmp_path / "driver.c").write_text(DRIVER)
    exe = tmp_path / "driver"
    subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-O1", "-g",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{ROOT / 'runtime' / 'include'}",
                    str(ROOT / "runtime" / "src" / "cmsis_opt_lut_s16.c"), str(tmp_path / "driver.c"), "-o",
                    str(exe)], check=True)
    rng = np.random.default_rng(16)
    tables = [lut.float_table_s16(kind, s_in, s_out)[:2] for kind, s_in, s_out in CASES[:3] + CASES[-3:]]
    tables.append((np.tile(np.array([-32768, 32767], np.int16), 2)[:3], 15))
    tables.append((rng.integers(-32768, 32768, 8193).astype(np.int16), 3))
    tables.append((rng.integers(-32768, 32768, 513).astype(np.int16), 7))
    lines = [f"{s} {len(t)} " + " ".join(str(int(v)) for v in t) for t, s in tables]
    run = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.array(run.stdout.split(), np.int64).reshape(len(tables), -1)
    for row, (table, step_log2) in zip(got, tables, strict=True):
        np.testing.assert_array_equal(row, lut.lut_s16(CODES, table, step_log2), err_msg=f"step 2^{step_log2}")
