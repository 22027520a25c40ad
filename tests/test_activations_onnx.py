"""ONNX table activations against onnxruntime (graph optimizations off).

Allowance: 1 LSB per quantized layer, where TFLite-style integer arithmetic
and onnxruntime's float32 arithmetic may round differently; each layer is
checked on onnxruntime's own input to it. A table activation is one layer
whose 256 entries are the float function rounded once, so on the single-op
QDQ models below (every one of the 256 int8 inputs, random scales and zero
points) the allowance is 1 and, in practice, every output is equal (the
tests count the entries that differ and require them to be few).

The shared cases ../shared/cases/12_sigmoid.qdq.onnx and 12_hardswish.qdq.onnx
(Conv then the activation) are read in place and skipped when absent.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ROOT, run_tool
from onnx import TensorProto, helper

from cmsis_opt.calibrate import calibrate_module
from cmsis_opt.context import make_context
from cmsis_opt.dialects import cmsis
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends import import_model
from cmsis_opt.interp_nn import dequantize_array, quantize_array
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

ort = pytest.importorskip("onnxruntime")

CASES = ROOT.parent / "shared" / "cases"
CODES = np.arange(-128, 128, dtype=np.int8)
QUANTIZATIONS = 12  # random (input, output) quantizations per op

# ONNX op, attributes, opset, the nn.activation kind it imports as
SINGLE_OPS = [
    ("Sigmoid", {}, 21, "sigmoid"),
    ("Tanh", {}, 21, "tanh"),
    ("HardSwish", {}, 22, "hard_swish"),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 22, "hard_sigmoid"),
    ("HardSigmoid", {}, 22, "hard_sigmoid"),
    ("LeakyRelu", {"alpha": 0.07}, 21, "leaky_relu"),
    ("LeakyRelu", {}, 21, "leaky_relu"),
    ("Elu", {"alpha": 0.8}, 22, "elu"),
    ("Softplus", {}, 22, "softplus"),
    ("Gelu", {}, 20, "gelu"),
    ("Gelu", {"approximate": "tanh"}, 20, "gelu_tanh"),
    ("Swish", {"alpha": 1.3}, 24, "silu"),
]


# -- onnxruntime and our compiler on one file -------------------------------------------------

def session(path: str):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def quantized(path: str):
    module = import_model(path)
    QuantizePass().apply(make_context(), module)
    return module


def kernels(module) -> list[str]:
    return [op.name for op in next(iter(module.ops)).body.block.ops if op.name.startswith("cmsis.")]


def save(model: onnx.ModelProto, tmp_path: Path, name: str = "m") -> str:
    onnx.checker.check_model(model)
    path = str(tmp_path / f"{name}.onnx")
    onnx.save(model, path)
    return path


def scalar(name: str, kind: int, value) -> onnx.TensorProto:
    return helper.make_tensor(name, kind, [], [value])


def qdq_model(nodes, inits, shape, q_in, q_out, opset: int, output: str = "a") -> onnx.ModelProto:
    """int8 x -> DequantizeLinear -> `nodes` (reading "xd", writing `output`) -> QuantizeLinear -> int8 y."""
    inits = [scalar("s_in", TensorProto.FLOAT, q_in[0]), scalar("zp_in", TensorProto.INT8, q_in[1]),
             scalar("s_out", TensorProto.FLOAT, q_out[0]), scalar("zp_out", TensorProto.INT8, q_out[1]), *inits]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s_in", "zp_in"], ["xd"], name="xd"), *nodes,
             helper.make_node("QuantizeLinear", [output, "s_out", "zp_out"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.INT8, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.INT8, list(shape))], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def draw_quantization(rng) -> tuple[tuple[float, int], tuple[float, int]]:
    s_in = float(np.float32(math.exp(rng.uniform(math.log(0.004), math.log(0.3)))))
    s_out = float(np.float32(s_in * math.exp(rng.uniform(-2.0, 2.0))))
    return (s_in, int(rng.integers(-128, 128))), (s_out, int(rng.integers(-128, 128)))


def compare(path: str, x: np.ndarray) -> tuple[int, int]:
    """(largest difference in codes, how many outputs differ) of ours and onnxruntime's int8 outputs."""
    module = quantized(path)
    assert kernels(module).count("cmsis.lut") == 1, kernels(module)
    theirs = session(path).run(None, {"x": x})[0]
    ours = run_function(module, [x])[0]
    difference = np.abs(ours.astype(np.int32) - theirs.astype(np.int32))
    return int(difference.max()), int((difference > 0).sum())


