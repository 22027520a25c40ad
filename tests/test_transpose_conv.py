"""cmsis.transpose_conv (arm_transpose_conv_s8): the interpreter, our runtime and the real CMSIS-NN agree.

Random single-op networks (tests/cmsis_nn_cases.py) over strides, kernels
smaller and larger than the stride, paddings at both ends and channel counts
on either side of the library's 4-column and 16-channel steps go through the
default pipeline and the C backend into one host program per library; every
output must equal the interpreter's byte for byte. The real CMSIS-NN is the
v7.0.0 tree in ../shared/cmsis-nn (skipped with a message without it). The
TFLite models in tests/data/tflite check the interpreter against TFLite Micro
(test_tflite_data.py).
"""

from __future__ import annotations

import shutil
import subprocess

import cmsis_nn_cases as cases_lib
import numpy as np
import pytest

from cmsis_opt.backend.c import emit_c
from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import HostModel, build_host, compiler_command
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.default import DefaultPipeline

# (NHWC input, output channels, kernel, stride, top/left padding, bottom/right padding)
CASES = [
    ((1, 4, 4, 8), 6, (3, 3), (2, 2), (0, 0), (1, 1)),  # TFLite SAME, 4x4 -> 8x8
    ((1, 3, 5, 3), 4, (3, 3), (1, 1), (1, 1), (1, 1)),  # stride 1 SAME
    ((1, 5, 3, 4), 3, (2, 3), (1, 1), (0, 0), (0, 0)),  # VALID, odd sizes
    ((1, 3, 4, 2), 5, (4, 4), (2, 1), (0, 1), (2, 2)),  # stride only on the height, larger kernel
    ((1, 2, 7, 17), 3, (2, 2), (2, 2), (0, 0), (0, 0)),  # kernel = stride, 17 channels (past the 16 step)
    ((1, 3, 3, 5), 2, (1, 1), (3, 3), (0, 0), (-2, -2)),  # stride above the kernel: bias-only rows
    ((1, 2, 6, 1), 7, (5, 3), (1, 2), (2, 1), (2, 0)),  # one input channel, pad 2 at stride 1
    ((2, 3, 2, 4), 4, (3, 2), (3, 2), (0, 0), (0, 0)),  # two batches
    ((1, 2, 3, 2), 3, (2, 1), (2, 3), (0, 0), (0, -2)),  # stride 3 over a 1-wide kernel: bias-only columns
    ((1, 4, 9, 20), 9, (4, 4), (2, 2), (2, 1), (0, 1)),  # 9 columns: groups of 4, 2 and 1; top pad 2 = stride
]


def module_text(index: int) -> str:
    shape, oc, kernel, stride, pad, end = CASES[index]
    return cases_lib.transpose_conv(f"tc{index}", shape, oc, kernel, stride, pad, end)


def out_shape(index: int) -> tuple[int, ...]:
    (n, h, w, _), oc, kernel, stride, pad, end = CASES[index]
    return (n, (h - 1) * stride[0] + kernel[0] - pad[0] - end[0], (w - 1) * stride[1] + kernel[1] - pad[1] - end[1],
            oc)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Every case compiled into one host program per library: {library name: program path}."""
    if shutil.which(compiler_command()[0]) is None:
        pytest.skip("no C compiler")
    tmp = tmp_path_factory.mktemp("transpose_conv")
    models, sources = [], []
    for index, (shape, *_) in enumerate(CASES):
        name = f"tc{index}"
        module = parse_ir(module_text(index)).module
        DefaultPipeline().apply(make_context(), module)
        header, source = emit_c(module, name)
        (tmp / f"{name}.h").write_text(header)
        (tmp / f"{name}.c").write_text(source)
        sources.append(tmp / f"{name}.c")
        models.append(HostModel(name, [int(np.prod(shape))], [int(np.prod(out_shape(index)))]))
    built = {"runtime": tmp / "with_runtime"}
    build_host(sources, models, built["runtime"])
    try:
        from cmsis_opt.cmsis_nn import build_library

        library = build_library("host")
    except CompileError as error:
        print(f"the real CMSIS-NN is not checked: {error}")
    else:
        built["cmsis-nn"] = tmp / "with_cmsis_nn"
        build_host(sources, models, built["cmsis-nn"], cmsis_nn=library)
    return built


def scatter_reference(index: int, x: np.ndarray) -> np.ndarray:
    """The op's definition written out as loops over input pixels and taps, independent of the interpreter."""
    module = parse_ir(module_text(index)).module
    from cmsis_opt.dialects.cmsis import TransposeConvOp

    op = next(o for o in module.walk() if isinstance(o, TransposeConvOp))
    from cmsis_opt.dialects.utils import ints, to_numpy
    from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier

    w = to_numpy(op.filter).astype(np.int64)
    bias = to_numpy(op.bias).astype(np.int64) if op.bias is not None else np.zeros(w.shape[0], np.int64)
    (sh, sw), (ph, pw) = ints(op.stride), ints(op.padding)
    n, oh, ow, oc = out_shape(index)
    acc = np.zeros((n, oh, ow, oc), np.int64) + bias
    for b in range(n):
        for y in range(x.shape[1]):
            for xx in range(x.shape[2]):
                pixel = x[b, y, xx].astype(np.int64) + op.input_offset.value.data
                for ky in range(w.shape[1]):
                    for kx in range(w.shape[2]):
                        oy, ox = y * sh + ky - ph, xx * sw + kx - pw
                        if 0 <= oy < oh and 0 <= ox < ow:
                            acc[b, oy, ox] += w[:, ky, kx] @ pixel
    out = multiply_by_quantized_multiplier(acc, np.array(ints(op.multiplier)), np.array(ints(op.shift)))
    out = out + op.output_offset.value.data
    return np.clip(out, op.act_min.value.data, op.act_max.value.data).astype(np.int8)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_interpreter_is_the_scatter_definition(index):
    (x,) = cases_lib.inputs_for(f"tc{index}", [CASES[index][0]])
    (y,) = run_function(parse_ir(module_text(index)).module, [x])
    np.testing.assert_array_equal(y, scatter_reference(index, x))


