"""ONNX A16W8 QDQ models (onnxruntime's quantize_static with int16 activations, int8 weights) on the s16 kernels.

Each float model is built here with seeded weights and quantized by
onnxruntime as users do it (tests/onnx_oracle.py `quantize_static(...,
a16w8=True)`: activation_type=QInt16, weight_type=QInt8,
extra_options={'ActivationSymmetric': True}, so every activation has zero
point 0, as CMSIS-NN's s16 kernels require). The oracle is onnxruntime:
every quantized layer, fed onnxruntime's own int16 input, is within 1 LSB
of onnxruntime's output (`assert_within_steps`); end to end the bound is
stated per model. The host programs (runtime/ and the real CMSIS-NN, in
place and with --no-inplace) must give the interpreter's bytes exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ROOT
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).parent))
from host_programs import build_programs, program_for, run_program  # noqa: E402
from onnx_oracle import assert_within_steps, codes_of, int8_io, kernels, quantize_static, quantized  # noqa: E402

from cmsis_opt.errors import CompileError  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402


def _model(nodes, inputs, output, weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "m", inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def conv_chain(rng) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Conv 3x3 (+ bias) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm: conv, max pool, fully connected."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),  # 6 channels
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], transB=1, name="fc")]
    weights = {"w": rng.standard_normal((6, 3, 3, 3)).astype(np.float32) * 0.3,
               "b": rng.standard_normal(6).astype(np.float32) * 0.1,
               "w2": rng.standard_normal((5, 96)).astype(np.float32) * 0.2,
               "b2": rng.standard_normal(5).astype(np.float32) * 0.1}
    return _model(nodes, [x], "y", weights), (1, 3, 8, 8)


def depthwise_chain(rng) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Depthwise Conv 3x3 -> Relu, a 1x1 Conv, their Add, times the depthwise output (Mul) -> AveragePool 2x2:
    depthwise conv, conv, add, mul, average pool."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])  # C != H: NCHW and NHWC differ
    nodes = [helper.make_node("Conv", ["x", "wd", "bd"], ["d"], pads=[1, 1, 1, 1], group=4, name="depthwise"),
             helper.make_node("Relu", ["d"], ["t"], name="relu"),
             helper.make_node("Conv", ["x", "wp"], ["s"], name="pointwise"),
             helper.make_node("Add", ["t", "s"], ["a"], name="add"),
             helper.make_node("Mul", ["a", "d"], ["m"], name="mul"),
             helper.make_node("AveragePool", ["m"], ["y"], kernel_shape=[2, 2], strides=[2, 2], name="avgpool")]
    weights = {"wd": rng.standard_normal((4, 1, 3, 3)).astype(np.float32) * 0.4,
               "bd": rng.standard_normal(4).astype(np.float32) * 0.1,
               "wp": rng.standard_normal((4, 4, 1, 1)).astype(np.float32) * 0.5}
    return _model(nodes, [x], "y", weights), (1, 4, 6, 6)


MODELS = {"conv_chain": conv_chain, "depthwise_chain": depthwise_chain}
KERNELS = {
    # the Gemm has a weight scale per output row: a 1x1 arm_convolve_s16 (docs/int16.md)
    "conv_chain": {"cmsis.transpose", "cmsis.conv", "cmsis.max_pool"},
    "depthwise_chain": {"cmsis.depthwise_conv", "cmsis.conv", "cmsis.add", "cmsis.mul", "cmsis.avg_pool"},
}


def a16w8(tmp_path: Path, name: str, per_channel: bool = True) -> tuple[str, np.ndarray]:
    """The float model `name` quantized A16W8 (calibrated on 16 seeded samples; weight scales per channel or per
    tensor); its path and 4 more samples of the same distribution (float, the model's NCHW shape)."""
    rng = np.random.default_rng(16)
    model, shape = MODELS[name](rng)
    float_path, path = str(tmp_path / f"{name}.float.onnx"), str(tmp_path / f"{name}.onnx")
    onnx.save(model, float_path)
    samples = rng.standard_normal((20, *shape)).astype(np.float32)
    quantize_static(float_path, path, samples[:16], per_channel=per_channel, a16w8=True)
    return path, samples[16:]


def int16_inputs(module, samples: np.ndarray) -> list[np.ndarray]:
    q_in, _, shape = int8_io(module)
    return [codes_of(s.reshape(shape), q_in) for s in samples]


@pytest.mark.parametrize("per_channel", [True, False], ids=["per_channel", "per_tensor"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_a16w8_layers_within_one_lsb_of_onnxruntime(tmp_path, name, per_channel):
    path, samples = a16w8(tmp_path, name, per_channel)
    module = quantized(path)
    q_in, q_out, _ = int8_io(module)
    assert q_in.storage_type.width.data == 16 and q_in.zero_point == 0 and q_out.storage_type.width.data == 16
    assert KERNELS[name] <= set(kernels(module)), kernels(module)
    if name == "conv_chain" and not per_channel:  # one weight scale: arm_fully_connected_s16
        assert "cmsis.fully_connected" in kernels(module), kernels(module)
    inputs = int16_inputs(module, samples)
    per_layer = assert_within_steps(path, module, inputs, end_to_end=2)
    assert len(per_layer) >= 3, per_layer


def table_model(tmp_path: Path, op: str) -> tuple[str, np.ndarray]:
    """Gemm -> `op` -> Gemm (a Gemm after it: onnxruntime quantizes the op's output), quantized A16W8 on 8 seeded
    samples; its path and 4 more samples."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    weights = np.random.default_rng(5).standard_normal((2, 8, 16)).astype(np.float32)
    model = _model([helper.make_node("Gemm", ["x", "w"], ["g"], transB=1, name="fc"),
                    helper.make_node(op, ["g"], ["a"], name="act"),
                    helper.make_node("Gemm", ["a", "w2"], ["y"], transB=1, name="fc2")], [x], "y",
                   {"w": weights[0], "w2": weights[1, :, :8]})
    float_path, path = str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx")
    onnx.save(model, float_path)
    samples = np.random.default_rng(6).standard_normal((12, 1, 16)).astype(np.float32) * 2
    quantize_static(float_path, path, samples[:8], a16w8=True)
    return path, samples[8:]


def test_a16w8_softmax_within_one_lsb_of_onnxruntime(tmp_path):
    """Softmax runs as `cmsis.softmax_s16_table` (not arm_softmax_s16, 2 LSB off onnxruntime here): each quantized
    layer within 1 LSB of onnxruntime, end to end within 3; runtime/ and the real CMSIS-NN (in place and not)
    give the interpreter's int16 bytes."""
    path, samples = table_model(tmp_path, "Softmax")
    module = quantized(path)
    assert "cmsis.softmax_s16_table" in kernels(module), kernels(module)
    inputs = int16_inputs(module, samples)
    per_layer = assert_within_steps(path, module, inputs, end_to_end=3)
    assert len(per_layer) == 3, per_layer
    expected = [run_function(module, [x])[0].reshape(-1) for x in inputs]
    for inplace in (True, False):
        folder = tmp_path / ("inplace" if inplace else "no_inplace")
        folder.mkdir()
        programs = build_programs(folder, {"m": quantized(path)}, core="cortex-m4", inplace=inplace)
        for library in ("runtime", "cmsis-nn"):
            program = program_for(programs, library)
            for x, want in zip(inputs, expected, strict=True):
                got = run_program(program, "m", [x], dtype=np.int16)
                np.testing.assert_array_equal(got, want, err_msg=f"{library}, in place {inplace}")


@pytest.mark.parametrize("op", ["Sigmoid", "Tanh"])
def test_a16w8_sigmoid_and_tanh_within_one_lsb_of_onnxruntime(tmp_path, op):
    """Sigmoid / Tanh run as `cmsis.lut_s16`, a table for the layer's scales: each of the three quantized layers
    within 1 LSB of onnxruntime, end to end within 3; runtime/ and the real CMSIS-NN (in place and not) give the
    interpreter's int16 bytes."""
    path, samples = table_model(tmp_path, op)
    module = quantized(path)
    assert "cmsis.lut_s16" in kernels(module), kernels(module)
    inputs = int16_inputs(module, samples)
    per_layer = assert_within_steps(path, module, inputs, end_to_end=3)
    assert len(per_layer) == 3, per_layer
    expected = [run_function(module, [x])[0].reshape(-1) for x in inputs]
    for inplace in (True, False):
        folder = tmp_path / ("inplace" if inplace else "no_inplace")
        folder.mkdir()
        programs = build_programs(folder, {"m": quantized(path)}, core="cortex-m4", inplace=inplace)
        for library in ("runtime", "cmsis-nn"):
            program = program_for(programs, library)
            for x, want in zip(inputs, expected, strict=True):
                got = run_program(program, "m", [x], dtype=np.int16)
                np.testing.assert_array_equal(got, want, err_msg=f"{library}, in place {inplace}")


@pytest.mark.parametrize(("name", "per_channel"), [("conv_chain", True), ("conv_chain", False),
                                                   ("depthwise_chain", True)])
def test_a16w8_host_programs_equal_the_interpreter(tmp_path, name, per_channel):
    """runtime/ and the real CMSIS-NN, in place and with --no-inplace: the interpreter's int16 bytes."""
    path, samples = a16w8(tmp_path, name, per_channel)
    reference = quantized(path)
    inputs = int16_inputs(reference, samples)
    expected = [run_function(reference, [x])[0].reshape(-1) for x in inputs]
    assert expected[0].dtype == np.int16
    for inplace in (True, False):
        folder = tmp_path / ("inplace" if inplace else "no_inplace")
        folder.mkdir()
        programs = build_programs(folder, {name: quantized(path)}, core="cortex-m4", inplace=inplace)
        for library in ("runtime", "cmsis-nn"):
            program = program_for(programs, library)
            for x, want in zip(inputs, expected, strict=True):
                got = run_program(program, name, [x], dtype=np.int16)
                np.testing.assert_array_equal(got, want, err_msg=f"{library}, in place {inplace}")


@pytest.mark.parametrize("op", ["Add", "Mul"])
def test_a16w8_constant_operand_is_a_located_error(tmp_path, op):
    """onnxruntime quantizes a constant Add / Mul operand as an int16 activation; the s16 element-wise kernels read
    two computed tensors (int8 runs it as a channel affine), so it is refused naming the layer."""
    rng = np.random.default_rng(8)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 3, 3])
    model = _model([helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
                    helper.make_node(op, ["c", "k"], ["a"], name="binary"),
                    helper.make_node("Conv", ["a", "w"], ["y"], name="conv2")], [x], "y",
                   {"w": rng.standard_normal((4, 4, 1, 1)).astype(np.float32),
                    "k": rng.standard_normal((1, 4, 3, 3)).astype(np.float32)})
    float_path, path = str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx")
    onnx.save(model, float_path)
    quantize_static(float_path, path, rng.standard_normal((8, 1, 4, 3, 3)).astype(np.float32), a16w8=True)
    with pytest.raises(CompileError, match=rf"layer 'binary' \(nn.{op.lower()}\): an int16 {op} with a constant "
                                           rf"operand has no kernel here \(arm_elementwise_{op.lower()}_s16 reads "
                                           "two computed tensors"):
        quantized(path)


def test_uint16_and_asymmetric_int16_activations_are_refused(tmp_path):
    from onnxruntime import quantization

    rng = np.random.default_rng(3)
    model, shape = conv_chain(rng)
    float_path = str(tmp_path / "f.onnx")
    onnx.save(model, float_path)
    for kind, message in ((quantization.QuantType.QUInt16, "uint16 quantization of activations"),
                          (quantization.QuantType.QInt16, "int16 activations with a non-zero zero point")):
        path = str(tmp_path / f"{kind.name}.onnx")
        data = iter([{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(4)])

        class Samples(quantization.CalibrationDataReader):
            def get_next(self):
                return next(data, None)

        quantization.quantize_static(float_path, path, Samples(), quant_format=quantization.QuantFormat.QDQ,
                                     activation_type=kind, weight_type=quantization.QuantType.QInt8)
        with pytest.raises(CompileError, match=rf"node 'x_QuantizeLinear' \(QuantizeLinear\): {message} .* "
                                               r"extra_options=\{'ActivationSymmetric': True\}"):
            quantized(path)


def test_real_model_kws_dscnn_a16w8(tmp_path):
    """The DS-CNN keyword model exported by PyTorch (tests/data/pytorch), quantized A16W8 on its own
    calibration set: each of its 11 quantized layers (9 convolutions, the GlobalAveragePool as cmsis.mean
    with its own output scale, the Gemm) within 1 LSB of onnxruntime; end to end at most one LSB per layer
    (3 measured, at outputs of magnitude about 10,000); the host programs give the interpreter's bytes."""
    data = ROOT / "tests" / "data" / "pytorch"
    float_path, path = str(data / "kws_dscnn_ts.onnx"), str(tmp_path / "kws_a16w8.onnx")
    samples = np.load(data / "kws_dscnn.cal.npz")["inputs"].astype(np.float32)
    quantize_static(float_path, path, samples[:24], a16w8=True)
    module = quantized(path)
    inputs = int16_inputs(module, samples[24:28])
    assert "cmsis.mean" in kernels(module)
    assert_within_steps(path, module, inputs, end_to_end=11, layers=11)
    expected = [run_function(module, [x])[0].reshape(-1) for x in inputs]
    programs = build_programs(tmp_path, {"kws": quantized(path)}, core="cortex-m4")
    for library in ("runtime", "cmsis-nn"):
        program = program_for(programs, library)
        for x, want in zip(inputs, expected, strict=True):
            np.testing.assert_array_equal(run_program(program, "kws", [x], dtype=np.int16), want, err_msg=library)
