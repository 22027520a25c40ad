"""Small ONNX models, one per pattern the importer handles (and a few it rejects).

    python onnx_models.py NAME OUT.onnx     writes model NAME
    python onnx_models.py --list            names them

Shared by the lit tests (tests/lit/import/*.test) and the pytest suite
(tests/test_import_onnx.py). Weights are seeded, so every run writes the same
file.
"""

from __future__ import annotations

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def _rng():
    return np.random.default_rng(7)


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _model(nodes, inputs, outputs, inits=(), opset=OPSET, name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def gemm_transb():
    """Gemm with transB=1: the weight is already [out][in]."""
    r = _rng()
    w, b = r.standard_normal((4, 8)).astype(np.float32), r.standard_normal(4).astype(np.float32)
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)
    return _model([node], [_f32("x", [1, 8])], [_f32("y", [1, 4])], [_init("w", w), _init("b", b)])


def gemm_plain():
    """Gemm with transB=0: the [in][out] weight is transposed at import."""
    r = _rng()
    w, b = r.standard_normal((8, 4)).astype(np.float32), r.standard_normal(4).astype(np.float32)
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc")
    return _model([node], [_f32("x", [1, 8])], [_f32("y", [1, 4])], [_init("w", w), _init("b", b)])


def matmul_add():
    """MatMul + Add: kept as nn.matmul and nn.add."""
    r = _rng()
    w, b = r.standard_normal((8, 4)).astype(np.float32), r.standard_normal(4).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="dense"),
             helper.make_node("Add", ["m", "b"], ["y"], name="bias")]
    return _model(nodes, [_f32("x", [1, 8])], [_f32("y", [1, 4])], [_init("w", w), _init("b", b)])


def conv_bn():
    """Conv -> BatchNormalization -> Relu: the batch norm folds into the conv's weights and bias."""
    r = _rng()
    w = r.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = r.standard_normal(4).astype(np.float32)
    gamma, beta = r.uniform(0.5, 2, 4).astype(np.float32), r.standard_normal(4).astype(np.float32)
    mean, var = r.standard_normal(4).astype(np.float32), r.uniform(0.5, 2, 4).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn", epsilon=1e-3),
             helper.make_node("Relu", ["n"], ["y"], name="relu")]
    inits = [_init("w", w), _init("b", b), _init("gamma", gamma), _init("beta", beta), _init("mean", mean), _init("var", var)]
    return _model(nodes, [_f32("x", [1, 3, 6, 6])], [_f32("y", [1, 4, 6, 6])], inits)


def flatten():
    """Conv -> Flatten -> Gemm, with a symbolic batch dimension pinned to 1."""
    r = _rng()
    w = r.standard_normal((2, 3, 3, 3)).astype(np.float32)
    fc = r.standard_normal((5, 2 * 4 * 4)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Flatten", ["c"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc"], ["y"], name="fc", transB=1)]
    return _model(nodes, [_f32("x", ["N", 3, 6, 6])], [_f32("y", ["N", 5])], [_init("w", w), _init("fc", fc)])


def pad():
    """Pad (constant mode, amounts from an initializer) before a conv."""
    r = _rng()
    w = r.standard_normal((2, 3, 3, 3)).astype(np.float32)
    pads = np.array([0, 0, 1, 2, 0, 0, 1, 2], np.int64)
    nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
             helper.make_node("Conv", ["p", "w"], ["y"], name="conv")]
    return _model(nodes, [_f32("x", [1, 3, 5, 5])], [_f32("y", [1, 2, 5, 7])], [_init("pads", pads), _init("w", w)])


def concat():
    """Two convs joined by Concat on the channel axis."""
    r = _rng()
    w1, w2 = r.standard_normal((2, 3, 1, 1)).astype(np.float32), r.standard_normal((3, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="branch_a"),
             helper.make_node("Conv", ["x", "w2"], ["b"], name="branch_b", pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["a", "b"], ["y"], name="join", axis=-3)]
    return _model(nodes, [_f32("x", [1, 3, 4, 4])], [_f32("y", [1, 5, 4, 4])], [_init("w1", w1), _init("w2", w2)])


def residual():
    """A residual block: conv -> relu -> conv, added to its own input, then relu."""
    r = _rng()
    w1, w2 = (r.standard_normal((4, 4, 3, 3)).astype(np.float32) * 0.3 for _ in range(2))
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["x", "c2"], ["s"], name="residual"),
             helper.make_node("Relu", ["s"], ["y"], name="relu2")]
    return _model(nodes, [_f32("x", [1, 4, 5, 5])], [_f32("y", [1, 4, 5, 5])], [_init("w1", w1), _init("w2", w2)])


