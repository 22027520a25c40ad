"""The `nn` interpreter against ONNX's own reference evaluator, one node at a time.

Each case is an ONNX node; `nn_function` translates it to the equivalent
one-op `nn` function (tensor inputs become arguments, constant inputs such as
Clip bounds or Pad amounts become properties), and both run on the same data.
Float results agree to float32 rounding; quantized integers agree exactly.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir

F32_MAX = float(np.finfo(np.float32).max)
STORAGE = {np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32"}


class Unsupported(Exception):
    """An ONNX variant the nn dialect does not express (e.g. 3-D pooling): not a failure."""


def _tensor(shape: Sequence[int], element: str = "f32") -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def _ints(values) -> str:
    return "array<i64: " + ", ".join(str(int(v)) for v in values) + ">"


def _f32(value: float) -> str:
    return f"{float(np.float32(value))!r} : f32"


def _quant(scale: np.ndarray, zero_point: np.ndarray, axis: int) -> str:
    storage = STORAGE.get(zero_point.dtype)
    if storage is None:
        raise Unsupported(f"{zero_point.dtype} storage")
    scales = [float(s) for s in np.ravel(scale)]
    zps = [int(z) for z in np.ravel(zero_point)]
    if np.ndim(scale) == 0:
        return f"!quant.uniform<{storage}:f32, {scales[0]!r}:{zps[0]}>"
    pairs = ", ".join(f"{s!r}:{z}" for s, z in zip(scales, zps))
    return f"!quant.uniform<{storage}:f32:{axis}, {{{pairs}}}>"


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _window_pads(attrs: dict, in_hw, out_hw, kernel, strides, dilations) -> list[int]:
    """ONNX pads [top, left, bottom, right]; auto_pad and ceil_mode become explicit end padding."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    for axis in range(2):
        effective = (kernel[axis] - 1) * dilations[axis] + 1
        total = max((out_hw[axis] - 1) * strides[axis] + effective - in_hw[axis], 0)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            small = total // 2
            pads[axis], pads[axis + 2] = (small, total - small) if auto == "SAME_UPPER" else (total - small, small)
        elif auto == "VALID":
            pads[axis], pads[axis + 2] = 0, 0
        pads[axis + 2] = max(pads[axis + 2], total - pads[axis])  # ceil_mode: the last window may run past the end
    return pads