def imported_kinds(path: str) -> list[str]:
    func = next(iter(import_model(path).ops))
    return [op.kind.data for op in func.body.block.ops if op.name == "nn.activation"]


# -- single-op QDQ models ---------------------------------------------------------------------

@pytest.mark.parametrize("op_type, attrs, opset, kind", SINGLE_OPS,
                         ids=[f"{o}-{'-'.join(f'{k}={v}' for k, v in a.items()) or 'defaults'}" for o, a, _, _ in SINGLE_OPS])
def test_single_op_qdq_tables_are_within_one_lsb_of_onnxruntime(tmp_path, op_type, attrs, opset, kind):
    """Every one of the 256 inputs, QUANTIZATIONS random quantizations: at most 1 LSB, at most 1% of outputs off."""
    rng = np.random.default_rng([opset, sum(map(ord, op_type + str(attrs)))])
    x = CODES.reshape(1, 256)
    differing = 0
    for _ in range(QUANTIZATIONS):
        q_in, q_out = draw_quantization(rng)
        node = helper.make_node(op_type, ["xd"], ["a"], name="act", **attrs)
        path = save(qdq_model([node], [], x.shape, q_in, q_out, opset), tmp_path)
        assert imported_kinds(path) == [kind]
        largest, count = compare(path, x)
        assert largest <= 1, (q_in, q_out)
        differing += count
    assert differing <= QUANTIZATIONS * 256 // 100


@pytest.mark.parametrize("slope_form", ["float", "dequantized", "scalar"])
def test_prelu_per_channel_slope_is_one_table_per_channel(tmp_path, slope_form):
    """PRelu on NCHW int8 input [1, 4, 16, 16] with a [4, 1, 1] slope (PyTorch's export), or a scalar one."""
    rng = np.random.default_rng(11)
    shape = (1, 4, 16, 16)
    x = CODES[(np.arange(4 * 256).reshape(4, 16, 16) + np.arange(4)[:, None, None]) % 256].reshape(shape)
    slope = rng.uniform(-0.5, 0.8, (4, 1, 1)).astype(np.float32) if slope_form != "scalar" else np.float32([0.2])
    inits, source = [], "slope"
    if slope_form == "dequantized":
        codes = np.clip(np.rint(slope / 0.01), -127, 127).astype(np.int8)
        inits += [helper.make_tensor("slope_q", TensorProto.INT8, codes.shape, codes.reshape(-1).tolist()),
                  scalar("slope_s", TensorProto.FLOAT, 0.01), scalar("slope_zp", TensorProto.INT8, 0)]
        nodes = [helper.make_node("DequantizeLinear", ["slope_q", "slope_s", "slope_zp"], ["slope"], name="sd")]
    else:
        inits.append(helper.make_tensor("slope", TensorProto.FLOAT, slope.shape, slope.reshape(-1).tolist()))
        nodes = []
    nodes.append(helper.make_node("PRelu", ["xd", source], ["a"], name="act"))
    for _ in range(4):
        q_in, q_out = draw_quantization(rng)
        path = save(qdq_model(nodes, inits, shape, q_in, q_out, 16), tmp_path)
        module = quantized(path)
        lut = next(op for op in module.walk() if isinstance(op, cmsis.LutOp))
        assert lut.channels == (1 if slope_form == "scalar" else 4)
        largest, count = compare(path, x)
        assert largest <= 1 and count <= x.size // 100, (q_in, q_out, count)


def test_prelu_slope_varying_over_two_axes_is_a_located_error(tmp_path):
    slope = np.arange(8, dtype=np.float32).reshape(4, 2, 1) / 10
    inits = [helper.make_tensor("slope", TensorProto.FLOAT, slope.shape, slope.reshape(-1).tolist())]
    nodes = [helper.make_node("PRelu", ["xd", "slope"], ["a"], name="act")]
    path = save(qdq_model(nodes, inits, (1, 4, 2, 2), (0.05, 0), (0.05, 0), 16), tmp_path)
    with pytest.raises(CompileError, match=r"layer 'act' \(nn.activation\): its slope of shape \[4, 2, 1\] varies "
                                           r"along axes \[1, 2\]"):
        quantized(path)


def silu_nodes() -> list:
    return [helper.make_node("Sigmoid", ["xd"], ["s"], name="sig"),
            helper.make_node("Mul", ["xd", "s"], ["a"], name="silu")]


