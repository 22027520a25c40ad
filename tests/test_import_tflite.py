"""cmsis-import on small int8 TFLite models built here with the flatbuffer schema.

Each model holds one or two ops, so each test shows one mapping: NHWC -> NCHW,
filter permutations, SAME padding, fused activations, reshape order. Where the
rest of the pipeline exists, the imported model is also lowered (--quantize),
run by the integer interpreter and compared with TensorFlow Lite Micro exactly.
"""

from __future__ import annotations

from collections import Counter

import flatbuffers
import numpy as np
import pytest
from conftest import run_tool
from xdsl.dialects.func import FuncOp

from cmsis_opt.dialects.utils import ints, to_numpy
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends import import_model
from cmsis_opt.frontends.tflite import load_schema
from cmsis_opt.ir import parse_ir, print_ir

S = load_schema()


class TfliteModel:
    """A one-subgraph TFLite model under construction (object API of the schema)."""

    def __init__(self):
        self.model = S.ModelT()
        self.model.version = 3
        self.model.buffers = [S.BufferT()]  # buffer 0: the empty sentinel
        self.model.operatorCodes = []
        self.graph = S.SubGraphT()
        self.graph.tensors, self.graph.operators = [], []
        self.model.subgraphs = [self.graph]

    def tensor(self, name, shape, kind="INT8", data=None, scale=None, zp=None, axis=0) -> int:
        t = S.TensorT()
        t.name, t.shape, t.type = name.encode(), np.array(shape, np.int32), getattr(S.TensorType, kind)
        if data is not None:
            buffer = S.BufferT()
            buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            self.model.buffers.append(buffer)
            t.buffer = len(self.model.buffers) - 1
        else:
            t.buffer = 0
        if scale is not None:
            q = S.QuantizationParametersT()
            q.scale = np.atleast_1d(np.asarray(scale, np.float32))
            q.zeroPoint = np.atleast_1d(np.asarray(0 if zp is None else zp, np.int64))
            if q.zeroPoint.size == 1 and q.scale.size > 1:
                q.zeroPoint = np.zeros(q.scale.size, np.int64)
            q.quantizedDimension = axis
            t.quantization = q
        self.graph.tensors.append(t)
        return len(self.graph.tensors) - 1

    def op(self, kind: str, inputs, outputs, options=None, options_type=None) -> None:
        code = getattr(S.BuiltinOperator, kind)
        codes = [c.builtinCode for c in self.model.operatorCodes]
        if code not in codes:
            c = S.OperatorCodeT()
            c.builtinCode, c.deprecatedBuiltinCode, c.version = code, min(code, 127), 1
            self.model.operatorCodes.append(c)
            codes.append(code)
        op = S.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = codes.index(code), list(inputs), list(outputs)
        if options is not None:
            op.builtinOptionsType, op.builtinOptions = getattr(S.BuiltinOptions, options_type), options
        self.graph.operators.append(op)

    def build(self, inputs, outputs) -> bytes:
        self.graph.inputs, self.graph.outputs = list(inputs), list(outputs)
        builder = flatbuffers.Builder(1024)
        builder.Finish(self.model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def options(cls_name: str, **fields):
    opts = getattr(S, cls_name)()
    for key, value in fields.items():
        setattr(opts, key, value)
    return opts


def activation(name: str) -> int:
    return getattr(S.ActivationFunctionType, name)


def conv_model(depthwise=False, padding="SAME", stride=2, act="RELU6", multiplier=1):
    """input 1x7x6x3 -> CONV_2D (or DEPTHWISE_CONV_2D) 3x3 -> output."""
    r = np.random.default_rng(5)
    m = TfliteModel()
    x = m.tensor("input", [1, 7, 6, 3], scale=0.05, zp=-10)
    out_c = 3 * multiplier if depthwise else 4
    shape = [1, 3, 3, out_c] if depthwise else [out_c, 3, 3, 3]
    w_scales = r.uniform(0.005, 0.02, out_c).astype(np.float32)
    w = m.tensor("filter", shape, data=r.integers(-127, 128, shape).astype(np.int8), scale=w_scales, axis=3 if depthwise else 0)
    b = m.tensor("bias", [out_c], "INT32", data=r.integers(-300, 300, out_c).astype(np.int32),
                 scale=(np.float32(0.05) * w_scales).astype(np.float32))
    pad = getattr(S.Padding, padding)
    out_h = -(-7 // stride) if padding == "SAME" else (7 - 3) // stride + 1
    out_w = -(-6 // stride) if padding == "SAME" else (6 - 3) // stride + 1
    y = m.tensor("output", [1, out_h, out_w, out_c], scale=0.03, zp=-128)
    if depthwise:
        opts = options("DepthwiseConv2DOptionsT", padding=pad, strideH=stride, strideW=stride, depthMultiplier=multiplier,
                       fusedActivationFunction=activation(act), dilationHFactor=1, dilationWFactor=1)
        m.op("DEPTHWISE_CONV_2D", [x, w, b], [y], opts, "DepthwiseConv2DOptions")
    else:
        opts = options("Conv2DOptionsT", padding=pad, strideH=stride, strideW=stride,
                       fusedActivationFunction=activation(act), dilationHFactor=1, dilationWFactor=1)
        m.op("CONV_2D", [x, w, b], [y], opts, "Conv2DOptions")
    return m.build([x], [y])


def pool_add_model():
    """MAX_POOL_2D (SAME) then ADD of a per-channel int8 constant [C] (broadcast on the channels)."""
    m = TfliteModel()
    x = m.tensor("input", [1, 5, 5, 2], scale=0.1, zp=3)
    p = m.tensor("pooled", [1, 3, 3, 2], scale=0.1, zp=3)
    c = m.tensor("offset", [2], data=np.array([20, -40], np.int8), scale=0.05, zp=0)
    y = m.tensor("output", [1, 3, 3, 2], scale=0.12, zp=-5)
    m.op("MAX_POOL_2D", [x], [p], options("Pool2DOptionsT", padding=S.Padding.SAME, strideH=2, strideW=2,
                                          filterHeight=3, filterWidth=3), "Pool2DOptions")
    m.op("ADD", [p, c], [y], options("AddOptionsT", fusedActivationFunction=activation("RELU")), "AddOptions")
    return m.build([x], [y])


def two_pools_add_model():
    """MAX_POOL_2D and AVERAGE_POOL_2D (SAME) of the same input, added with a fused RELU."""
    m = TfliteModel()
    x = m.tensor("input", [1, 5, 6, 2], scale=0.1, zp=3)
    p1 = m.tensor("max", [1, 3, 3, 2], scale=0.1, zp=3)
    p2 = m.tensor("avg", [1, 3, 3, 2], scale=0.1, zp=3)
    y = m.tensor("output", [1, 3, 3, 2], scale=0.15, zp=-20)
    pool = dict(padding=S.Padding.SAME, strideH=2, strideW=2, filterHeight=3, filterWidth=3)
    m.op("MAX_POOL_2D", [x], [p1], options("Pool2DOptionsT", **pool), "Pool2DOptions")
    m.op("AVERAGE_POOL_2D", [x], [p2], options("Pool2DOptionsT", **pool), "Pool2DOptions")
    m.op("ADD", [p1, p2], [y], options("AddOptionsT", fusedActivationFunction=activation("RELU")), "AddOptions")
    return m.build([x], [y])


def pad_concat_mean_model():
    """PAD, CONCATENATION on the channel axis, MEAN over H and W (no keep_dims), FULLY_CONNECTED."""
    m = TfliteModel()
    x = m.tensor("input", [1, 4, 4, 2], scale=0.1, zp=0)
    paddings = m.tensor("paddings", [4, 2], "INT32", data=np.array([[0, 0], [1, 1], [0, 2], [0, 0]], np.int32))
    padded = m.tensor("padded", [1, 6, 6, 2], scale=0.1, zp=0)
    x2 = m.tensor("input_b", [1, 6, 6, 3], scale=0.1, zp=0)
    joined = m.tensor("joined", [1, 6, 6, 5], scale=0.1, zp=0)
    axes = m.tensor("axes", [2], "INT32", data=np.array([1, 2], np.int32))
    mean = m.tensor("mean", [1, 5], scale=0.1, zp=0)
    w = m.tensor("fc_w", [3, 5], data=np.arange(-7, 8, dtype=np.int8).reshape(3, 5), scale=0.02)
    y = m.tensor("output", [1, 3], scale=0.05, zp=0)
    m.op("PAD", [x, paddings], [padded])
    m.op("CONCATENATION", [padded, x2], [joined], options("ConcatenationOptionsT", axis=3), "ConcatenationOptions")
    m.op("MEAN", [joined, axes], [mean], options("ReducerOptionsT", keepDims=False), "ReducerOptions")
    m.op("FULLY_CONNECTED", [mean, w, -1], [y], options("FullyConnectedOptionsT"), "FullyConnectedOptions")
    return m.build([x, x2], [y])


def reshape_model():
    """RESHAPE of a 4-D tensor (TFLite's NHWC row-major order), then SOFTMAX."""
    m = TfliteModel()
    x = m.tensor("input", [1, 2, 2, 3], scale=0.2, zp=-1)
    shape = m.tensor("shape", [2], "INT32", data=np.array([1, 12], np.int32))
    flat = m.tensor("flat", [1, 12], scale=0.2, zp=-1)
    y = m.tensor("output", [1, 12], scale=1 / 256, zp=-128)
    m.op("RESHAPE", [x, shape], [flat])
    m.op("SOFTMAX", [flat], [y], options("SoftmaxOptionsT", beta=1.0), "SoftmaxOptions")
    return m.build([x], [y])


def conv_fc_model():
    """CONV_2D then FULLY_CONNECTED reading the 4-D conv output directly (flattened in NHWC order)."""
    r = np.random.default_rng(9)
    m = TfliteModel()
    x = m.tensor("input", [1, 4, 3, 2], scale=0.05, zp=0)
    w = m.tensor("filter", [3, 1, 1, 2], data=r.integers(-127, 128, (3, 1, 1, 2)).astype(np.int8),
                 scale=np.array([0.01, 0.02, 0.03], np.float32))
    b = m.tensor("bias", [3], "INT32", data=np.array([10, -20, 30], np.int32),
                 scale=(np.float32(0.05) * np.array([0.01, 0.02, 0.03], np.float32)).astype(np.float32))
    c = m.tensor("conv", [1, 4, 3, 3], scale=0.02, zp=-7)
    fw = m.tensor("fc_w", [5, 36], data=r.integers(-127, 128, (5, 36)).astype(np.int8), scale=0.01)
    fb = m.tensor("fc_b", [5], "INT32", data=np.arange(5, dtype=np.int32) * 50, scale=np.float32(0.02) * np.float32(0.01))
    y = m.tensor("output", [1, 5], scale=0.1, zp=2)
    m.op("CONV_2D", [x, w, b], [c], options("Conv2DOptionsT", padding=S.Padding.VALID, strideH=1, strideW=1,
                                              dilationHFactor=1, dilationWFactor=1), "Conv2DOptions")
    m.op("FULLY_CONNECTED", [c, fw, fb], [y], options("FullyConnectedOptionsT"), "FullyConnectedOptions")
    return m.build([x], [y])


def float_boundary_model():
    """float input -> QUANTIZE -> MUL by itself -> DEQUANTIZE -> float output."""
    m = TfliteModel()
    x = m.tensor("input", [1, 8], "FLOAT32")
    q = m.tensor("q", [1, 8], scale=0.02, zp=0)
    p = m.tensor("product", [1, 8], scale=0.01, zp=-100)
    y = m.tensor("output", [1, 8], "FLOAT32")
    m.op("QUANTIZE", [x], [q])
    m.op("MUL", [q, q], [p], options("MulOptionsT"), "MulOptions")
    m.op("DEQUANTIZE", [p], [y])
    return m.build([x], [y])


def unsupported_model():
    m = TfliteModel()
    x = m.tensor("input", [1, 8], scale=0.1, zp=0)
    y = m.tensor("normalized", [1, 8], scale=1 / 128, zp=0)
    m.op("L2_NORMALIZATION", [x], [y])
    return m.build([x], [y])


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    return str(path)


def func_of(module) -> FuncOp:
    return next(op for op in module.ops if isinstance(op, FuncOp))


def ops_named(module, name: str) -> list:
    return [op for op in func_of(module).body.block.ops if op.name == name]


def counts(module) -> Counter:
    return Counter(op.name for op in func_of(module).body.block.ops)


# -- mappings ---------------------------------------------------------------------
def test_conv_filter_becomes_oihw_with_per_channel_scales(tmp_path):
    data = conv_model()
    module = import_model(write(tmp_path, "conv", data))
    source = S.ModelT.InitFromPackedBuf(data, 0)
    filt = np.frombuffer(source.buffers[1].data.tobytes(), np.int8).reshape(4, 3, 3, 3)
    weight = ops_named(module, "nn.constant")[0]
    np.testing.assert_array_equal(to_numpy(weight.value), filt.transpose(0, 3, 1, 2))
    q = weight.results[0].type.element_type
    assert q.axis == 0 and q.scales == [float(s) for s in source.subgraphs[0].tensors[1].quantization.scale]
    bias = ops_named(module, "nn.constant")[1].results[0].type.element_type
    assert bias.storage_type.width.data == 32 and bias.scales == [float(s) for s in source.subgraphs[0].tensors[2].quantization.scale]


def test_same_padding_puts_the_extra_pixel_at_the_end(tmp_path):
    conv = ops_named(import_model(write(tmp_path, "conv", conv_model())), "nn.conv2d")[0]
    # 7 rows, stride 2 -> 4 outputs: (4-1)*2 + 3 - 7 = 2 -> 1 + 1; 6 columns -> 3 outputs: 1 -> 0 + 1
    assert ints(conv.pads) == (1, 0, 1, 1)
    assert conv.results[0].type.get_shape() == (1, 4, 4, 3)


def test_valid_padding_is_zero(tmp_path):
    conv = ops_named(import_model(write(tmp_path, "conv", conv_model(padding="VALID", stride=1))), "nn.conv2d")[0]
    assert ints(conv.pads) == (0, 0, 0, 0) and conv.results[0].type.get_shape() == (1, 4, 5, 4)


def test_relu6_is_a_clip_between_op_and_quantize(tmp_path):
    module = import_model(write(tmp_path, "conv", conv_model()))
    (clip,) = ops_named(module, "nn.clip")
    assert (clip.min.value.data, clip.max.value.data) == (0.0, 6.0)
    quantize = next(iter(clip.results[0].uses)).operation
    assert quantize.name == "nn.quantize"
    q = quantize.results[0].type.element_type
    assert (q.scale, q.zero_point) == (float(np.float32(0.03)), -128)


def test_nhwc_input_and_output_are_transposed_around_the_nchw_body(tmp_path):
    module = import_model(write(tmp_path, "conv", conv_model(act="NONE")))
    func = func_of(module)
    assert func.body.block.args[0].type.get_shape() == (1, 7, 6, 3)
    first, last = ops_named(module, "nn.transpose")
    assert ints(first.perm) == (0, 3, 1, 2) and first.operands[0] is func.body.block.args[0]
    assert ints(last.perm) == (0, 2, 3, 1) and last.results[0].type.get_shape() == (1, 4, 3, 4)
    assert counts(module)["nn.clip"] == counts(module)["nn.relu"] == 0


def test_depthwise_filter_becomes_grouped_conv_weight(tmp_path):
    data = conv_model(depthwise=True, multiplier=2, act="RELU")
    module = import_model(write(tmp_path, "dw", data))
    conv = ops_named(module, "nn.conv2d")[0]
    assert conv.group.value.data == 3
    weight = ops_named(module, "nn.constant")[0]
    filt = np.frombuffer(S.ModelT.InitFromPackedBuf(data, 0).buffers[1].data.tobytes(), np.int8).reshape(1, 3, 3, 6)
    np.testing.assert_array_equal(to_numpy(weight.value), filt.transpose(3, 0, 1, 2))
    assert weight.results[0].type.element_type.axis == 0
    assert counts(module)["nn.relu"] == 1


def test_pool_and_broadcast_add(tmp_path):
    module = import_model(write(tmp_path, "pool_add", pool_add_model()))
    (pool,) = ops_named(module, "nn.max_pool")
    assert ints(pool.pads) == (1, 1, 1, 1) and ints(pool.kernel) == (3, 3)
    offset = next(op for op in ops_named(module, "nn.constant") if op.attributes["layer"].data == "offset")
    assert offset.results[0].type.get_shape() == (1, 2, 1, 1)  # [C] -> NHWC [1,1,1,C] -> NCHW
    (add,) = ops_named(module, "nn.add")
    assert add.results[0].type.get_shape() == (1, 2, 3, 3)


def test_pad_concat_mean_fully_connected(tmp_path):
    module = import_model(write(tmp_path, "pcm", pad_concat_mean_model()))
    (pad,) = ops_named(module, "nn.pad")
    assert ints(pad.pads) == (0, 0, 1, 0, 0, 0, 1, 2)  # NHWC [[0,0],[1,1],[0,2],[0,0]] as NCHW begins, ends
    (concat,) = ops_named(module, "nn.concat")
    assert concat.axis.value.data == 1
    (pool,) = ops_named(module, "nn.global_avg_pool")
    assert pool.results[0].type.get_shape() == (1, 5, 1, 1)
    (fc,) = ops_named(module, "nn.fully_connected")
    assert fc.operands[0].type.get_shape() == (1, 5) and fc.bias is None
    assert len(func_of(module).body.block.args) == 2


def test_reshape_of_a_4d_tensor_follows_tflite_order(tmp_path):
    module = import_model(write(tmp_path, "reshape", reshape_model()))
    (to_nchw, to_nhwc) = ops_named(module, "nn.transpose")
    (reshape,) = ops_named(module, "nn.reshape")
    assert reshape.operands[0] is to_nhwc.results[0] and ints(to_nhwc.perm) == (0, 2, 3, 1)
    # same scale in and out: the int8 codes are moved, nothing is requantized
    assert reshape.results[0].type.element_type == func_of(module).body.block.args[0].type.element_type
    (softmax,) = ops_named(module, "nn.softmax")
    assert softmax.axis.value.data == 1


def test_fully_connected_flattens_a_4d_input_in_tflite_order(tmp_path):
    module = import_model(write(tmp_path, "conv_fc", conv_fc_model()))
    (fc,) = ops_named(module, "nn.fully_connected")
    flat = fc.input.owner.input.owner  # dequantize <- reshape of the int8 codes
    assert flat.name == "nn.reshape" and flat.results[0].type.get_shape() == (1, 36)
    to_nhwc = flat.input.owner
    assert to_nhwc.name == "nn.transpose" and ints(to_nhwc.perm) == (0, 2, 3, 1)


def test_float_boundaries_quantize_and_dequantize(tmp_path):
    module = import_model(write(tmp_path, "float_io", float_boundary_model()))
    func = func_of(module)
    assert str(func.function_type.inputs.data[0]) == "tensor<1x8xf32>"
    assert str(func.function_type.outputs.data[0]) == "tensor<1x8xf32>"
    assert counts(module)["nn.mul"] == 1 and counts(module)["nn.quantize"] == 2


def test_imported_ir_round_trips(tmp_path):
    for name, data in (("conv", conv_model()), ("pcm", pad_concat_mean_model()), ("reshape", reshape_model())):
        text = print_ir(import_model(write(tmp_path, name, data)))
        assert print_ir(parse_ir(text).module) == text


# -- errors -----------------------------------------------------------------------
def one_error(proc, *fragments: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_unsupported_op_names_the_node(tmp_path):
    out = tmp_path / "out.mlir"
    one_error(run_tool("cmsis-import", write(tmp_path, "bad", unsupported_model()), "-o", str(out)),
              "node 'normalized' (L2_NORMALIZATION): this op is not supported; supported: ADD, AVERAGE_POOL_2D")
    assert not out.exists()


def test_truncated_and_random_files_are_clean_errors(tmp_path):
    data = conv_model()
    out = tmp_path / "out.mlir"
    one_error(run_tool("cmsis-import", write(tmp_path, "cut", data[: len(data) // 3]), "-o", str(out)), "cut.tflite")
    noise = np.random.default_rng(0).integers(0, 256, 2048).astype(np.uint8).tobytes()
    one_error(run_tool("cmsis-import", write(tmp_path, "noise", noise), "-o", str(out)), "not a TFLite model")
    one_error(run_tool("cmsis-import", write(tmp_path, "fake", noise[:4] + b"TFL3" + noise[8:]), "-o", str(out)), "fake.tflite")
    assert not out.exists()


def test_every_truncation_fails_cleanly_or_imports(tmp_path):
    data = pad_concat_mean_model()
    path = str(tmp_path / "cut.tflite")
    for length in range(0, len(data), max(1, len(data) // 50)):
        with open(path, "wb") as f:
            f.write(data[:length])
        try:
            import_model(path)
        except CompileError as error:
            assert error.message


# -- end to end against TensorFlow Lite Micro ---------------------------------------
@pytest.mark.parametrize("name, build", [
    ("conv_same_relu6", lambda: conv_model()),
    ("conv_valid", lambda: conv_model(padding="VALID", stride=1, act="RELU")),
    ("depthwise_x2", lambda: conv_model(depthwise=True, multiplier=2, act="RELU")),
    ("two_pools_add", two_pools_add_model),
    ("pad_concat_mean_fc", pad_concat_mean_model),
    ("conv_fc_4d", conv_fc_model),
    ("reshape_softmax", reshape_model),
])
def test_lowered_model_matches_tflite_micro_exactly(tmp_path, name, build):
    from cmsis_opt.context import make_context
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.passes.quantize import QuantizePass
    from tflite_micro.python.tflite_micro import runtime

    data = build()
    module = import_model(write(tmp_path, name, data))
    QuantizePass().apply(make_context(), module)
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(11)
    for _ in range(3):
        inputs = [rng.integers(-128, 128, arg.type.get_shape()).astype(np.int8) for arg in func_of(module).body.block.args]
        for i, x in enumerate(inputs):
            tflm.set_input(x, i)
        tflm.invoke()
        np.testing.assert_array_equal(run_function(module, inputs)[0], tflm.get_output(0))


def test_corrupted_bytes_fail_cleanly_or_import(tmp_path):
    data = conv_model()
    rng = np.random.default_rng(4)
    path = str(tmp_path / "flipped.tflite")
    for _ in range(80):
        damaged = bytearray(data)
        for position in rng.integers(8, len(data), 6):
            damaged[position] = rng.integers(0, 256)
        with open(path, "wb") as f:
            f.write(damaged)
        try:
            import_model(path)
        except CompileError as error:
            assert error.message
