"""cmsis-import on small ONNX models: one per pattern exporters produce, and the ones it must reject.

The models come from tests/lit/import/Inputs/onnx_models.py (the lit tests use
the same file). Float models are also run: the imported `nn` function, executed
by the reference interpreter, must agree with onnxruntime.
"""

from __future__ import annotations

import importlib.util
from collections import Counter

import numpy as np
import onnx
import pytest
from conftest import ROOT, run_tool
from xdsl.dialects.builtin import StringAttr
from xdsl.dialects.func import FuncOp

from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import ints, to_numpy
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends import import_model
from cmsis_opt.ir import parse_ir, print_ir

_spec = importlib.util.spec_from_file_location("onnx_models", ROOT / "tests" / "lit" / "import" / "Inputs" / "onnx_models.py")
onnx_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(onnx_models)

FLOAT_MODELS = ["gemm_transb", "gemm_plain", "matmul_add", "conv_bn", "flatten", "pad", "concat",
                "residual", "relu6", "ceil_pool", "same_conv", "mul_depthwise", "reduce_mean",
                "asym_pad_conv"]


def write(tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save(onnx_models.MODELS[name](), str(path))
    return str(path)


def func_of(module) -> FuncOp:
    return next(op for op in module.ops if isinstance(op, FuncOp))


def ops_of(module) -> list:
    return [op for op in func_of(module).body.block.ops if op.name != "func.return"]


def op_counts(module) -> Counter:
    return Counter(op.name for op in ops_of(module))


def run_onnxruntime(path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def interpreter():
    from cmsis_opt.interpreter import run_function

    return run_function


@pytest.mark.parametrize("name", FLOAT_MODELS)
def test_float_model_runs_like_onnxruntime(tmp_path, name):
    run_function = interpreter()
    path = write(tmp_path, name)
    module = import_model(path)
    arg = func_of(module).body.block.args[0]
    x = np.random.default_rng(1).standard_normal(arg.type.get_shape()).astype(np.float32)
    ours = run_function(module, [x])[0]
    theirs = run_onnxruntime(path, x)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", FLOAT_MODELS + ["qdq_conv", "qdq_dense"])
def test_printed_ir_parses_back_to_the_same_text(tmp_path, name):
    text = print_ir(import_model(write(tmp_path, name)))
    assert print_ir(parse_ir(text).module) == text


def test_every_op_carries_its_source_layer(tmp_path):
    module = import_model(write(tmp_path, "residual"))
    layers = {op.attributes["layer"].data for op in ops_of(module)}
    assert all(isinstance(op.attributes.get("layer"), StringAttr) for op in ops_of(module))
    assert {"conv1", "relu1", "conv2", "residual", "relu2"} <= layers


def test_function_is_named_after_the_file(tmp_path):
    path = tmp_path / "9-my.model.onnx"
    onnx.save(onnx_models.gemm_transb(), str(path))
    assert func_of(import_model(str(path))).sym_name.data == "m_9_my"


def test_gemm_with_trans_b_is_a_fully_connected_layer(tmp_path):
    module = import_model(write(tmp_path, "gemm_transb"))
    assert op_counts(module) == Counter({"nn.constant": 2, "nn.fully_connected": 1})


def test_gemm_without_trans_b_transposes_the_constant_weight(tmp_path):
    module = import_model(write(tmp_path, "gemm_plain"))
    weight = ops_of(module)[0]
    assert op_counts(module)["nn.fully_connected"] == 1
    original = onnx.numpy_helper.to_array(onnx_models.gemm_plain().graph.initializer[0])
    np.testing.assert_array_equal(to_numpy(weight.value), original.T)


def test_matmul_and_add_stay_two_ops(tmp_path):
    counts = op_counts(import_model(write(tmp_path, "matmul_add")))
    assert counts["nn.matmul"] == 1 and counts["nn.add"] == 1 and counts["nn.fully_connected"] == 0


def test_batchnorm_after_conv_is_folded(tmp_path):
    counts = op_counts(import_model(write(tmp_path, "conv_bn")))
    assert counts == Counter({"nn.constant": 2, "nn.conv2d": 1, "nn.relu": 1})


def test_symbolic_batch_is_pinned_to_one(tmp_path):
    module = import_model(write(tmp_path, "flatten"))
    assert func_of(module).body.block.args[0].type.get_shape() == (1, 3, 6, 6)
    reshape = next(op for op in ops_of(module) if op.name == "nn.reshape")
    assert reshape.results[0].type.get_shape() == (1, 32)


def test_pad_amounts_come_from_the_initializer(tmp_path):
    pad = next(op for op in ops_of(import_model(write(tmp_path, "pad"))) if op.name == "nn.pad")
    assert ints(pad.pads) == (0, 0, 1, 2, 0, 0, 1, 2)


def test_concat_axis_is_normalized(tmp_path):
    concat = next(op for op in ops_of(import_model(write(tmp_path, "concat"))) if op.name == "nn.concat")
    assert concat.axis.value.data == 1


def test_clip_zero_six_is_kept_as_clip(tmp_path):
    clip = next(op for op in ops_of(import_model(write(tmp_path, "relu6"))) if op.name == "nn.clip")
    assert (clip.min.value.data, clip.max.value.data) == (0.0, 6.0)


def test_ceil_mode_becomes_explicit_end_padding(tmp_path):
    ops = ops_of(import_model(write(tmp_path, "ceil_pool")))
    max_pool, avg_pool = ops
    assert ints(max_pool.pads) == (0, 0, 1, 1) and max_pool.results[0].type.get_shape() == (1, 2, 4, 4)
    assert ints(avg_pool.pads) == (0, 0, 0, 0) and avg_pool.results[0].type.get_shape() == (1, 2, 2, 2)


def test_same_upper_padding_puts_the_odd_pixel_at_the_end(tmp_path):
    conv = next(op for op in ops_of(import_model(write(tmp_path, "same_conv"))) if op.name == "nn.conv2d")
    assert ints(conv.pads) == (1, 1, 1, 1)
    assert conv.results[0].type.get_shape() == (1, 6, 4, 4)


def test_reduce_mean_over_h_and_w_is_a_global_average_pool(tmp_path):
    counts = op_counts(import_model(write(tmp_path, "reduce_mean")))
    assert counts == Counter({"nn.global_avg_pool": 1, "nn.reshape": 1})


def test_identity_is_dropped(tmp_path):
    module = import_model(write(tmp_path, "same_conv"))
    assert not any("same" == op.attributes["layer"].data for op in ops_of(module))


def test_qdq_conv_keeps_int8_codes_and_scales(tmp_path):
    module = import_model(write(tmp_path, "qdq_conv"))
    func = func_of(module)
    x_type = func.body.block.args[0].type.element_type
    assert isinstance(x_type, UniformQuantizedType)
    assert (x_type.scale, x_type.zero_point) == (float(np.float32(0.05)), -3)
    constants = [op for op in ops_of(module) if op.name == "nn.constant"]
    weight = next(op for op in constants if op.attributes["layer"].data == "w_dq")
    w_type = weight.results[0].type.element_type
    assert w_type.axis == 0 and w_type.scales == [float(np.float32(s)) for s in (0.01, 0.02, 0.015, 0.03)]
    model = onnx_models.qdq_conv()
    np.testing.assert_array_equal(to_numpy(weight.value), onnx.numpy_helper.to_array(model.graph.initializer[2]))
    bias = next(op for op in constants if op.attributes["layer"].data == "b_dq")
    assert bias.results[0].type.element_type.storage_type.width.data == 32
    clip = next(op for op in ops_of(module) if op.name == "nn.clip")
    assert (clip.min.value.data, clip.max.value.data) == (0.0, float(np.float32(120 * np.float32(0.05))))
    counts = op_counts(module)
    assert counts["nn.transpose"] == 2 and counts["nn.quantize"] == 1 and counts["nn.dequantize"] == 3


@pytest.mark.parametrize("name", ["qdq_conv", "qdq_dense"])
def test_qdq_model_runs_like_onnxruntime(tmp_path, name):
    run_function = interpreter()
    path = write(tmp_path, name)
    module = import_model(path)
    shape = func_of(module).body.block.args[0].type.get_shape()
    for seed in range(3):
        x = np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)
        np.testing.assert_array_equal(run_function(module, [x])[0], run_onnxruntime(path, x))


def test_transpose_of_a_dequantized_weight_moves_the_codes(tmp_path):
    module = import_model(write(tmp_path, "qdq_dense"))
    assert op_counts(module)["nn.transpose"] == 0
    fc = next(op for op in ops_of(module) if op.name == "nn.fully_connected")
    codes = fc.weight.owner.input.owner
    q = codes.results[0].type.element_type
    assert codes.results[0].type.get_shape() == (4, 8) and q.axis == 0
    original = onnx.numpy_helper.to_array(onnx_models.qdq_dense().graph.initializer[2])
    np.testing.assert_array_equal(to_numpy(codes.value), original.T)


def test_constant_nodes_give_clip_bounds_and_reshape_shapes(tmp_path):
    ops = ops_of(import_model(write(tmp_path, "qdq_dense")))
    clip = next(op for op in ops if op.name == "nn.clip")
    assert clip.min.value.data == -np.inf and clip.max.value.data == 2.5
    reshape = next(op for op in ops if op.name == "nn.reshape")
    assert reshape.results[0].type.get_shape() == (1, 2, 2)


# -- errors ---------------------------------------------------------------------
def one_error(proc, *fragments: str) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("name, fragments", [
    ("bad_op", ["node 'gate' (Hardmax)", "is not supported; supported: ", "Conv"]),
    ("bad_float16", ["graph input 'x'", "float16 is not supported"]),
    ("bad_dynamic", ["graph input 'x'", "dimension 2 is dynamic ('H')"]),
    ("bad_uint8", ["node 'quant' (QuantizeLinear)", "uint8 quantization of activations", "activation_type"]),
    ("bad_uint8_linear", ["node 'x_QuantizeLinear' (QuantizeLinear)", "uint8 quantization of activations"]),
    ("bad_count_include_pad", ["node 'avg' (AveragePool)", "count_include_pad=1"]),
])
def test_unsupported_model_is_one_error_line_and_no_output(tmp_path, name, fragments):
    path = write(tmp_path, name)
    out = tmp_path / "out.mlir"
    one_error(run_tool("cmsis-import", path, "-o", str(out)), path, *fragments)
    assert not out.exists()


def test_truncated_file_is_one_error_line(tmp_path):
    data = onnx_models.qdq_conv().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.mlir"
    one_error(run_tool("cmsis-import", str(path), "-o", str(out)), str(path))
    assert not out.exists()


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_are_one_error_line(tmp_path, seed):
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, 4096).astype(np.uint8).tobytes())
    one_error(run_tool("cmsis-import", str(path), "-o", str(tmp_path / "out.mlir")), str(path))
    assert not (tmp_path / "out.mlir").exists()


