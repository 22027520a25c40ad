"""../shared/cases/01_nchw_pytorch: a PyTorch-style model with an NCHW input of 3 channels (Conv, Relu, Flatten, Gemm),
as a QDQ file and as a float file with its calibration samples.

Right values (the cases' README): it compiles with `--host`; its outputs are within 1 LSB per quantized layer of
onnxruntime (the QDQ file, each layer fed onnxruntime's own input; 2 layers, so 2 LSB end to end); with
`--io-layout nhwc` the C API takes the same input in NHWC order and gives the same outputs. The float file is
calibrated by us, so its oracle is onnxruntime's float output on the same int8-rounded input, within 2.5 output
steps (the int8 weights' and activations' rounding; measured 1.72).
The C, with our runtime and with the real CMSIS-NN, equals the interpreter byte for byte.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT
from host_programs import LIBRARIES, compile_host, run_program
from onnx_oracle import assert_within_one_lsb_per_layer, int8_io, kernels, session

from cmsis_opt.calibrate import calibrate_module
from cmsis_opt.context import make_context
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

CASES = ROOT.parent / "shared" / "cases"
QDQ = CASES / "01_nchw_pytorch.qdq.onnx"
FLOAT = CASES / "01_nchw_pytorch.onnx"
CALIBRATION = CASES / "01_nchw_pytorch.cal.npz"


def _case(path):
    if not path.is_file():
        pytest.skip(f"{path.name} not found in {CASES} (the shared failing-input cases live beside the repository)")
    return str(path)


def _quantized(path: str, calibration: str | None = None):
    module = import_model(path)
    if calibration is not None:
        calibrate_module(module, calibration, show_progress=False)
    QuantizePass().apply(make_context(), module)
    return module


def test_qdq_file_is_within_one_lsb_per_layer_of_onnxruntime():
    path = _case(QDQ)
    module = _quantized(path)
    assert {"cmsis.conv", "cmsis.fully_connected"} <= set(kernels(module)), kernels(module)
    _, _, shape = int8_io(module)
    assert shape == (1, 3, 8, 8)  # the C API keeps the model's NCHW input by default
    rng = np.random.default_rng(1)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(64)]
    assert_within_one_lsb_per_layer(path, module, inputs, layers=2)


@pytest.mark.parametrize("library", LIBRARIES)
def test_qdq_file_in_c_takes_nchw_by_default_and_nhwc_when_asked(tmp_path, library):
    path = _case(QDQ)
    module = _quantized(path)
    nchw = compile_host(path, tmp_path / "model", "net", library)
    nhwc = compile_host(path, tmp_path / "nhwc", "net", library, "--io-layout", "nhwc")
    assert '#define NET_INPUT_LAYOUT "NCHW"' in (tmp_path / "model" / "net.h").read_text()
    header = (tmp_path / "nhwc" / "net.h").read_text()
    assert '#define NET_INPUT_LAYOUT "NHWC"' in header and "#define NET_INPUT_SHAPE {1, 8, 8, 3}" in header
    rng = np.random.default_rng(2)
    for _ in range(16):
        x = rng.integers(-128, 128, (1, 3, 8, 8)).astype(np.int8)
        expected = run_function(module, [x])[0].reshape(-1)
        assert np.array_equal(run_program(nchw, "net", [x]), expected)
        assert np.array_equal(run_program(nhwc, "net", [x.transpose(0, 2, 3, 1)]), expected)


@pytest.mark.parametrize("library", LIBRARIES)
def test_float_file_compiles_with_its_calibration_and_stays_within_the_quantization_error(tmp_path, library):
    path, calibration = _case(FLOAT), _case(CALIBRATION)
    program = compile_host(path, tmp_path / "out", "net", library, "--calibration", calibration)
    module = _quantized(path, calibration)
    func = next(iter(module.ops))
    q_in, q_out = quant_of(func.body.block.args[0].type), quant_of(func.function_type.outputs.data[0])
    sess = session(path)
    samples = np.load(calibration)["inputs"]
    worst = 0.0
    for x in samples:
        codes = np.clip(np.rint(x / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        ours = run_function(module, [codes])[0]
        assert np.array_equal(run_program(program, "net", [codes]), ours.reshape(-1))
        xq = ((codes.astype(np.float64) - q_in.zero_point) * q_in.scale).astype(np.float32)
        theirs = sess.run(None, {"x": xq})[0].astype(np.float64).reshape(-1)
        low, high = (-128 - q_out.zero_point) * q_out.scale, (127 - q_out.zero_point) * q_out.scale
        inside = (theirs >= low) & (theirs <= high)  # outside int8's range both sides saturate differently
        assert inside.sum() >= theirs.size // 2
        error = np.abs((ours.astype(np.float64).reshape(-1) - q_out.zero_point) * q_out.scale - theirs)[inside]
        worst = max(worst, float(error.max(initial=0.0)) / q_out.scale)
    # measured on the 16 calibration samples: at most 1.72 output steps, from rounding the weights to int8
    # (per-channel, peak / 127) and the Gemm's 256 inputs to their int8 grid; a wrong layout or scale is tens
    assert worst < 2.5, worst
