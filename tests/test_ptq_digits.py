"""Post-training quantization of a float CNN trained here on scikit-learn's 8x8 digits.

The int8 model `--quantize` makes from a calibration set must keep the
float model's accuracy (within 1 percentage point on held-out digits) and
agree with onnxruntime's own static QDQ quantization of the same model
(within 1 LSB on at least 99% of the int8 outputs).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import ROOT

pytest.importorskip("sklearn", reason="scikit-learn provides the digits data set")
sys.path.insert(0, str(ROOT / "tests" / "models"))

from make_digits_cnn import build  # noqa: E402

from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.dialects.quant import quant_of  # noqa: E402
from cmsis_opt.frontends.onnx import import_onnx  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.calibrate import calibrate_module  # noqa: E402
from cmsis_opt.passes.quantize import QuantizePass  # noqa: E402


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    paths = build(tmp_path_factory.mktemp("digits"))
    module = import_onnx(str(paths["model"]))
    calibrate_module(module, str(paths["calibration"]), show_progress=False)
    QuantizePass().apply(make_context(), module)
    module.verify()
    heldout = np.load(paths["heldout"])
    return paths, module, heldout


def run_int8(module, images: np.ndarray) -> tuple[np.ndarray, object, object]:
    func = next(op for op in module.ops)
    q_in = quant_of(func.body.block.args[0].type)
    q_out = quant_of(func.function_type.outputs.data[0])
    outputs = []
    for image in images:
        x = np.clip(np.round(image[None] / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        (y,) = run_function(module, [x])
        outputs.append(y.reshape(-1))
    return np.stack(outputs), q_in, q_out


def test_int8_accuracy_is_within_one_point_of_float(digits):
    paths, module, heldout = digits
    labels = heldout["labels"]
    float_accuracy = float((heldout["float_logits"].argmax(1) == labels).mean())
    int8, _, _ = run_int8(module, heldout["inputs"])
    int8_accuracy = float((int8.argmax(1) == labels).mean())
    print(f"float accuracy {float_accuracy:.4f}, int8 accuracy {int8_accuracy:.4f} on {len(labels)} held-out digits")
    assert float_accuracy > 0.95
    assert abs(float_accuracy - int8_accuracy) <= 0.01


def _onnxruntime_qdq(paths, out_path):
    """onnxruntime's own static QDQ quantization of the same model, in the scheme CMSIS-NN runs:
    per-channel convolution weights, per-tensor symmetric fully connected weights (one scale per call)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    calibration = np.load(paths["calibration"])["inputs"]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(calibration)

        def get_next(self):
            sample = next(self.samples, None)
            return None if sample is None else {"input": sample[None]}

    quantize_static(str(paths["model"]), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    extra_options={"TensorQuantOverrides": {"fc_w": [{"symmetric": True}]}})
    return out_path


def _onnxruntime_session(ort, path):
    """onnxruntime running the QDQ graph as written: DequantizeLinear, the float op, QuantizeLinear.
    Its default optimizations fuse Conv and Gemm into uint8 x int8 QLinearConv / QGemm, which on x86 CPUs
    without VNNI add pairs of products in saturating int16 (VPMADDUBSW): logits up to 33 LSB off there."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_int8_outputs_agree_with_onnxruntime_qdq(digits, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    paths, module, heldout = digits
    qdq = _onnxruntime_qdq(paths, tmp_path / "digits_qdq.onnx")
    session = _onnxruntime_session(ort, qdq)
    images = heldout["inputs"]
    ours, _, q_out = run_int8(module, images)
    theirs = np.stack([session.run(None, {"input": image[None]})[0].reshape(-1) for image in images])
    theirs_int8 = np.clip(np.round(theirs / q_out.scale) + q_out.zero_point, -128, 127)
    diff = np.abs(ours.astype(np.int32) - theirs_int8.astype(np.int32))
    within = float((diff <= 1).mean())
    print(f"{within:.4%} of {diff.size} int8 outputs within 1 LSB of onnxruntime (max difference {diff.max()})")
    assert within >= 0.99


def test_onnxruntime_qdq_model_imports_and_runs_like_onnxruntime(digits, tmp_path):
    """A model quantized by onnxruntime (not by us) goes through cmsis-import and --quantize;
    its int8 outputs then match onnxruntime's within one step."""
    ort = pytest.importorskip("onnxruntime")
    from cmsis_opt.api import Model

    paths, _, heldout = digits
    qdq = _onnxruntime_qdq(paths, tmp_path / "digits_qdq.onnx")
    model = Model.load(qdq).run("quantize")
    session = _onnxruntime_session(ort, qdq)
    images = heldout["inputs"][:100]
    ours = np.stack([model.interpret(image[None])[0].reshape(-1) for image in images]).astype(np.int32)
    q_out = model.module.body.block.ops.first.function_type.outputs.data[0].element_type
    theirs = np.stack([session.run(None, {"input": image[None]})[0].reshape(-1) for image in images])
    theirs_int8 = np.clip(np.round(theirs / q_out.scale) + q_out.zero_point, -128, 127).astype(np.int32)
    assert np.abs(ours - theirs_int8).max() <= 1
