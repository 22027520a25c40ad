"""Acceptance: every reference model, imported from ONNX QDQ and from TFLite int8,
quantized by `--quantize`, reproduces TensorFlow Lite Micro's outputs exactly."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import run_tool

from cmsis_opt.context import make_context
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.quantize import QuantizePass
from cmsis_opt.dialects import cmsis

MODELS = ["kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1"]
FORMATS = ["qdq.onnx", "int8.tflite"]


def imported(path) -> str:
    proc = run_tool("cmsis-import", str(path))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@functools.lru_cache(maxsize=None)
def quantized(path):
    source = parse_ir(imported(path), str(path))
    QuantizePass().apply(make_context(), source.module)
    source.verify(stage="quantize")
    return source.module


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", MODELS)
def test_outputs_equal_tflite_micro(models_dir, name, fmt):
    module = quantized(models_dir / f"{name}.{fmt}")
    assert not any(op.name.startswith("nn.") for op in module.walk()), "every nn op must be lowered"
    assert any(isinstance(op, cmsis.KernelOp) for op in module.walk())
    ref = np.load(models_dir / f"{name}.tflm_ref.npz")
    for index in range(len(ref["inputs"])):
        (out,) = run_function(module, [ref["inputs"][index]])
        expected = ref["outputs"][index]
        assert out.shape == expected.shape and out.dtype == np.int8
        assert np.array_equal(out, expected), f"{name}.{fmt} sample {index}: {out.ravel()[:16]} != {expected.ravel()[:16]}"


@pytest.mark.parametrize("name", MODELS)
def test_both_formats_lower_to_the_same_kernels_with_no_transpose_left(models_dir, name):
    kinds = [[op.name for op in quantized(models_dir / f"{name}.{fmt}").walk() if op.name.startswith("cmsis.")]
             for fmt in FORMATS]
    assert kinds[0] == kinds[1]
    # the exporters' transposes are gone; the only view left is the flatten in front of the classifier
    assert kinds[0].count("cmsis.reshape") <= 1


def test_command_line_tools_reproduce_tflite_micro(models_dir, tmp_path):
    name = "kws_dscnn"
    ir = tmp_path / "model.mlir"
    ir.write_text(imported(models_dir / f"{name}.qdq.onnx"))
    lowered = tmp_path / "lowered.mlir"
    proc = run_tool("cmsis-opt", str(ir), "--quantize", "-o", str(lowered))
    assert proc.returncode == 0, proc.stderr
    assert "cmsis.depthwise_conv" in lowered.read_text() and " = nn." not in lowered.read_text()  # no nn op left
    ref = np.load(models_dir / f"{name}.tflm_ref.npz")
    for index in range(len(ref["inputs"])):
        out = tmp_path / f"out{index}.npy"
        proc = run_tool("cmsis-run", str(lowered), "--input", str(models_dir / f"{name}.tflm_ref.npz"),
                        "--index", str(index), "--output", str(out))
        assert proc.returncode == 0, proc.stderr
        assert np.array_equal(np.load(out).reshape(ref["outputs"][index].shape), ref["outputs"][index])
