"""Calibration of float models: `cmsis-calibrate` records ranges in the IR, then `cmsis-opt --quantize` uses them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import run_tool

from cmsis_opt.calibrate import ProgressBar, activation_quant, load_samples, symmetric_weights
from cmsis_opt.errors import CompileError

FLOAT_FC = """
func.func @tiny(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %w = nn.constant {value = dense<[[0.5, -0.25, 0.125, 1.0], [-1.0, 0.75, 0.25, 0.0], [0.3, 0.3, -0.3, 0.3]]> : tensor<3x4xf32>} : tensor<3x4xf32>
  %b = nn.constant {value = dense<[0.1, -0.2, 0.05]> : tensor<3xf32>} : tensor<3xf32>
  %y = nn.fully_connected %x, %w, %b {layer = "fc"} : (tensor<1x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %r = nn.relu %y {layer = "fc"} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  func.return %r : tensor<1x3xf32>
}
"""


@pytest.fixture
def float_model(tmp_path):
    path = tmp_path / "tiny.mlir"
    path.write_text(FLOAT_FC)
    return path


def _one_error(proc, fragment: str) -> None:
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def calibrate_then_quantize(model, samples, *options, tmp_path):
    """cmsis-calibrate MODEL --data SAMPLES [options] -o calibrated.mlir, then cmsis-opt --quantize on it."""
    calibrated = tmp_path / "calibrated.mlir"
    proc = run_tool("cmsis-calibrate", str(model), "--data", str(samples), *options, "-o", str(calibrated))
    if proc.returncode != 0:
        return proc
    return run_tool("cmsis-opt", str(calibrated), "--quantize")


def test_float_model_is_quantized_with_calibration(float_model, tmp_path):
    samples = np.random.default_rng(0).uniform(-1, 1, (16, 1, 4)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", inputs=samples)
    calibrated = tmp_path / "calibrated.mlir"
    proc = run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "cal.npz"), "-o", str(calibrated))
    assert proc.returncode == 0, proc.stderr
    assert "calibrating: 16/16 samples" in proc.stderr  # progress, one line when stderr is not a terminal
    ranges = calibrated.read_text()
    assert "{nn.range = #nn.range<" in ranges and ranges.count("nn.range = #nn.range<") == 5  # x, w, b, y, relu
    out = tmp_path / "q.mlir"
    proc = run_tool("cmsis-opt", str(calibrated), "--quantize", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "cmsis.fully_connected" in text and " = nn." not in text and "nn.range" not in text
    # int8 graph input and output; ReLU folded: the output range starts at 0, so zp = -128 and act_min = -128
    assert "func.func @tiny(%0: tensor<1x4x!quant.uniform<i8:f32," in text.replace("%x:", "%0:")
    assert "act_min = -128 : i32" in text


def test_missing_calibration_is_one_error(float_model):
    _one_error(run_tool("cmsis-opt", str(float_model), "--quantize"), "run `cmsis-calibrate MODEL --data FILE.npz")


def test_calibration_of_the_wrong_shape_is_one_error(float_model, tmp_path):
    np.savez(tmp_path / "bad.npz", inputs=np.zeros((5, 7), np.float32))
    out = tmp_path / "q.mlir"
    proc = run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "bad.npz"), "-o", str(out))
    _one_error(proc, "shape [5, 7]")
    assert not out.exists()


def test_calibration_of_the_wrong_dtype_is_one_error(float_model, tmp_path):
    np.savez(tmp_path / "ints.npz", np.zeros((5, 1, 4), np.int8))
    _one_error(run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "ints.npz")), "int8")


def test_unreadable_calibration_file_is_one_error(float_model, tmp_path):
    (tmp_path / "junk.npz").write_text("not a zip")
    _one_error(run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "junk.npz")), "junk.npz")


def test_samples_without_the_batch_axis_are_accepted():
    samples = load_samples_from(np.ones((3, 4), np.float32), (1, 4))
    assert samples.shape == (3, 1, 4)


def load_samples_from(array, shape, tmp=None):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/s.npz"
        np.savez(path, array)
        return load_samples(path, shape)


def test_activation_ranges_always_include_zero():
    q = activation_quant(0.5, 2.0)  # widened to [0, 2]
    assert q.zero_point == -128 and q.scale == pytest.approx(2.0 / 255)
    q = activation_quant(-1.0, 1.0)
    assert q.zero_point == 0 or q.zero_point == -1


def test_weights_are_symmetric_per_channel_in_minus_127_to_127():
    w = np.array([[1.0, -2.0], [0.5, 0.25]], np.float32)
    q, scales = symmetric_weights(w, per_channel=True)
    assert q.tolist() == [[64, -127], [127, 64]]
    assert scales == pytest.approx([2.0 / 127, 0.5 / 127])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal():
    out = _Terminal()
    bar = ProgressBar(4, width=4, stream=out)
    for i in range(1, 5):
        bar.update(i)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("[####] 4/4\n") and text.count("\r") == 4


def test_progress_bar_in_a_log_writes_one_final_line():
    out = io.StringIO()
    bar = ProgressBar(4, stream=out)
    for i in range(1, 5):
        bar.update(i)
    assert out.getvalue() == "calibrating: 4/4 samples\n"


def test_unknown_method_is_a_usage_error(float_model, tmp_path):
    np.savez(tmp_path / "cal.npz", inputs=np.zeros((2, 1, 4), np.float32))
    proc = run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "cal.npz"), "--method", "median")
    assert proc.returncode == 2 and proc.stderr.count("error:") == 1 and "'median'" in proc.stderr, proc.stderr


def test_percentile_method_clips_outliers(float_model, tmp_path):
    samples = np.random.default_rng(1).uniform(-1, 1, (64, 1, 4)).astype(np.float32)
    samples[0, 0, 0] = 50.0  # one outlier
    np.savez(tmp_path / "cal.npz", inputs=samples)
    scales = {}
    for method, options in (("minmax", ()), ("percentile", ("--percentile", "99"))):
        proc = calibrate_then_quantize(float_model, tmp_path / "cal.npz", "--method", method, *options,
                                       tmp_path=tmp_path)
        assert proc.returncode == 0, proc.stderr
        header = proc.stdout.split("func.func @tiny(", 1)[1]
        scales[method] = float(header.split("!quant.uniform<i8:f32, ", 1)[1].split(":", 1)[0])
    assert scales["percentile"] < scales["minmax"] / 5


@pytest.mark.parametrize("method", [(), ("--method", "minmax")])
def test_percentile_without_the_percentile_method_is_a_usage_error(float_model, tmp_path, method):
    """--percentile with the min/max method would be ignored: it is refused before anything runs."""
    np.savez(tmp_path / "cal.npz", inputs=np.zeros((2, 1, 4), np.float32))
    out = tmp_path / "out.mlir"
    proc = run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "cal.npz"), *method,
                    "--percentile", "99", "-o", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr == ("error: cmsis-calibrate: --percentile applies to --method percentile only (the method is "
                           "minmax): add --method percentile, or drop --percentile (see cmsis-calibrate --help)\n")


@pytest.mark.parametrize("value, shown", [("100.5", "100.5"), ("50", "50"), ("-3", "-3"), ("nan", "nan")])
def test_a_percentile_out_of_range_is_a_usage_error(float_model, tmp_path, value, shown):
    np.savez(tmp_path / "cal.npz", inputs=np.zeros((2, 1, 4), np.float32))
    proc = run_tool("cmsis-calibrate", str(float_model), "--data", str(tmp_path / "cal.npz"), "--method",
                    "percentile", f"--percentile={value}")
    assert proc.returncode == 2
    assert proc.stderr == (f"error: cmsis-calibrate: --percentile must be above 50 and at most 100, got {shown} "
                           "(see cmsis-calibrate --help)\n")


def _float_onnx_model() -> bytes:
    """FLOAT_FC as an ONNX model: Gemm (transB) then Relu, input 'x' [1, 4]."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = np.array([[0.5, -0.25, 0.125, 1.0], [-1.0, 0.75, 0.25, 0.0], [0.3, 0.3, -0.3, 0.3]], np.float32)
    b = np.array([0.1, -0.2, 0.05], np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1),
         helper.make_node("Relu", ["y"], ["r"], name="relu")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("r", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    return model.SerializeToString()


def test_a_model_on_stdin_is_told_by_its_bytes(tmp_path):
    """`cmsis-calibrate -` takes a model (here ONNX) or textual IR on stdin, as cmsis-import, cmsis-opt and
    cmsis-compile do: the same ranges as from the model's file, in a function named 'model'."""
    data = _float_onnx_model()
    (tmp_path / "fc.onnx").write_bytes(data)
    np.savez(tmp_path / "cal.npz", inputs=np.random.default_rng(3).uniform(-1, 1, (8, 1, 4)).astype(np.float32))
    cal = str(tmp_path / "cal.npz")
    piped = run_tool("cmsis-calibrate", "-", "--data", cal, input=data)
    assert piped.returncode == 0, piped.stderr
    from_file = run_tool("cmsis-calibrate", str(tmp_path / "fc.onnx"), "--data", cal)
    assert from_file.returncode == 0, from_file.stderr
    stdout = piped.stdout.decode()
    assert "func.func @model(" in stdout and stdout.count("nn.range = #nn.range<") >= 3
    assert stdout == from_file.stdout.replace("@fc(", "@model(")
    # textual IR on stdin, as before
    ir = run_tool("cmsis-calibrate", "-", "--data", cal, input=FLOAT_FC)
    assert ir.returncode == 0 and "func.func @tiny(" in ir.stdout, ir.stderr


def test_a_quantized_model_on_stdin_is_read_as_a_model(models_dir, tmp_path):
    """A QDQ model piped in is imported (not refused as "a model file, not textual IR"): calibration then says it
    is already quantized."""
    np.savez(tmp_path / "cal.npz", inputs=np.zeros((1, 1, 49, 10, 1), np.float32))
    proc = run_tool("cmsis-calibrate", "-", "--data", str(tmp_path / "cal.npz"),
                    input=(models_dir / "kws_dscnn.qdq.onnx").read_bytes())
    assert proc.returncode == 1
    assert proc.stderr == b"error: calibration: the model is already quantized: calibration is for float models\n"


def test_help_says_stdin_takes_a_model_or_ir():
    proc = run_tool("cmsis-calibrate", "--help")
    assert proc.returncode == 0
    assert "'-' reads one from stdin (a model or textual IR, its format told from its bytes" in " ".join(
        proc.stdout.split())


FLOAT_CONCAT = """
func.func @branches(%x: tensor<1x4xf32>) -> tensor<1x2x1x1xf32> {
  %s = nn.reshape %x : (tensor<1x4xf32>) -> tensor<1x4x1x1xf32>
  %w1 = nn.constant {value = dense<[[[[1.0]], [[0.5]], [[0.0]], [[0.0]]]]> : tensor<1x4x1x1xf32>} : tensor<1x4x1x1xf32>
  %w2 = nn.constant {value = dense<[[[[0.0]], [[0.0]], [[4.0]], [[-3.0]]]]> : tensor<1x4x1x1xf32>} : tensor<1x4x1x1xf32>
  %a = nn.conv2d %s, %w1 {layer = "small", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x1x1xf32>
  %b = nn.conv2d %s, %w2 {layer = "large", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x1x1xf32>
  %c = nn.concat %a, %b {layer = "join", axis = 1 : i64} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x2x1x1xf32>
  func.return %c : tensor<1x2x1x1xf32>
}
"""


def test_concatenation_inputs_share_the_output_quantization(tmp_path):
    model = tmp_path / "branches.mlir"
    model.write_text(FLOAT_CONCAT)
    np.savez(tmp_path / "cal.npz", inputs=np.random.default_rng(2).uniform(-1, 1, (8, 1, 4)).astype(np.float32))
    proc = calibrate_then_quantize(model, tmp_path / "cal.npz", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    concat = next(line for line in proc.stdout.splitlines() if "cmsis.concat" in line)
    types = {t.split(">>")[0] for t in concat.split("!quant.uniform<")[1:]}
    assert len(types) == 1, concat  # both inputs and the result quantized alike