def gelu_erf_nodes(half_first: bool) -> tuple[list, list]:
    """PyTorch's GELU export before opset 20: x * 0.5 * (1 + Erf(x / sqrt 2)), the 0.5 last or first."""
    inits = [scalar("sqrt2", TensorProto.FLOAT, math.sqrt(2.0)), scalar("one", TensorProto.FLOAT, 1.0),
             scalar("half", TensorProto.FLOAT, 0.5)]
    nodes = [helper.make_node("Div", ["xd", "sqrt2"], ["d"], name="div"),
             helper.make_node("Erf", ["d"], ["e"], name="erf"),
             helper.make_node("Add", ["e", "one"], ["p"], name="add")]
    if half_first:
        nodes += [helper.make_node("Mul", ["xd", "half"], ["h"], name="half"),
                  helper.make_node("Mul", ["h", "p"], ["a"], name="gelu")]
    else:
        nodes += [helper.make_node("Mul", ["xd", "p"], ["m"], name="mul"),
                  helper.make_node("Mul", ["m", "half"], ["a"], name="gelu")]
    return nodes, inits


@pytest.mark.parametrize("pattern", ["silu", "gelu-half-last", "gelu-half-first"])
def test_exporter_decompositions_are_one_table(tmp_path, pattern):
    """Sigmoid + Mul of the same input is SiLU; the Erf form of GELU is Gelu: one nn.activation, one cmsis.lut."""
    if pattern == "silu":
        nodes, inits, kind = silu_nodes(), [], "silu"
    else:
        nodes, inits = gelu_erf_nodes(pattern == "gelu-half-first")
        kind = "gelu"
    rng = np.random.default_rng(len(pattern))
    x = CODES.reshape(1, 256)
    for _ in range(6):
        q_in, q_out = draw_quantization(rng)
        path = save(qdq_model(nodes, inits, x.shape, q_in, q_out, 13), tmp_path)
        assert imported_kinds(path) == [kind]
        largest, count = compare(path, x)
        assert largest <= 1 and count <= 3, (q_in, q_out, count)


def test_erf_of_an_int8_tensor_is_a_table(tmp_path):
    """Erf between a DequantizeLinear and a QuantizeLinear is an int8 -> int8 function: one table
    (`plan_table_regions`), within 1 LSB of onnxruntime on every code."""
    nodes = [helper.make_node("Erf", ["xd"], ["a"], name="lonely_erf")]
    path = save(qdq_model(nodes, [], (1, 256), (0.02, 3), (0.008, 0), 13), tmp_path)
    assert imported_kinds(path) == ["table"]
    largest, count = compare(path, CODES.reshape(1, 256))
    assert largest <= 1 and count <= 3, count


def test_erf_of_a_float_tensor_outside_gelu_is_a_located_error(tmp_path):
    """A float model's Erf that is no part of GELU has no int8 form: one error naming the node and the forms
    that are supported."""
    nodes = [helper.make_node("Erf", ["x"], ["y"], name="lonely_erf")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    path = save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path)
    result = run_tool("cmsis-import", path, "-o", str(tmp_path / "out.mlir"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: node 'lonely_erf' (Erf): Erf outside GELU's x * 0.5 * (1 + Erf(x / sqrt(2))) is not "
        "supported; supported: Erf inside that GELU pattern (or export Gelu, opset 20), or in a chain of "
        "element-wise ops from one int8 tensor's DequantizeLinear to a QuantizeLinear (one table)"]


def test_qdq_silu_as_onnxruntime_quantizes_it_is_a_table_and_a_mul(tmp_path):
    """quantize_static puts QuantizeLinear/DequantizeLinear between the Sigmoid and the Mul: two quantized
    layers (cmsis.lut, arm_elementwise_mul_s8), each within 1 LSB."""
    x = CODES.reshape(1, 256)
    inits = [scalar("s_sig", TensorProto.FLOAT, 1 / 256), scalar("zp_sig", TensorProto.INT8, -128)]
    nodes = [helper.make_node("Sigmoid", ["xd"], ["s"], name="sig"),
             helper.make_node("QuantizeLinear", ["s", "s_sig", "zp_sig"], ["sq"], name="sq"),
             helper.make_node("DequantizeLinear", ["sq", "s_sig", "zp_sig"], ["sd"], name="sd"),
             helper.make_node("Mul", ["xd", "sd"], ["a"], name="silu")]
    path = save(qdq_model(nodes, inits, x.shape, (0.04, -20), (0.03, -100), 13), tmp_path)
    module = quantized(path)
    assert kernels(module) == ["cmsis.lut", "cmsis.mul"]
    theirs = session(path).run(None, {"x": x})[0]
    difference = np.abs(run_function(module, [x])[0].astype(np.int32) - theirs.astype(np.int32))
    assert difference.max() <= 1


# -- a float model: calibration records the activation's range ---------------------------------

def float_conv_act_model(op_nodes, inits) -> onnx.ModelProto:
    """float x [1, 3, 6, 6] -> Conv 3x3 (4 channels) -> activation nodes (reading "c", writing "y")."""
    rng = np.random.default_rng(4)
    w = rng.normal(0, 0.4, (4, 3, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.2, 4).astype(np.float32)
    inits = [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.reshape(-1).tolist()),
             helper.make_tensor("b", TensorProto.FLOAT, b.shape, b.tolist()), *inits]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]), *op_nodes]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=10)


