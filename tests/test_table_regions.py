"""Chains of element-wise ops on one int8 tensor in onnxruntime's QDQ models become one table (`cmsis.lut`).

onnxruntime's quantize_static puts a QuantizeLinear / DequantizeLinear pair after each element-wise node it
quantizes, so PyTorch's classic GELU export (x * 0.5 * (1 + Erf(x / sqrt 2)) at opset 13) arrives as Div, Erf,
Q/DQ, Add, Q/DQ, Mul, Q/DQ, Mul, and `relu(conv(x)) * 3.0` as a Mul by a quantized constant. Every such chain is
a function of the one int8 tensor it starts from, so the ONNX importer runs it on that tensor's 256 codes
(the ONNX reference implementation, node by node, the intermediate requantizations included) and the result is
one `cmsis.lut` (`plan_table_regions`).

Allowance against onnxruntime (graph optimizations off): 1 LSB per quantized layer, checked layer by layer on
onnxruntime's own input of each layer (tests/onnx_oracle.py); the table is one layer. Because the table
repeats onnxruntime's intermediate roundings rather than rounding the float GELU once, it is in practice
equal to onnxruntime on (almost) every code, which the test of the chain alone requires: at least 99% of the
256 codes equal. End to end, 1 LSB plus the table's largest step between neighbouring input codes (a one-step
difference of the convolution before it moves the table's input by one code).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from cmsis_opt.dialects.utils import to_numpy
from cmsis_opt.interpreter import run_function

from host_programs import LIBRARIES, build_programs, program_for, run_program
from onnx_oracle import (assert_within_steps, function_of, int8_io, kernels, layer_differences, quantize_static,
                         quantized, run_codes, session)

pytest.importorskip("onnxruntime.quantization")

FORMS = ("gelu_div", "gelu_half_first", "gelu_mul_rsqrt2", "relu_times_3", "sub_div", "sigmoid_scaled")


def chain_model(rng, form: str) -> onnx.ModelProto:
    """x [1, 3, 6, 6] -> Conv 3x3 ("conv") -> the element-wise chain `form` (last node "out_node")."""
    consts = {"w": rng.normal(0, 0.6, (4, 3, 3, 3)), "b": rng.normal(0, 0.3, 4), "sqrt2": math.sqrt(2.0),
              "rsqrt2": 1 / math.sqrt(2.0), "one": 1.0, "half": 0.5, "three": 3.0, "quarter_in": 0.25,
              "four": 4.0}
    node = helper.make_node
    nodes = [node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    if form in ("gelu_div", "gelu_half_first", "gelu_mul_rsqrt2"):
        scaled = (node("Mul", ["y", "rsqrt2"], ["s"], name="scale") if form == "gelu_mul_rsqrt2"
                  else node("Div", ["y", "sqrt2"], ["s"], name="scale"))
        nodes += [scaled, node("Erf", ["s"], ["e"], name="erf"), node("Add", ["e", "one"], ["a"], name="plus")]
        if form == "gelu_half_first":
            nodes += [node("Mul", ["y", "half"], ["h"], name="half"), node("Mul", ["h", "a"], ["out"], name="out_node")]
        else:
            nodes += [node("Mul", ["y", "a"], ["m"], name="times"), node("Mul", ["m", "half"], ["out"], name="out_node")]
    elif form == "relu_times_3":
        nodes += [node("Relu", ["y"], ["r"], name="relu"), node("Mul", ["r", "three"], ["out"], name="out_node")]
    elif form == "sub_div":
        nodes += [node("Sub", ["y", "quarter_in"], ["d"], name="minus"), node("Div", ["d", "four"], ["out"], name="out_node")]
    else:  # a table activation inside the chain: (sigmoid(y) - 0.25) * 3
        nodes += [node("Sigmoid", ["y"], ["g"], name="sigmoid"), node("Sub", ["g", "quarter_in"], ["d"], name="minus"),
                  node("Mul", ["d", "three"], ["out"], name="out_node")]
    used = {name for n in nodes for name in n.input}
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in consts.items() if k in used]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, 6, 6])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def qdq_chain(tmp_path, form: str, per_channel: bool = True) -> str:
    rng = np.random.default_rng(len(form))
    float_path, path = str(tmp_path / f"{form}.float.onnx"), str(tmp_path / f"{form}.onnx")
    onnx.save(chain_model(rng, form), float_path)
    quantize_static(float_path, path, rng.normal(0, 1, (24, 1, 3, 6, 6)).astype(np.float32), per_channel)
    return path


def input_codes(module, count: int, seed: int) -> list[np.ndarray]:
    _, _, shape = int8_io(module)
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(count)]


@pytest.mark.parametrize("per_channel", [True, False], ids=["per_channel", "per_tensor"])
@pytest.mark.parametrize("form", FORMS)
def test_an_element_wise_chain_is_one_table_within_one_lsb_of_onnxruntime(tmp_path, form, per_channel):
    path = qdq_chain(tmp_path, form, per_channel)
    model = onnx.load(path)
    if form != "sub_div":  # onnxruntime leaves Sub and Div in float: sub_div is a float output of the graph
        assert sum(n.op_type == "QuantizeLinear" for n in model.graph.node) >= 3  # requantized inside the chain
    module = quantized(path)
    assert [k for k in kernels(module, views=False) if k != "cmsis.transpose"] == ["cmsis.conv", "cmsis.lut"]
    inputs = input_codes(module, 40, seed=3)
    # end to end: the convolution may round one step away from onnxruntime, which moves the table's input by
    # one code and its output by up to the table's largest step between neighbouring codes, plus its own one
    table = next(op for op in function_of(module).body.block.ops if op.name == "cmsis.lut")
    entries = np.asarray(to_numpy(table.table), np.int32).reshape(-1)
    jump = int(np.abs(np.diff(entries)).max())
    # sub_div's table is the graph's float output: its quantization is ours (the exact range of its 256 values),
    # so onnxruntime has no int8 tensor of that layer to compare with layer by layer, only end to end
    per_layer = assert_within_steps(path, module, inputs, end_to_end=1 + max(jump, 1),
                                    layers=1 if form == "sub_div" else 2)
    assert form == "sub_div" or per_layer["out_node"] <= 1


def test_the_table_repeats_onnxruntimes_intermediate_roundings_on_every_code(tmp_path):
    """The GELU chain alone (x is the graph input): all 256 input codes, the table against onnxruntime's
    QDQ model itself, where a table of the float GELU rounded once would differ on some codes."""
    rng = np.random.default_rng(5)
    node = helper.make_node
    nodes = [node("Div", ["x", "sqrt2"], ["s"], name="scale"), node("Erf", ["s"], ["e"], name="erf"),
             node("Add", ["e", "one"], ["a"], name="plus"), node("Mul", ["x", "a"], ["m"], name="times"),
             node("Mul", ["m", "half"], ["out"], name="out_node")]
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k)
             for k, v in (("sqrt2", math.sqrt(2.0)), ("one", 1.0), ("half", 0.5))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 256])], inits)
    float_path, path = str(tmp_path / "gelu.float.onnx"), str(tmp_path / "gelu.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), float_path)
    quantize_static(float_path, path, rng.normal(0, 2, (16, 1, 256)).astype(np.float32))
    module = quantized(path)
    assert kernels(module) == ["cmsis.lut"]
    codes = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    ours = run_function(module, [codes])[0].astype(np.int32)
    theirs = run_codes(session(path), module, codes).astype(np.int32)
    assert np.abs(ours - theirs).max() <= 1 and (ours == theirs).mean() >= 0.99, np.flatnonzero(ours != theirs)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_table_chain_in_c_equals_the_interpreter(tmp_path, library):
    paths = {f"t{k}": qdq_chain(tmp_path, form) for k, form in enumerate(FORMS[:4])}
    modules = {name: quantized(path) for name, path in paths.items()}
    from cmsis_opt.frontends import import_model

    program = program_for(build_programs(tmp_path, {name: import_model(p) for name, p in paths.items()}), library)
    for name, module in modules.items():
        for x in input_codes(module, 6, seed=11):
            assert np.array_equal(run_program(program, name, [x]), run_function(module, [x])[0].reshape(-1)), name


def test_a_mul_by_a_per_channel_constant_in_a_qdq_model_is_a_channel_affine(tmp_path):
    """onnxruntime quantizes a Mul's constant operand like an activation (Constant -> QuantizeLinear ->
    DequantizeLinear): its codes are folded as a constant, and relu(conv(x)) * c[channel] is one depthwise
    1x1 layer within 1 LSB per layer."""
    rng = np.random.default_rng(9)
    model = chain_model(rng, "relu_times_3")
    scale = numpy_helper.from_array(rng.uniform(0.5, 3.0, (1, 4, 1, 1)).astype(np.float32), "three")
    model.graph.initializer.remove(next(i for i in model.graph.initializer if i.name == "three"))
    model.graph.initializer.append(scale)
    float_path, path = str(tmp_path / "pc.float.onnx"), str(tmp_path / "pc.onnx")
    onnx.save(model, float_path)
    quantize_static(float_path, path, rng.normal(0, 1, (24, 1, 3, 6, 6)).astype(np.float32))
    module = quantized(path)
    assert "cmsis.lut" not in kernels(module)
    assert max(layer_differences(path, module, input_codes(module, 30, seed=4)).values()) <= 1
