"""TFLite QUANTIZE between int8 and int16 (mixed 16x8 graphs) against TensorFlow Lite Micro, bit for bit.

Single-op models built with the flatbuffer schema: int8 -> int16 on all 256
int8 codes, int16 -> int8 and int16 -> int16 on all 65,536 int16 codes, for
drawn scales and zero points (int16 zero point 0, TFLite's 16x8 scheme);
and a small mixed model, int8 in, QUANTIZE to int16, TANH, QUANTIZE back to
int8 (a TANH on an int16 path inside an int8 network). Each is lowered by
--quantize (one cmsis.requantize per QUANTIZE, `cmsis_opt_requantize_s16`:
CMSIS-NN v7.0.0 has no requantization kernel) and run by PyPI tflite-micro,
our interpreter and host programs linked with runtime/ and with the real
CMSIS-NN, planned in place (an int8 -> int16 output overlaps its input only
where the access-order model allows).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from host_programs import build_programs, program_for, run_program  # noqa: E402
from test_activations_s16 import lowered, tflm  # noqa: E402
from test_import_tflite import TfliteModel  # noqa: E402

from cmsis_opt.dialects import cmsis  # noqa: E402
from cmsis_opt.errors import CompileError  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402

ALL_S8 = np.arange(-128, 128, dtype=np.int8).reshape(1, -1)
ALL_S16 = np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)
KINDS = {8: "INT8", 16: "INT16"}


def log_uniform(rng, low: float, high: float) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(low), np.log(high)))))


def quantize_model(shape, width_in: int, q_in, width_out: int, q_out) -> bytes:
    m = TfliteModel()
    x = m.tensor("x", shape, kind=KINDS[width_in], scale=q_in[0], zp=q_in[1])
    y = m.tensor("y", shape, kind=KINDS[width_out], scale=q_out[0], zp=q_out[1])
    m.op("QUANTIZE", [x], [y])
    return m.build([x], [y])


def mixed_model(shape, q_in) -> bytes:
    """int8 x -> QUANTIZE -> int16 -> TANH (Q0.15) -> QUANTIZE -> int8 y (1/128, 0)."""
    m = TfliteModel()
    x = m.tensor("x", shape, kind="INT8", scale=q_in[0], zp=q_in[1])
    wide = m.tensor("wide", shape, kind="INT16", scale=q_in[0] / 200.0, zp=0)
    squashed = m.tensor("squashed", shape, kind="INT16", scale=2.0 ** -15, zp=0)
    y = m.tensor("y", shape, kind="INT8", scale=1 / 128, zp=0)
    m.op("QUANTIZE", [x], [wide])
    m.op("TANH", [wide], [squashed])
    m.op("QUANTIZE", [squashed], [y])
    return m.build([x], [y])


def cases() -> dict[str, tuple[bytes, np.ndarray]]:
    """name -> (model, the input holding every code of its type)."""
    rng = np.random.default_rng(816)
    models = {}
    for i in range(6):
        q8 = (log_uniform(rng, 0.002, 2.0), int(rng.integers(-128, 128)))
        q16 = (log_uniform(rng, q8[0] / 30000, q8[0] / 2), 0)
        models[f"up{i}"] = (quantize_model(list(ALL_S8.shape), 8, q8, 16, q16), ALL_S8)
        q16 = (log_uniform(rng, 1e-5, 0.01), 0)
        q8 = (log_uniform(rng, q16[0] * 2, q16[0] * 1000), int(rng.integers(-128, 128)))
        models[f"down{i}"] = (quantize_model(list(ALL_S16.shape), 16, q16, 8, q8), ALL_S16)
    for i in range(2):
        q_a, q_b = (log_uniform(rng, 1e-4, 0.01), 0), (log_uniform(rng, 1e-4, 0.01), 0)
        models[f"same{i}"] = (quantize_model(list(ALL_S16.shape), 16, q_a, 16, q_b), ALL_S16)
    models["mixed"] = (mixed_model([1, 4, 8, 8], (0.04, -3)), ALL_S8.reshape(1, 4, 8, 8))
    return models


def test_quantize_between_widths_equals_tflite_micro(tmp_path):
    modules, expected, inputs = {}, {}, {}
    for name, (data, x) in cases().items():
        module = lowered(tmp_path, name, data)
        kernels = [op.kernel_function("c") for op in module.walk() if isinstance(op, cmsis.RequantizeOp)]
        assert kernels == ["cmsis_opt_requantize_s16"] * (2 if name == "mixed" else 1), (name, kernels)
        expected[name], inputs[name] = tflm(data, x), x
        (ours,) = run_function(module, [x])
        np.testing.assert_array_equal(ours.reshape(-1), expected[name], err_msg=f"interpreter, {name}")
        modules[name] = module
    programs = build_programs(tmp_path, modules)
    for library in ("runtime", "cmsis-nn"):
        program = program_for(programs, library)
        for name, x in inputs.items():
            out_type = expected[name].dtype
            raw = run_program(program, name, [x], dtype=x.dtype.type)  # the input's bytes
            if out_type != x.dtype:
                raw = np.frombuffer(raw.tobytes(), out_type)
            np.testing.assert_array_equal(raw, expected[name], err_msg=f"{library}, {name}")


def test_a_shift_that_leaves_int32_is_a_located_error(tmp_path):
    """int16 -> int16 at 1 / 2^20 of the scale: 32767 shifted left by 20 leaves int32 (TFLite Micro's product)."""
    data = quantize_model([1, 16], 16, (1.0, 0), 16, (2.0 ** -20, 0))
    with pytest.raises(CompileError, match=r"layer 'y' \(nn.quantize\): no kernel requantizes it: 'cmsis.requantize' "
                                           r"shift: an input of 32768 shifted left by 21 leaves int32"):
        lowered(tmp_path, "m", data)