def nn_function(node: onnx.NodeProto, inputs: Sequence[np.ndarray], out_shape: Sequence[int]) -> tuple[str, list[np.ndarray]]:  # noqa: C901
    """The one-op nn function equivalent to `node`, and the arrays to pass it."""
    op, attrs = node.op_type, _attrs(node)
    present = iter(inputs)
    inputs = [next(present) if name else np.zeros(0, np.float32) for name in node.input]  # "" marks an omitted input
    args: list[np.ndarray] = []
    props = ""
    result_element = "f32"
    if op != "DequantizeLinear" and inputs[0].dtype != np.float32:
        raise Unsupported(f"{inputs[0].dtype} inputs")
    if op == "Conv":
        if inputs[0].ndim != 4:
            raise Unsupported("only 2-D convolution")
        kernel = inputs[1].shape[2:]
        strides, dilations = attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1])
        pads = _window_pads(attrs, inputs[0].shape[2:], out_shape[2:], kernel, strides, dilations)
        props = f"strides = {_ints(strides)}, pads = {_ints(pads)}, dilations = {_ints(dilations)}, group = {attrs.get('group', 1)} : i64"
        name, args = "nn.conv2d", [a for n, a in zip(node.input, inputs) if n]
    elif op in ("MaxPool", "AveragePool"):
        if inputs[0].ndim != 4 or len(node.output) > 1 or any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise Unsupported("only 2-D pooling without dilation or indices")
        if attrs.get("count_include_pad", 0) or attrs.get("storage_order", 0):
            raise Unsupported("count_include_pad / storage_order")
        kernel, strides = attrs["kernel_shape"], attrs.get("strides", [1, 1])
        pads = _window_pads(attrs, inputs[0].shape[2:], out_shape[2:], kernel, strides, [1, 1])
        if any(p >= k for p, k in zip(pads, list(kernel) * 2)):
            raise Unsupported("a window entirely in the padding")
        props = f"kernel = {_ints(kernel)}, strides = {_ints(strides)}, pads = {_ints(pads)}"
        name, args = ("nn.max_pool" if op == "MaxPool" else "nn.avg_pool"), [inputs[0]]
    elif op in ("GlobalAveragePool", "Relu"):
        name, args = {"GlobalAveragePool": "nn.global_avg_pool", "Relu": "nn.relu"}[op], [inputs[0]]
    elif op in ("Add", "Mul", "MatMul"):
        if op == "MatMul" and (inputs[0].ndim != 2 or inputs[1].ndim != 2):
            raise Unsupported("only rank-2 MatMul")
        name, args = {"Add": "nn.add", "Mul": "nn.mul", "MatMul": "nn.matmul"}[op], list(inputs)
    elif op == "Clip":
        low = float(inputs[1]) if len(inputs) > 1 and inputs[1].size else -F32_MAX
        high = float(inputs[2]) if len(inputs) > 2 and inputs[2].size else F32_MAX
        if low > high:
            raise Unsupported("min greater than max")
        props = f"min = {_f32(low)}, max = {_f32(high)}"
        name, args = "nn.clip", [inputs[0]]
    elif op == "Softmax":
        props = f"axis = {attrs.get('axis', -1)} : i64"
        name, args = "nn.softmax", [inputs[0]]
    elif op == "Transpose":
        perm = attrs.get("perm", list(reversed(range(inputs[0].ndim))))
        props, name, args = f"perm = {_ints(perm)}", "nn.transpose", [inputs[0]]
    elif op == "Pad":
        mode = attrs.get("mode", b"constant")
        if mode not in (b"constant", "constant") or len(inputs) > 3 and node.input[3] or np.any(inputs[1] < 0):
            raise Unsupported("only constant padding, all axes, no cropping")
        value = float(inputs[2]) if len(inputs) > 2 and inputs[2].size else 0.0
        props, name, args = f"pads = {_ints(inputs[1])}, value = {_f32(value)}", "nn.pad", [inputs[0]]
    elif op == "Concat":
        axis = attrs["axis"] % inputs[0].ndim
        props, name, args = f"axis = {axis} : i64", "nn.concat", list(inputs)
    elif op == "Reshape":
        name, args = "nn.reshape", [inputs[0]]
    elif op == "Gemm":
        a, b = inputs[0], inputs[1]
        if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0):
            raise Unsupported("alpha, beta or transA")
        weight = b if attrs.get("transB", 0) else np.ascontiguousarray(b.T)
        args = [a, weight]
        if len(inputs) > 2 and node.input[2]:
            if inputs[2].size not in (1, weight.shape[0]) or inputs[2].ndim > 1 and inputs[2].shape[0] != 1:
                raise Unsupported("a matrix bias")
            args.append(np.broadcast_to(inputs[2].reshape(-1), (weight.shape[0],)).astype(np.float32))
        name = "nn.fully_connected"
    elif op in ("QuantizeLinear", "DequantizeLinear"):
        if len(inputs) < 3 or not node.input[2] or attrs.get("block_size", 0):
            raise Unsupported("no zero point given, or blocked quantization")
        axis = attrs.get("axis", 1) % inputs[0].ndim
        if op == "QuantizeLinear":
            result_element = _quant(inputs[1], inputs[2], axis)
            name, args = "nn.quantize", [inputs[0]]
        else:
            arg_element = _quant(inputs[1], inputs[2], axis)
            name, args = "nn.dequantize", [inputs[0]]
            types = [_tensor(inputs[0].shape, arg_element)]
            return _function(name, props, types, _tensor(out_shape)), args
    else:
        raise Unsupported(op)
    types = [_tensor(a.shape) for a in args]
    return _function(name, props, types, _tensor(out_shape, result_element)), args


def _function(name: str, props: str, types: Sequence[str], result: str) -> str:
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types))
    operands = ", ".join(f"%a{i}" for i in range(len(types)))
    attrs = f" {{{props}}}" if props else ""
    return (f"func.func @node({params}) -> {result} {{\n"
            f"  %r = {name} {operands}{attrs} : ({', '.join(types)}) -> {result}\n"
            f"  func.return %r : {result}\n}}\n")