def relu6():
    """Clip with min/max from initializers: ReLU6."""
    r = _rng()
    w = (r.standard_normal((4, 3, 3, 3)) * 4).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="relu6")]
    inits = [_init("w", w), _init("lo", np.array(0, np.float32)), _init("hi", np.array(6, np.float32))]
    return _model(nodes, [_f32("x", [1, 3, 5, 5])], [_f32("y", [1, 4, 3, 3])], inits)


def ceil_pool():
    """MaxPool and AveragePool with ceil_mode=1: explicit end padding instead."""
    nodes = [helper.make_node("MaxPool", ["x"], ["m"], name="maxpool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
             helper.make_node("AveragePool", ["m"], ["y"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)]
    return _model(nodes, [_f32("x", [1, 2, 8, 8])], [_f32("y", [1, 2, 2, 2])])


def asym_pad_conv():
    """Conv 3x3 with pads [1, 0, 1, 2], strides [2, 1]: the width's far pad 2 is more than CMSIS-NN implies."""
    w = _rng().standard_normal((5, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 0, 1, 2], strides=[2, 1])]
    return _model(nodes, [_f32("x", [1, 3, 11, 8])], [_f32("y", [1, 5, 6, 8])], [_init("w", w)])


def same_conv():
    """auto_pad SAME_UPPER with stride 2, then a GlobalAveragePool, Reshape (0 and -1) and Softmax."""
    r = _rng()
    w = r.standard_normal((6, 3, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", auto_pad="SAME_UPPER", strides=[2, 2]),
             helper.make_node("GlobalAveragePool", ["c"], ["g"], name="gap"),
             helper.make_node("Reshape", ["g", "shape"], ["f"], name="squeeze"),
             helper.make_node("Identity", ["f"], ["i"], name="same"),
             helper.make_node("Softmax", ["i"], ["y"], name="softmax")]
    inits = [_init("w", w), _init("shape", np.array([0, -1], np.int64))]
    return _model(nodes, [_f32("x", [1, 3, 7, 7])], [_f32("y", [1, 6])], inits)


def mul_depthwise():
    """A depthwise (grouped) conv with dilation, a Mul by a per-channel constant and a Transpose."""
    r = _rng()
    w = r.standard_normal((4, 1, 3, 3)).astype(np.float32)
    s = r.standard_normal((4, 1, 1)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w"], ["d"], name="depthwise", group=4, dilations=[2, 2], pads=[2, 2, 2, 2]),
             helper.make_node("Mul", ["d", "s"], ["m"], name="scale"),
             helper.make_node("Transpose", ["m"], ["y"], name="to_nhwc", perm=[0, 2, 3, 1])]
    return _model(nodes, [_f32("x", [1, 4, 6, 6])], [_f32("y", [1, 6, 6, 4])], [_init("w", w), _init("s", s)])


def reduce_mean():
    """ReduceMean over H and W (how tf2onnx writes a global average pool), keepdims=0."""
    node = helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[-1, 2], keepdims=0)
    return _model([node], [_f32("x", [1, 3, 4, 5])], [_f32("y", [1, 3])])


def qdq_conv():
    """An exporter-style QDQ conv: int8 NHWC input, Transpose, per-channel int8 weights,
    an int32 bias behind its own DequantizeLinear, Clip bounds behind DequantizeLinear."""
    r = _rng()
    w = r.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    w_scale = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
    x_scale, y_scale = np.float32(0.05), np.float32(0.04)
    bias = r.integers(-500, 500, 4).astype(np.int32)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("DequantizeLinear", ["xt", "x_scale", "x_zp"], ["xf"], name="x_dq"),
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wf"], name="w_dq", axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_scale", "b_zp"], ["bf"], name="b_dq", axis=0),
        helper.make_node("Conv", ["xf", "wf", "bf"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("DequantizeLinear", ["six", "six_scale", "six_zp"], ["six_f"], name="six_dq"),
        helper.make_node("Clip", ["c", "zero", "six_f"], ["a"], name="relu6"),
        helper.make_node("QuantizeLinear", ["a", "y_scale", "y_zp"], ["q"], name="y_q"),
        helper.make_node("Transpose", ["q"], ["y"], name="to_nhwc", perm=[0, 2, 3, 1]),
    ]
    inits = [
        _init("x_scale", x_scale), _init("x_zp", np.int8(-3)),
        _init("w", w), _init("w_scale", w_scale), _init("w_zp", np.zeros(4, np.int8)),
        _init("b", bias), _init("b_scale", (x_scale * w_scale).astype(np.float32)), _init("b_zp", np.zeros(4, np.int32)),
        _init("six", np.int8(120)), _init("six_scale", np.float32(0.05)), _init("six_zp", np.int8(0)),
        _init("zero", np.float32(0)), _init("y_scale", y_scale), _init("y_zp", np.int8(-128)),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 5, 5, 3])
    y = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 5, 5, 4])
    return _model(nodes, [x], [y], inits)


