"""Our own calibration never saturates an int32 bias: a layer whose weights are tiny next to its bias (a nearly
pruned channel after BatchNormalization folding) gets a weight scale large enough for the bias to be an int32
code at the accumulator's scale (`bias_scale_floor`, TFLite's post-training quantizer's rule); a bias that still
does not fit (not finite) is one located error.

Oracle: onnxruntime's float output on the dequantized int8 input. Bound: one output quantization step (the
tiny weights' own quantization error is below 1e-5 of a step); a channel with ordinary weights (the conv's
channel 0) also gets its weights' quantization error, 27 products of |x| * s_w / 2.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import ROOT, run_tool
from onnx import TensorProto, helper, numpy_helper

from cmsis_opt.calibrate import bias_room, bias_scale_floor, calibrate_module, symmetric_weights
from cmsis_opt.context import make_context
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

from host_programs import LIBRARIES, compile_host, run_program
from onnx_oracle import session

CASES = ROOT.parent / "shared" / "cases"


def _model(nodes, x_shape, y_shape, inits) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def conv_weight_error(model: onnx.ModelProto):
    """Channel 0's weight quantization error (per-channel scale peak / 127) on an NCHW output."""
    w = numpy_helper.to_array(next(i for i in model.graph.initializer if i.name == "w"))
    s_w0 = float(np.abs(w[0]).max()) / 127

    def error(xq: np.ndarray) -> np.ndarray:
        per_channel = np.zeros((1, 4, 1, 1))
        per_channel[0, 0] = w[0].size * float(np.abs(xq).max()) * s_w0 / 2
        return per_channel

    return error


def conv_model(rng):
    """Conv 3 -> 4 channels, 3x3: channel 0 normal, channel 1 weights 1e-9 with bias 5.0, channel 2 weights
    1e-6 with bias -3.0, channel 3 all-zero weights with bias 2.0."""
    w = rng.normal(0, 0.3, (4, 3, 3, 3))
    w[1] *= 1e-9 / np.abs(w[1]).max()
    w[2] *= 1e-6 / np.abs(w[2]).max()
    w[3] = 0.0
    b = np.array([0.2, 5.0, -3.0, 2.0])
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])
    return _model([node], [1, 3, 6, 6], [1, 4, 6, 6], {"w": w, "b": b})


def matmul_model(rng):
    """MatMul [1, 8] x [8, 3] (every weight under 1e-6) + Add of a bias [3] up to 4.0: one per-tensor scale."""
    w = rng.normal(0, 1e-7, (8, 3))
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
             helper.make_node("Add", ["mm", "b"], ["y"], name="add")]
    return _model(nodes, [1, 8], [1, 3], {"w": w, "b": np.array([4.0, -1.0, 0.5])})


def gemm_model(rng):
    """Gemm transB=1 with weights of 1e-8 and a bias of -6.0 on one of two outputs."""
    w = rng.normal(0, 1e-8, (2, 8))
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=1)
    return _model([node], [1, 8], [1, 2], {"w": w, "b": np.array([-6.0, 0.1])})


def zero_conv_model(rng):
    """Conv 3 -> 4 channels whose weights are all zero (a pruned layer), biases smaller than the input's step,
    then Relu: every output is relu(bias)."""
    node = helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["c"], ["y"], name="relu")
    return _model([node, relu], [1, 3, 6, 6], [1, 4, 6, 6],
                  {"w": np.zeros((4, 3, 3, 3)), "b": np.array([-0.225, 0.0386, -0.058, 0.0109])})


MODELS = {"conv": (conv_model, (1, 3, 6, 6)), "matmul_add": (matmul_model, (1, 8)), "gemm": (gemm_model, (1, 8)),
          "zero_conv": (zero_conv_model, (1, 3, 6, 6))}


def calibrated(path: str, samples: np.ndarray, tmp_path):
    np.savez(tmp_path / "cal.npz", inputs=samples)
    module = import_model(path)
    calibrate_module(module, str(tmp_path / "cal.npz"), show_progress=False)
    QuantizePass().apply(make_context(), module)
    return module


