"""An unfolded BatchNormalization in a QDQ model (onnxruntime's quantize_static keeps it as a node of its own,
its scale and B as DequantizeLinear constants, between the Conv's QuantizeLinear and its own): a channel
affine y = x * scale + shift, lowered to one 1x1 depthwise convolution (`Lowering.constant_affine`), never an
elementwise Add the model does not have.

Allowance against onnxruntime (graph optimizations off): 1 LSB per quantized layer, checked layer by layer
(tests/onnx_oracle.py); end to end, the batch normalization's own step plus the convolution's step carried
through it (times its gain, |scale| * s_in / s_out, `batchnorm_gain`). The C equals the interpreter.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import run_tool
from onnx import TensorProto, helper, numpy_helper

from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function

from host_programs import LIBRARIES, build_programs, program_for, run_program
from onnx_oracle import assert_within_steps, int8_io, kernels, quantize_static, quantized

pytest.importorskip("onnxruntime.quantization")

C = 4


def float_model(rng, form: str) -> onnx.ModelProto:
    """x [1, 3, 6, 6] -> Conv 3x3 -> ("relu_between": Relu ->) BatchNormalization (-> "relu_after": Relu)."""
    inits = {"w": rng.normal(0, 0.5, (C, 3, 3, 3)), "gamma": rng.uniform(0.3, 2.0, C), "beta": rng.normal(0, 0.3, C),
             "mean": rng.normal(0, 0.2, C), "var": rng.uniform(0.5, 2.0, C)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])]
    source = "c"
    if form == "relu_between":
        nodes.append(helper.make_node("Relu", ["c"], ["r"], name="relu"))
        source = "r"
    bn_out = "bn" if form == "relu_after" else "y"
    nodes.append(helper.make_node("BatchNormalization", [source, "gamma", "beta", "mean", "var"], [bn_out], name="bn"))
    if form == "relu_after":
        nodes.append(helper.make_node("Relu", ["bn"], ["y"], name="relu_bn"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, C, 6, 6])],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)



def qdq_model(tmp_path, form: str, per_channel: bool, seed: int) -> str:
    rng = np.random.default_rng(seed)
    name = f"{form}_{int(per_channel)}"
    float_path, path = str(tmp_path / f"{name}.float.onnx"), str(tmp_path / f"{name}.onnx")
    onnx.save(float_model(rng, form), float_path)
    samples = rng.normal(0, 1, (16, 1, 3, 6, 6)).astype(np.float32)
    quantize_static(float_path, path, samples, per_channel=per_channel)
    return path


def batchnorm_gain(path: str) -> float:
    """max |gamma / sqrt(var + eps)| * s_in / s_out of the QDQ model's BatchNormalization: how many output steps
    one step of its input moves."""
    model = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    producer = {n.output[0]: n for n in model.graph.node}
    bn = next(n for n in model.graph.node if n.op_type == "BatchNormalization")

    def real(name: str) -> np.ndarray:
        node = producer.get(name)
        if node is not None and node.op_type == "DequantizeLinear":
            return (inits[node.input[0]] - inits[node.input[2]]) * inits[node.input[1]]
        return inits[name]

    eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
    scale = real(bn.input[1]) / np.sqrt(real(bn.input[4]) + eps)
    s_in = float(inits[producer[bn.input[0]].input[1]])
    s_out = float(inits[producer[model.graph.output[0].name].input[1]])
    return float(np.abs(scale).max()) * s_in / s_out


CASES = [(form, per_channel) for form in ("plain", "relu_between", "relu_after") for per_channel in (True, False)]


@pytest.mark.parametrize("form, per_channel", CASES)
def test_unfolded_batchnorm_is_one_depthwise_layer_within_one_step(tmp_path, form, per_channel):
    path = qdq_model(tmp_path, form, per_channel, seed=len(form))
    assert "BatchNormalization" in [n.op_type for n in onnx.load(path).graph.node]  # kept unfolded
    module = quantized(path)
    ops = [op for op in next(iter(module.ops)).body.block.ops if op.name.startswith("cmsis.")]
    assert [op.name for op in ops if op.attributes.get("layer") is not None
            and op.attributes["layer"].data == "bn"] == ["cmsis.depthwise_conv"], kernels(module)
    assert "cmsis.add" not in kernels(module) and "cmsis.mul" not in kernels(module)
    _, _, shape = int8_io(module)
    rng = np.random.default_rng(3)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(40)]
    end_to_end = 1 + int(np.ceil(batchnorm_gain(path)))
    per_layer = assert_within_steps(path, module, inputs, end_to_end=end_to_end)
    assert set(per_layer) >= {"conv", "bn"}


@pytest.mark.parametrize("library", LIBRARIES)
def test_unfolded_batchnorm_in_c_equals_the_interpreter(tmp_path, library):
    paths = {f"b{k}": qdq_model(tmp_path, form, per_channel, seed=k) for k, (form, per_channel) in enumerate(CASES)}
    program = program_for(build_programs(tmp_path, {k: import_model(p) for k, p in paths.items()}), library)
    rng = np.random.default_rng(4)
    for name, path in paths.items():
        module = quantized(path)
        _, _, shape = int8_io(module)
        for _ in range(6):
            x = rng.integers(-128, 128, shape).astype(np.int8)
            assert np.array_equal(run_program(program, name, [x]), run_function(module, [x])[0].reshape(-1)), name


def test_an_error_inside_an_unfolded_batchnorm_names_the_batchnormalization(tmp_path):
    """The importer writes an unfolded BatchNormalization as nn.mul and nn.add; an error in their lowering (here a
    rank-3 input, whose channel constant has no CMSIS-NN kernel) names the node and its ONNX op type, not the
    nn.add the user never wrote."""
    inits = [numpy_helper.from_array(np.float32(v), k) for k, v in (("s", 0.05), ("s_y", 0.04))]
    inits += [numpy_helper.from_array(np.int8(0), k) for k in ("z", "z_y")]
    inits += [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in
              (("gamma", [1.0, 2.0, 0.5, 1.5]), ("beta", [0.1, 0.2, 0.3, 0.4]), ("mean", [0.0] * 4),
               ("var", [1.0] * 4))]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xd"], name="x_dq"),
             helper.make_node("BatchNormalization", ["xd", "gamma", "beta", "mean", "var"], ["b"], name="bn"),
             helper.make_node("QuantizeLinear", ["b", "s_y", "z_y"], ["y"], name="y_q")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.INT8, [1, 4, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 6])], inits)
    path = str(tmp_path / "bn3.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "out"))
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert errors[0].startswith("error: pass 'quantize': layer 'bn' (BatchNormalization): "), errors[0]
    assert "nn.add" not in errors[0] and "nn.mul" not in errors[0]