def qdq_a16w8_conv():
    """An A16W8 QDQ conv as onnxruntime writes it (opset 21): int16 NHWC input and output with zero point 0,
    per-channel int8 weights, an int32 bias at input scale times weight scale, a Relu between two int16
    QuantizeLinear / DequantizeLinear pairs."""
    r = _rng()
    w = r.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    w_scale = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
    x_scale, c_scale = np.float32(2.0 ** -12), np.float32(2.0 ** -10)
    bias = r.integers(-50000, 50000, 4).astype(np.int32)
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("DequantizeLinear", ["xt", "x_scale", "zp16"], ["xf"], name="x_dq"),
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wf"], name="w_dq", axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_scale", "b_zp"], ["bf"], name="b_dq", axis=0),
        helper.make_node("Conv", ["xf", "wf", "bf"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["c", "c_scale", "zp16"], ["cq"], name="c_q"),
        helper.make_node("DequantizeLinear", ["cq", "c_scale", "zp16"], ["cf"], name="c_dq"),
        helper.make_node("Relu", ["cf"], ["r"], name="relu"),
        helper.make_node("QuantizeLinear", ["r", "c_scale", "zp16"], ["q"], name="y_q"),
        helper.make_node("Transpose", ["q"], ["y"], name="to_nhwc", perm=[0, 2, 3, 1]),
    ]
    inits = [
        _init("x_scale", x_scale), _init("zp16", np.int16(0)), _init("c_scale", c_scale),
        _init("w", w), _init("w_scale", w_scale), _init("w_zp", np.zeros(4, np.int8)),
        _init("b", bias), _init("b_scale", (x_scale * w_scale).astype(np.float32)), _init("b_zp", np.zeros(4, np.int32)),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.INT16, [1, 5, 5, 3])
    y = helper.make_tensor_value_info("y", TensorProto.INT16, [1, 5, 5, 4])
    return _model(nodes, [x], [y], inits, opset=21)


def qdq_dense():
    """A QDQ dense layer with the weight behind DequantizeLinear (per-axis on axis 1) and a Transpose,
    Constant nodes for the Clip bound and the Reshape of the int8 output."""
    r = _rng()
    w = r.integers(-127, 128, (8, 4)).astype(np.int8)
    w_scale = np.array([0.02, 0.01, 0.03, 0.015], np.float32)
    x_scale = np.float32(0.1)
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "x_scale", "x_zp"], ["xf"], name="x_dq"),
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wf"], name="w_dq", axis=1),
        helper.make_node("Transpose", ["wf"], ["wt"], name="w_t", perm=[1, 0]),
        helper.make_node("DequantizeLinear", ["b", "b_scale"], ["bf"], name="b_dq", axis=0),
        helper.make_node("Gemm", ["xf", "wt", "bf"], ["g"], name="dense", transB=1),
        helper.make_node("Constant", [], ["top"], name="top_value", value_float=2.5),
        helper.make_node("Clip", ["g", "", "top"], ["c"], name="cap"),
        helper.make_node("QuantizeLinear", ["c", "y_scale", "y_zp"], ["q"], name="y_q"),
        helper.make_node("Constant", [], ["shape"], name="shape_value", value_ints=[1, 2, 2]),
        helper.make_node("Reshape", ["q", "shape"], ["y"], name="fold"),
    ]
    inits = [
        _init("x_scale", x_scale), _init("x_zp", np.int8(5)),
        _init("w", w), _init("w_scale", w_scale), _init("w_zp", np.zeros(4, np.int8)),
        _init("b", r.integers(-100, 100, 4).astype(np.int32)), _init("b_scale", (x_scale * w_scale).astype(np.float32)),
        _init("y_scale", np.float32(0.02)), _init("y_zp", np.int8(-60)),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 2, 2])
    return _model(nodes, [x], [y], inits)


def activations():
    """Activations with no CMSIS-NN s8 kernel, one after another (opset 20 for Gelu): LeakyRelu,
    HardSigmoid with its own alpha and beta, PRelu with a per-channel slope [C, 1, 1], tanh GELU, Elu
    with ONNX's default alpha."""
    slope = np.array([0.25, -0.5, 0.125], np.float32).reshape(3, 1, 1)
    nodes = [helper.make_node("LeakyRelu", ["x"], ["l"], name="leaky", alpha=0.2),
             helper.make_node("HardSigmoid", ["l"], ["h"], name="hsig", alpha=0.25, beta=0.4),
             helper.make_node("PRelu", ["h", "slope"], ["p"], name="prelu"),
             helper.make_node("Gelu", ["p"], ["g"], name="gelu", approximate="tanh"),
             helper.make_node("Elu", ["g"], ["y"], name="elu")]
    return _model(nodes, [_f32("x", [1, 3, 4, 4])], [_f32("y", [1, 3, 4, 4])], [_init("slope", slope)], opset=20)