def assert_within_one_step(module, path: str, samples: np.ndarray, run=None, weight_error=None) -> None:
    """`weight_error(xq)`: the extra allowance per output for ordinary weights, given the dequantized input."""
    func = next(iter(module.ops))
    q_in, q_out = quant_of(func.body.block.args[0].type), quant_of(func.function_type.outputs.data[0])
    sess = session(path)
    for x in samples:
        codes = np.clip(np.rint(x / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        xq = ((codes.astype(np.float64) - q_in.zero_point) * q_in.scale).astype(np.float32)
        ours = run_function(module, [codes])[0] if run is None else run(codes)
        ours = (ours.astype(np.float64) - q_out.zero_point) * q_out.scale
        theirs = sess.run(None, {"x": xq})[0].astype(np.float64).reshape(ours.shape)
        bound = q_out.scale * (1 + 1e-5) + (0.0 if weight_error is None else weight_error(xq))
        assert np.all(np.abs(ours - theirs) <= bound), (ours, theirs)


@pytest.mark.parametrize("name", MODELS)
def test_tiny_weights_keep_their_bias(tmp_path, name):
    build, shape = MODELS[name]
    rng = np.random.default_rng(len(name))
    path = str(tmp_path / f"{name}.onnx")
    model = build(rng)
    onnx.save(model, path)
    samples = rng.normal(0, 1, (32, *shape)).astype(np.float32)
    module = calibrated(path, samples, tmp_path)
    assert_within_one_step(module, path, samples, weight_error=conv_weight_error(model) if name == "conv" else None)


def test_only_the_channels_whose_bias_needs_it_get_a_larger_scale():
    """Per channel: peak / 127 unless the bias does not fit there; then the floor, and the bias fits."""
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.3, (3, 2, 3, 3))
    w[1] *= 1e-9 / np.abs(w[1]).max()
    bias, s_in, products = np.array([0.5, 5.0, -0.5]), 0.02, 18
    floor = bias_scale_floor(bias, s_in, products)
    _, plain = symmetric_weights(w, per_channel=True)
    q, scales = symmetric_weights(w, per_channel=True, floor=floor)
    assert scales[0] == plain[0] and scales[2] == plain[2]
    assert scales[1] > plain[1] and scales[1] >= floor[1]
    assert np.all(np.abs(q[1]) <= 1)  # the tiny weights lose their resolution, not the bias
    acc = np.float32(s_in) * np.float32(scales[1])
    assert abs(round(5.0 / float(acc))) <= bias_room(products)


def test_a_bias_that_cannot_be_an_int32_code_is_one_located_error(tmp_path):
    """An infinite bias: the importer names the initializer and the node that reads it, before calibration."""
    model = _model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=1)], [1, 4], [1, 2],
                   {"w": np.full((2, 4), 0.5), "b": np.array([np.inf, 0.0])})
    path = tmp_path / "inf_bias.onnx"
    onnx.save(model, str(path))
    np.savez(tmp_path / "cal.npz", inputs=np.random.default_rng(0).normal(0, 1, (8, 1, 4)).astype(np.float32))
    proc = run_tool("cmsis-compile", str(path), "--calibration", str(tmp_path / "cal.npz"), "-o", str(tmp_path / "o"))
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}: node 'gemm' (Gemm): initializer 'b' holds Inf/NaN values: a bias must be "
                      "finite"], proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize("library", LIBRARIES)
def test_bias_overflow_case_outputs_its_bias(tmp_path, library):
    """../shared/cases/11b_bias_overflow_float.onnx: Conv 2 -> 1 with weights about 1e-9 and bias 5.0; every
    output dequantizes to 5.0 within one step (onnxruntime's float output), in the C as in the interpreter."""
    path = CASES / "11b_bias_overflow_float.onnx"
    if not path.is_file():
        pytest.skip(f"{path.name} not found in {CASES} (the shared failing-input cases live beside the repository)")
    cal = str(CASES / "11b_bias_overflow_float.cal.npz")
    program = compile_host(path, tmp_path / "out", "b11", library, "--calibration", cal)
    samples = np.load(cal)["inputs"]
    module = import_model(str(path))
    calibrate_module(module, cal, show_progress=False)
    QuantizePass().apply(make_context(), module)
    rng = np.random.default_rng(5)
    inputs = np.concatenate([samples, rng.normal(0, 1, (16, *samples.shape[1:])).astype(np.float32)])

    def in_c(codes):
        ours = run_function(module, [codes])[0]
        assert np.array_equal(run_program(program, "b11", [codes]), ours.reshape(-1))
        return ours

    assert_within_one_step(module, str(path), inputs, in_c)
    func = next(iter(module.ops))
    q_out = quant_of(func.function_type.outputs.data[0])
    x = np.zeros(samples.shape[1:], np.int8)
    assert abs((int(run_function(module, [x])[0].reshape(-1)[0]) - q_out.zero_point) * q_out.scale - 5.0) <= q_out.scale
