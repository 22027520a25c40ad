"""Table activations against TensorFlow Lite Micro, bit for bit, on every one of the 256 int8 inputs.

Each single-op TFLite model (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, ELU,
PRELU) is built with the flatbuffer schema, imported, lowered by --quantize
to one cmsis.lut, and run by our interpreter and by PyPI tflite-micro on an
input holding all 256 codes: the outputs must be identical. Scales (log-
uniform over three decades), zero points and alphas are drawn per
combination; COMBINATIONS per op. Parameters TFLite Micro refuses to prepare
must be refused by us too, with a located error.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from test_import_tflite import TfliteModel, options  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.dialects import cmsis  # noqa: E402
from cmsis_opt.errors import CompileError  # noqa: E402
from cmsis_opt.frontends import import_model  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.passes.quantize import QuantizePass  # noqa: E402

COMBINATIONS = 40
OPS = ("LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "ELU", "PRELU")
CODES = np.arange(-128, 128, dtype=np.int8)
FIXED_OUTPUT = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}  # what TFLite's int8 kernels write


def log_uniform(rng, low: float, high: float) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(low), np.log(high)))))


def single_op(kind: str, shape, q_in, q_out, alpha: float | None = None, alpha_tensor=None) -> bytes:
    """One TFLite op from input x to output y; alpha_tensor = (shape, int8 codes, scale, zero point) for PRELU."""
    m = TfliteModel()
    x = m.tensor("x", shape, scale=q_in[0], zp=q_in[1])
    y = m.tensor("y", shape, scale=q_out[0], zp=q_out[1])
    if kind == "LEAKY_RELU":
        m.op(kind, [x], [y], options("LeakyReluOptionsT", alpha=alpha), "LeakyReluOptions")
    elif kind == "PRELU":
        a_shape, codes, scale, zp = alpha_tensor
        a = m.tensor("alpha", a_shape, data=np.asarray(codes, np.int8).reshape(a_shape), scale=scale, zp=zp)
        m.op(kind, [x, a], [y])
    else:
        m.op(kind, [x], [y])
    return m.build([x], [y])


def draw(rng, kind: str) -> dict:
    """Random quantization (and alpha) for one model of `kind`."""
    q_in = (log_uniform(rng, 0.002, 2.0), int(rng.integers(-128, 128)))
    if kind in FIXED_OUTPUT:
        q_out = FIXED_OUTPUT[kind]
    elif kind == "HARD_SWISH":  # TFLite Micro needs s_out >= s_in / 128
        q_out = (log_uniform(rng, q_in[0] / 100, q_in[0] * 10), int(rng.integers(-128, 128)))
    else:
        q_out = (log_uniform(rng, q_in[0] / 20, q_in[0] * 20), int(rng.integers(-128, 128)))
    params = {"q_in": q_in, "q_out": q_out}
    if kind == "LEAKY_RELU":
        params["alpha"] = float(np.float32(rng.uniform(-1.0, 1.5)))
    if kind == "PRELU":
        channels = 8
        params["alpha_tensor"] = ([channels], rng.integers(-128, 128, channels),
                                  log_uniform(rng, 0.001, 0.05), int(rng.integers(-40, 40)))
    return params


def every_code(shape) -> np.ndarray:
    """An int8 tensor of `shape` in which each channel (last axis) sees all 256 codes."""
    count = int(np.prod(shape[:-1]))
    assert count % 256 == 0
    rows = (np.arange(count)[:, None] + np.arange(shape[-1])[None, :]) % 256
    return CODES[rows].reshape(shape)


def compile_and_compare(tmp_path, data: bytes, x: np.ndarray) -> None:
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    assert sum(isinstance(op, cmsis.LutOp) for op in module.walk()) == 1
    tflm = runtime.Interpreter.from_bytes(data)
    tflm.set_input(x, 0)
    tflm.invoke()
    (ours,) = run_function(module, [x])
    np.testing.assert_array_equal(ours, tflm.get_output(0))


@pytest.mark.parametrize("kind", OPS)
def test_tables_equal_tflite_micro_on_all_256_inputs(tmp_path, kind):
    rng = np.random.default_rng([7, len(kind), sum(map(ord, kind))])
    shape = [1, 16, 16, 8] if kind == "PRELU" else [1, 4, 8, 8]
    for _ in range(COMBINATIONS):
        params = draw(rng, kind)
        x = every_code(shape) if kind == "PRELU" else CODES.reshape(shape)
        compile_and_compare(tmp_path, single_op(kind, shape, **params), x)


@pytest.mark.parametrize("alpha_shape", [[1], [1, 1, 8], [4, 4, 8]], ids=["scalar", "channels", "keras-hwc"])
def test_prelu_alpha_shapes(tmp_path, alpha_shape):
    """A scalar alpha, one per channel, and Keras' default [H, W, C] alpha that is the same over H and W."""
    rng = np.random.default_rng(3)
    per_channel = rng.integers(-128, 128, alpha_shape[-1])
    codes = np.broadcast_to(per_channel, alpha_shape)
    shape = [1, 4, 4, 8]
    data = single_op("PRELU", shape, (0.03, -5), (0.02, 7), alpha_tensor=(alpha_shape, codes, 0.01, 3))
    x = np.resize(CODES, shape).astype(np.int8)
    compile_and_compare(tmp_path, data, x)


def test_prelu_alpha_per_element_is_a_located_error(tmp_path):
    shape = [1, 4, 4, 8]
    codes = np.arange(4 * 4 * 8).reshape(4, 4, 8) % 100
    path = tmp_path / "prelu.tflite"
    path.write_bytes(single_op("PRELU", shape, (0.03, -5), (0.02, 7), alpha_tensor=([4, 4, 8], codes, 0.01, 3)))
    module = import_model(str(path))
    with pytest.raises(CompileError, match=r"layer 'y' \(nn.activation\): its slope of shape \[1, 8, 4, 4\] "
                                           r"varies along axes \[1, 2, 3\]"):
        QuantizePass().apply(make_context(), module)


@pytest.mark.parametrize("kind, q_in, q_out, message", [
    ("HARD_SWISH", (0.5, 3), (0.001, 0), "TFLite's HARD_SWISH needs an output scale of at least the input scale / 128"),
    ("LOGISTIC", (0.05, 3), (1 / 128, -128), "TFLite's int8 LOGISTIC writes outputs with scale 0.00390625 and zero "
                                              "point -128"),
])
def test_what_tflite_micro_cannot_run_is_a_located_error(tmp_path, kind, q_in, q_out, message):
    """HARD_SWISH: TFLite Micro fails to prepare; LOGISTIC: it runs, writing codes that mean 1/256 steps."""
    data = single_op(kind, [1, 256], q_in, q_out)
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    module = import_model(str(path))
    with pytest.raises(CompileError, match=f"layer 'y' \\(nn.activation\\): {message}"):
        QuantizePass().apply(make_context(), module)
    if kind == "HARD_SWISH":
        with pytest.raises(RuntimeError, match="failed to allocate tensors"):  # its Prepare check fails
            runtime.Interpreter.from_bytes(data)
