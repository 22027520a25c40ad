"""Hostile and broken inputs through the real console scripts: one clean `error:` line each.

Every case names the tool, its arguments (inputs written to a temporary
folder, binary ones generated here) and the exact text, or a fragment naming
the place and the problem, that the single `error:` line must contain. Each
case also checks the exit status (1, or 2 for usage errors), that no Python
traceback is printed, and that the requested output file does not exist.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ROOT, run_tool
from onnx import TensorProto, helper, numpy_helper

_spec = importlib.util.spec_from_file_location("onnx_models", ROOT / "tests" / "lit" / "import" / "Inputs" / "onnx_models.py")
onnx_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(onnx_models)

TFLITE_HEAD = b"\x1c\x00\x00\x00TFL3" + bytes(100)  # a FlatBuffers root offset, then TFLite's file identifier
CHAIN_NET = "input x: 1x8x8x3, scale=0.0078125, zp=-128\nc1 = conv(x, filters=4, kernel=3, pad=1, act=relu)\noutput c1\n"


# -- input builders ------------------------------------------------------------------


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _set_init(model: onnx.ModelProto, name: str, array) -> onnx.ModelProto:
    """Replace the initializer `name` of the model."""
    inits = model.graph.initializer
    for k, tensor in enumerate(inits):
        if tensor.name == name:
            inits[k].CopyFrom(_init(name, array))
            return model
    raise KeyError(name)


def qdq_conv(**changes) -> onnx.ModelProto:
    """The exporter-style QDQ conv of the import tests, with some initializers replaced."""
    model = onnx_models.qdq_conv()
    for name, value in changes.items():
        _set_init(model, name, value)
    return model


def _relu(x_type=TensorProto.FLOAT, shape=(1, 4), y_shape=None):
    x = helper.make_tensor_value_info("x", x_type, list(shape))
    y = helper.make_tensor_value_info("y", x_type, list(y_shape or shape))
    return onnx_models._model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y])


def _without_init(name: str) -> onnx.ModelProto:
    model = onnx_models.qdq_conv()
    keep = [t for t in model.graph.initializer if t.name != name]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    return model


def _cycle() -> onnx.ModelProto:
    nodes = [helper.make_node("Relu", ["x", ], ["a"], name="first"),
             helper.make_node("Add", ["a", "c"], ["b"], name="loop_add"),
             helper.make_node("Relu", ["b"], ["c"], name="loop_relu")]
    return onnx_models._model(nodes, [onnx_models._f32("x", [1, 4])], [onnx_models._f32("c", [1, 4])])


def _dangling() -> onnx.ModelProto:
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")]
    return onnx_models._model(nodes, [onnx_models._f32("x", [1, 4])], [onnx_models._f32("y", [1, 4])])


def _int4_weight(kind: int = TensorProto.INT4) -> onnx.ModelProto:
    """qdq_conv with its weight stored as `kind` (INT4, UINT4), its zero point left int8."""
    model = onnx_models.qdq_conv()
    inits = model.graph.initializer
    for k, tensor in enumerate(inits):
        if tensor.name == "w":
            packed = helper.make_tensor("w", kind, [4, 3, 3, 3], np.zeros(108, np.int8).tolist())
            inits[k].CopyFrom(packed)
    model.opset_import[0].version = 21
    model.ir_version = 10
    return model


def _zero_size() -> onnx.ModelProto:
    return _relu(shape=(1, 0, 4))


def _float_conv(unsupported_pads=False) -> onnx.ModelProto:
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
    pads = [-1, -1, -1, -1] if unsupported_pads else [1, 1, 1, 1]
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=pads)
    return onnx_models._model([node], [onnx_models._f32("x", [1, 3, 8, 8])], [onnx_models._f32("y", [1, 4, 8, 8])],
                              [_init("w", w)])


# -- textual IR -----------------------------------------------------------------------

ADD = ("func.func @m(%a: tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:0>> {\n"
       "  %r = cmsis.reshape %a : (tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>\n"
       "  func.return %r : tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>\n}\n")


FLOAT_RELU = """func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = nn.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
"""


def _pool(kind="max_pool", act="act_min = -128 : i32, act_max = 127 : i32", padding="0, 0", dims="1x4x4x2",
          out_dims="1x2x2x2", kernel="2, 2") -> str:
    t_in = f"tensor<{dims}x!quant.uniform<i8:f32, 0.5:0>>"
    t_out = f"tensor<{out_dims}x!quant.uniform<i8:f32, 0.5:0>>"
    return (f"func.func @m(%a: {t_in}) -> {t_out} {{\n"
            f"  %r = cmsis.{kind} %a {{kernel = array<i64: {kernel}>, stride = array<i64: 2, 2>, "
            f"padding = array<i64: {padding}>, {act}}} : ({t_in}) -> {t_out}\n"
            f"  func.return %r : {t_out}\n}}\n")


# -- the cases --------------------------------------------------------------------------


def _npz_inputs(inputs) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, inputs=inputs)
    return buffer.getvalue()


def _external_data_model() -> bytes:
    """A QDQ model whose first initializer's bytes are in a file 'w.data' beside it (ONNX external data)."""
    model = onnx_models.qdq_conv()
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="w.data")
    return model.SerializeToString()


@dataclass
class Case:
    """One broken input: the tool, its arguments and the expected `error:` text."""

    id: str
    tool: str
    args: list[str]
    expected: str
    files: dict | None = None  # file name -> bytes, str or onnx.ModelProto, written before the run
    status: int = 1
    stdin: str | bytes | None = None


def _with_output_shape(model: onnx.ModelProto, dims: list[int]) -> onnx.ModelProto:
    for dim, size in zip(model.graph.output[0].type.tensor_type.shape.dim, dims, strict=True):
        dim.dim_value = size
    return model