def test_every_truncation_of_a_model_fails_cleanly_or_imports(tmp_path):
    data = onnx_models.qdq_conv().SerializeToString()
    path = str(tmp_path / "cut.onnx")
    for length in range(0, len(data), max(1, len(data) // 60)):
        with open(path, "wb") as f:
            f.write(data[:length])
        try:
            import_model(path)
        except CompileError as error:
            assert error.message


def test_missing_file_and_directory(tmp_path):
    one_error(run_tool("cmsis-import", str(tmp_path / "absent.onnx")), "absent.onnx")
    one_error(run_tool("cmsis-import", str(tmp_path)), "directory")


def test_usage_error_exits_2():
    proc = run_tool("cmsis-import")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")


def test_cli_writes_the_ir_file(tmp_path):
    path = write(tmp_path, "residual")
    out = tmp_path / "residual.mlir"
    proc = run_tool("cmsis-import", path, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "func.func @residual(" in out.read_text()
    assert parse_ir(out.read_text()).module is not None


def test_corrupted_bytes_fail_cleanly_or_import(tmp_path):
    data = onnx_models.qdq_conv().SerializeToString()
    rng = np.random.default_rng(4)
    path = str(tmp_path / "flipped.onnx")
    for _ in range(80):
        damaged = bytearray(data)
        for position in rng.integers(0, len(data), 6):
            damaged[position] = rng.integers(0, 256)
        with open(path, "wb") as f:
            f.write(damaged)
        try:
            import_model(path)
        except CompileError as error:
            assert error.message


# -- opset and attribute variants ------------------------------------------------------
def save(tmp_path, model, name="m") -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return str(path)


def test_opset_10_clip_and_pad_take_attributes(tmp_path):
    run_function = interpreter()
    from onnx import helper

    nodes = [helper.make_node("Pad", ["x"], ["p"], name="pad", pads=[0, 0, 1, 0, 0, 0, 0, 1], value=0.5),
             helper.make_node("Clip", ["p"], ["y"], name="clip", min=-0.25, max=0.75)]
    model = onnx_models._model(nodes, [onnx_models._f32("x", [1, 2, 3, 3])], [onnx_models._f32("y", [1, 2, 4, 4])], opset=10)
    path = save(tmp_path, model)
    module = import_model(path)
    pad = next(op for op in ops_of(module) if op.name == "nn.pad")
    assert ints(pad.pads) == (0, 0, 1, 0, 0, 0, 0, 1) and pad.value.value.data == 0.5
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(run_function(module, [x])[0], run_onnxruntime(path, x), rtol=1e-6)


def test_squeeze_unsqueeze_and_dropout_are_layout_only(tmp_path):
    from onnx import helper

    nodes = [helper.make_node("Unsqueeze", ["x", "axes"], ["u"], name="add_dim"),
             helper.make_node("Dropout", ["u"], ["d"], name="dropout"),
             helper.make_node("Squeeze", ["d", "axes"], ["y"], name="drop_dim")]
    inits = [onnx_models._init("axes", np.array([0], np.int64))]
    model = onnx_models._model(nodes, [onnx_models._f32("x", [1, 6])], [onnx_models._f32("y", [1, 6])], inits)
    module = import_model(save(tmp_path, model))
    assert op_counts(module) == Counter({"nn.reshape": 2})
    shapes = [op.results[0].type.get_shape() for op in ops_of(module)]
    assert shapes == [(1, 1, 6), (1, 6)]


def bad_node_model(node, inputs, outputs, inits=(), opset=13):
    return onnx_models._model([node], inputs, outputs, inits, opset=opset)


@pytest.mark.parametrize("case, fragment", [
    ("gemm_alpha", "node 'fc' (Gemm): alpha=2.0 on a computed B ('w') is not supported; "
                   "supported: alpha on a constant B"),
    ("conv1d", "node 'conv1d' (Conv): a rank-3 input is not supported; supported: 2-D convolution"),
    ("maxpool_indices", "node 'pool' (MaxPool): a second output is not supported"),
    ("softmax_opset11", "node 'sm' (Softmax): opset-11 Softmax over the flattened dims from axis 1 is not supported"),
    ("reflect_pad", "node 'pad' (Pad): mode 'reflect' is not supported; supported: constant"),
    ("computed_shape", "node 'cast' (Cast): a cast of the computed float32 tensor 'x' to int64 is not supported"),
])
def test_unsupported_attributes_name_the_node(tmp_path, case, fragment):
    from onnx import TensorProto, helper

    f32, init = onnx_models._f32, onnx_models._init
    if case == "gemm_alpha":
        model = bad_node_model(helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", alpha=2.0, transB=1),
                               [f32("x", [1, 4]), f32("w", [1, 4])], [f32("y", [1, 1])], [])
    elif case == "conv1d":
        model = bad_node_model(helper.make_node("Conv", ["x", "w"], ["y"], name="conv1d"),
                               [f32("x", [1, 2, 8])], [f32("y", [1, 2, 6])], [init("w", np.ones((2, 2, 3), np.float32))])
    elif case == "maxpool_indices":
        indices = helper.make_tensor_value_info("i", TensorProto.INT64, [1, 1, 2, 2])
        model = bad_node_model(helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
                               [f32("x", [1, 1, 4, 4])], [f32("y", [1, 1, 2, 2]), indices])
    elif case == "softmax_opset11":
        model = bad_node_model(helper.make_node("Softmax", ["x"], ["y"], name="sm"),
                               [f32("x", [1, 3, 2, 2])], [f32("y", [1, 3, 2, 2])], opset=11)
    elif case == "reflect_pad":
        model = bad_node_model(helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="reflect"),
                               [f32("x", [1, 1, 4, 4])], [f32("y", [1, 1, 6, 6])], [init("p", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
    else:
        # a shape made from the data itself: static shapes are folded (Shape), data never is
        nodes = [helper.make_node("Cast", ["x"], ["s"], name="cast", to=TensorProto.INT64),
                 helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")]
        model = onnx_models._model(nodes, [f32("x", [1, 2])], [f32("y", [1, 2])])
    one_error(run_tool("cmsis-import", save(tmp_path, model)), fragment)


def test_a_missing_external_data_file_is_a_clean_error_naming_it(tmp_path):
    from onnx import helper

    model = onnx_models.gemm_transb()
    weight = model.graph.initializer[0]
    weight.data_location = onnx.TensorProto.EXTERNAL
    weight.ClearField("raw_data")
    weight.ClearField("float_data")
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    path = tmp_path / "external.onnx"
    path.write_bytes(model.SerializeToString())
    one_error(run_tool("cmsis-import", str(path)), "tensor 'w'", "'weights.bin' is missing")


def test_name_and_format_options(tmp_path):
    path = tmp_path / "model.bin"
    onnx.save(onnx_models.gemm_transb(), str(path))
    proc = run_tool("cmsis-import", str(path), "--format", "onnx", "--name", "dense_net")
    assert proc.returncode == 0, proc.stderr
    assert "func.func @dense_net(" in proc.stdout
    bad = run_tool("cmsis-import", str(path), "--name", "2bad")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "2bad" in bad.stderr


def _slice_model(path, starts, ends, axes, steps=None, shape=(1, 3, 6, 6), out=(1, 3, 4, 4)):
    """x (int8 QDQ) -> conv 3x3 pad 1 -> QDQ -> Slice -> y: what a crop after a layer exports as."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    c = shape[1]
    inits = [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in
             (("st", starts), ("en", ends), ("ax", axes), *((("sp", steps),) if steps else ()))]
    inits += [numpy_helper.from_array(rng.integers(-127, 128, (c, c, 3, 3)).astype(np.int8), "w"),
              numpy_helper.from_array(np.full(c, 0.01, np.float32), "ws"),
              numpy_helper.from_array(np.zeros(c, np.int8), "wz"),
              numpy_helper.from_array(np.float32(0.05), "xs"), numpy_helper.from_array(np.int8(3), "xz"),
              numpy_helper.from_array(np.float32(0.2), "ys"), numpy_helper.from_array(np.int8(-5), "yz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="xd"),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="wd", axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["cq"], name="cq"),
             helper.make_node("DequantizeLinear", ["cq", "ys", "yz"], ["cd"], name="cd"),
             helper.make_node("Slice", ["cd", "st", "en", "ax", *(["sp"] if steps else [])], ["s"], name="crop"),
             helper.make_node("QuantizeLinear", ["s", "ys", "yz"], ["sq"], name="sq"),
             helper.make_node("DequantizeLinear", ["sq", "ys", "yz"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out))], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)
    return str(path)


@pytest.mark.parametrize(("starts", "ends", "axes", "out"), [
    ([1, 1], [5, 5], [2, 3], (1, 3, 4, 4)),          # a crop of H and W: two one-axis cmsis.slice
    ([-4], [2 ** 62], [-1], (1, 3, 6, 4)),           # negative start, end past the tensor (ONNX clamps)
    ([1], [3], [1], (1, 2, 6, 6)),                   # channels: the stored NHWC innermost axis
])
def test_onnx_slice_with_steps_1_runs_exactly_as_onnxruntime(tmp_path, starts, ends, axes, out):
    """ONNX Slice (steps 1) of a computed tensor lowers to cmsis.slice, one per cut axis; a slice only moves
    bytes, so the conv before it is the only quantized layer: within 1 LSB of onnxruntime, the slice exact."""
    from onnx_oracle import assert_within_steps, int8_io, kernels, quantized

    path = _slice_model(tmp_path / "slice.onnx", starts, ends, axes, out=out)
    module = quantized(path)
    cut = sum(1 for a, b in zip((1, 3, 6, 6), out, strict=True) if a != b)
    # the model's NCHW boundaries are transposes (--io-layout model)
    assert [k for k in kernels(module) if k != "cmsis.transpose"] == ["cmsis.conv", *["cmsis.slice"] * cut]
    rng = np.random.default_rng(9)
    shape = int8_io(module)[2]
    assert_within_steps(path, module, [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(8)],
                        end_to_end=1)
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "c"), "--host", "--name", "crop")
    assert result.returncode == 0, result.stderr


def test_a_strided_slice_of_a_computed_tensor_is_one_error_saying_what_it_asks(tmp_path):
    """ONNX Slice with a step other than 1 (a strided copy, which CMSIS-NN v7 has no kernel for): one located
    error naming the node, its axes / starts / ends / steps and the tensor; nothing written."""
    path = _slice_model(tmp_path / "slice.onnx", [0], [6], [3], steps=[2], out=(1, 3, 6, 3))
    result = run_tool("cmsis-import", path, "-o", str(tmp_path / "out.mlir"))
    assert result.returncode == 1 and not (tmp_path / "out.mlir").exists()
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: node 'crop' (Slice): Slice (axes [3], starts [0], ends [6], steps [2]) of a computed "
        "tensor [1, 3, 6, 6] (a strided copy) is not supported; supported: Slice with steps 1; slice the weights "
        "of the layer that reads it instead"]


# -- softmax over a channel axis -----------------------------------------------------------------------------


def _conv_softmax(rng, axis: int, shape=(1, 3, 6, 5)) -> onnx.ModelProto:
    """x -> Conv 3x3 (4 channels) -> Softmax(axis): PyTorch's softmax(dim=axis) on a conv output."""
    from onnx import TensorProto, helper, numpy_helper

    w, b = rng.normal(0, 1, (4, shape[1], 3, 3)).astype(np.float32), rng.normal(0, 0.5, 4).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Softmax", ["c"], ["y"], name="softmax", axis=axis)]
    out = [shape[0], 4, *shape[2:]]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return onnx.helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


@pytest.mark.parametrize("axis", [1, -3, 2, 3])
@pytest.mark.parametrize("per_channel", [True, False])
def test_softmax_over_any_axis_of_an_nchw_tensor_is_within_one_step_per_layer_of_onnxruntime(tmp_path, axis,
                                                                                               per_channel):
    """onnxruntime's QDQ Softmax over the channels (axis 1 = -3, kept NHWC: the channels are stored last, so
    arm_softmax_s8 runs on the conv's output as it is) or over H / W (one transpose moves the axis last).
    1 LSB per quantized layer (conv, softmax; each fed onnxruntime's own input), over 32 inputs; the C equals
    the interpreter. End to end, the conv's 1 LSB passes through the softmax's slope: a row's outputs move by
    at most sum_j |dp_i/dx_j| = 2 p_i (1 - p_i) <= 1/2 per unit of every input, so 1 + ceil(s_in / (2 s_out))."""
    pytest.importorskip("onnxruntime.quantization")
    from host_programs import compile_host, run_program
    from onnx_oracle import assert_within_steps, int8_io, kernels, quantize_static, quantized

    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.interpreter import run_function

    rng = np.random.default_rng(21)
    float_path, path = str(tmp_path / "float.onnx"), str(tmp_path / "qdq.onnx")
    onnx.save(_conv_softmax(rng, axis), float_path)
    quantize_static(float_path, path, rng.normal(0, 1, (16, 1, 3, 6, 5)).astype(np.float32), per_channel)
    module = quantized(path)
    softmax = next(op for op in ops_of(module) if op.name == "cmsis.softmax")
    logical_axis = axis % 4
    assert tuple(softmax.input.type.get_shape())[-1] == (1, 4, 6, 5)[logical_axis]  # the axis is stored last
    inner = [op for op in ops_of(module)[1:-1] if op.name == "cmsis.transpose"]  # besides the boundary ones
    assert len(inner) == (0 if logical_axis == 1 else 1), kernels(module, views=False)
    _, _, shape = int8_io(module)
    inputs = [rng.integers(-128, 128, shape, dtype=np.int8) for _ in range(32)]
    q_softmax_in, q_out = quant_of(softmax.input.type), int8_io(module)[1]
    slope = int(np.ceil(q_softmax_in.scale / (2 * q_out.scale)))
    assert_within_steps(path, module, inputs, end_to_end=1 + slope, layers=2)
    program = compile_host(path, tmp_path / "out", "sm", "runtime")
    for x in inputs[:4]:
        want = run_function(module, [x])[0]
        assert run_program(program, "sm", [x]).tolist() == want.reshape(-1).tolist()


def test_calibrated_float_softmax_over_the_channels_compiles_without_an_inner_transpose(tmp_path):
    """The float model with --calibration: the same channel softmax, no transpose besides the boundary ones.
    Against onnxruntime's float model on the same dequantized input: the conv's int8 output is within 2 of its
    steps of the float one (its rounding and its weights' quantization), which the softmax's slope (1/2 per
    unit, see above) carries to the output, plus the softmax's own rounding: 1 + 2 s_in / (2 s_out) steps."""
    pytest.importorskip("onnxruntime")
    from onnx_oracle import codes_of, float_of, int8_io, session

    from cmsis_opt.calibrate import calibrate_module
    from cmsis_opt.context import make_context
    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.passes.quantize import QuantizePass

    rng = np.random.default_rng(22)
    path = tmp_path / "float.onnx"
    onnx.save(_conv_softmax(rng, 1), path)
    samples = rng.normal(0, 1, (16, 1, 3, 6, 5)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", inputs=samples)
    module = import_model(str(path))
    calibrate_module(module, str(tmp_path / "cal.npz"), show_progress=False)
    QuantizePass().apply(make_context(), module)
    names = [op.name for op in ops_of(module)]
    assert names.count("cmsis.transpose") == 2 and names.index("cmsis.transpose", 1) > names.index("cmsis.softmax")
    q_in, q_out, shape = int8_io(module)
    softmax = next(op for op in ops_of(module) if op.name == "cmsis.softmax")
    steps = 1 + 2 * quant_of(softmax.input.type).scale / (2 * q_out.scale)
    sess = session(str(path))
    for sample in samples:
        x = codes_of(sample.reshape(shape), q_in)
        ours = float_of(run_function(module, [x])[0], q_out)
        theirs = sess.run(None, {"x": float_of(x, q_in)})[0]
        assert np.abs(ours - theirs).max() <= steps * q_out.scale * (1 + 1e-6), (np.abs(ours - theirs).max(), steps)


# -- pads CMSIS-NN cannot express ------------------------------------------------------------------------------


def _padded_conv_model(path, pads, strides, group=1, shape=(1, 3, 11, 8)):
    """x (int8 QDQ) -> Conv 3x3 with explicit `pads` [top, left, bottom, right] -> Relu -> QDQ -> y."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(4)
    c = shape[1]
    c_out = c if group == c else 5
    inits = [numpy_helper.from_array(rng.integers(-8, 8, (c_out, c // group, 3, 3)).astype(np.int8), "w"),
             numpy_helper.from_array(0.05 * np.arange(1, c_out + 1, dtype=np.float32), "ws"),
             numpy_helper.from_array(np.zeros(c_out, np.int8), "wz"),
             numpy_helper.from_array(np.float32(0.02), "xs"), numpy_helper.from_array(np.int8(3), "xz"),
             numpy_helper.from_array(np.float32(0.1), "ys"), numpy_helper.from_array(np.int8(-5), "yz")]
    out_hw = [(shape[2 + i] + pads[i] + pads[i + 2] - 3) // strides[i] + 1 for i in range(2)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="xd"),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="wd", axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=pads, strides=strides, group=group),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["yq"], name="yq"),
             helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c_out, *out_hw])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)
    return str(path)


@pytest.mark.parametrize(("pads", "strides", "group", "pad_kept"), [
    ([1, 0, 1, 2], [2, 1], 1, True),     # the width's far pad 2 > near 0 + 1
    ([0, 2, 1, 0], [1, 1], 1, False),    # far pads at most near + 1: CMSIS-NN implies them, no pad
    ([3, 0, 0, 0], [1, 1], 1, True),     # a near pad as large as the window: explicit too
    ([0, 0, 2, 2], [2, 2], 1, True),     # stride 2, end pad only
    ([1, 0, 1, 2], [1, 1], 3, True),     # depthwise
    ([1, 1, 2, 1], [2, 1], 1, False),    # stride 2 never reaches the far pad's last row: expressible as it is
])
def test_conv_pads_cmsis_nn_cannot_express_become_an_explicit_pad(tmp_path, pads, strides, group, pad_kept):
    """ONNX Conv pads whose far side CMSIS-NN cannot imply from the output size (it takes only top/left, the
    far side at most near + 1): the far pad becomes an explicit zero-point cmsis.pad before the conv (exact:
    a padded tap adds (zp + input_offset) * w = 0, as a skipped one does). 1 LSB per quantized layer (one
    conv) of onnxruntime over 8 inputs; the host C equals the interpreter."""
    pytest.importorskip("onnxruntime")
    from host_programs import compile_host, run_program
    from onnx_oracle import assert_within_steps, int8_io, kernels, quantized

    from cmsis_opt.interpreter import run_function

    path = _padded_conv_model(tmp_path / "pad.onnx", pads, strides, group)
    module = quantized(path)
    conv = "cmsis.conv" if group == 1 else "cmsis.depthwise_conv"
    assert [k for k in kernels(module) if k != "cmsis.transpose"] == [*(["cmsis.pad"] if pad_kept else []), conv]
    rng = np.random.default_rng(9)
    inputs = [rng.integers(-128, 128, int8_io(module)[2]).astype(np.int8) for _ in range(8)]
    assert_within_steps(path, module, inputs, end_to_end=1)
    program = compile_host(path, tmp_path / "out", "pad", "runtime")
    for x in inputs[:3]:
        assert run_program(program, "pad", [x]).tolist() == run_function(module, [x])[0].reshape(-1).tolist()


def test_a_pool_pad_cmsis_nn_cannot_express_is_one_located_error(tmp_path):
    """MaxPool pads [0, 0, 0, 2] with a 3x3 window, stride 1: the far width pad 2 exceeds the near 0 + 1 that
    CMSIS-NN pools can imply. One error naming the node, the pads, the axis and what to change; nothing written."""
    node = onnx.helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], pads=[0, 0, 0, 2])
    f32 = onnx_models._f32
    path = save(tmp_path, bad_node_model(node, [f32("x", [1, 2, 6, 6])], [f32("y", [1, 2, 4, 6])]))
    out = tmp_path / "out.mlir"
    line = one_error(run_tool("cmsis-import", path, "-o", str(out)), path, "node 'pool' (MaxPool)",
                     "pads [0, 0, 0, 2] on the width cannot be expressed", "end pad of at most the begin pad + 1")
    assert "height" not in line and not out.exists()


# -- pads at least the kernel window -------------------------------------------------------------------------------


def _float_window_model(path, node, shape=(1, 3, 8, 8), inits=()):
    """x -> `node` -> y, a float model (the output shape left to onnx's inference)."""
    return _float_graph_model(path, [node], inits, shape)


@pytest.mark.parametrize("pads, dilations", [([5, 5, 5, 5], [1, 1]), ([5, 3, 5, 3], [2, 2]), ([3, 0, 4, 0], [1, 1])])
def test_conv_pads_as_large_as_the_window_become_an_explicit_pad_and_calibrate(tmp_path, pads, dilations):
    """An ONNX Conv whose pads reach the (dilated) 3x3 window: the importer moves them to an nn.pad before the
    conv (zeros, exact), so it imports, runs like onnxruntime and compiles with --calibration."""
    pytest.importorskip("onnxruntime")
    from onnx import helper, numpy_helper

    run_function = interpreter()
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv_big", pads=pads, dilations=dilations)
    path = _float_window_model(tmp_path / "m.onnx", node, inits=[w])
    module = import_model(path)
    assert op_counts(module)["nn.pad"] == 1
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(run_function(module, [x])[0], run_onnxruntime(path, x), rtol=1e-5, atol=1e-5)
    np.savez(tmp_path / "cal.npz", x=rng.standard_normal((4, 1, 3, 8, 8)).astype(np.float32))
    result = run_tool("cmsis-compile", path, "--calibration", str(tmp_path / "cal.npz"), "-o", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr and "Warning" not in result.stderr


@pytest.mark.parametrize("op_type", ["MaxPool", "AveragePool"])
def test_pool_pads_as_large_as_the_window_are_one_error_at_the_node(tmp_path, op_type):
    from onnx import helper

    node = helper.make_node(op_type, ["x"], ["y"], name="pool_big", kernel_shape=[2, 2], pads=[2, 2, 2, 2])
    path = _float_window_model(tmp_path / "m.onnx", node)
    one_error(run_tool("cmsis-import", path, "-o", str(tmp_path / "out.mlir")),
              f"{path}: node 'pool_big' ({op_type}): pads [2, 2, 2, 2] as large as the window [2, 2] is not "
              "supported; supported: pads smaller than the window")


def test_conv_transpose_pads_as_large_as_the_kernel_are_one_error_at_the_node(tmp_path):
    """Before: `error: pass 'quantize': layer 'convt_big' (nn.conv_transpose2d): no CMSIS-NN kernel computes it:
    'cmsis.transpose_conv' padding: 3 on the height is not smaller than the window 3`, after calibration."""
    from onnx import helper, numpy_helper

    w = numpy_helper.from_array(np.ones((3, 4, 3, 3), np.float32), "w")
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="convt_big", pads=[3, 3, 3, 3], strides=[2, 2])
    path = _float_window_model(tmp_path / "m.onnx", node, inits=[w])
    one_error(run_tool("cmsis-import", path, "-o", str(tmp_path / "out.mlir")),
              f"{path}: node 'convt_big' (ConvTranspose): pads [3, 3, 3, 3]: the top and left pads must be smaller "
              "than the kernel [3, 3]: CMSIS-NN (arm_transpose_conv_s8) needs padding smaller than the kernel window")


# -- Inf / NaN in constants and scales ------------------------------------------------------------------------------


def _conv_with_weight(tmp_path, name: str, weight: np.ndarray, bias: np.ndarray | None = None, bn: bool = False):
    """x [1, 3, 8, 8] -> Conv 'conv_inf' (weight 'Wi', bias 'Bi') [-> BatchNormalization] -> y."""
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(weight, "Wi")]
    inputs = ["x", "Wi"]
    if bias is not None:
        inits.append(numpy_helper.from_array(bias, "Bi"))
        inputs.append("Bi")
    nodes = [helper.make_node("Conv", inputs, ["c" if bn else "y"], name="conv_inf", pads=[1, 1, 1, 1])]
    if bn:
        c = weight.shape[0]
        for name, value in (("g", 1.0), ("b", 0.0), ("m", 0.0), ("v", 1.0)):
            inits.append(numpy_helper.from_array(np.full(c, value, np.float32), name))
        nodes.append(helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"], name="bn"))
    f32 = onnx_models._f32
    model = onnx_models._model(nodes, [f32("x", [1, 3, 8, 8])], [f32("y", [1, weight.shape[0], 8, 8])], inits)
    return save(tmp_path, model, name)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_weight_is_one_error_at_import_naming_the_initializer_and_node(tmp_path, bad):
    """Before: numpy's `RuntimeWarning: invalid value encountered in matmul` during calibration, then
    `error: calibration: layer 'Wi': calibration saw values in [-0.69, inf]` (NaN: `[nan, nan]`)."""
    w = np.random.default_rng(0).normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32)
    w[1, 2, 0, 1] = bad
    path = _conv_with_weight(tmp_path, "m", w)
    np.savez(tmp_path / "cal.npz", x=np.random.default_rng(1).standard_normal((4, 1, 3, 8, 8)).astype(np.float32))
    result = run_tool("cmsis-compile", path, "--calibration", str(tmp_path / "cal.npz"), "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {path}: node 'conv_inf' (Conv): initializer 'Wi' holds Inf/NaN values: a weight must be finite"]
    assert not (tmp_path / "o").exists()


def test_a_non_finite_bias_and_a_weight_folded_with_batchnorm_are_refused_at_the_conv(tmp_path):
    w = np.ones((4, 3, 3, 3), np.float32)
    with pytest.raises(CompileError, match=r"node 'conv_inf' \(Conv\): initializer 'Bi' holds Inf/NaN values: "
                                           "a bias must be finite"):
        import_model(_conv_with_weight(tmp_path, "bias", w, np.array([0, np.nan, 0, 0], np.float32)))
    w[0, 0, 0, 0] = np.inf
    with pytest.raises(CompileError, match=r"node 'conv_inf' \(Conv\): initializer 'Wi' holds Inf/NaN values"):
        import_model(_conv_with_weight(tmp_path, "bn", w, bn=True))


def test_non_finite_gemm_weight_and_add_constant_name_their_node(tmp_path):
    from onnx import helper

    f32, init = onnx_models._f32, onnx_models._init
    w = np.ones((2, 4), np.float32)
    w[1, 1] = np.nan
    gemm = bad_node_model(helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1),
                          [f32("x", [1, 4])], [f32("y", [1, 2])], [init("w", w)])
    with pytest.raises(CompileError, match=r"node 'fc' \(Gemm\): initializer 'w' holds Inf/NaN values: a weight"):
        import_model(save(tmp_path, gemm, "gemm"))
    gemm_plain = bad_node_model(helper.make_node("Gemm", ["x", "w"], ["y"], name="fc"),
                                [f32("x", [1, 2])], [f32("y", [1, 4])], [init("w", w)])
    with pytest.raises(CompileError, match=r"node 'fc' \(Gemm\): initializer 'w' holds Inf/NaN values: a weight"):
        import_model(save(tmp_path, gemm_plain, "gemm_plain"))
    add = bad_node_model(helper.make_node("Add", ["x", "k"], ["y"], name="shift"),
                         [f32("x", [1, 4])], [f32("y", [1, 4])], [init("k", np.array([0, 1, np.inf, 2], np.float32))])
    with pytest.raises(CompileError, match=r"node 'shift' \(Add\): initializer 'k' holds Inf/NaN values: "
                                           "a constant operand must be finite"):
        import_model(save(tmp_path, add, "add"))


def _qdq_conv_scales(path, w_scales, x_scale) -> str:
    """A QDQ conv: weight scales 'ws' (per output channel), activation scale 'xs'."""
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(np.ones((4, 3, 3, 3), np.int8), "w"),
             numpy_helper.from_array(np.asarray(w_scales, np.float32), "ws"),
             numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
             numpy_helper.from_array(np.float32(x_scale), "xs"), numpy_helper.from_array(np.int8(3), "xz"),
             numpy_helper.from_array(np.float32(0.1), "ys"), numpy_helper.from_array(np.int8(-5), "yz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="xd"),
             helper.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="wd", axis=0),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["yq"], name="yq"),
             helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="y")]
    f32 = onnx_models._f32
    onnx.save(onnx_models._model(nodes, [f32("x", [1, 3, 8, 8])], [f32("y", [1, 4, 8, 8])], inits), path)
    return str(path)


@pytest.mark.parametrize("w_scales, x_scale, node, holds", [
    ([0.1, np.inf, 0.3, 0.4], 0.02, "'wd' (DequantizeLinear)", "'ws' holds inf (entry 1 of 4)"),
    ([0.1, 0.2, np.nan, 0.4], 0.02, "'wd' (DequantizeLinear)", "'ws' holds nan (entry 2 of 4)"),
    ([0.0, 0.2, 0.3, 0.4], 0.02, "'wd' (DequantizeLinear)", "'ws' holds 0 (entry 0 of 4)"),
    ([0.1, 0.2, 0.3, -0.4], 0.02, "'wd' (DequantizeLinear)", "'ws' holds -0.4 (entry 3 of 4)"),
    ([0.1, 0.2, 0.3, 0.4], np.inf, "'xq' (QuantizeLinear)", "'xs' holds inf"),
    ([0.1, 0.2, 0.3, 0.4], np.nan, "'xq' (QuantizeLinear)", "'xs' holds nan"),
    ([0.1, 0.2, 0.3, 0.4], 0.0, "'xq' (QuantizeLinear)", "'xs' holds 0"),
    ([0.1, 0.2, 0.3, 0.4], -0.02, "'xq' (QuantizeLinear)", "'xs' holds -0.02"),
])
def test_a_scale_that_is_not_positive_and_finite_is_one_error_at_its_node(tmp_path, w_scales, x_scale, node, holds):
    path = _qdq_conv_scales(tmp_path / "m.onnx", w_scales, x_scale)
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {path}: node {node}: scales must be positive and finite: {holds}"]


# -- a float model that is only an activation -------------------------------------------------------------------------


def _float_graph_model(path, nodes, inits=(), shape=(1, 3, 8, 8)):
    """x -> `nodes` -> y, a float model (shapes left to onnx's inference)."""
    from onnx import TensorProto, helper, shape_inference

    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    model.graph.output[0].CopyFrom(inferred.graph.output[0])
    onnx.save(model, path)
    return str(path)


def _unfused_relu_graphs():
    """(name, nodes, initializers, quantized layers): a ReLU no compute op fuses, on a graph input or on a value
    two ops read."""
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(5)
    w = numpy_helper.from_array(rng.normal(0, 0.3, (3, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(0, 0.1, 3).astype(np.float32), "b")
    conv = dict(pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    return [
        ("relu-alone", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [], 1),
        ("relu-then-conv", [helper.make_node("Relu", ["x"], ["r"], name="relu"),
                            helper.make_node("Conv", ["r", "w", "b"], ["y"], name="conv", **conv)], [w, b], 2),
        ("conv-plus-its-relu", [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", **conv),
                                helper.make_node("Relu", ["c"], ["r"], name="relu"),
                                helper.make_node("Add", ["c", "r"], ["y"], name="add")], [w, b], 3),
    ]


@pytest.mark.parametrize("name, nodes, inits, layers", _unfused_relu_graphs(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_calibrated_relu_that_no_layer_fuses_is_within_one_lsb_per_layer_of_onnxruntime(tmp_path, name, nodes,
                                                                                          inits, layers):
    """A ReLU on a graph input, or on a value another op also reads, gets its own quantization (a requantize
    that clamps). Before: `error: pass 'quantize': graph output of type tensor<1x3x8x8xf32> is not an int8
    quantized tensor`, or `an input is neither quantized nor constant after calibration`. The oracle is
    onnxruntime on the calibrated scales: 1 LSB per quantized layer."""
    pytest.importorskip("onnxruntime")
    from onnx_oracle import codes_of, float_of, int8_io, session

    from cmsis_opt.calibrate import calibrate_module
    from cmsis_opt.context import make_context
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.passes.quantize import QuantizePass

    path = _float_graph_model(tmp_path / f"{name}.onnx", nodes, inits)
    samples = np.random.default_rng(2).standard_normal((8, 1, 3, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", x=samples)
    module = import_model(path)
    calibrate_module(module, str(tmp_path / "cal.npz"), show_progress=False)
    QuantizePass().apply(make_context(), module)
    q_in, q_out, shape = int8_io(module)
    sess = session(path)
    for sample in samples:
        x = codes_of(sample.reshape(shape), q_in)
        theirs = codes_of(sess.run(None, {"x": float_of(x, q_in)})[0], q_out)
        assert np.abs(run_function(module, [x])[0].astype(int) - theirs.astype(int)).max() <= layers
    result = run_tool("cmsis-compile", path, "--calibration", str(tmp_path / "cal.npz"), "-o", str(tmp_path / "o"),
                      "--quiet")
    assert result.returncode == 0, result.stderr


def test_a_rescale_beyond_cmsis_nn_shifts_is_one_error_at_the_layer(tmp_path):
    """A weight scale of 3e38 makes input x weight / output scale 1.5e39: no multiplier and shift of at most 30
    represent it. Before: `'cmsis.conv' shift: 131 is outside [-31, 30] (after pass 'verify-arena')`."""
    path = _qdq_conv_scales(tmp_path / "m.onnx", [3e38, 0.01, 0.01, 0.01], 0.5)
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: pass 'quantize': layer 'conv': the rescale factor 1.5e+39 (the input scales over the output scale) "
        "is 2^30 or more, beyond what CMSIS-NN's multiplier and shift represent: check the model's scales"]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("fill", [np.nan, np.inf])
def test_a_pad_value_that_is_not_finite_is_one_error_at_the_node(tmp_path, fill):
    from onnx import helper, numpy_helper

    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    value = numpy_helper.from_array(np.array(fill, np.float32), "cv")
    path = _float_graph_model(tmp_path / "pad.onnx", [helper.make_node("Pad", ["x", "pads", "cv"], ["y"], name="pad")],
                              [pads, value])
    with pytest.raises(CompileError, match=rf"node 'pad' \(Pad\): the constant value is {fill}: a pad value must be "
                                           "finite"):
        import_model(path)


def test_a_nan_clip_bound_is_one_error_at_the_node(tmp_path):
    from onnx import helper

    f32, init = onnx_models._f32, onnx_models._init
    model = bad_node_model(helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip"), [f32("x", [1, 4])],
                           [f32("y", [1, 4])], [init("lo", np.float32(np.nan)), init("hi", np.float32(6))])
    with pytest.raises(CompileError, match=r"node 'clip' \(Clip\): min nan / max 6.0: a clip bound must be a number"):
        import_model(save(tmp_path, model))


def test_finite_weights_whose_outputs_overflow_are_one_calibration_error_without_numpy_warnings(tmp_path):
    """Weights of 3e38 are finite, so the importer takes them; the float conv overflows during calibration,
    which reports the layer's infinite range in one line (numpy's overflow warning is not shown)."""
    path = _conv_with_weight(tmp_path, "huge", np.full((4, 3, 3, 3), 3e38, np.float32))
    np.savez(tmp_path / "cal.npz", x=np.random.default_rng(1).standard_normal((4, 1, 3, 8, 8)).astype(np.float32))
    result = run_tool("cmsis-compile", path, "--calibration", str(tmp_path / "cal.npz"), "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "Warning" not in result.stderr
    # besides the progress line
    assert [line for line in result.stderr.splitlines() if not line.startswith("calibrating")] == [
        "error: calibration: layer 'conv_inf': calibration saw values in [-inf, inf]; an int8 tensor needs a finite "
        "range: check the model's constants and the samples"]


def test_a_table_with_no_real_value_for_some_codes_is_one_error_at_the_node(tmp_path):
    """DequantizeLinear -> Sqrt -> QuantizeLinear: a table over the 256 codes, NaN for the negative ones. Before:
    `error: m.onnx: 'nn.activation': 'nn.activation' values: every value must be finite (after onnx import)`."""
    from onnx import helper

    f32, init = onnx_models._f32, onnx_models._init
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="xd"),
             helper.make_node("Sqrt", ["xd"], ["r"], name="sqrt"),
             helper.make_node("QuantizeLinear", ["r", "s2", "z2"], ["rq"], name="rq"),
             helper.make_node("DequantizeLinear", ["rq", "s2", "z2"], ["y"], name="y")]
    inits = [init("s", np.float32(0.05)), init("z", np.int8(0)), init("s2", np.float32(0.02)),
             init("z2", np.int8(-128))]
    path = save(tmp_path, onnx_models._model(nodes, [f32("x", [1, 4])], [f32("y", [1, 4])], inits))
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "o"))
    assert "Warning" not in result.stderr
    one_error(result, f"{path}: node 'sqrt' (Sqrt): its value is nan for input code -128 of 'xd' (128 codes of "
                      "256): a table needs a finite value for every input")


def test_constants_folded_to_inf_warn_nothing_and_are_refused_where_read(tmp_path):
    from onnx import helper

    f32, init = onnx_models._f32, onnx_models._init
    nodes = [helper.make_node("Div", ["a", "b"], ["c"], name="div"), helper.make_node("Add", ["x", "c"], ["y"], name="add")]
    model = onnx_models._model(nodes, [f32("x", [1, 4])], [f32("y", [1, 4])],
                               [init("a", np.ones(4, np.float32)), init("b", np.zeros(4, np.float32))])
    result = run_tool("cmsis-import", save(tmp_path, model), "-o", str(tmp_path / "out.mlir"))
    assert "Warning" not in result.stderr
    one_error(result, "node 'add' (Add): constant 'c' holds Inf/NaN values: a constant operand must be finite")
