"""Packed int4 weights (CMSIS-NN's s4 kernels) and the flash column of the memory report.

The int4 models of tests/data/tflite against TFLite Micro are in
tests/test_tflite_data.py (interpreter; host programs with runtime/ and the
real CMSIS-NN, in place and with --no-inplace). Here: the packing itself,
what the C backend writes for int4 weights, and that memory.json's flash
bytes are the bytes of the constant arrays in the generated C.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import ROOT, run_tool

from cmsis_opt.dialects.utils import dense, pack_int4, to_numpy, unpack_int4

DATA = ROOT / "tests" / "data" / "tflite"
C_BYTES = {"int8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8}
ARRAY = re.compile(r"^static const (int8_t|int16_t|int32_t|int64_t) (\w+)\[(\d+)\]", re.MULTILINE)


def test_packing_is_cmsis_nn_s4_and_tflite_int4():
    # arm_nnfunctions.h: "four sequential weights [0x1, 0x2, 0x3, 0x4] packed as [0x21, 0x43]"
    assert pack_int4(np.array([1, 2, 3, 4], np.int8)).view(np.uint8).tolist() == [0x21, 0x43]
    # negative values are their two's complement nibbles; an odd count leaves the last high nibble 0
    assert pack_int4(np.array([-1, -8, 7], np.int8)).view(np.uint8).tolist() == [0x8F, 0x07]
    values = np.random.default_rng(0).integers(-8, 8, 4 * 3 * 3 * 5).astype(np.int8)  # 45 per row: odd rows
    assert np.array_equal(unpack_int4(pack_int4(values), values.size), values)


def test_an_i4_constant_keeps_its_values_and_refuses_others():
    values = np.array([[-8, 7, 0], [1, -1, 3]], np.int8)
    attr = dense(values, pytest.importorskip("xdsl.dialects.builtin").IntegerType(4))
    assert str(attr.get_element_type()) == "i4" and np.array_equal(to_numpy(attr), values)
    with pytest.raises(ValueError, match=r"\[-8, 7\]"):
        dense(np.array([8], np.int8), attr.get_element_type())


def _compile(name: str, tmp_path):
    proc = run_tool("cmsis-compile", str(DATA / f"{name}.tflite"), "-o", str(tmp_path), "--name", "net", "--quiet")
    assert proc.returncode == 0, proc.stderr
    source = (tmp_path / "net.c").read_text()
    return source, json.loads((tmp_path / "memory.json").read_text())


@pytest.mark.parametrize("name", ["conv.int4", "depthwise_conv.int4", "fully_connected.int4", "conv.int8",
                                  "fully_connected.int8", "logistic.int8", "softmax.int16", "kws_conv.int16"])
def test_the_flash_column_is_the_bytes_of_the_constant_arrays(name, tmp_path):
    """Weights, biases and tables: every constant array of the generated C but the requantization's multipliers and
    shifts (which the column leaves out)."""
    source, report = _compile(name, tmp_path)
    arrays = [(ctype, ident, int(n)) for ctype, ident, n in ARRAY.findall(source)
              if not ident.endswith(("_multiplier", "_shift"))]
    assert arrays, "the model has constants"
    assert report["flash_bytes"] == sum(C_BYTES[ctype] * n for ctype, _, n in arrays)
    assert report["flash_bytes"] == sum(step["flash_bytes"] for step in report["steps"])


@pytest.mark.parametrize("name, function, values", [
    ("conv.int4", "arm_convolve_wrapper_s4", 8 * 3 * 3 * 3),
    ("depthwise_conv.int4", "arm_depthwise_conv_wrapper_s4", 3 * 3 * 8),
    ("fully_connected.int4", "arm_fully_connected_s4", 10 * 16),
])
def test_int4_weights_are_packed_and_run_the_s4_kernels(name, function, values, tmp_path):
    source, report = _compile(name, tmp_path)
    assert f"{function}(" in source and "_s8(" not in source
    (weights,) = [(ctype, int(n)) for ctype, ident, n in ARRAY.findall(source) if ident.endswith("_weights")]
    assert weights == ("int8_t", (values + 1) // 2)  # half the int8 model's bytes
    int8_source, int8_report = _compile(name.replace(".int4", ".int8"), tmp_path / "int8")
    (int8_weights,) = [int(n) for _, ident, n in ARRAY.findall(int8_source) if ident.endswith("_weights")]
    assert int8_weights == values
    assert int8_report["flash_bytes"] - report["flash_bytes"] == values - (values + 1) // 2
    # the s4 kernels' memory order is not modelled: no output is written over its input
    assert all(buffer["alias_of"] is None for buffer in report["buffers"])


def test_depthwise_odd_channels_with_a_multiplier_take_int8_weights(tmp_path):
    """CMSIS-NN v7.0.0's s4 depthwise kernels are not TFLite's on an odd channel count: the same codes run as int8
    weights there (exact: tests/test_tflite_data.py), and an i4 filter of that shape is refused."""
    from xdsl.dialects.builtin import IntegerType
    from xdsl.utils.exceptions import VerifyException

    from cmsis_opt.context import make_context
    from cmsis_opt.dialects import cmsis
    from cmsis_opt.frontends.tflite import import_tflite
    from cmsis_opt.passes.quantize import QuantizePass

    source, _ = _compile("depthwise_odd.int4", tmp_path)
    assert "arm_depthwise_conv_wrapper_s8(" in source and "_s4(" not in source
    module = import_tflite(str(DATA / "depthwise_odd.int4.tflite"))
    QuantizePass().apply(make_context(), module)
    (op,) = [o for o in module.walk() if isinstance(o, cmsis.DepthwiseConvOp)]
    assert str(op.filter.get_element_type()) == "i8" and int(np.abs(to_numpy(op.filter)).max()) <= 8
    op.properties["filter"] = dense(np.array(to_numpy(op.filter)), IntegerType(4))
    with pytest.raises(VerifyException, match="s4 depthwise kernels differ from TFLite"):
        op.verify()


@pytest.mark.parametrize("target, function", [("cortex-m4", "arm_depthwise_conv_wrapper_s4"),
                                              ("cortex-m0", "arm_depthwise_conv_wrapper_s4"),
                                              ("cortex-m55", "arm_depthwise_conv_wrapper_s8")])
def test_depthwise_multiplier_one_keeps_int4_except_on_mve(target, function, tmp_path):
    """CMSIS-NN v7.0.0's arm_depthwise_conv_s4_opt on MVE is not TFLite's (Cortex-M55 under QEMU, where the int8
    kernel on the same codes is exact): for an MVE target the codes are int8 weights, and i4 is refused there."""
    from xdsl.dialects.builtin import IntegerType
    from xdsl.utils.exceptions import VerifyException

    from cmsis_opt.context import make_context
    from cmsis_opt.dialects import cmsis
    from cmsis_opt.frontends.tflite import import_tflite
    from cmsis_opt.passes.attach_target import AttachTargetPass
    from cmsis_opt.passes.quantize import QuantizePass

    proc = run_tool("cmsis-compile", str(DATA / "depthwise_m1.int4.tflite"), "-o", str(tmp_path), "--name", "net",
                    "--quiet", "--target", target)
    assert proc.returncode == 0, proc.stderr
    assert f"{function}(" in (tmp_path / "net.c").read_text()
    if target != "cortex-m55":
        return
    module = import_tflite(str(DATA / "depthwise_m1.int4.tflite"))
    AttachTargetPass(core=target).apply(make_context(), module)
    QuantizePass().apply(make_context(), module)
    (op,) = [o for o in module.walk() if isinstance(o, cmsis.DepthwiseConvOp)]
    assert str(op.filter.get_element_type()) == "i8"
    op.properties["filter"] = dense(np.array(to_numpy(op.filter)), IntegerType(4))
    with pytest.raises(VerifyException, match="multiplier 1 on the mve path"):
        op.verify()


def _onnx_int4_model(kind: str, rng):
    """x float -> QuantizeLinear -> DequantizeLinear -> Conv 3x3 (int4 weights per output channel) or MatMul + Add
    (int4 weights, one scale) with an int32 bias -> QuantizeLinear -> DequantizeLinear -> y: onnxruntime's QDQ form
    at opset 21, where DequantizeLinear reads INT4 initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    int4 = helper.tensor_dtype_to_np_dtype(TensorProto.INT4)
    s_x, s_y = 0.02, 0.04
    node = helper.make_node
    if kind == "conv":
        w_codes = rng.integers(-8, 8, (6, 3, 3, 3))
        s_w = rng.uniform(0.01, 0.03, 6).astype(np.float32)
        x_shape, y_shape = [1, 3, 8, 8], [1, 6, 8, 8]
        z_w = np.zeros(6, int4)
    else:
        w_codes = rng.integers(-8, 8, (16, 10))
        s_w = np.float32(0.02)
        x_shape, y_shape = [1, 16], [1, 10]
        z_w = np.array(0, int4)
    s_b = (np.float32(s_x) * s_w).astype(np.float32)
    b = rng.integers(-300, 300, y_shape[1]).astype(np.int32)
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in
             (("s_x", s_x), ("s_y", s_y), ("s_w", s_w), ("s_b", s_b))]
    inits += [numpy_helper.from_array(np.int8(z), k) for k, z in (("z_x", 3), ("z_y", -5))]
    inits += [numpy_helper.from_array(w_codes.astype(int4), "w"), numpy_helper.from_array(z_w, "z_w"),
              numpy_helper.from_array(b, "b"), numpy_helper.from_array(np.zeros(b.shape if kind == "conv" else (),
                                                                                np.int32), "z_b")]
    nodes = [node("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"], name="x_q"),
             node("DequantizeLinear", ["xq", "s_x", "z_x"], ["xd"], name="x_dq"),
             node("DequantizeLinear", ["w", "s_w", "z_w"], ["wd"], name="w_dq", axis=0),
             node("DequantizeLinear", ["b", "s_b", "z_b"], ["bd"], name="b_dq", axis=0)]
    if kind == "conv":
        nodes.append(node("Conv", ["xd", "wd", "bd"], ["c"], name="conv", pads=[1, 1, 1, 1]))
    else:
        nodes += [node("MatMul", ["xd", "wd"], ["m"], name="matmul"), node("Add", ["m", "bd"], ["c"], name="add")]
    nodes += [node("QuantizeLinear", ["c", "s_y", "z_y"], ["cq"], name="c_q"),
              node("DequantizeLinear", ["cq", "s_y", "z_y"], ["y"], name="y_dq")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)


