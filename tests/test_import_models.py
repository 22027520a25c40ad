"""The four MLPerf Tiny reference models, in ONNX QDQ and TFLite int8 form, import and verify.

Both forms of a model give the same `nn` computation: the same layers, the
graph input and output quantized as the TFLite Micro reference (.npz) says,
and (run by the float interpreter) the same int8 outputs.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from conftest import run_tool
from xdsl.dialects.func import FuncOp

from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.frontends import import_model
from cmsis_opt.ir import parse_ir, print_ir

MODELS = ["kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1"]
FORMS = ["qdq.onnx", "int8.tflite"]

# Layers per model: (conv2d, of which depthwise, fully connected layers, residual adds, softmax)
LAYERS = {
    "kws_dscnn": (9, 4, 1, 0, 1),
    "ic_resnet8": (9, 0, 1, 3, 1),
    "ad_autoencoder": (0, 0, 10, 0, 0),
    "vww_mobilenetv1": (27, 13, 1, 0, 1),
}

_cache: dict[str, object] = {}


def imported(models_dir, name: str, form: str):
    key = f"{name}.{form}"
    if key not in _cache:
        _cache[key] = import_model(str(models_dir / key))
    return _cache[key]


def func_of(module) -> FuncOp:
    return next(op for op in module.ops if isinstance(op, FuncOp))


def counts(module) -> Counter:
    return Counter(op.name for op in func_of(module).body.block.ops)


def element(type_) -> UniformQuantizedType:
    assert isinstance(type_.element_type, UniformQuantizedType)
    return type_.element_type


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", MODELS)
def test_graph_input_and_output_are_quantized_as_tflite_micro_says(models_dir, name, form):
    func = func_of(imported(models_dir, name, form))
    reference = np.load(models_dir / f"{name}.tflm_ref.npz")
    (input_type,), (output_type,) = func.function_type.inputs.data, func.function_type.outputs.data
    assert tuple(input_type.get_shape()) == reference["inputs"].shape[1:]
    assert tuple(output_type.get_shape()) == reference["outputs"].shape[1:]
    q_in, q_out = element(input_type), element(output_type)
    assert (q_in.scale, q_in.zero_point) == (float(reference["in_scale"][0]), int(reference["in_zp"][0]))
    assert (q_out.scale, q_out.zero_point) == (float(reference["out_scale"][0]), int(reference["out_zp"][0]))
    assert func.sym_name.data == name


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", MODELS)
def test_layers_are_all_there(models_dir, name, form):
    module = imported(models_dir, name, form)
    ops = list(func_of(module).body.block.ops)
    convs, depthwise, dense, residual, softmax = LAYERS[name]
    c = counts(module)
    assert c["nn.conv2d"] == convs
    assert sum(1 for op in ops if op.name == "nn.conv2d" and op.group.value.data > 1) == depthwise
    if form == "int8.tflite":
        assert c["nn.fully_connected"] == dense and c["nn.add"] == residual
    else:  # ONNX writes dense layers as MatMul + bias Add
        assert c["nn.matmul"] == dense and c["nn.add"] == residual + dense
    assert c["nn.softmax"] == softmax
    assert c["nn.quantize"] == convs + dense + residual + softmax + c["nn.avg_pool"]
    assert all("layer" in op.attributes for op in ops if op.name != "func.return")


@pytest.mark.parametrize("name", MODELS)
def test_both_forms_keep_the_same_int8_weights(models_dir, name):
    def weights(module):
        return sorted(
            (op.value.data.data for op in func_of(module).body.block.ops
             if op.name == "nn.constant" and element(op.results[0].type).storage_type.width.data == 8),
            key=len,
        )

    onnx_weights = weights(imported(models_dir, name, "qdq.onnx"))
    tflite_weights = weights(imported(models_dir, name, "int8.tflite"))
    assert len(onnx_weights) == len(tflite_weights)
    assert sorted(map(len, onnx_weights)) == sorted(map(len, tflite_weights))


@pytest.mark.parametrize("name", MODELS)
def test_both_forms_compute_the_same_outputs(models_dir, name):
    from cmsis_opt.interpreter import run_function

    reference = np.load(models_dir / f"{name}.tflm_ref.npz")
    x = reference["inputs"][0]
    from_onnx = run_function(imported(models_dir, name, "qdq.onnx"), [x])[0]
    from_tflite = run_function(imported(models_dir, name, "int8.tflite"), [x])[0]
    np.testing.assert_array_equal(from_onnx, from_tflite)
    # float QDQ arithmetic is close to, not equal to, TFLite's integer kernels
    assert np.abs(from_onnx.astype(int) - reference["outputs"][0].astype(int)).max() <= 16


@pytest.mark.parametrize("form", FORMS)
def test_cli_output_round_trips(models_dir, tmp_path, form):
    out = tmp_path / "kws.mlir"
    proc = run_tool("cmsis-import", str(models_dir / f"kws_dscnn.{form}"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert print_ir(parse_ir(text, str(out)).module) == text
