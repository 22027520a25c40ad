"""Every form of x @ W (+ b) exporters write is one fully connected layer (or, where onnxruntime's own
intermediate rounding would otherwise be lost, a fully connected layer and a channel affine).

Forms: MatMul with a constant weight, then Add of a constant bias [N] or [1, N] in either operand order;
Gemm (transA=0) with transB 0 or 1, alpha / beta folded, C of shape [N] or [1, N]; QDQ (int8 bias or int32)
and float (calibrated here). In QDQ the MatMul is often quantized before its bias Add: the two fold into one
layer under `Lowering.bias_folds`'s rule, else the bias becomes a 1x1 depthwise convolution.

Allowance against onnxruntime (graph optimizations off): 1 LSB per quantized layer, checked layer by layer
(tests/onnx_oracle.py); a folded MatMul + Add is two of the model's quantized layers in one.
Float models: the int8 result must be within the error the quantization itself allows (input, weight and
output steps) of onnxruntime's float output.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import ROOT
from onnx import TensorProto, helper, numpy_helper

from cmsis_opt.calibrate import calibrate_module
from cmsis_opt.context import make_context
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

from host_programs import LIBRARIES, build_programs, compile_host, program_for, run_program
from onnx_oracle import assert_within_steps, int8_io, layer_differences, quantized, run_codes, session
from onnx_oracle import kernels as oracle_kernels

CASES = ROOT.parent / "shared" / "cases"
K, N = 12, 5


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _q(x, s, zp, dtype=np.int8):
    info = np.iinfo(dtype)
    return np.clip(np.rint(x / s) + zp, info.min, info.max).astype(dtype)


def qdq_linear(rng, form: str, bias_shape=(N,), bias_first=False, trans_b=1, alpha=1.0, beta=1.0,
               intermediate: str | None = None, int8_bias=False) -> onnx.ModelProto:
    """float x [1, K] -> Q -> DQ -> (MatMul [+ Q/DQ] + Add) or Gemm -> Q -> DQ -> y [1, N].

    `intermediate`: None (the Add reads the MatMul's float result), "fold" (the MatMul quantized at a scale
    and range that fold: steps under two output steps, a range wide enough), "clamp" (a range whose clamp
    onnxruntime applies before the output's).
    """
    w = rng.normal(0, 0.3, (K, N)).astype(np.float32)
    b = rng.normal(0, 0.5, N).astype(np.float32)
    s_x, zp_x = np.float32(0.05), np.int8(4)
    s_w = np.float32(np.abs(w).max() / 127)
    s_y, zp_y = np.float32(0.04), np.int8(-10)
    inits = [_init("s_x", s_x), _init("zp_x", zp_x), _init("s_y", s_y), _init("zp_y", zp_y), _init("s_w", s_w),
             _init("zp_w", np.int8(0))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_x", "zp_x"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "s_x", "zp_x"], ["xd"], name="xd")]
    w_stored = w if (form == "matmul" or not trans_b) else w.T
    inits.append(_init("wq", _q(w_stored / alpha, s_w, 0)))
    nodes.append(helper.make_node("DequantizeLinear", ["wq", "s_w", "zp_w"], ["wd"], name="wd"))
    if int8_bias:
        s_b, zp_b = np.float32(np.abs(b).max() / 100), np.int8(3)
        inits += [_init("bq", _q(b.reshape(bias_shape) / beta, s_b, zp_b)), _init("s_b", s_b), _init("zp_b", zp_b)]
        nodes.append(helper.make_node("DequantizeLinear", ["bq", "s_b", "zp_b"], ["bd"], name="bd"))
    else:
        s_b = np.float32(s_x * s_w)
        inits += [_init("bq", _q(b.reshape(bias_shape) / beta, s_b, 0, np.int32)), _init("s_b", s_b),
                  _init("zp_b", np.int32(0))]
        nodes.append(helper.make_node("DequantizeLinear", ["bq", "s_b", "zp_b"], ["bd"], name="bd"))
    if form == "matmul":
        nodes.append(helper.make_node("MatMul", ["xd", "wd"], ["mm"], name="mm"))
        mm = "mm"
        if intermediate is not None:
            # "fold": range [-6.0, 6.75] holds the output's [-4.72, 5.48] shifted by any bias within +-1.3, and
            # s_m / (2 s_y) = 0.625; "clamp": range [-3.84, 3.81], onnxruntime saturates before the output does
            s_m, zp_m = (np.float32(0.05), np.int8(-8)) if intermediate == "fold" else (np.float32(0.03), np.int8(0))
            inits += [_init("s_m", s_m), _init("zp_m", zp_m)]
            nodes += [helper.make_node("QuantizeLinear", ["mm", "s_m", "zp_m"], ["mmq"], name="mmq"),
                      helper.make_node("DequantizeLinear", ["mmq", "s_m", "zp_m"], ["mmd"], name="mmd")]
            mm = "mmd"
        operands = ["bd", mm] if bias_first else [mm, "bd"]
        nodes.append(helper.make_node("Add", operands, ["lin"], name="add"))
    else:
        nodes.append(helper.make_node("Gemm", ["xd", "wd", "bd"], ["lin"], name="gemm", transB=trans_b, alpha=alpha,
                                      beta=beta))
    nodes += [helper.make_node("QuantizeLinear", ["lin", "s_y", "zp_y"], ["yq"], name="yq"),
              helper.make_node("DequantizeLinear", ["yq", "s_y", "zp_y"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, N])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


QDQ_FORMS = {
    "matmul_add_n": dict(form="matmul"),
    "matmul_add_1n": dict(form="matmul", bias_shape=(1, N)),
    "add_bias_first": dict(form="matmul", bias_first=True),
    "matmul_add_int8_bias": dict(form="matmul", int8_bias=True),
    "matmul_q_add_fold": dict(form="matmul", intermediate="fold", int8_bias=True),
    "matmul_q_add_fold_1n_first": dict(form="matmul", intermediate="fold", bias_shape=(1, N), bias_first=True,
                                       int8_bias=True),
    "matmul_q_add_clamp": dict(form="matmul", intermediate="clamp", int8_bias=True),
    "gemm_trans_b": dict(form="gemm"),
    "gemm_plain_b": dict(form="gemm", trans_b=0),
    "gemm_1n_bias": dict(form="gemm", bias_shape=(1, N)),
    "gemm_alpha_beta": dict(form="gemm", alpha=0.5, beta=2.0),
    "gemm_negative_alpha": dict(form="gemm", trans_b=0, alpha=-1.5, beta=0.25),
}
ONE_LAYER = {"matmul_add_n", "matmul_add_1n", "add_bias_first", "matmul_add_int8_bias", "matmul_q_add_fold",
             "matmul_q_add_fold_1n_first", "gemm_trans_b", "gemm_plain_b", "gemm_1n_bias", "gemm_alpha_beta",
             "gemm_negative_alpha"}


def kernels(module) -> list[str]:
    return oracle_kernels(module, views=False)


@pytest.mark.parametrize("name", QDQ_FORMS)
def test_qdq_linear_forms_are_fully_connected_within_one_step_per_layer(tmp_path, name):
    rng = np.random.default_rng(len(name))
    path = str(tmp_path / f"{name}.onnx")
    onnx.save(qdq_linear(rng, **QDQ_FORMS[name]), path)
    module = quantized(path)
    expected = ["cmsis.fully_connected"] if name in ONE_LAYER else ["cmsis.fully_connected", "cmsis.depthwise_conv"]
    assert kernels(module) == expected
    _, _, shape = int8_io(module)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(200)]
    per_layer = layer_differences(path, module, inputs)
    assert max(per_layer.values()) <= 1, per_layer
    layers = 2 if QDQ_FORMS[name].get("intermediate") else 1  # quantized layers of the model between x and y
    sess = session(path)
    worst = max(int(np.abs(run_function(module, [x])[0].astype(np.int32).reshape(-1)
                           - run_codes(sess, module, x).astype(np.int32).reshape(-1)).max()) for x in inputs)
    assert worst <= layers


def test_clamping_intermediate_keeps_onnxruntimes_clamp():
    """Where onnxruntime's int8 MatMul result saturates before the output would, folding the bias would move the
    output by many steps: the MatMul keeps its layer, the bias add is its own (a 1x1 depthwise convolution)."""
    rng = np.random.default_rng(3)
    model = qdq_linear(rng, form="matmul", intermediate="clamp", int8_bias=True)
    q = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    s_m, zp_m = float(q["s_m"]), int(q["zp_m"])
    s_y, zp_y = float(q["s_y"]), int(q["zp_y"])
    bias = (q["bq"].astype(np.int64) - int(q["zp_b"])) * float(q["s_b"])
    clamps_early = ((127 - zp_m) * s_m + bias < (126 - zp_y) * s_y) | ((-128 - zp_m) * s_m + bias > (-127 - zp_y) * s_y)
    assert clamps_early.any()


@pytest.fixture(scope="module")
def linear_programs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("linear")
    modules, paths = {}, {}
    for k, (name, form) in enumerate(QDQ_FORMS.items()):
        path = tmp / f"{name}.onnx"
        onnx.save(qdq_linear(np.random.default_rng(len(name)), **form), str(path))
        paths[f"l{k}"] = str(path)
        modules[f"l{k}"] = import_model(str(path))
    return build_programs(tmp, modules), paths


@pytest.mark.parametrize("library", LIBRARIES)
def test_linear_forms_in_c_equal_the_interpreter(linear_programs, library):
    programs, paths = linear_programs
    program = program_for(programs, library)
    rng = np.random.default_rng(12)
    for name, path in paths.items():
        module = quantized(path)
        _, _, shape = int8_io(module)
        for _ in range(10):
            x = rng.integers(-128, 128, shape).astype(np.int8)
            assert np.array_equal(run_program(program, name, [x]), run_function(module, [x])[0].reshape(-1)), name


# -- float models ---------------------------------------------------------------------------

def float_linear(rng, form: str, bias_shape=(N,), bias_first=False, trans_b=1, alpha=1.0, beta=1.0):
    w = rng.normal(0, 0.3, (K, N)).astype(np.float32)
    b = rng.normal(0, 0.5, bias_shape).astype(np.float32)
    inits = [_init("b", b)]
    if form == "matmul":
        inits.append(_init("w", w))
        nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
                 helper.make_node("Add", ["b", "mm"] if bias_first else ["mm", "b"], ["y"], name="add")]
    else:
        inits.append(_init("w", w if not trans_b else np.ascontiguousarray(w.T)))
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=trans_b, alpha=alpha, beta=beta)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, N])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), w, b


FLOAT_FORMS = {
    "matmul_add": dict(form="matmul"),
    "matmul_add_1n_first": dict(form="matmul", bias_shape=(1, N), bias_first=True),
    "gemm_trans_b": dict(form="gemm"),
    "gemm_plain_alpha_beta": dict(form="gemm", trans_b=0, alpha=0.75, beta=-2.0),
}


@pytest.mark.parametrize("name", FLOAT_FORMS)
def test_float_linear_forms_calibrate_to_one_fully_connected_layer(tmp_path, name):
    """Bound: half an output step, plus the input's and the weights' quantization errors through the layer."""
    rng = np.random.default_rng(len(name) + 50)
    model, w, _ = float_linear(rng, **FLOAT_FORMS[name])
    path = str(tmp_path / f"{name}.onnx")
    onnx.save(model, path)
    samples = rng.normal(0, 1, (64, 1, K)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", inputs=samples)
    module = import_model(path)
    calibrate_module(module, str(tmp_path / "cal.npz"), show_progress=False)
    QuantizePass().apply(make_context(), module)
    assert kernels(module) == ["cmsis.fully_connected"]
    func = next(iter(module.ops))
    q_in, q_out = quant_of(func.body.block.args[0].type), quant_of(func.function_type.outputs.data[0])
    fc = next(op for op in func.body.block.ops if op.name == "cmsis.fully_connected")
    sess = session(path)
    alpha = FLOAT_FORMS[name].get("alpha", 1.0)
    s_w = float(np.abs(w * alpha).max()) / 127
    for x in samples[:32]:
        codes = np.clip(np.rint(x / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        ours = (run_function(module, [codes])[0].astype(np.float64) - q_out.zero_point) * q_out.scale
        theirs = sess.run(None, {"x": x})[0].astype(np.float64)
        xq = (codes.astype(np.float64) - q_in.zero_point) * q_in.scale
        bound = (0.5 * q_out.scale + np.abs(w * alpha).sum(axis=0) * q_in.scale / 2
                 + np.abs(xq).sum() * s_w / 2 + 1e-6)
        in_range = np.abs(theirs) < (127 - abs(q_out.zero_point)) * q_out.scale
        assert np.all((np.abs(ours - theirs) <= bound)[in_range]), (fc.name, ours, theirs)


# -- the shared case ------------------------------------------------------------------------------

@pytest.mark.parametrize("library", LIBRARIES)
def test_matmul_add_case_within_one_step_per_layer(tmp_path, library):
    """../shared/cases/06_matmul_add_pt.qdq.onnx: Conv, Flatten, MatMul (quantized) + Add of an int8 bias [10].

    Its MatMul's int8 range, shifted by some channels' bias, ends inside the output's: onnxruntime clamps there,
    so the bias is a layer of its own (a channel affine). Allowance: 1 LSB per quantized layer (conv, MatMul,
    Add), each fed onnxruntime's own input; end to end 3. The C equals the interpreter.
    """
    path = CASES / "06_matmul_add_pt.qdq.onnx"
    if not path.is_file():
        pytest.skip(f"{path.name} not found in {CASES} (the shared failing-input cases live beside the repository)")
    program = compile_host(str(path), tmp_path / "out", "mm", library)
    module = quantized(str(path))
    assert kernels(module) == ["cmsis.conv", "cmsis.fully_connected", "cmsis.depthwise_conv"]
    _, _, shape = int8_io(module)
    rng = np.random.default_rng(13)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(60)]

    def in_c(x, ours):
        assert np.array_equal(run_program(program, "mm", [x]), ours.reshape(-1))

    assert_within_steps(str(path), module, inputs, end_to_end=3, layers=3, check=in_c)
