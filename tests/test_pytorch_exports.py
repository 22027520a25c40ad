"""Real PyTorch exports (tests/data/pytorch, made by make_exports.py there): every committed model goes
through `cmsis-compile MODEL -o DIR --host` (a float model with `--calibration NAME.cal.npz`) and its host
program's outputs are compared with onnxruntime 1.32 on the same file, graph optimizations off.

The allowance is one LSB per quantized layer: the number of calls in the compiled program that
requantize (every convolution, depthwise convolution, fully connected layer, add and average pool;
reshapes and transposes only move codes and are not counted; the count is read from memory.json and
printed in the failure message). TFLite's integer requantization and onnxruntime's float arithmetic
may round one layer's output differently by one step, and a step at one layer moves the next.
- QDQ models (onnxruntime's quantize_static, per channel and per tensor, both exporters): 32 seeded
  inputs, quantized with the model's input scale; our int8 output codes against onnxruntime's.
- Float models with our own calibration: no onnxruntime QDQ model corresponds to our scales, so the
  reference is the float model on the same dequantized input codes, and the difference is measured in
  steps of our output scale: |(q - zero point) * scale - float output| <= layers * scale. The inputs are
  the calibration set itself (32 samples): beyond the calibrated ranges activations saturate by design.

Models that need a kind of layer the compiler does not lower yet are marked xfail(strict=True,
raises=MissingKind): the test then fails only with that kind's own error, and as soon as the kind
lands the mark makes the run fail until it is removed. The table behind these numbers:
`.venv/bin/python bench/pytorch_exports.py`.
"""

from __future__ import annotations

import re
import shutil
import sys

import numpy as np
import onnx
import pytest
from conftest import ROOT, run_tool

sys.path.insert(0, str(ROOT / "bench"))
from pytorch_exports import (  # noqa: E402
    DATA, Export, as_dict, compare, compile_model, error_line, exports, measure)

# Every committed model file, and the kinds of layer it needs that the compiler does not lower yet (in the
# order its layers meet them), each as (what, a pattern of the error it gives); none today.
EXPECTED: dict[str, tuple[tuple[str, str], ...]] = {
    "hybrid_tiny.onnx": (),
    "kws_dscnn_dynamo.onnx": (),
    "kws_dscnn_ts.onnx": (),
    "kws_dscnn_dynamo.qdq_pc.onnx": (),
    "kws_dscnn_dynamo.qdq_pt.onnx": (),
    "kws_dscnn_ts.qdq_pc.onnx": (),
    "kws_dscnn_ts.qdq_pt.onnx": (),
    "mobilenetv2_035_ts.qdq_pc.onnx": (),
    "resnet8_dynamo.qdq_pc.onnx": (),
    "resnet8_dynamo.qdq_pt.onnx": (),
    "resnet8_ts.qdq_pc.onnx": (),
    "resnet8_ts.qdq_pt.onnx": (),
}
# Quantized layers per network, the allowance in LSB: each convolution (depthwise included), residual add,
# average pool and fully connected layer requantizes once. kws_dscnn: 1 + 4 x 2 convolutions, the average,
# the Linear. resnet8: 9 convolutions (2 shortcut 1x1), 3 adds, the average, the Linear. mobilenetv2_035:
# 52 convolutions, 10 adds, the mean, the Linear. hybrid_tiny: 2 convolutions, the Linear.
LAYERS = {"kws_dscnn": 11, "resnet8": 14, "mobilenetv2_035": 64, "hybrid_tiny": 3}
INPUTS = 32
SIZE_BUDGET = 2_000_000  # bytes of committed data files (models, external data, calibration sets)

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler for --host")


class MissingKind(Exception):
    """The compiler refused the model with the error of a kind it is known not to lower yet."""


def _cases():
    for export in exports():
        kinds = EXPECTED.get(export.name, ())
        marks = [pytest.mark.xfail(strict=True, raises=MissingKind,
                                   reason="needs " + "; then ".join(what for what, _ in kinds))] if kinds else []
        yield pytest.param(export, id=export.name, marks=marks)