@pytest.mark.parametrize("kind, function", [("conv", "arm_convolve_wrapper_s4"),
                                            ("fc", "arm_fully_connected_s4")])
def test_onnx_int4_qdq_runs_the_s4_kernels_within_one_step_of_onnxruntime(kind, function, tmp_path):
    """opset 21 DequantizeLinear of an INT4 initializer: onnxruntime 1.32 as the oracle, 1 LSB for the one quantized
    layer (its float Conv / MatMul rounds once, ours in integers); the host program equals the interpreter."""
    import subprocess

    import onnx

    pytest.importorskip("onnxruntime")
    from onnx_oracle import assert_within_steps, int8_io, kernels, quantized

    from cmsis_opt.interpreter import run_function

    path = tmp_path / f"{kind}.int4.onnx"
    onnx.save(_onnx_int4_model(kind, np.random.default_rng(21)), path)
    module = quantized(str(path))
    (layer,) = [op for op in module.walk() if op.name in ("cmsis.conv", "cmsis.fully_connected")]
    assert str(layer.filter.get_element_type()) == "i4" and layer.name in kernels(module)
    _, _, shape = int8_io(module)
    rng = np.random.default_rng(5)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(4)]
    assert_within_steps(str(path), module, inputs, end_to_end=1, layers=1)
    proc = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "c"), "--host", "--name", "net", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert f"{function}(" in (tmp_path / "c" / "net.c").read_text()
    for x in inputs:
        run = subprocess.run([str(tmp_path / "c" / "net_host")], input=x.tobytes(), capture_output=True, timeout=60)
        assert run.returncode == 0, run.stderr.decode()[-2000:]
        np.testing.assert_array_equal(np.frombuffer(run.stdout, np.int8), run_function(module, [x])[0].reshape(-1))


def test_a_short_int4_buffer_is_one_error_line(tmp_path):
    """An INT4 constant holds ceil(n / 2) bytes; any other count names the tensor and stops cleanly."""
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    model = S.ModelT.InitFromPackedBuf(bytearray((DATA / "conv.int4.tflite").read_bytes()), 0)
    graph = model.subgraphs[0]
    weights = graph.tensors[graph.operators[0].inputs[1]]
    model.buffers[weights.buffer].data = model.buffers[weights.buffer].data[:-1]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    (tmp_path / "short.tflite").write_bytes(bytes(builder.Output()))
    proc = run_tool("cmsis-compile", str(tmp_path / "short.tflite"), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1 and not (tmp_path / "out").exists()
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and "holds 107 bytes for shape [8, 3, 3, 3] (two values per byte)" in line
