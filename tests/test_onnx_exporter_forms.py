"""The forms PyTorch's two ONNX exporters (and weight-only quantizers) write around the layers, one kind per test.

Each model is built here with onnx.helper in the exporters' own shape: weights in an external
data file (torch.export's default), Reshape targets computed by Shape -> Gather -> Unsqueeze ->
Concat (the TorchScript exporter with a dynamic batch), Shape -> Expand -> CastLike bias
constants (torch.export without its optimizer), attributes that became inputs between opsets
13 and 21, MatMul + Add on a rank-3 input, and float weights stored as int8 / uint8 / int4
codes behind DequantizeLinear. Every test checks what was imported: the shapes, and the
values the reference interpreter computes against onnxruntime on the same file (graph
optimizations off).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import run_tool
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects.func import FuncOp

from cmsis_opt.dialects.utils import to_numpy
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function

OPSETS = list(range(13, 22))


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model_of(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10 if opset >= 21 else 8
    onnx.checker.check_model(model)
    return model


def save(tmp_path, model, name="m") -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return str(path)


def onnxruntime_output(path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def func_of(module) -> FuncOp:
    return next(op for op in module.ops if isinstance(op, FuncOp))


def op_names(module) -> list[str]:
    return [op.name for op in func_of(module).body.block.ops if op.name != "func.return"]


def imported_and_compared(path: str, seed: int = 0):
    """Import `path`, run it in the interpreter and in onnxruntime on one seeded input; the module and outputs."""
    module = import_model(path)
    shape = func_of(module).body.block.args[0].type.get_shape()
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    ours = run_function(module, [x])[0]
    theirs = onnxruntime_output(path, x)
    assert ours.shape == theirs.shape
    # float32 in both, summed in different orders (and a folded BatchNormalization scales the
    # weights before the sum rather than the sum after it): agreement to float rounding. A value
    # near zero after cancellation carries the rounding of the large terms it was summed from, so
    # the absolute allowance is taken relative to the output's largest magnitude, not to 1.
    scale = max(1.0, float(np.abs(theirs).max()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6 * scale)
    return module, ours


def one_error(proc, *fragments: str) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def conv_gemm(opset=13, rng_seed=1):
    """Conv 3->4 (3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm 4->5, input 1x3x6x6."""
    rng = np.random.default_rng(rng_seed)
    inits = [init("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
             init("b", rng.standard_normal(4).astype(np.float32)),
             init("fw", rng.standard_normal((5, 4)).astype(np.float32)),
             init("fb", rng.standard_normal(5).astype(np.float32))]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1)]
    return model_of(nodes, [f32("x", [1, 3, 6, 6])], [f32("y", [1, 5])], inits, opset)


# -- weights in an external data file ------------------------------------------------------


def save_external(tmp_path, model, name="m") -> str:
    path = tmp_path / f"{name}.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=f"{name}.onnx.data", size_threshold=0)
    return str(path)


def test_external_weights_are_read_from_the_models_folder(tmp_path, monkeypatch):
    folder = tmp_path / "model"
    folder.mkdir()
    path = save_external(folder, conv_gemm())
    stored = onnx.load(path, load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in stored.graph.initializer)
    monkeypatch.chdir(tmp_path)  # not the model's folder: the data file is found beside the model
    module, _ = imported_and_compared(path)
    weights = [op for op in func_of(module).body.block.ops if op.name == "nn.constant"]
    np.testing.assert_array_equal(to_numpy(weights[0].value), numpy_helper.to_array(conv_gemm().graph.initializer[0]))


def test_external_weights_work_from_the_command_line_in_another_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    path = save_external(folder, conv_gemm())
    proc = run_tool("cmsis-import", path, "-o", str(tmp_path / "m.mlir"), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "nn.conv" in (tmp_path / "m.mlir").read_text()


def test_a_missing_data_file_is_one_error_naming_the_file(tmp_path):
    path = save_external(tmp_path, conv_gemm())
    (tmp_path / "m.onnx.data").unlink()
    out = tmp_path / "out.mlir"
    one_error(run_tool("cmsis-import", path, "-o", str(out)), "m.onnx: tensor 'w'",
              "its data file 'm.onnx.data' is missing", "keep the file the exporter wrote beside the model")
    assert not out.exists()


def test_a_short_data_file_is_one_error(tmp_path):
    path = save_external(tmp_path, conv_gemm())
    data = tmp_path / "m.onnx.data"
    data.write_bytes(data.read_bytes()[:200])
    one_error(run_tool("cmsis-import", path), "beyond the end of 'm.onnx.data' (200 bytes)", "export again")


def test_a_data_file_outside_the_models_folder_is_refused(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    path = save_external(folder, conv_gemm())
    model = onnx.load(path, load_external_data=False)
    (folder / "m.onnx.data").rename(tmp_path / "m.onnx.data")
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../m.onnx.data"
    (folder / "m.onnx").write_bytes(model.SerializeToString())
    one_error(run_tool("cmsis-import", path), "'../m.onnx.data' is outside the model's folder")


# -- shape arithmetic --------------------------------------------------------------------


@pytest.mark.parametrize("opset", [13, 18, 21])
def test_a_reshape_target_computed_from_the_batch_size_is_folded(tmp_path, opset):
    """The TorchScript exporter's `x.view(x.size(0), -1)` with a dynamic batch:
    Shape -> Gather(0) -> Unsqueeze -> Concat([batch, -1]) -> Reshape."""
    rng = np.random.default_rng(2)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Shape", ["c"], ["s"], name="shape"),
             helper.make_node("Constant", [], ["zero"], name="zero", value=numpy_helper.from_array(np.array(0))),
             helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
             helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
             helper.make_node("Constant", [], ["rest"], name="rest", value=numpy_helper.from_array(np.array([-1]))),
             helper.make_node("Concat", ["n1", "rest"], ["target"], name="concat", axis=0),
             helper.make_node("Reshape", ["c", "target"], ["v"], name="view"),
             helper.make_node("Gemm", ["v", "fw"], ["y"], name="fc", transB=1)]
    inits = [init("w", rng.standard_normal((2, 3, 3, 3)).astype(np.float32)), init("axes0", np.array([0])),
             init("fw", rng.standard_normal((4, 2 * 4 * 4)).astype(np.float32))]
    batch = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 6, 6])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    module, _ = imported_and_compared(save(tmp_path, model_of(nodes, [batch], [out], inits, opset)))
    assert op_names(module) == ["nn.constant", "nn.conv2d", "nn.reshape", "nn.constant", "nn.fully_connected"]
    reshape = next(op for op in func_of(module).body.block.ops if op.name == "nn.reshape")
    assert reshape.results[0].type.get_shape() == (1, 32)


def test_unoptimized_torch_export_bias_chains_fold_and_batchnorm_still_folds(tmp_path):
    """torch.export without its optimizer: the Conv's zero bias is Expand(CastLike(0, x), Shape(w)[0:1]),
    and a BatchNormalization follows; the chain folds to a constant, so the BatchNormalization folds too."""
    rng = np.random.default_rng(3)
    nodes = [helper.make_node("Shape", ["w"], ["wshape"], name="shape", start=0, end=1),
             helper.make_node("Constant", [], ["one"], name="one", value_ints=[1]),
             helper.make_node("Expand", ["wshape", "one"], ["count"], name="expand_count"),
             helper.make_node("Constant", [], ["zero"], name="zero", value_float=0.0),
             helper.make_node("CastLike", ["zero", "x"], ["zero_like"], name="castlike"),
             helper.make_node("Expand", ["zero_like", "count"], ["bias"], name="expand_bias"),
             helper.make_node("Conv", ["x", "w", "bias"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["y"], name="bn")]
    inits = [init("w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
             init("g", rng.uniform(0.5, 1.5, 4).astype(np.float32)), init("beta", rng.standard_normal(4).astype(np.float32)),
             init("mean", rng.standard_normal(4).astype(np.float32)), init("var", rng.uniform(0.5, 2, 4).astype(np.float32))]
    path = save(tmp_path, model_of(nodes, [f32("x", [1, 3, 5, 5])], [f32("y", [1, 4, 5, 5])], inits, opset=20))
    module, _ = imported_and_compared(path)
    assert op_names(module) == ["nn.constant", "nn.constant", "nn.conv2d"]


def test_shape_start_and_end_count_from_the_back(tmp_path):
    """Shape-15 with start=-2: the last two dimensions, here used as a Reshape target."""
    nodes = [helper.make_node("Shape", ["x"], ["hw"], name="shape", start=-2),
             helper.make_node("Reshape", ["x", "hw"], ["y"], name="reshape")]
    path = save(tmp_path, model_of(nodes, [f32("x", [1, 1, 3, 4])], [f32("y", [3, 4])], opset=15))
    module, ours = imported_and_compared(path)
    assert ours.shape == (3, 4)


def test_a_fold_that_fails_names_the_node(tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             helper.make_node("Constant", [], ["i"], name="index", value=numpy_helper.from_array(np.array(7))),
             helper.make_node("Gather", ["s", "i"], ["n"], name="gather"),
             helper.make_node("Reshape", ["x", "n"], ["y"], name="reshape")]
    path = save(tmp_path, model_of(nodes, [f32("x", [1, 4])], [f32("y", [4])]))
    one_error(run_tool("cmsis-import", path), "node 'gather' (Gather): cannot compute it from its constant inputs")


def test_casts_of_float_activations_to_float_are_the_identity(tmp_path):
    nodes = [helper.make_node("Cast", ["x"], ["c"], name="cast", to=TensorProto.FLOAT),
             helper.make_node("CastLike", ["c", "x"], ["l"], name="castlike"),
             helper.make_node("Relu", ["l"], ["y"], name="relu")]
    module, _ = imported_and_compared(save(tmp_path, model_of(nodes, [f32("x", [1, 4])], [f32("y", [1, 4])], opset=19)))
    assert op_names(module) == ["nn.relu"]


# -- opsets 13 to 21: attributes that became inputs --------------------------------------------


def opset_network(opset: int) -> onnx.ModelProto:
    """Conv -> Clip (min/max inputs) -> ReduceMean over H, W (axes an attribute before 18, an input from 18)
    -> Squeeze / Unsqueeze (axes inputs from 13) -> Reshape to a target made by Split of a constant
    (split sizes an input from 13, num_outputs from 18) -> Gemm."""
    rng = np.random.default_rng(opset)
    inits = [init("w", rng.standard_normal((6, 2, 3, 3)).astype(np.float32)),
             init("low", np.array(0.0, np.float32)), init("high", np.array(1.5, np.float32)),
             init("hw", np.array([2, 3])), init("axes2", np.array([2])),
             init("pair", np.array([1, 6])), init("fw", rng.standard_normal((3, 6)).astype(np.float32))]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Clip", ["c", "low", "high"], ["k"], name="clip")]
    if opset >= 18:
        nodes.append(helper.make_node("ReduceMean", ["k", "hw"], ["m"], name="mean", keepdims=1))
    else:
        nodes.append(helper.make_node("ReduceMean", ["k"], ["m"], name="mean", axes=[2, 3], keepdims=1))
    nodes += [helper.make_node("Squeeze", ["m", "hw"], ["s"], name="squeeze"),
              helper.make_node("Unsqueeze", ["s", "axes2"], ["u"], name="unsqueeze")]
    if opset >= 18:
        nodes.append(helper.make_node("Split", ["pair"], ["a", "b"], name="split", axis=0, num_outputs=2))
    else:
        nodes += [helper.make_node("Constant", [], ["sizes"], name="sizes", value_ints=[1, 1]),
                  helper.make_node("Split", ["pair", "sizes"], ["a", "b"], name="split", axis=0)]
    nodes += [helper.make_node("Concat", ["a", "b"], ["target"], name="concat", axis=0),
              helper.make_node("Reshape", ["u", "target"], ["r"], name="reshape"),
              helper.make_node("Gemm", ["r", "fw"], ["y"], name="fc", transB=1)]
    return model_of(nodes, [f32("x", [1, 2, 5, 6])], [f32("y", [1, 3])], inits, opset)


@pytest.mark.parametrize("opset", OPSETS)
def test_attributes_that_became_inputs_import_at_every_opset(tmp_path, opset):
    module, _ = imported_and_compared(save(tmp_path, opset_network(opset)), seed=opset)
    ops = op_names(module)
    assert ops.count("nn.clip") == 1 and ops.count("nn.global_avg_pool") == 1 and ops.count("nn.fully_connected") == 1
    shapes = [op.results[0].type.get_shape() for op in func_of(module).body.block.ops if op.name == "nn.reshape"]
    assert shapes[-1] == (1, 6)


# -- Gemm, MatMul + Add ----------------------------------------------------------------------


def test_gemm_and_matmul_add_import_to_the_same_values(tmp_path):
    """torch's Linear as the exporters write it: Gemm(transB=1), or MatMul by the transposed weight + Add."""
    rng = np.random.default_rng(4)
    w, b = rng.standard_normal((5, 8)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    gemm = model_of([helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)],
                    [f32("x", [1, 8])], [f32("y", [1, 5])], [init("w", w), init("b", b)])
    matmul = model_of([helper.make_node("MatMul", ["x", "wt"], ["p"], name="matmul"),
                       helper.make_node("Add", ["p", "b"], ["y"], name="add")],
                      [f32("x", [1, 8])], [f32("y", [1, 5])], [init("wt", w.T.copy()), init("b", b)])
    _, from_gemm = imported_and_compared(save(tmp_path, gemm, "gemm"))
    module, from_matmul = imported_and_compared(save(tmp_path, matmul, "matmul"))
    assert op_names(module) == ["nn.constant", "nn.matmul", "nn.constant", "nn.add"]
    np.testing.assert_allclose(from_gemm, from_matmul, rtol=1e-6, atol=1e-6)


def test_matmul_of_a_rank_3_input_is_flattened_to_rows(tmp_path):
    """A Linear on a [1, T, K] input: MatMul [1, 3, 8] x [8, 5] + Add, as the TorchScript exporter writes it."""
    rng = np.random.default_rng(5)
    nodes = [helper.make_node("MatMul", ["x", "wt"], ["p"], name="matmul"),
             helper.make_node("Add", ["p", "b"], ["y"], name="add")]
    inits = [init("wt", rng.standard_normal((8, 5)).astype(np.float32)), init("b", rng.standard_normal(5).astype(np.float32))]
    module, ours = imported_and_compared(save(tmp_path, model_of(nodes, [f32("x", [1, 3, 8])], [f32("y", [1, 3, 5])], inits)))
    assert ours.shape == (1, 3, 5)
    assert op_names(module) == ["nn.constant", "nn.reshape", "nn.matmul", "nn.reshape", "nn.constant", "nn.add"]


def test_a_batched_matmul_of_two_computed_operands_is_one_error(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "x2"], ["y"], name="bmm")]
    inits = [init("x2", np.ones((2, 4, 3), np.float32))]
    path = save(tmp_path, model_of(nodes, [f32("x", [1, 2, 3, 4])], [f32("y", [1, 2, 3, 3])], inits))
    one_error(run_tool("cmsis-import", path), "node 'bmm' (MatMul): operands of shapes [1, 2, 3, 4] and [2, 4, 3]")