def run_nn(node: onnx.NodeProto, inputs: Sequence[np.ndarray], expected: np.ndarray) -> np.ndarray:
    text, args = nn_function(node, inputs, expected.shape)
    (out,) = run_function(parse_ir(text).module, args)
    return out


def assert_same(out: np.ndarray, expected: np.ndarray) -> None:
    assert out.shape == expected.shape
    if expected.dtype.kind == "f":
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    else:
        assert out.dtype == expected.dtype
        assert np.array_equal(out, expected)


# -- random inputs, checked against onnx.reference.ReferenceEvaluator ---------------

def onnx_reference(node: onnx.NodeProto, inputs: Sequence[np.ndarray], opset: int = 13) -> np.ndarray:
    graph_inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                    for n, a in zip(node.input, inputs) if n]
    graph = helper.make_graph([node], "node", graph_inputs,
                              [helper.make_tensor_value_info(node.output[0], TensorProto.UNDEFINED, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    feeds = {n: a for n, a in zip(node.input, inputs) if n}
    return ReferenceEvaluator(model).run(None, feeds)[0]


RNG = np.random.default_rng(1234)


def rand(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def conv(group=1, **attrs):
    return helper.make_node("Conv", ["x", "w", "b"], ["y"], group=group, **attrs)


RANDOM_CASES = {
    "conv_pads_strides": (conv(pads=[1, 0, 2, 1], strides=[2, 1]), [rand(1, 3, 7, 6), rand(4, 3, 3, 3), rand(4)]),
    "conv_dilations": (conv(pads=[2, 2, 2, 2], dilations=[2, 2]), [rand(2, 2, 6, 6), rand(3, 2, 3, 3), rand(3)]),
    "conv_groups": (conv(group=2, pads=[1, 1, 1, 1]), [rand(1, 4, 5, 5), rand(6, 2, 3, 3), rand(6)]),
    "conv_depthwise_multiplier": (conv(group=3, strides=[2, 2]), [rand(1, 3, 8, 8), rand(6, 1, 3, 3), rand(6)]),
    "conv_no_bias": (helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[1, 1]), [rand(1, 5, 4, 4), rand(2, 5, 1, 1)]),
    "maxpool": (helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
                [rand(1, 2, 7, 7) - 3]),
    "averagepool": (helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1],
                                     count_include_pad=0), [rand(1, 3, 6, 5)]),
    "globalaveragepool": (helper.make_node("GlobalAveragePool", ["x"], ["y"]), [rand(2, 3, 4, 5)]),
    "add_broadcast": (helper.make_node("Add", ["a", "b"], ["y"]), [rand(2, 3, 4, 5), rand(3, 1, 1)]),
    "mul_broadcast": (helper.make_node("Mul", ["a", "b"], ["y"]), [rand(1, 4), rand(3, 1)]),
    "relu": (helper.make_node("Relu", ["x"], ["y"]), [rand(3, 4)]),
    "clip": (helper.make_node("Clip", ["x", "lo", "hi"], ["y"]), [rand(3, 4) * 4, np.float32(0), np.float32(6)]),
    "softmax_last": (helper.make_node("Softmax", ["x"], ["y"]), [rand(2, 10) * 5]),
    "softmax_axis1": (helper.make_node("Softmax", ["x"], ["y"], axis=1), [rand(2, 3, 4)]),
    "transpose": (helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1]), [rand(1, 2, 3, 4)]),
    "pad": (helper.make_node("Pad", ["x", "p", "v"], ["y"]),
            [rand(1, 2, 3, 3), np.array([0, 0, 1, 2, 0, 1, 0, 3]), np.float32(0.5)]),
    "concat": (helper.make_node("Concat", ["a", "b", "c"], ["y"], axis=1), [rand(1, 2, 3), rand(1, 1, 3), rand(1, 4, 3)]),
    "reshape": (helper.make_node("Reshape", ["x", "s"], ["y"]), [rand(1, 2, 3, 4), np.array([1, -1])]),
    "matmul": (helper.make_node("MatMul", ["a", "b"], ["y"]), [rand(3, 5), rand(5, 2)]),
    "gemm_transB": (helper.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1), [rand(2, 6), rand(4, 6), rand(4)]),
    "gemm": (helper.make_node("Gemm", ["a", "b", "c"], ["y"]), [rand(1, 6), rand(6, 3), rand(3)]),
}