@needs_cc
@pytest.mark.parametrize("export", list(_cases()))
def test_export_compiles_and_runs_within_one_lsb_per_layer_of_onnxruntime(export: Export, tmp_path):
    outdir = tmp_path / "out"
    result = compile_model(export, outdir)
    if result.returncode != 0:
        line = error_line(result.stderr)
        assert len([x for x in result.stderr.splitlines() if x.startswith("error:")]) == 1, result.stderr
        if any(re.search(pattern, line) for _, pattern in EXPECTED.get(export.name, ())):
            raise MissingKind(line)
        pytest.fail(f"{export.name} does not compile: {line}")
    comparison = compare(export, outdir, INPUTS)
    assert comparison.inputs >= INPUTS
    assert comparison.layers == LAYERS[export.family], "the compiled program's requantizing calls"
    what = "steps of our output scale from the float model" if export.is_float else "LSB from onnxruntime's codes"
    assert comparison.within, (f"{export.name}: {comparison.max_lsb:.2f} {what}, more than the allowance of "
                               f"{comparison.layers} quantized layers ({comparison.equal_pct:.1f}% equal)")


def test_every_committed_model_is_listed():
    """A new file in tests/data/pytorch must say here which kinds it needs (none, if it compiles)."""
    assert sorted(e.name for e in exports()) == sorted(EXPECTED)


def test_committed_data_stays_within_its_size_budget():
    files = [p for p in DATA.iterdir() if p.suffix in (".onnx", ".data", ".npz")]
    assert sum(p.stat().st_size for p in files) < SIZE_BUDGET


def test_the_data_holds_the_forms_it_stands_for():
    """torch.export's weights in NAME.onnx.data; the TorchScript exporter's dynamic-batch Shape chain;
    weight-only quantization (DequantizeLinear of int8 constants, no QuantizeLinear); opsets 13 and 20."""
    dynamo = onnx.load(str(DATA / "kws_dscnn_dynamo.onnx"), load_external_data=False)
    assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in dynamo.graph.initializer)
    assert dynamo.opset_import[0].version == 20
    ts = onnx.load(str(DATA / "kws_dscnn_ts.onnx"))
    assert ts.opset_import[0].version == 13
    assert ts.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"} <= {n.op_type for n in ts.graph.node}
    hybrid = onnx.load(str(DATA / "hybrid_tiny.onnx"))
    ops = [n.op_type for n in hybrid.graph.node]
    assert "DequantizeLinear" in ops and "QuantizeLinear" not in ops
    for export in exports():
        if export.is_float:
            assert export.calibration is not None and export.calibration.exists(), export.name
            assert len(np.load(export.calibration)["inputs"]) >= INPUTS


def test_a_dynamo_export_without_its_data_file_is_one_error_naming_it(tmp_path):
    shutil.copy(DATA / "kws_dscnn_dynamo.onnx", tmp_path)
    out = tmp_path / "x.mlir"
    proc = run_tool("cmsis-import", str(tmp_path / "kws_dscnn_dynamo.onnx"), "-o", str(out))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert "its data file 'kws_dscnn_dynamo.onnx.data' is missing" in lines[0]
    assert not out.exists()


@needs_cc
def test_the_bench_section_reports_each_export_and_the_tflm_figure_of_the_same_network(tmp_path):
    """`make bench` section 8: one row per export with its layers, arenas, TFLite Micro's arena on the MLPerf Tiny
    .tflite of the same network where section 3 measured one, and the largest difference; a model that does not
    compile keeps its row, with its error."""
    import report

    by_name = {e.name: e for e in exports()}
    missing = Export(tmp_path / "absent_ts.onnx", "absent", "ts", "float", DATA / "kws_dscnn.cal.npz")
    rows = [as_dict(measure(e, tmp_path, INPUTS)) for e in (by_name["kws_dscnn_ts.onnx"], missing)]
    kws, absent = rows
    assert kws["layers"] == LAYERS["kws_dscnn"] and kws["within"]
    assert kws["arena_inplace"] < kws["arena_no_inplace"]
    assert absent["error"].startswith("error:") and "cannot read" in absent["error"] and "absent_ts.onnx" in absent["error"]
    peers = [{"model": "kws_dscnn", "target": "cortex-m0", "tflm": 1},  # another core's row is not the one shown
             {"model": "kws_dscnn", "target": "cortex-m4", "tflm": 16_000}]
    text = "\n".join(report.pytorch_section(rows, peers))
    assert text.startswith("## 8. PyTorch exports")
    assert (f"| kws_dscnn | ts | float | 11 | {kws['arena_inplace']:,} | {kws['arena_no_inplace']:,} | 16,000 "
            f"| {kws['max_lsb']:.2f} |") in text
    assert "| absent | ts | float | does not compile: " in text