# -- weight-only quantization (float graph, weights behind DequantizeLinear) -------------------------


def hybrid_model(opset: int = 13) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """conv_gemm's network with its weights stored quantized: the Conv weight as int8 codes per output channel,
    the Conv bias as int32 codes, the Gemm weight as uint8 codes with a zero point (per tensor), or from opset 21
    as int4 codes in blocks of 2 along the input axis. Returns the model and each weight's dequantized value."""
    rng = np.random.default_rng(6)
    wq = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    ws = rng.uniform(0.002, 0.01, 4).astype(np.float32)
    bq = rng.integers(-3000, 3000, 4).astype(np.int32)
    bs = np.array(0.0005, np.float32)
    inits = [init("wq", wq), init("ws", ws), init("wz", np.zeros(4, np.int8)), init("bq", bq), init("bs", bs)]
    nodes = [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], name="w_dq", axis=0),
             helper.make_node("DequantizeLinear", ["bq", "bs"], ["b"], name="b_dq")]
    values = {"w": (wq.astype(np.float32) * ws[:, None, None, None]).astype(np.float32),
              "b": (bq.astype(np.float32) * bs).astype(np.float32)}
    if opset >= 21:
        fq = rng.integers(-8, 8, (5, 4)).astype(np.int8)
        fs = rng.uniform(0.05, 0.2, (5, 2)).astype(np.float32)
        inits += [helper.make_tensor("fq", TensorProto.INT4, [5, 4], fq.reshape(-1).tolist()), init("fs", fs)]
        nodes.append(helper.make_node("DequantizeLinear", ["fq", "fs"], ["fw"], name="fw_dq", axis=1, block_size=2))
        values["fw"] = (fq.astype(np.float32) * np.repeat(fs, 2, axis=1)).astype(np.float32)
    else:
        fq = rng.integers(0, 256, (5, 4)).astype(np.uint8)
        fs, fz = np.array(0.01, np.float32), np.array(128, np.uint8)
        inits += [init("fq", fq), init("fs", fs), init("fz", fz)]
        nodes.append(helper.make_node("DequantizeLinear", ["fq", "fs", "fz"], ["fw"], name="fw_dq"))
        values["fw"] = ((fq.astype(np.int32) - 128).astype(np.float32) * fs).astype(np.float32)
    inits.append(init("fb", rng.standard_normal(5).astype(np.float32)))
    nodes += [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c"], ["r"], name="relu"),
              helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
              helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
              helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1)]
    return model_of(nodes, [f32("x", [1, 3, 6, 6])], [f32("y", [1, 5])], inits, opset), values


@pytest.mark.parametrize("opset", [13, 21])
def test_weight_only_quantized_models_import_as_float_with_the_dequantized_weights(tmp_path, opset):
    model, values = hybrid_model(opset)
    module, _ = imported_and_compared(save(tmp_path, model))
    assert "nn.dequantize" not in op_names(module) and "nn.quantize" not in op_names(module)
    held = [to_numpy(op.value) for op in func_of(module).body.block.ops if op.name == "nn.constant"]
    for name, value in values.items():  # exactly ONNX's (codes - zero point) * scale in float32
        assert any(h.shape == value.shape and np.array_equal(h, value) for h in held), name


def test_a_weight_only_quantized_model_is_a_float_model_needing_calibration(tmp_path):
    model, _ = hybrid_model()
    path = save(tmp_path, model, "hybrid")
    one_error(run_tool("cmsis-compile", path, "-o", str(tmp_path / "out")), "a float model needs calibration data")
    calibration = tmp_path / "cal.npz"
    np.savez(calibration, inputs=np.random.default_rng(7).standard_normal((8, 1, 3, 6, 6)).astype(np.float32))
    proc = run_tool("cmsis-compile", path, "-o", str(tmp_path / "out"), "--calibration", str(calibration), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "hybrid.c").exists()
