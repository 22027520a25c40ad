"""cmsis.mean (our cmsis_opt_mean_s8): TFLite's int8 MEAN bit for bit; int8 GlobalAveragePool / ReduceMean.

TFLite Micro's MEAN requantizes the window sum with 1/(H*W) folded into the
multiplier (reference_ops::QuantizedMeanOrSum), which arm_avgpool_s8's
rounded average is not, even at equal scales: against tflite-micro every
output must be identical, in the interpreter and in the C, linked with
runtime/ and with Arm's CMSIS-NN.

ONNX QDQ GlobalAveragePool / ReduceMean compute a float mean and quantize
it (onnxruntime, graph optimizations off): the allowance is 1 LSB per
quantized layer, checked layer by layer (tests/onnx_oracle.py). An output
that keeps its input's quantization stays arm_avgpool_s8.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import ROOT
from onnx import TensorProto, helper

from cmsis_opt.interpreter import run_function

pytest.importorskip("tflite_micro")

from host_programs import LIBRARIES, compile_host, program_for, run_program  # noqa: E402
from onnx_oracle import int8_io, kernels, layer_differences, quantized, run_codes, session  # noqa: E402
from test_import_tflite import TfliteModel, options  # noqa: E402
from tflm_oracle import check_program_against_tflm, tflite_programs, tflm_outputs  # noqa: E402

CASES = ROOT.parent / "shared" / "cases"


def case(name: str) -> str:
    path = CASES / name
    if not path.is_file():
        pytest.skip(f"{name} not found in {CASES} (the shared failing-input cases live beside the repository)")
    return str(path)


# -- TFLite MEAN ---------------------------------------------------------------------------

def mean_model(rng, keep_dims: bool, same_scale: bool, shape=(1, 5, 6, 7), axes=(1, 2)) -> bytes:
    """One MEAN over H and W of an int8 NHWC tensor, with random scales and zero points."""
    m = TfliteModel()
    in_scale = float(rng.uniform(0.01, 0.2))
    zp = int(rng.integers(-128, 128))
    x = m.tensor("x", list(shape), scale=in_scale, zp=zp)
    axis = m.tensor("axes", [len(axes)], "INT32", data=np.array(axes, np.int32))
    out_scale = in_scale if same_scale else in_scale * float(rng.uniform(0.2, 3.0))
    out_zp = zp if same_scale else int(rng.integers(-128, 128))
    out_shape = [shape[0], 1, 1, shape[3]] if keep_dims else [shape[0], shape[3]]
    y = m.tensor("y", out_shape, scale=out_scale, zp=out_zp)
    m.op("MEAN", [x, axis], [y], options("ReducerOptionsT", keepDims=keep_dims), "ReducerOptions")
    return m.build([x], [y])


def test_mean_same_case_is_bit_exact_with_tflite_micro():
    """../shared/cases/mean_same.tflite: 1x7x7x16, equal scales; arm_avgpool_s8 was off by one on ~5% of outputs."""
    path = case("mean_same.tflite")
    module = quantized(path)
    assert "cmsis.mean" in kernels(module) and "cmsis.avg_pool" not in kernels(module)
    rng = np.random.default_rng(0)
    inputs = [rng.integers(-128, 128, (1, 7, 7, 16)).astype(np.int8) for _ in range(200)]
    wanted = tflm_outputs(open(path, "rb").read(), inputs)
    mismatches = sum(int((run_function(module, [x])[0] != want).sum()) for x, want in zip(inputs, wanted, strict=True))
    assert mismatches == 0


@pytest.mark.parametrize("library", LIBRARIES)
def test_mean_same_case_in_c_is_bit_exact_with_tflite_micro(tmp_path, library):
    path = case("mean_same.tflite")
    out = tmp_path / "out"
    compile_host(path, out, "mean_same", library)
    rng = np.random.default_rng(1)
    inputs = [rng.integers(-128, 128, (1, 7, 7, 16)).astype(np.int8) for _ in range(50)]
    for x, want in zip(inputs, tflm_outputs(open(path, "rb").read(), inputs), strict=True):
        assert np.array_equal(run_program(out / "mean_same_host", "mean_same", [x]), want.reshape(-1))


MEAN_VARIANTS = [(keep, same, axes) for keep in (True, False) for same in (True, False)
                 for axes in ((1, 2), (2, 1), (-3, -2))]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("keep_dims", "same_scale", "axes"), MEAN_VARIANTS)
def test_random_tflite_means_are_bit_exact(tmp_path, seed, keep_dims, same_scale, axes):
    rng = np.random.default_rng([seed, keep_dims, same_scale, axes[0] + 5])
    shape = (1, int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 20)))
    data = mean_model(rng, keep_dims, same_scale, shape, axes)
    path = tmp_path / "mean.tflite"
    path.write_bytes(data)
    module = quantized(str(path))
    assert "cmsis.mean" in kernels(module)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(20)]
    for x, want in zip(inputs, tflm_outputs(data, inputs), strict=True):
        np.testing.assert_array_equal(run_function(module, [x])[0], want)


@pytest.fixture(scope="module")
def mean_programs(tmp_path_factory):
    """Eight random MEAN models (large windows and wide channels among them) in one host program per library."""
    rng = np.random.default_rng(7)
    shapes = [(1, 7, 7, 16), (1, 1, 1, 3), (1, 15, 13, 5), (1, 32, 32, 2), (1, 3, 9, 64), (1, 2, 2, 1),
              (1, 10, 10, 10), (1, 6, 4, 33)]
    return tflite_programs(tmp_path_factory.mktemp("means"),
                           {f"m{k}": (mean_model(rng, bool(k % 2), k % 3 == 0, shape), shape)
                            for k, shape in enumerate(shapes)})


@pytest.mark.parametrize("library", LIBRARIES)
def test_random_tflite_means_in_c_are_bit_exact(mean_programs, library):
    programs, models = mean_programs
    check_program_against_tflm(program_for(programs, library), models, np.random.default_rng(3), count=10)


# -- ONNX QDQ GlobalAveragePool / ReduceMean --------------------------------------------------

def qdq_mean_model(kind: str, rng, same_scale: bool, keepdims: int = 1, opset: int = 13) -> onnx.ModelProto:
    """float x -> Q -> DQ -> GlobalAveragePool / ReduceMean(H, W) -> Q -> DQ -> y, random scales."""
    n, c, h, w = 1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    s_in, zp_in = np.float32(rng.uniform(0.01, 0.1)), np.int8(rng.integers(-100, 100))
    s_out = s_in if same_scale else np.float32(s_in * rng.uniform(0.1, 2.0))
    zp_out = zp_in if same_scale else np.int8(rng.integers(-100, 100))
    inits = [helper.make_tensor("s_in", TensorProto.FLOAT, [], [s_in]),
             helper.make_tensor("zp_in", TensorProto.INT8, [], [int(zp_in)]),
             helper.make_tensor("s_out", TensorProto.FLOAT, [], [s_out]),
             helper.make_tensor("zp_out", TensorProto.INT8, [], [int(zp_out)])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_in", "zp_in"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "s_in", "zp_in"], ["xd"], name="xd")]
    out_shape = [n, c, 1, 1] if kind == "GlobalAveragePool" or keepdims else [n, c]
    if kind == "GlobalAveragePool":
        nodes.append(helper.make_node("GlobalAveragePool", ["xd"], ["m"], name="mean"))
    elif opset >= 18:
        inits.append(helper.make_tensor("axes", TensorProto.INT64, [2], [2, 3]))
        nodes.append(helper.make_node("ReduceMean", ["xd", "axes"], ["m"], name="mean", keepdims=keepdims))
    else:
        nodes.append(helper.make_node("ReduceMean", ["xd"], ["m"], name="mean", axes=[-1, -2], keepdims=keepdims))
    nodes += [helper.make_node("QuantizeLinear", ["m", "s_out", "zp_out"], ["mq"], name="mq"),
              helper.make_node("DequantizeLinear", ["mq", "s_out", "zp_out"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


ONNX_VARIANTS = [("GlobalAveragePool", 1, 13), ("ReduceMean", 1, 13), ("ReduceMean", 0, 13), ("ReduceMean", 1, 18),
                 ("ReduceMean", 0, 18)]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("same_scale", [True, False])
@pytest.mark.parametrize(("kind", "keepdims", "opset"), ONNX_VARIANTS)
def test_onnx_qdq_means_are_within_one_step_of_onnxruntime(tmp_path, seed, same_scale, kind, keepdims, opset):
    """Allowance: 1 LSB (one quantized layer). Equal quantization keeps arm_avgpool_s8, else cmsis.mean."""
    rng = np.random.default_rng([seed, same_scale, keepdims, opset])
    path = str(tmp_path / "m.onnx")
    onnx.save(qdq_mean_model(kind, rng, same_scale, keepdims, opset), path)
    module = quantized(path)
    assert ("cmsis.avg_pool" if same_scale else "cmsis.mean") in kernels(module)
    _, _, shape = int8_io(module)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(30)]
    assert max(layer_differences(path, module, inputs).values()) <= 1
    sess = session(path)
    for x in inputs:
        ours = run_function(module, [x])[0].astype(np.int32).reshape(-1)
        assert np.abs(ours - run_codes(sess, module, x).astype(np.int32).reshape(-1)).max() <= 1


# -- the shared case: GlobalAveragePool with its own scale, Gemm, Softmax ----------------------

@pytest.mark.parametrize("library", LIBRARIES)
def test_gap_gemm_softmax_case_compiles_and_is_within_one_step_per_layer(tmp_path, library):
    """../shared/cases/14_gap_gemm_softmax.qdq.onnx: Conv, GlobalAveragePool (own scale), Gemm, Softmax (1/255).

    Allowance: 1 LSB per quantized layer, each layer fed onnxruntime's own input; end to end 4 LSB (4 layers).
    The C (runtime/ or CMSIS-NN) equals the interpreter.
    """
    path = case("14_gap_gemm_softmax.qdq.onnx")
    out = tmp_path / "out"
    compile_host(path, out, "gap", library)
    module = quantized(path)
    assert {"cmsis.mean", "cmsis.softmax", "cmsis.requantize"} <= set(kernels(module))
    _, _, shape = int8_io(module)
    calibration = np.load(case("14_gap_gemm_softmax.cal.npz"))["inputs"]
    q_in, _, _ = int8_io(module)
    inputs = [np.clip(np.rint(s.reshape(shape) / np.float32(q_in.scale)) + q_in.zero_point, -128, 127).astype(np.int8)
              for s in calibration]
    rng = np.random.default_rng(2)
    inputs += [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(40)]
    per_layer = layer_differences(path, module, inputs)
    assert len(per_layer) == 4 and max(per_layer.values()) <= 1, per_layer
    sess = session(path)
    for x in inputs:
        ours = run_function(module, [x])[0]
        assert np.abs(ours.astype(np.int32).reshape(-1) - run_codes(sess, module, x).astype(np.int32).reshape(-1)).max() <= 4
        assert np.array_equal(run_program(out / "gap_host", "gap", [x]), ours.reshape(-1))