@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
def test_host_programs_equal_the_interpreter(programs, library):
    if library not in programs:
        pytest.skip("no CMSIS-NN tree at ../shared/cmsis-nn (or $CMSIS_NN)")
    for index, (shape, *_) in enumerate(CASES):
        (x,) = cases_lib.inputs_for(f"tc{index}", [shape])
        (expected,) = run_function(parse_ir(module_text(index)).module, [x])
        run = subprocess.run([str(programs[library]), f"tc{index}"], input=x.tobytes(), capture_output=True,
                             timeout=60)
        assert run.returncode == 0, (CASES[index], run.stderr)
        got = np.frombuffer(run.stdout, np.int8).reshape(expected.shape)
        np.testing.assert_array_equal(got, expected, err_msg=f"{library} {CASES[index]}")


def _float_conv_transpose(path, strides, pads, output_padding, seed: int) -> None:
    """A float ONNX model: input [1, 4, 4, 5] NCHW -> ConvTranspose (weight [4, 3, 3, 3], bias) -> output."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array(rng.normal(0, 0.4, (4, 3, 3, 3)).astype(np.float32), "w")
    bias = numpy_helper.from_array(rng.normal(0, 0.2, (3,)).astype(np.float32), "b")
    out_hw = [strides[i] * (size - 1) + output_padding[i] + 3 - pads[i] - pads[i + 2] for i, size in enumerate((4, 5))]
    node = helper.make_node("ConvTranspose", ["input", "w", "b"], ["output"], strides=strides, pads=pads,
                            output_padding=output_padding)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4, 4, 5])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, *out_hw])],
                              [weight, bias])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


@pytest.mark.parametrize("strides, pads, output_padding",
                         [([2, 2], [0, 0, 1, 1], [0, 0]), ([1, 1], [1, 1, 1, 1], [0, 0]), ([2, 2], [0, 2, 1, 1], [1, 1])])
def test_onnx_qdq_conv_transpose_agrees_with_onnxruntime(tmp_path, strides, pads, output_padding):
    """onnxruntime's static QDQ quantization (per-channel weights) of a ConvTranspose: our int8 outputs are
    within 1 LSB of onnxruntime running the QDQ graph (its float ConvTranspose rounds once more, at the end)."""
    ort = pytest.importorskip("onnxruntime")
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from cmsis_opt.api import Model
    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.plan import the_function

    rng = np.random.default_rng(3)
    samples = rng.normal(0, 1, (16, 1, 4, 4, 5)).astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(samples)

        def get_next(self):
            sample = next(self.samples, None)
            return None if sample is None else {"input": sample}

    _float_conv_transpose(tmp_path / "float.onnx", strides, pads, output_padding, seed=len(pads) + sum(pads))
    quantize_static(str(tmp_path / "float.onnx"), str(tmp_path / "qdq.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    model = Model.load(tmp_path / "qdq.onnx").run("quantize")
    assert any(op.name == "cmsis.transpose_conv" for op in model.module.walk())
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(tmp_path / "qdq.onnx"), options, providers=["CPUExecutionProvider"])
    signature = the_function(model.module).function_type
    q_out = quant_of(signature.outputs.data[0])
    q_in = quant_of(signature.inputs.data[0])
    assert q_in is not None and q_out is not None
    for sample in samples[:4]:
        x = np.clip(np.round(sample / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        ours = model.interpret(x)[0].astype(np.int32)
        theirs = session.run(None, {"input": ((x.astype(np.float32) - q_in.zero_point) * q_in.scale)})[0]
        theirs_int8 = np.clip(np.round(theirs / q_out.scale) + q_out.zero_point, -128, 127).astype(np.int32)
        assert ours.shape == theirs_int8.shape
        assert np.abs(ours - theirs_int8).max() <= 1


def test_onnx_conv_transpose_past_the_kernel_row_buffer_is_refused_naming_the_layer(tmp_path):
    """Output padding past max(kernel, stride): the rows lie outside arm_transpose_conv_s8's buffer."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from cmsis_opt.api import Model

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(np.random.default_rng(0).normal(0, 1, (4, 1, 4, 4, 5)).astype(np.float32))

        def get_next(self):
            sample = next(self.samples, None)
            return None if sample is None else {"input": sample}

    _float_conv_transpose(tmp_path / "float.onnx", [2, 2], [0, 0, 0, 0], [1, 1], seed=0)
    quantize_static(str(tmp_path / "float.onnx"), str(tmp_path / "qdq.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    with pytest.raises(CompileError, match=r"layer '.*' \(nn.conv_transpose2d\): no CMSIS-NN kernel computes it: .*"
                                           r"output height 10 after padding 0 reaches past the 9 positions"):
        Model.load(tmp_path / "qdq.onnx").run("quantize")


LIBRARY_CALL = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"
int main(void)
{
    static int8_t input[%(in_size)d], output[%(out_size)d + 64];
    static int8_t filter[%(filter_size)d];
    static int32_t bias[%(oc)d], mult[%(oc)d], shift[%(oc)d];
    static int32_t buf[65536];
    if (fread(input, 1, sizeof input, stdin) != sizeof input || fread(filter, 1, sizeof filter, stdin) != sizeof filter
        || fread(bias, 4, %(oc)d, stdin) != %(oc)d || fread(mult, 4, %(oc)d, stdin) != %(oc)d
        || fread(shift, 4, %(oc)d, stdin) != %(oc)d) return 2;
    for (int i = 0; i < %(out_size)d + 64; i++) output[i] = 99;
    const cmsis_nn_context ctx = {buf, (int32_t)sizeof buf}, reverse = {NULL, 0};
    const cmsis_nn_transpose_conv_params params = {.input_offset = 7, .output_offset = -3,
        .stride = {.w = %(sw)d, .h = %(sh)d}, .padding = {.w = %(pw)d, .h = %(ph)d},
        .padding_offsets = {.w = 0, .h = 0}, .dilation = {.w = 1, .h = 1}, .activation = {.min = -128, .max = 127}};
    const cmsis_nn_per_channel_quant_params quant = {mult, shift};
    const cmsis_nn_dims in = {1, %(h)d, %(w)d, %(c)d}, f = {%(oc)d, %(kh)d, %(kw)d, %(c)d}, b = {1, 1, 1, %(oc)d},
        out = {1, %(oh)d, %(ow)d, %(oc)d};
    if (arm_transpose_conv_s8(&ctx, &reverse, &params, &quant, &in, input, &f, filter, &b, bias, &out, output) != 0)
        return 3;
    fwrite(output, 1, sizeof output, stdout);
    return 0;
}
"""


def _library_output(tmp_path, geometry: dict, arrays: list[np.ndarray]) -> np.ndarray:
    """arm_transpose_conv_s8 of the real CMSIS-NN called directly (no verifier in between): the output and the
    64 bytes after it (preset to 99)."""
    from cmsis_opt.cmsis_nn import build_library

    try:
        library = build_library("host")
    except CompileError as missing:
        pytest.skip(f"no CMSIS-NN tree: {missing}")
    source = tmp_path / "call.c"
    source.write_text(LIBRARY_CALL % geometry)
    program = tmp_path / "call"
    subprocess.run([*compiler_command(), *(f"-I{d}" for d in library.include_dirs), str(source),
                    str(library.archive), "-o", str(program)], check=True, capture_output=True)
    run = subprocess.run([str(program)], input=b"".join(a.tobytes() for a in arrays), capture_output=True)
    assert run.returncode == 0, run.stderr
    return np.frombuffer(run.stdout, np.int8)


@pytest.mark.parametrize("kernel, stride, pad, out_hw, why", [
    ((4, 4), (2, 2), (1, 1), (8, 8), "top padding off the stride"),
    ((1, 1), (2, 2), (0, 0), (7, 8), "output shorter than input rows times the stride"),
    ((4, 4), (2, 2), (2, 1), (8, 8), None),  # allowed: the same call done right
])
def test_what_the_verifier_refuses_is_wrong_on_the_library(tmp_path, kernel, stride, pad, out_hw, why):
    """The configurations `cmsis.transpose_conv` refuses, run on CMSIS-NN v7.0.0 directly: its output differs
    from the definition (or it writes past its output), where an allowed one (`why` None) equals it. If this
    fails, the library changed: revisit the rules."""
    rng = np.random.default_rng(11)
    h, w, c, oc = 4, 4, 3, 2
    x = rng.integers(-128, 128, (h, w, c), dtype=np.int8)
    filt = rng.integers(-127, 128, (oc, *kernel, c), dtype=np.int8)
    bias = rng.integers(-500, 500, oc).astype(np.int32)
    mult, shift = np.full(oc, 1 << 30, np.int32), np.full(oc, -6, np.int32)
    geometry = dict(in_size=x.size, out_size=out_hw[0] * out_hw[1] * oc, filter_size=filt.size, oc=oc, h=h, w=w, c=c,
                    kh=kernel[0], kw=kernel[1], sh=stride[0], sw=stride[1], ph=pad[0], pw=pad[1], oh=out_hw[0],
                    ow=out_hw[1])
    got = _library_output(tmp_path, geometry, [x, filt, bias, mult, shift])
    from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier

    acc = np.zeros((out_hw[0], out_hw[1], oc), np.int64) + bias
    for y in range(h):
        for xx in range(w):
            for ky in range(kernel[0]):
                for kx in range(kernel[1]):
                    oy, ox = y * stride[0] + ky - pad[0], xx * stride[1] + kx - pad[1]
                    if 0 <= oy < out_hw[0] and 0 <= ox < out_hw[1]:
                        acc[oy, ox] += filt[:, ky, kx].astype(np.int64) @ (x[y, xx].astype(np.int64) + 7)
    want = np.clip(multiply_by_quantized_multiplier(acc, mult, shift) - 3, -128, 127).astype(np.int8).reshape(-1)
    size = want.size
    right = np.array_equal(got[:size], want) and bool(np.all(got[size:] == 99))
    assert right == (why is None), why


@pytest.mark.parametrize("strides, pads, output_padding", [([2, 2], [0, 2, 1, 1], [1, 1]), ([3, 1], [1, 0, 2, 1], [2, 0])])
def test_float_semantics_equal_onnxruntime(tmp_path, strides, pads, output_padding):
    """nn.conv_transpose2d's float interpreter (output padding rows included) against onnxruntime's ConvTranspose."""
    ort = pytest.importorskip("onnxruntime")
    from cmsis_opt.frontends.onnx import import_onnx

    _float_conv_transpose(tmp_path / "float.onnx", strides, pads, output_padding, seed=5)
    x = np.random.default_rng(9).normal(0, 1, (1, 4, 4, 5)).astype(np.float32)
    (ours,) = run_function(import_onnx(str(tmp_path / "float.onnx")), [x])
    (theirs,) = ort.InferenceSession(str(tmp_path / "float.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("strides, pads, output_padding", [([2, 2], [0, 0, 1, 1], [0, 0]), ([1, 1], [1, 1, 1, 1], [0, 0])])
def test_float_conv_transpose_with_calibration_is_within_a_step_of_onnxruntime(tmp_path, strides, pads, output_padding):
    """A float ConvTranspose calibrated by the compiler (per-channel weights on ONNX's axis 1): the interpreter's
    int8 output dequantizes to within one output step of onnxruntime's float output on the same input codes."""
    ort = pytest.importorskip("onnxruntime")
    from cmsis_opt.api import Model
    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.plan import returned_values, the_function

    _float_conv_transpose(tmp_path / "float.onnx", strides, pads, output_padding, seed=7)
    samples = np.random.default_rng(5).normal(0, 1, (16, 1, 4, 4, 5)).astype(np.float32)
    np.savez(tmp_path / "cal.npz", inputs=samples)
    model = Model.load(str(tmp_path / "float.onnx")).calibrate(str(tmp_path / "cal.npz")).run("default")
    func = the_function(model.module)
    q_in = quant_of(func.body.block.args[0].type)
    q_out = quant_of(returned_values(func)[0].type)
    assert q_in is not None and q_out is not None
    session = ort.InferenceSession(str(tmp_path / "float.onnx"))
    worst = 0.0
    for x in samples:
        codes = np.clip(np.rint(x / q_in.scale) + q_in.zero_point, -128, 127).astype(np.int8)
        (got,) = model.interpret(codes)
        want = session.run(None, {"input": (codes.astype(np.float32) - q_in.zero_point) * np.float32(q_in.scale)})[0]
        real = (got.astype(np.float32) - q_out.zero_point) * q_out.scale
        worst = max(worst, float(np.abs(real.reshape(want.shape) - want).max()) / q_out.scale)
    assert worst <= 1.0, f"{worst:.2f} output steps from onnxruntime"