@pytest.mark.parametrize("case", RANDOM_CASES)
def test_nn_op_matches_onnx_reference(case):
    node, inputs = RANDOM_CASES[case]
    inputs = [np.asarray(a) for a in inputs]
    expected = onnx_reference(node, inputs)
    assert_same(run_nn(node, inputs, expected), expected)


QDQ_CASES = {
    "quantize_per_tensor": (helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"]),
                            [np.array([-3.0, -0.25, 0.25, 0.75, 1.25, 200.0], np.float32), np.float32(0.5), np.int8(3)]),
    "quantize_per_axis": (helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=0),
                          [rand(3, 4) * 10, np.array([0.1, 0.5, 0.03], np.float32), np.array([0, -5, 7], np.int8)]),
    "dequantize_per_tensor": (helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"]),
                              [np.array([-128, -1, 0, 127], np.int8), np.float32(0.1), np.int8(-1)]),
    "dequantize_per_axis_int32": (helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=0),
                                  [np.array([1000, -70000, 5], np.int32), np.array([0.001, 2e-5, 0.5], np.float32),
                                   np.zeros(3, np.int32)]),
}


@pytest.mark.parametrize("case", QDQ_CASES)
def test_quantize_and_dequantize_match_onnx_reference(case):
    node, inputs = QDQ_CASES[case]
    inputs = [np.asarray(a) for a in inputs]
    expected = onnx_reference(node, inputs, opset=21)
    out = run_nn(node, inputs, expected)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    assert np.array_equal(out, expected)  # quantization is exact: float32 division, round half to even


# -- ONNX's backend node tests (generated from the onnx wheel's case definitions) ---------

NODE_TEST_MODULES = ["conv", "maxpool", "averagepool", "globalaveragepool", "add", "mul", "relu", "clip", "softmax",
                     "transpose", "pad", "concat", "reshape", "matmul", "gemm", "quantizelinear", "dequantizelinear"]


@pytest.fixture(scope="module")
def node_test_cases():
    """ONNX's own node test cases for the ops we support.

    The wheel does not ship onnx/backend/test/data/node; importing the case
    definitions that generate it (model + test_data_set_0) gives the same data.
    """
    import onnx.backend.test.case.node as cases

    cases._TargetOpType = None  # importing a case module records all of its cases
    for module in NODE_TEST_MODULES:
        importlib.import_module(f"onnx.backend.test.case.node.{module}")
    found = {}
    for case in getattr(cases, "_NodeTestCases", []):
        if case.model is not None and len(case.model.graph.node) == 1:
            found[case.name] = case
    assert found, "the onnx package provides no node test cases: the nn interpreter would go unchecked"
    return found


def _as_array(value) -> np.ndarray:
    return numpy_helper.to_array(value) if isinstance(value, TensorProto) else np.asarray(value)


def test_onnx_backend_node_tests(node_test_cases):
    ran, skipped, failures = [], [], []
    for name, case in sorted(node_test_cases.items()):
        node = case.model.graph.node[0]
        inputs, outputs = case.data_sets[0]
        inputs = [_as_array(a) for a in inputs]
        expected = _as_array(outputs[0])
        try:
            out = run_nn(node, inputs, expected)
        except Unsupported as why:
            skipped.append(f"{name}: {why}")
            continue
        try:
            if expected.dtype.kind == "f":
                np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
            else:
                assert out.dtype == expected.dtype and np.array_equal(out, expected)
            ran.append(name)
        except AssertionError as error:
            failures.append(f"{name}: {str(error).strip().splitlines()[0]}")
    assert not failures, "\n".join(failures)
    ops = {node_test_cases[n].model.graph.node[0].op_type for n in ran}
    expected_ops = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Add", "Mul", "Relu", "Clip", "Softmax",
                    "Transpose", "Pad", "Concat", "Reshape", "MatMul", "Gemm", "QuantizeLinear", "DequantizeLinear"}
    assert ops == expected_ops, f"no node test ran for {sorted(expected_ops - ops)}; skipped: {skipped}"
    assert len(ran) >= 80, f"only {len(ran)} node tests ran; skipped: {skipped}"