FLOAT_ACTIVATIONS = {
    "Sigmoid": ([helper.make_node("Sigmoid", ["c"], ["y"], name="act")], []),
    "HardSwish": ([helper.make_node("HardSwish", ["c"], ["y"], name="act")], []),
    "Gelu": ([helper.make_node("Gelu", ["c"], ["y"], name="act")], []),
    "SiLU": ([helper.make_node("Sigmoid", ["c"], ["s"], name="sig"),
              helper.make_node("Mul", ["c", "s"], ["y"], name="act")], []),
    "PRelu": ([helper.make_node("PRelu", ["c", "slope"], ["y"], name="act")],
              [helper.make_tensor("slope", TensorProto.FLOAT, [4, 1, 1], [0.1, -0.2, 0.3, 0.05])]),
}


@pytest.mark.parametrize("name", FLOAT_ACTIVATIONS)
def test_float_model_with_calibration(tmp_path, name):
    """Calibration records the activation's range; the compiled model (Conv, table) on int8 input x_q is within
    1 LSB per quantized layer of onnxruntime's float model on dequant(x_q): 2 output steps, plus the Conv's 1
    step carried through the activation (its largest slope times the Conv step)."""
    nodes, inits = FLOAT_ACTIVATIONS[name]
    path = save(float_conv_act_model(nodes, inits), tmp_path)
    rng = np.random.default_rng(9)
    samples = rng.normal(0, 1, (16, 1, 3, 6, 6)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", inputs=samples)
    module = import_model(path)
    calibrate_module(module, str(tmp_path / "cal.npz"), show_progress=False)
    QuantizePass().apply(make_context(), module)
    assert kernels(module)[-1:] == ["cmsis.lut"] or kernels(module)[-2:-1] == ["cmsis.lut"], kernels(module)
    func = next(iter(module.ops))
    q_in = func.body.block.args[0].type.element_type
    q_out = func.function_type.outputs.data[0].element_type
    lut = next(op for op in module.walk() if isinstance(op, cmsis.LutOp))
    q_conv = lut.input.type.element_type
    sess = session(path)
    slope = 1.2  # |f'| of these activations on the calibrated range is below this
    for sample in samples[:6]:
        x_q = quantize_array(sample, q_in)
        theirs = sess.run(None, {"x": dequantize_array(x_q, q_in)})[0]
        ours = dequantize_array(run_function(module, [x_q])[0], q_out)
        if ours.shape != theirs.shape:  # the compiled output keeps the model's NCHW order
            ours = ours.reshape(theirs.shape)
        allowance = 2 * q_out.scale + slope * q_conv.scale + 1e-6
        assert np.abs(ours - theirs).max() <= allowance


# -- the shared cases -------------------------------------------------------------------------

def case(name: str) -> str:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"{name} not found in {CASES} (the shared failing-input cases live beside the repository)")
    return str(path)


def with_outputs(path: str, names: list[str], tmp_path: Path) -> str:
    """The model with intermediate tensors `names` added as graph outputs (onnxruntime's per-layer values)."""
    model = onnx.load(path)
    for name in names:
        model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.INT8, None))
    out = str(tmp_path / "layers.onnx")
    onnx.save(model, out)
    return out


def case_inputs(module, count: int = 60) -> list[np.ndarray]:
    arg = next(iter(module.ops)).body.block.args[0]
    rng = np.random.default_rng(12)
    return [rng.integers(-128, 128, arg.type.get_shape()).astype(np.int8) for _ in range(count)]