def silu_gelu():
    """The exporters' decompositions: SiLU as Sigmoid(x) * x, GELU as x * 0.5 * (1 + Erf(x / sqrt 2))."""
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
             helper.make_node("Mul", ["s", "x"], ["a"], name="silu"),
             helper.make_node("Div", ["a", "sqrt2"], ["d"], name="div"),
             helper.make_node("Erf", ["d"], ["e"], name="erf"),
             helper.make_node("Add", ["e", "one"], ["p"], name="plus_one"),
             helper.make_node("Mul", ["a", "p"], ["m"], name="times_x"),
             helper.make_node("Mul", ["m", "half"], ["y"], name="gelu")]
    inits = [_init("sqrt2", np.float32(np.sqrt(2.0))), _init("one", np.float32(1)), _init("half", np.float32(0.5))]
    return _model(nodes, [_f32("x", [1, 8])], [_f32("y", [1, 8])], inits)


# -- models the importer must reject -------------------------------------------
def bad_op():
    """A Hardmax (not element-wise, no int8 kernel): not supported."""
    return _model([helper.make_node("Hardmax", ["x"], ["y"], name="gate")], [_f32("x", [1, 4])], [_f32("y", [1, 4])])


def bad_float16():
    """A float16 graph input."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 4])
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y])


def bad_dynamic():
    """A dynamic spatial dimension."""
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [_f32("x", [1, 3, "H", 8])], [_f32("y", [1, 3, "H", 8])])


def bad_uint8():
    """uint8 QDQ (only int8 is supported)."""
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="quant"),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dequant")]
    inits = [_init("s", np.float32(0.1)), _init("zp", np.uint8(128))]
    return _model(nodes, [_f32("x", [1, 4])], [_f32("y", [1, 4])], inits)


def bad_uint8_linear():
    """onnxruntime's quantize_static with its default uint8 activations and int8 weights on a MatMul + Add:
    the Add's bias is quantized as an activation (uint8) and comes first in graph order, the weight is int8."""
    r = _rng()
    w = r.integers(-127, 128, (8, 4)).astype(np.int8)
    nodes = [helper.make_node("DequantizeLinear", ["b_u8", "b_s", "b_zp"], ["b"], name="b_DequantizeLinear"),
             helper.make_node("DequantizeLinear", ["w_i8", "w_s", "w_zp"], ["w"], name="w_DequantizeLinear"),
             helper.make_node("QuantizeLinear", ["x", "x_s", "x_zp"], ["xq"], name="x_QuantizeLinear"),
             helper.make_node("DequantizeLinear", ["xq", "x_s", "x_zp"], ["xd"], name="x_DequantizeLinear"),
             helper.make_node("MatMul", ["xd", "w"], ["m"], name="dense"),
             helper.make_node("QuantizeLinear", ["m", "m_s", "m_zp"], ["mq"], name="m_QuantizeLinear"),
             helper.make_node("DequantizeLinear", ["mq", "m_s", "m_zp"], ["md"], name="m_DequantizeLinear"),
             helper.make_node("Add", ["md", "b"], ["y"], name="bias")]
    inits = [_init("b_u8", r.integers(0, 256, 4).astype(np.uint8)), _init("b_s", np.float32(0.01)),
             _init("b_zp", np.uint8(128)), _init("w_i8", w), _init("w_s", np.float32(0.02)), _init("w_zp", np.int8(0)),
             _init("x_s", np.float32(0.05)), _init("x_zp", np.uint8(128)), _init("m_s", np.float32(0.1)),
             _init("m_zp", np.uint8(120))]
    return _model(nodes, [_f32("x", [1, 8])], [_f32("y", [1, 4])], inits)


def bad_count_include_pad():
    """AveragePool counting the padding: not what TFLite / CMSIS-NN compute."""
    node = helper.make_node("AveragePool", ["x"], ["y"], name="avg", kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1)
    return _model([node], [_f32("x", [1, 2, 4, 4])], [_f32("y", [1, 2, 4, 4])])


def bad_erf():
    """An Erf that is not part of GELU: no int8 kernel of its own."""
    nodes = [helper.make_node("Erf", ["x"], ["y"], name="lonely_erf")]
    return _model(nodes, [_f32("x", [1, 4])], [_f32("y", [1, 4])])


MODELS = {name: fn for name, fn in list(globals().items()) if callable(fn) and fn.__doc__ and not name.startswith("_")
          and fn.__module__ == __name__ and name not in ("main",)}


def main(argv) -> int:
    if argv[1:] == ["--list"]:
        print("\n".join(MODELS))
        return 0
    name, out = argv[1], argv[2]
    onnx.save(MODELS[name](), out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