def _cases() -> list[Case]:
    qdq = onnx_models.qdq_conv
    return [
        # ONNX files that are not ONNX
        Case("onnx-empty", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: the file is empty: expected an ONNX model",
             {"m.onnx": b""}),
        Case("onnx-truncated", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model (Error parsing message",
             {"m.onnx": lambda: qdq().SerializeToString()[:200]}),
        Case("onnx-random-bytes", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model",
             {"m.onnx": bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8))}),
        Case("onnx-text-file", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model",
             {"m.onnx": "this is not a model\n"}),
        Case("import-format-onnx-on-a-tflite-file", "cmsis-import", ["m.tflite", "--format", "onnx", "-o", "out.mlir"],
             "m.tflite: this is a TFLite model (file identifier TFL3), not an ONNX model: give the format tflite "
             "(--format tflite; -f tflite with cmsis-opt)", {"m.tflite": TFLITE_HEAD}),
        Case("import-format-net-on-a-tflite-file", "cmsis-import", ["m.tflite", "--format", "net", "-o", "out.mlir"],
             "m.tflite: this is a TFLite model (file identifier TFL3), not a .net text file: give the format tflite",
             {"m.tflite": TFLITE_HEAD}),
        Case("import-format-net-on-an-onnx-file", "cmsis-import", ["m.onnx", "--format", "net", "-o", "out.mlir"],
             "m.onnx: this is an ONNX model, not a .net text file: give the format onnx (--format onnx; -f onnx with "
             "cmsis-opt)", {"m.onnx": lambda: qdq().SerializeToString()}),
        Case("import-format-net-on-binary-bytes", "cmsis-import", ["m.bin", "--format", "net", "-o", "out.mlir"],
             "m.bin: this is a binary file, not a .net text file: give the model's own format (--format onnx or "
             "tflite; -f with cmsis-opt)", {"m.bin": bytes(range(1, 256)) + b"\0"}),
        Case("import-net-named-onnx", "cmsis-import", ["m.onnx", "-o", "out.mlir"],
             "m.onnx: this is a .net text file, not an ONNX model: name it .net", {"m.onnx": CHAIN_NET}),
        Case("import-onnx-named-tflite", "cmsis-import", ["m.tflite", "-o", "out.mlir"],
             "m.tflite: this is an ONNX model, not a TFLite model: name it .onnx",
             {"m.tflite": lambda: qdq().SerializeToString()}),
        Case("import-unknown-suffix-and-bytes", "cmsis-import", ["m.txt", "-o", "out.mlir"],
             "m.txt: cannot tell the model's format from its name or its bytes: name it .onnx, .tflite, .net or "
             ".mlir", {"m.txt": "hello\n"}),
        Case("run-ir-named-onnx", "cmsis-run", ["m.onnx", "-i", "x.npy", "-o", "y.npy"],
             "m.onnx: this is textual IR, not an ONNX model: name it .mlir (textual IR needs no import)",
             {"m.onnx": ADD, "x.npy": lambda: _npy(np.zeros((1, 4), np.int8))}),
        Case("opt-ir-named-onnx", "cmsis-opt", ["m.onnx", "-o", "out.mlir"],
             "m.onnx: this is textual IR, not an ONNX model: name it .mlir (textual IR needs no import)",
             {"m.onnx": ADD}),
        Case("opt-ir-with-format-onnx", "cmsis-opt", ["m.mlir", "-f", "onnx", "-o", "out.mlir"],
             "m.mlir: this is textual IR, not an ONNX model: drop the format option, or give -f mlir to cmsis-opt",
             {"m.mlir": ADD}),
        Case("import-onnx-external-data-on-stdin", "cmsis-import", ["-", "--format", "onnx", "-o", "out.mlir"],
             "<stdin>: the model keeps data in files beside it (ONNX external data), which stdin cannot carry: give "
             "the model's path", stdin=_external_data_model()),
        Case("import-textual-ir", "cmsis-import", ["m.mlir", "-o", "out.mlir"],
             "m.mlir: this is textual IR, not a model file (ONNX, TFLite or .net): it needs no import",
             {"m.mlir": "builtin.module {\n}\n"}),
        Case("onnx-missing-file", "cmsis-import", ["nowhere.onnx", "-o", "out.mlir"],
             "input: cannot read 'nowhere.onnx': No such file or directory"),
        # TFLite files that are not TFLite
        Case("tflite-empty", "cmsis-import", ["m.tflite", "-o", "out.mlir"], "m.tflite: not a TFLite model (the file identifier 'TFL3' is missing)", {"m.tflite": b""}),
        Case("tflite-random-bytes", "cmsis-import", ["m.tflite", "-o", "out.mlir"], "m.tflite: not a TFLite model (the file identifier 'TFL3' is missing)",
             {"m.tflite": bytes(np.random.default_rng(4).integers(0, 256, 3000, dtype=np.uint8))}),
        Case("tflite-truncated", "cmsis-import", ["m.tflite", "-o", "out.mlir"], "m.tflite: the TFLite file is damaged",
             {"m.tflite": "TRUNCATED_TFLITE"}),
        # ONNX models the importer does not support
        Case("onnx-unsupported-op", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'gate' (Hardmax): this op is not supported; supported: Add,",
             {"m.onnx": onnx_models.bad_op}),
        Case("onnx-float16", "cmsis-import", ["m.onnx", "-o", "out.mlir"],
             "m.onnx: graph input 'x': element type float16 is not supported; supported: float32, int8",
             {"m.onnx": onnx_models.bad_float16}),
        Case("onnx-uint4-weights", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'w_dq' (DequantizeLinear): dequantizing a uint4 constant is not supported", {"m.onnx": lambda: _int4_weight(TensorProto.UINT4)}),
        Case("onnx-int4-weights-int8-zero-point", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'w_dq' (DequantizeLinear): int8 quantization is not supported; supported: int4 with an explicit int4 zero point", {"m.onnx": _int4_weight}),
        Case("onnx-uint8-qdq", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'quant' (QuantizeLinear): uint8 quantization of activations (1 of 1 activation QuantizeLinear node writes uint8) is not supported; supported: int8 with an explicit int8 zero point (with onnxruntime: quantize_static(..., activation_type=QuantType.QInt8))", {"m.onnx": onnx_models.bad_uint8}),
        # onnxruntime's default uint8 activations: the activation is named, not the uint8 bias that comes first
        Case("onnx-uint8-activations-linear", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'x_QuantizeLinear' (QuantizeLinear): uint8 quantization of activations (2 of 2 activation QuantizeLinear nodes write uint8) is not supported; supported: int8 with an explicit int8 zero point (with onnxruntime: quantize_static(..., activation_type=QuantType.QInt8))", {"m.onnx": onnx_models.bad_uint8_linear}),
        # uint8 weights under int8 activations: the weight is named, and the one setting to change
        Case("onnx-uint8-weights", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'w_dq' (DequantizeLinear): dequantizing a uint8 constant is not supported; supported: int8 weights and int32 biases (with onnxruntime: quantize_static(..., weight_type=QuantType.QInt8))",
             {"m.onnx": lambda: qdq_conv(w=np.full((4, 3, 3, 3), 130, np.uint8), w_zp=np.full(4, 128, np.uint8))}),
        Case("onnx-dynamic-shape", "cmsis-import", ["m.onnx", "-o", "out.mlir"],
             "m.onnx: graph input 'x': dimension 2 is dynamic ('H'); only the batch dimension may be symbolic",
             {"m.onnx": onnx_models.bad_dynamic}),
        Case("onnx-missing-initializer", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model: Nodes in a graph must be topologically sorted, however input 'w_scale'", {"m.onnx": lambda: _without_init("w_scale")}),
        Case("onnx-cycle", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model: Nodes in a graph must be topologically sorted, however input 'c'", {"m.onnx": _cycle}),
        Case("onnx-dangling-input", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: not a valid ONNX model: Nodes in a graph must be topologically sorted, however input 'ghost'", {"m.onnx": _dangling}),
        Case("onnx-zero-size-tensor", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: graph input 'x': dimension 1 is 0; every dimension must be at least 1", {"m.onnx": _zero_size}),
        Case("onnx-batch-2", "cmsis-import", ["m.onnx", "-o", "out.mlir"],
             "m.onnx: graph input 'x': batch size 2 is not supported; supported: batch 1", {"m.onnx": lambda: _relu(shape=(2, 4))}),
        Case("onnx-negative-pads", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'conv' (Conv): negative pads [-1, -1, -1, -1] is not supported; supported: pads >= 0",
             {"m.onnx": lambda: _float_conv(unsupported_pads=True)}),
        Case("onnx-count-include-pad", "cmsis-import", ["m.onnx", "-o", "out.mlir"], "m.onnx: node 'avg' (AveragePool): count_include_pad=1 with padding is not supported",
             {"m.onnx": onnx_models.bad_count_include_pad}),
        # QDQ parameters that make no sense
        Case("qdq-zero-scale", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'x_dq' (DequantizeLinear): scales must be positive and finite",
             {"m.onnx": lambda: qdq_conv(x_scale=np.float32(0))}),
        Case("qdq-negative-scale", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'y_q' (QuantizeLinear): scales must be positive and finite",
             {"m.onnx": lambda: qdq_conv(y_scale=np.float32(-0.04))}),
        Case("qdq-nan-scale", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'y_q' (QuantizeLinear): scales must be positive and finite",
             {"m.onnx": lambda: qdq_conv(y_scale=np.float32("nan"))}),
        Case("qdq-negative-weight-scale", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'w_dq' (DequantizeLinear): scales must be positive and finite",
             {"m.onnx": lambda: qdq_conv(w_scale=np.array([0.01, -0.02, 0.015, 0.03], np.float32))}),
        Case("qdq-nonzero-weight-zero-point", "cmsis-compile", ["m.onnx", "-o", "out"], "pass 'quantize': layer 'conv' (nn.conv2d): its filter must be symmetric (zero point 0), got zero points [0, 3]",
             {"m.onnx": lambda: qdq_conv(w_zp=np.array([0, 3, 0, 0], np.int8))}),
        Case("qdq-zero-point-out-of-range", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'y_q' (QuantizeLinear): int16 activations with a non-zero zero point (1 of 1 activation QuantizeLinear node writes them) is not supported; supported: int8, or int16 with zero point 0 (CMSIS-NN's s16 kernels) (with onnxruntime: quantize_static(..., activation_type=QuantType.QInt16, weight_type=QuantType.QInt8, extra_options={'ActivationSymmetric': True}))",
             {"m.onnx": lambda: qdq_conv(y_zp=np.int16(300))}),
        Case("qdq-scales-on-wrong-axis", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'w_dq' (DequantizeLinear): 3 scales do not match axis 0 of shape [4, 3, 3, 3]",
             {"m.onnx": lambda: qdq_conv(w_scale=np.full(3, 0.01, np.float32), w_zp=np.zeros(3, np.int8))}),
        Case("qdq-scale-count-mismatch", "cmsis-compile", ["m.onnx", "-o", "out"], "m.onnx: node 'w_dq' (DequantizeLinear): 5 scales do not match axis 0 of shape [4, 3, 3, 3]",
             {"m.onnx": lambda: qdq_conv(w_scale=np.full(5, 0.01, np.float32), w_zp=np.zeros(5, np.int8))}),
        # textual IR
        Case("ir-syntax-error", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:1:15: Expected argument or type",
             {"m.mlir": "func.func @m( {\n"}),
        Case("ir-unknown-op", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:2:8: Operation cmsis.frobnicate is not registered",
             {"m.mlir": ADD.replace("cmsis.reshape", "cmsis.frobnicate")}),
        Case("ir-unknown-dialect-type", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:1:37: 'foo.bar' is not registered",
             {"m.mlir": ADD.replace("!quant.uniform<i8:f32, 0.5:0>", "!foo.bar")}),
        Case("ir-act-min-above-max", "cmsis-opt", ["m.mlir", "-o", "out.mlir"],
             "m.mlir:2:3: 'cmsis.max_pool' act_min: 100 is greater than act_max 0", {"m.mlir": _pool(act="act_min = 100 : i32, act_max = 0 : i32")}),
        Case("ir-negative-padding", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:2:3: 'cmsis.max_pool' padding: values must be >= 0, got [-1, 0]", {"m.mlir": _pool(padding="-1, 0")}),
        Case("ir-wrong-result-shape", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:2:3: 'cmsis.max_pool' result: output height 3 is inconsistent with input 4, window 2, stride 2, padding 0", {"m.mlir": _pool(out_dims="1x3x3x2")}),
        Case("ir-huge-dimensions", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:1:25: a shape of 8589934592 elements is too large (at most 2147483647)",
             {"m.mlir": _pool(dims="1x65536x65536x2", out_dims="1x32768x32768x2")}),
        Case("ir-zero-kernel", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:2:3: 'cmsis.max_pool' kernel: values must be >= 1, got [0, 2]", {"m.mlir": _pool(kernel="0, 2")}),
        Case("ir-undefined-value", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir:2:22: %zz is used here but never defined",
             {"m.mlir": ADD.replace("cmsis.reshape %a", "cmsis.reshape %zz")}),
        Case("ir-two-undefined-values", "cmsis-opt", ["m.mlir", "-o", "out.mlir"],
             "m.mlir:2:22: %zz is used here but never defined (nor %yy)",
             {"m.mlir": ADD.replace("cmsis.reshape %a", "cmsis.reshape %zz").replace("func.return %r", "func.return %yy")}),
        Case("ir-value-used-before-its-definition", "cmsis-run", ["f.mlir", "-i", "x.npy", "-o", "y.npy"],
             "f.mlir:2:3: operand #0 %b is used before it is defined (by 'nn.relu' at f.mlir:3:3)",
             {"f.mlir": "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n"
                        "  %c = nn.relu %b : (tensor<4xf32>) -> tensor<4xf32>\n"
                        "  %b = nn.relu %a : (tensor<4xf32>) -> tensor<4xf32>\n"
                        "  func.return %c : tensor<4xf32>\n}\n",
              "x.npy": lambda: _npy(np.zeros(4, np.float32))}),
        Case("ir-op-reading-its-own-result", "cmsis-compile", ["f.mlir", "-o", "out"],
             "f.mlir:2:3: operand #0 %r is the op's own result: an op cannot read what it writes",
             {"f.mlir": ADD.replace("cmsis.reshape %a", "cmsis.reshape %r")}),
        Case("run-onnx-named-mlir", "cmsis-run", ["m.mlir", "-i", "x.npy", "-o", "y.npy"],
             "m.mlir: this is an ONNX model, not textual IR: name it .onnx",
             {"m.mlir": lambda: qdq().SerializeToString(), "x.npy": lambda: _npy(np.zeros((1, 4), np.int8))}),
        Case("import-tflite-named-mlir", "cmsis-import", ["m.mlir", "-o", "out.mlir"],
             "m.mlir: this is a TFLite model, not textual IR: name it .tflite", {"m.mlir": TFLITE_HEAD}),
        Case("run-tflite-named-onnx", "cmsis-run", ["m.onnx", "-i", "x.npy", "-o", "y.npy"],
             "m.onnx: this is a TFLite model, not an ONNX model: name it .tflite",
             {"m.onnx": TFLITE_HEAD, "x.npy": lambda: _npy(np.zeros((1, 4), np.int8))}),
        Case("import-ir-on-stdin", "cmsis-import", ["-", "-o", "out.mlir"],
             "<stdin>: this is textual IR, not a model: it needs no import", stdin=ADD),
        Case("run-npz-of-no-samples", "cmsis-run", ["m.mlir", "-i", "x.npz", "--index", "0", "-o", "y.npy"],
             "input: 'x.npz': its 'inputs' holds no samples (expected N x the input's shape)",
             {"m.mlir": ADD, "x.npz": lambda: _npz_inputs(np.int8(3))}),
        Case("run-npz-of-one-sample-without-the-samples-axis", "cmsis-run",
             ["m.mlir", "-i", "x.npz", "--index", "0", "-o", "y.npy"],
             "input: 'x.npz': its 'inputs' is 1x4, one sample of the input's shape; an .npz holds N samples (N x 1x4): "
             "save the sample as .npy, or add the samples axis",
             {"m.mlir": FLOAT_RELU, "x.npz": lambda: _npz_inputs(np.zeros((1, 4), np.float32))}),
        Case("compile-value-missing-before-an-abbreviated-option", "cmsis-compile", ["m.net", "-o", "out", "--name",
             "--qu"], "cmsis-compile: argument --name: expected one argument (see cmsis-compile --help)",
             {"m.net": CHAIN_NET}, status=2),
        Case("ir-random-bytes", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir: the input is not UTF-8 text (byte 0): expected textual IR",
             {"m.mlir": bytes(np.random.default_rng(5).integers(0, 256, 500, dtype=np.uint8))}),
        Case("ir-empty", "cmsis-opt", ["m.mlir", "-o", "out.mlir"], "m.mlir: the input is empty: expected a module of textual IR", {"m.mlir": ""}),
        Case("empty-file-without-suffix", "cmsis-compile", ["model", "-o", "out"],
             "model: the file is empty: expected a model (.onnx, .tflite, .net) or textual IR (.mlir)", {"model": ""}),
        # valid IR that holds no model: named by the file, not by the stage that first needs the function
        Case("compile-module-without-function", "cmsis-compile", ["m.mlir", "-o", "out"],
             "m.mlir: the module holds no func.func: a model is one func.func (`cmsis-import` writes one from a "
             "model file)", {"m.mlir": "builtin.module {}\n"}),
        Case("compile-module-without-function-on-stdin", "cmsis-compile", ["-", "-o", "out"],
             "<stdin>: the module holds no func.func: a model is one func.func", stdin="builtin.module {}\n"),
        Case("opt-pass-on-a-module-without-function", "cmsis-opt", ["m.mlir", "--quantize", "-o", "out.mlir"],
             "quantize: the module holds no func.func: a model is one func.func", {"m.mlir": "builtin.module {}\n"}),
        Case("opt-memory-pass-on-a-module-with-two-functions", "cmsis-opt", ["m.mlir", "--liveness", "-o", "out.mlir"],
             "liveness: the module holds 2 func.func ops: a model is one func.func",
             {"m.mlir": FLOAT_RELU + FLOAT_RELU.replace("@", "@other_", 1)}),
        Case("opt-default-pipeline-on-a-module-without-function", "cmsis-opt", ["m.mlir", "-p", "default", "-o", "out.mlir"],
             "default: the module holds no func.func: a model is one func.func", {"m.mlir": "builtin.module {}\n"}),
        Case("run-module-with-two-functions", "cmsis-run", ["m.mlir", "-i", "x.npy", "-o", "y.npy"],
             "m.mlir: the module holds 2 func.func ops: a model is one func.func",
             {"m.mlir": FLOAT_RELU + FLOAT_RELU.replace("@", "@other_", 1),
              "x.npy": lambda: _npy(np.zeros((1, 4), np.float32))}),
        # a model file where textual IR is expected
        Case("run-onnx-model", "cmsis-run", ["m.onnx", "--input", "x.npy", "--output", "y.npy"],
             "m.onnx: this is a model file, not textual IR: run `cmsis-import m.onnx -o m.mlir` first and give the "
             ".mlir here", {"m.onnx": qdq, "x.npy": lambda: _npy(np.zeros((1, 3, 8, 8), np.float32))}),
        Case("run-tflite-model", "cmsis-run", ["m.tflite", "--output", "y.npy"],
             "m.tflite: this is a model file, not textual IR: run `cmsis-import m.tflite -o m.mlir` first",
             {"m.tflite": "TRUNCATED_TFLITE"}),
        Case("run-net-model", "cmsis-run", ["m.net", "--output", "y.npy"],
             "m.net: this is a model file, not textual IR: run `cmsis-import m.net -o m.mlir` first",
             {"m.net": CHAIN_NET}),
        Case("opt-tflite-without-suffix", "cmsis-opt", ["m.bin", "-o", "out.mlir"],
             "m.bin: the TFLite file is damaged",  # read as TFLite by its bytes, as cmsis-import reads it
             {"m.bin": lambda: _truncated_tflite()}),
        Case("run-tflite-on-stdin", "cmsis-run", ["-", "--output", "y.npy"],
             "<stdin>: this is a model file, not textual IR: run `cmsis-import MODEL -o model.mlir` first",
             stdin=b"\x1c\x00\x00\x00TFL3" + bytes(100)),
        Case("run-int8-into-float-ir", "cmsis-run", ["f.mlir", "--input", "x.npy", "--output", "y.npy"],
             "input #0: expected float32 values, got int8: this input is float32 in the IR (a model before "
             "--quantize); give float32 values, or run `cmsis-opt --quantize`",
             {"f.mlir": FLOAT_RELU, "x.npy": lambda: _npy(np.zeros((1, 4), np.int8))}),
        # pass options out of range
        Case("alloc-alignment-zero", "cmsis-opt", ["m.mlir", "--bufferize", "--liveness", "--arena-alloc=alignment=0", "-o", "out.mlir"],
             "pass 'arena-alloc': option 'alignment' must be a power of two, got 0", {"m.mlir": _pool()}, status=2),
        Case("alloc-alignment-three", "cmsis-opt", ["m.mlir", "--bufferize", "--liveness", "--arena-alloc=alignment=3", "-o", "out.mlir"],
             "pass 'arena-alloc': option 'alignment' must be a power of two, got 3", {"m.mlir": _pool()}, status=2),
        Case("alloc-unknown-strategy", "cmsis-opt", ["m.mlir", "--bufferize", "--liveness", "--arena-alloc=strategy=magic", "-o", "out.mlir"],
             "pass 'arena-alloc': option 'strategy' must be one of auto, naive, greedy-by-size, best-fit, optimal; got 'magic'", {"m.mlir": _pool()}, status=2),
        Case("alloc-negative-max-size", "cmsis-opt", ["m.mlir", "--bufferize", "--liveness", "--arena-alloc=max-size=-1", "-o", "out.mlir"],
             "pass 'arena-alloc': option 'max-size' must be >= 0 (0: no limit), got -1", {"m.mlir": _pool()}, status=2),
        Case("attach-target-bad-core", "cmsis-opt", ["m.mlir", "--attach-target=core=cortex-a53", "-o", "out.mlir"],
             "pass 'attach-target': option 'core' must be one of cortex-m0, cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m35p, cortex-m55, cortex-m85; got 'cortex-a53'", {"m.mlir": _pool()}, status=2),
        Case("bufferize-target-option", "cmsis-opt", ["m.mlir", "--bufferize=target=cortex-m55", "-o", "out.mlir"],
             "pass 'bufferize': no option 'target'; the target is set once, with --attach-target=\"core=NAME\"", {"m.mlir": _pool()}, status=2),
        Case("alloc-before-quantize", "cmsis-opt", ["f.mlir", "--arena-alloc", "-o", "out.mlir"],
             "arena-alloc needs the cmsis dialect: run --quantize first", {"f.mlir": FLOAT_RELU}),
        Case("quantize-twice", "cmsis-opt", ["m.mlir", "--quantize", "-o", "out.mlir"],
             "quantize needs the nn dialect: the IR is already lowered to cmsis ops", {"m.mlir": _pool()}),
        Case("c-of-an-unplanned-module", "cmsis-opt", ["m.mlir", "-t", "c", "-o", "out.c"],
             "C backend: C emission needs a planned arena: run the memory passes first", {"m.mlir": _pool()}),
        Case("unknown-pass", "cmsis-opt", ["m.mlir", "--no-such-pass", "-o", "out.mlir"], "cmsis-opt: unknown option '--no-such-pass' (cmsis-opt --help lists the passes and options)", {"m.mlir": _pool()}, status=2),
        Case("compile-bad-target", "cmsis-compile", ["m.net", "-o", "out", "--target", "cortex-a53"], "cmsis-compile: --target: unknown core 'cortex-a53'",
             {"m.net": CHAIN_NET}, status=2),
        Case("compile-alignment-three", "cmsis-compile", ["m.net", "-o", "out", "--alignment", "3"],
             "cmsis-compile: --alignment must be a power of two, got 3", {"m.net": CHAIN_NET}, status=2),
        Case("compile-alignment-past-object-files", "cmsis-compile", ["m.net", "-o", "out", "--alignment", str(1 << 29)],
             "cmsis-compile: --alignment must be at most 16777216 (2^24, 16 MiB: more than a Cortex-M's SRAM), "
             "got 536870912", {"m.net": CHAIN_NET}, status=2),
        Case("compile-unknown-strategy", "cmsis-compile", ["m.net", "-o", "out", "--strategy", "magic"],
             "cmsis-compile: argument --strategy: invalid choice: 'magic'", {"m.net": CHAIN_NET}, status=2),
        Case("compile-budget-too-small", "cmsis-compile", ["m.net", "-o", "out", "--max-size", "100"],
             "arena-alloc: the arena needs 400 bytes, more than max-size=100: the peak is at step 0 ('c1', cmsis.conv), where 560 bytes are live before overlaps (lower bound 400 bytes with them)", {"m.net": CHAIN_NET}),
        # output paths
        Case("output-missing-directory", "cmsis-import", ["m.onnx", "-o", "no/such/dir/out.mlir"], "output: cannot write 'no/such/dir/out.mlir': directory", {"m.onnx": qdq}),
        Case("compile-output-is-a-file", "cmsis-compile", ["m.net", "-o", "taken"], "cmsis-compile: 'taken' exists and is not a folder",
             {"m.net": CHAIN_NET, "taken": "a file, not a folder\n"}),
        Case("compile-output-under-a-file", "cmsis-compile", ["m.net", "-o", "taken/out"],
             "cmsis-compile: cannot create 'taken/out': 'taken' is a file, not a folder",
             {"m.net": CHAIN_NET, "taken": "a file, not a folder\n"}),
        Case("opt-output-under-a-file", "cmsis-opt", ["m.mlir", "-o", "taken/deeper/out.mlir"],
             "output: cannot write 'taken/deeper/out.mlir': 'taken' is a file, not a folder: give a path in an "
             "existing folder", {"m.mlir": ADD, "taken": "a file, not a folder\n"}),
        Case("compile-output-empty", "cmsis-compile", ["m.net", "-o", ""], "cmsis-compile: -o/--output was given an empty path (see cmsis-compile --help)",
             {"m.net": CHAIN_NET}, status=2),
        Case("compile-patch-value-starting-with-a-dash", "cmsis-compile", ["m.net", "-o", "out", "--patch", "-1x2"],
             "cmsis-compile: argument --patch: expected one argument; a value that starts with '-' is written "
             "--patch=-1x2 (see cmsis-compile --help)", {"m.net": CHAIN_NET}, status=2),
        Case("run-input-value-starting-with-a-dash", "cmsis-run", ["m.mlir", "-o", "y.npy", "-i", "-x.npy"],
             "cmsis-run: argument --input/-i: expected one argument; a value that starts with '-' is written "
             "--input=-x.npy (see cmsis-run --help)", {"m.mlir": _pool()}, status=2),
        Case("compile-choice-value-starting-with-a-dash", "cmsis-compile", ["m.net", "-o", "out", "--io-layout", "-x"],
             "cmsis-compile: argument --io-layout: expected one argument: one of model, nhwc (see cmsis-compile "
             "--help)", {"m.net": CHAIN_NET}, status=2),
        Case("opt-refused-flag-with-a-value", "cmsis-opt", ["m.mlir", "--shrink=1", "-o", "out.mlir"],
             "cmsis-opt: --shrink is an xDSL option that cmsis-opt does not support (see cmsis-opt --help)",
             {"m.mlir": ADD}, status=2),
        Case("opt-patch-auto-in-a-pipeline", "cmsis-opt", ["m.net", "-p", "default{patch=auto}", "-o", "out.mlir"],
             "pass 'default': patch=auto is a search that `cmsis-compile --patch auto` runs, planning each candidate "
             "grid; in a pipeline give a grid ROWSxCOLUMNS (e.g. 2x2), or off", {"m.net": CHAIN_NET}, status=2),
        Case("opt-pass-grid-of-no-tiles", "cmsis-opt", ["m.net", "--quantize", "--patch-split=grid=0x0", "-o", "out.mlir"],
             "pass 'patch-split': option 'grid': grid '0x0' is not ROWSxCOLUMNS (e.g. 2x2)", {"m.net": CHAIN_NET},
             status=2),
        Case("opt-default-pipeline-names-itself-for-a-step-option", "cmsis-opt", ["m.net", "-p", "default{alignment=3}",
             "-o", "out.mlir"], "pass 'default': option 'alignment' must be a power of two, got 3", {"m.net": CHAIN_NET},
             status=2),
        Case("compile-value-missing-before-another-option", "cmsis-compile", ["m.net", "--name", "-o", "out"],
             "cmsis-compile: argument --name: expected one argument (see cmsis-compile --help)", {"m.net": CHAIN_NET},
             status=2),
        Case("opt-output-starting-with-a-dash", "cmsis-opt", ["m.mlir", "-o", "-x.mlir"],
             "cmsis-opt: argument -o/--output-file: expected one argument; a value that starts with '-' is written "
             "--output-file=-x.mlir (see cmsis-opt --help)", {"m.mlir": ADD}, status=2),
        # empty paths: a usage error in every tool, never stdin or stdout by accident
        Case("opt-input-path-empty", "cmsis-opt", ["", "-o", "out.mlir"],
             "cmsis-opt: the input path is empty: give a file name, or - for stdin", stdin=ADD, status=2),
        Case("opt-output-path-empty", "cmsis-opt", ["m.mlir", "-o", ""],
             "cmsis-opt: the -o path is empty: give a file name, or - for stdout", {"m.mlir": ADD}, status=2),
        Case("import-model-path-empty", "cmsis-import", ["", "-o", "out.mlir"],
             "cmsis-import: the model path is empty: give a file name, or - for stdin", status=2),
        Case("import-output-path-empty", "cmsis-import", ["m.net", "-o", ""],
             "cmsis-import: -o/--output was given an empty path", {"m.net": CHAIN_NET}, status=2),
        Case("run-input-path-empty", "cmsis-run", ["m.mlir", "--input", "", "-o", "y.npy"],
             "cmsis-run: --input/-i was given an empty path", {"m.mlir": ADD}, status=2),
        Case("calibrate-model-path-empty", "cmsis-calibrate", ["", "--data", "cal.npz"],
             "cmsis-calibrate: the model path is empty: give a file name, or - for stdin", status=2),
        Case("opt-format-mlir-on-a-model", "cmsis-opt", ["m.tflite", "-f", "mlir", "-o", "out.mlir"],
             "m.tflite: this is a TFLite model, not textual IR: drop -f mlir (cmsis-opt imports a model itself), or "
             "give -f tflite", {"m.tflite": TFLITE_HEAD}),
        Case("opt-second-input-file", "cmsis-opt", ["m.mlir", "planned.mlir"],
             "cmsis-opt: one input file only: 'planned.mlir' is a second one (to write the result there, give "
             "-o planned.mlir)", {"m.mlir": ADD}, status=2),
        Case("net-suffix-on-binary-bytes", "cmsis-compile", ["m.net", "-o", "out"],
             "m.net: this is a binary file, not a .net text file: name it after the model's format (.onnx or .tflite)",
             {"m.net": bytes(range(128, 256)) * 4}),
        Case("import-format-net-on-non-utf8-bytes", "cmsis-import", ["m.bin", "--format", "net", "-o", "out.mlir"],
             "m.bin: this is a binary file, not a .net text file: give the model's own format (--format onnx or "
             "tflite; -f with cmsis-opt)", {"m.bin": bytes(range(128, 256)) * 4}),
        Case("compile-model-is-a-folder", "cmsis-compile", ["sub", "-o", "out"], "cmsis-compile: cannot read 'sub': it is a folder",
             {"sub/m.net": CHAIN_NET}),
        Case("compile-name-too-long", "cmsis-compile", ["m.net", "-o", "out", "--name", "n" * 300],
             "cmsis-compile: --name is 300 characters long; at most 200", {"m.net": CHAIN_NET}, status=2),
        Case("compile-output-under-proc", "cmsis-compile", ["m.net", "-o", "/proc/cmsis-opt-out"],
             "cmsis-compile: cannot write in '/proc'", {"m.net": CHAIN_NET}),
        # types no tensor of a model has
        Case("ir-quantized-tensor-with-no-elements", "cmsis-compile", ["z.mlir", "-o", "out"],
             "a quantized tensor with no elements (a dimension of 0) is not supported",
             {"z.mlir": "func.func @z(%x: tensor<0x4x!quant.uniform<i8:f32, 1.0:0>>) -> "
                        "tensor<0x4x!quant.uniform<i8:f32, 1.0:0>> {\n"
                        "  func.return %x : tensor<0x4x!quant.uniform<i8:f32, 1.0:0>>\n}\n"}),
        Case("ir-zero-bit-integer-elements", "cmsis-compile", ["z.mlir", "-o", "out", "--calibration", "cal.npz"],
             "an integer element type of 0 bits holds no values",
             {"z.mlir": "func.func @z(%x: tensor<2xi0>) -> tensor<2xi0> {\n  func.return %x : tensor<2xi0>\n}\n",
              "cal.npz": lambda: _npz(np.zeros((2, 2), np.float32))}),
        Case("onnx-output-declared-with-another-shape", "cmsis-compile", ["m.onnx", "-o", "out"],
             "m.onnx: graph output 'y' is declared 1x4x99x99 but the graph computes 1x5x5x4: correct the output's "
             "shape in the model (or clear it: onnx.shape_inference fills it in)",
             {"m.onnx": lambda: _with_output_shape(qdq_conv(), [1, 4, 99, 99])}),
        Case("onnx-that-is-a-tflite-file", "cmsis-compile", ["m.onnx", "-o", "out"],
             "m.onnx: this is a TFLite model (file identifier TFL3), not an ONNX model: name it .tflite",
             {"m.onnx": TFLITE_HEAD}),
        Case("onnx-that-is-textual-ir", "cmsis-compile", ["m.onnx", "-o", "out"],
             "m.onnx: this is textual IR, not an ONNX model: name it .mlir (textual IR needs no import)", {"m.onnx": "// planned\n\nfunc.func @f() {\n  func.return\n}\n"}),
        Case("ir-integer-input-without-a-scale", "cmsis-compile", ["z.mlir", "-o", "out"],
             "cmsis-compile: input #0 is tensor<2xi16>: a model input is float32 (calibrated with --calibration) or quantized",
             {"z.mlir": "func.func @z(%x: tensor<2xi16>) -> tensor<2xi16> {\n  func.return %x : tensor<2xi16>\n}\n"}),
        # calibration data
        Case("calibration-damaged-npz", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: calibration file 'cal.npz' is a damaged .npz archive (File is not a zip file): write it again",
             {"f.onnx": _float_conv, "cal.npz": b"PK\x03\x04garbage"}),
        Case("calibration-wrong-shape", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"], "calibration: calibration samples in 'cal.npz' (key 'x') have shape [4, 1, 3, 5, 5]; expected N x [1, 3, 8, 8]",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(np.zeros((4, 1, 3, 5, 5), np.float32))}),
        Case("calibration-wrong-dtype", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"], "calibration: calibration samples in 'cal.npz' (key 'x') are complex64, the float model's input is float32",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(np.zeros((4, 1, 3, 8, 8), np.complex64))}),
        Case("calibration-not-npz", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: calibration file 'cal.npz' is not an .npz archive (numpy.savez writes one)",
             {"f.onnx": _float_conv, "cal.npz": b"not a zip"}),
        Case("calibration-a-model-file", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "f.onnx"],
             "calibration: calibration file 'f.onnx' is not an .npz archive (numpy.savez writes one)",
             {"f.onnx": _float_conv}),
        Case("calibration-all-zero", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: calibration samples in 'cal.npz' (key 'x') are 0 in every sample, which gives the input no "
             "range to quantize; calibrate on samples like the inputs the model will see",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(np.zeros((4, 1, 3, 8, 8), np.float32))}),
        Case("calibration-empty-file", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: cannot read calibration file 'cal.npz': No data left in file", {"f.onnx": _float_conv, "cal.npz": b""}),
        Case("calibration-npy-not-npz", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npy"],
             "calibration: calibration file 'cal.npy' is not an .npz archive",
             {"f.onnx": _float_conv, "cal.npy": lambda: _npy(np.zeros((4, 1, 3, 8, 8), np.float32))}),
        Case("calibration-nan", "cmsis-compile", ["f.onnx", "-o", "out", "--calibration", "cal.npz", "--host"],
             "calibration: calibration samples in 'cal.npz' (key 'x'): sample 2 holds NaN or Inf as float32 (2 of 4 "
             "samples do); calibration needs finite values: drop or fix those samples",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(_with_non_finite(np.nan))}),
        Case("calibration-inf", "cmsis-calibrate", ["f.onnx", "--data", "cal.npz", "-o", "out.mlir"],
             "calibration: calibration samples in 'cal.npz' (key 'x'): sample 2 holds NaN or Inf as float32",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(_with_non_finite(np.inf))}),
        Case("calibration-beyond-float32", "cmsis-calibrate", ["f.onnx", "--data", "cal.npz", "-o", "out.mlir"],
             "calibration: calibration samples in 'cal.npz' (key 'x'): sample 2 holds NaN or Inf as float32",
             {"f.onnx": _float_conv, "cal.npz": lambda: _npz(_with_non_finite(1e300, np.float64))}),
        Case("calibration-two-inputs-missing-key", "cmsis-compile", ["two.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: calibration file 'cal.npz' has no key 'b' (it has: 'a'); the model has 2 graph inputs: give "
             "one key per graph input, each N samples of its shape: 'a' N x [1, 4], 'b' N x [1, 4]",
             {"two.onnx": _two_inputs, "cal.npz": lambda: _npz_keys(a=np.zeros((3, 1, 4), np.float32))}),
        Case("calibration-two-inputs-counts", "cmsis-compile", ["two.onnx", "-o", "out", "--calibration", "cal.npz"],
             "calibration: calibration file 'cal.npz' holds different sample counts per input ('a' 3, 'b' 2); give "
             "every input the same N",
             {"two.onnx": _two_inputs, "cal.npz": lambda: _npz_keys(a=np.ones((3, 1, 4), np.float32),
                                                                    b=np.ones((2, 1, 4), np.float32))}),
        Case("calibration-two-inputs-none", "cmsis-compile", ["two.onnx", "-o", "out"],
             "cmsis-compile: a float model needs calibration data: --calibration FILE.npz with one key per graph "
             "input, each N samples of its shape: 'a' N x [1, 4], 'b' N x [1, 4]", {"two.onnx": _two_inputs}),
        Case("calibration-missing", "cmsis-compile", ["f.onnx", "-o", "out"], "cmsis-compile: a float model needs calibration data: --calibration FILE.npz with N samples of the graph input [1, 3, 8, 8]", {"f.onnx": _float_conv}),
    ]


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(array: np.ndarray) -> bytes:
    return _npz_keys(x=array)


def _npz_keys(**arrays: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_non_finite(value: float, dtype=np.float32) -> np.ndarray:
    """Four calibration samples of `_float_conv`'s input; samples 2 and 3 hold `value` (NaN, Inf, or beyond
    float32) in one element each."""
    samples = np.random.default_rng(2).uniform(-1, 1, (4, 1, 3, 8, 8)).astype(dtype)
    samples[2, 0, 1, 4, 5] = samples[3, 0, 0, 0, 0] = value
    return samples


def _two_inputs() -> onnx.ModelProto:
    """A float model with two graph inputs 'a' and 'b' (Add then Relu)."""
    nodes = [helper.make_node("Add", ["a", "b"], ["s"], name="add"), helper.make_node("Relu", ["s"], ["y"], name="relu")]
    return onnx_models._model(nodes, [onnx_models._f32("a", [1, 4]), onnx_models._f32("b", [1, 4])],
                              [onnx_models._f32("y", [1, 4])])


CASES = _cases()


def _write_inputs(case: Case, folder: Path) -> None:
    for name, content in (case.files or {}).items():
        if callable(content):
            content = content()
        if isinstance(content, onnx.ModelProto):
            content = content.SerializeToString()
        if name == "m.tflite" and content == "TRUNCATED_TFLITE":
            content = _truncated_tflite()
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _truncated_tflite() -> bytes:
    models = ROOT.parent / "shared" / "models" / "kws_dscnn.int8.tflite"
    if models.exists():
        return models.read_bytes()[:1000]
    return b"\x1c\x00\x00\x00TFL3" + bytes(100)


def _outputs(case: Case) -> list[str]:
    return [case.args[k + 1] for k, a in enumerate(case.args) if a in ("-o", "--output") and case.args[k + 1]]


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clean_error_line(case: Case, tmp_path):
    _write_inputs(case, tmp_path)
    before = {p.name for p in tmp_path.iterdir()}
    result = run_tool(case.tool, *case.args, cwd=tmp_path, input=case.stdin)
    stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in stderr
    assert "Warning:" not in stderr, stderr  # numpy's and Python's warnings never reach the user
    assert "internal error" not in stderr, stderr
    assert len(errors) == 1, stderr
    assert case.expected in errors[0]
    assert result.returncode == case.status, stderr
    for output in _outputs(case):
        if output not in before:
            assert not (tmp_path / output).exists(), f"{output} was left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]


if __name__ == "__main__":  # print what each case reports (for writing expectations)
    import sys
    import tempfile

    for case in CASES:
        if len(sys.argv) > 1 and case.id not in sys.argv[1:]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            _write_inputs(case, Path(tmp))
            result = run_tool(case.tool, *case.args, cwd=tmp, input=case.stdin)
            print(f"{case.id} [{result.returncode}]: {result.stderr.strip()[:400]}")