@pytest.mark.parametrize("name, conv_codes, act_codes, slope", [
    ("12_sigmoid.qdq.onnx", "c_QuantizeLinear_Output", "a_QuantizeLinear_Output", 0.25),
    ("12_hardswish.qdq.onnx", "c_QuantizeLinear_Output", None, 1.5),
])
def test_shared_case_is_within_one_lsb_per_layer(tmp_path, name, conv_codes, act_codes, slope):
    """Conv then the activation, NHWC float input and output (onnxruntime's QDQ form).

    Per layer, on onnxruntime's own input to it: the Conv's int8 codes within 1, the table applied to
    onnxruntime's Conv codes within 1 of onnxruntime's activation codes (12_sigmoid). 12_hardswish leaves
    HardSwish in float (onnxruntime does not quantize it): the compiled output is quantized with the exact
    range of its 256 possible values, and must be within 1 step of onnxruntime's float HardSwish of the same
    int8 Conv codes. End to end: 1 output step, plus 1 Conv step carried through the activation's largest
    slope (sigmoid 1/4, hard swish 3/2).
    """
    path = case(name)
    module = quantized(path)
    assert kernels(module) == ["cmsis.conv", "cmsis.lut"]
    func = next(iter(module.ops))
    q_x = func.body.block.args[0].type.element_type
    q_y = func.function_type.outputs.data[0].element_type
    conv, lut = (op for op in func.body.block.ops if op.name.startswith("cmsis."))
    layers = session(with_outputs(path, [conv_codes, *([act_codes] if act_codes else [])], tmp_path))
    names = [o.name for o in layers.get_outputs()]
    worst_end_to_end = 0.0
    for x_q in case_inputs(module):
        outputs = dict(zip(names, layers.run(None, {"x": dequantize_array(x_q, q_x)}), strict=True))
        values: dict = {}
        ours = run_function(module, [x_q], observe=lambda value, array: values.__setitem__(value, array))[0]
        conv_theirs = outputs[conv_codes]  # NCHW
        conv_ours = values[conv.results[0]].transpose(0, 3, 1, 2)  # NHWC -> NCHW
        assert np.abs(conv_ours.astype(np.int32) - conv_theirs.astype(np.int32)).max() <= 1
        table_of_theirs = lut.interpret(np.ascontiguousarray(conv_theirs.transpose(0, 2, 3, 1)))  # NHWC
        if act_codes is not None:
            act_theirs = outputs[act_codes].transpose(0, 2, 3, 1)
            assert np.abs(table_of_theirs.astype(np.int32) - act_theirs.astype(np.int32)).max() <= 1
        else:
            y_float = outputs["y"]  # HardSwish in float of the dequantized Conv codes, NHWC
            assert np.abs(dequantize_array(table_of_theirs, q_y) - y_float).max() <= q_y.scale * 1.0001
        worst_end_to_end = max(worst_end_to_end, float(np.abs(dequantize_array(ours, q_y) - outputs["y"]).max()))
    conv_scale = conv.results[0].type.element_type.scale
    assert worst_end_to_end <= q_y.scale + slope * conv_scale + 1e-6


@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
@pytest.mark.parametrize("name", ["12_sigmoid.qdq.onnx", "12_hardswish.qdq.onnx"])
def test_shared_case_host_program_equals_the_interpreter(tmp_path, name, library):
    """cmsis-compile --host (runtime/, and Arm's CMSIS-NN, which lacks the table kernel the model carries)."""
    path = case(name)
    args = [path, "-o", str(tmp_path / "out"), "--host", "--name", "m"]
    if library == "cmsis-nn":
        tree = ROOT.parent / "shared" / "cmsis-nn"
        if not tree.is_dir():
            pytest.skip(f"no CMSIS-NN tree at {tree}")
        args += ["--cmsis-nn", str(tree)]
    result = run_tool("cmsis-compile", *args)
    assert result.returncode == 0, result.stderr
    module = quantized(path)
    for x_q in case_inputs(module, 10):
        ours = run_function(module, [x_q])[0].reshape(-1)
        program = subprocess.run([str(tmp_path / "out" / "m_host")], input=x_q.tobytes(), capture_output=True)
        assert program.returncode == 0, program.stderr
        assert np.array_equal(np.frombuffer(program.stdout, np.int8), ours)
