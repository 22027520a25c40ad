"""onnxruntime as the oracle of ONNX QDQ models, end to end and layer by layer.

The session runs the graph as written (`ORT_DISABLE_ALL`): DequantizeLinear,
the float op, QuantizeLinear. onnxruntime's default optimizations fuse those
into QLinear* kernels that, on x86 CPUs without VNNI, add pairs of products
in saturating int16, which is not the model's arithmetic.

Inputs are int8 (or int16, A16W8) codes: onnxruntime gets their exact float values
((q - zp) * scale, which its QuantizeLinear maps back to q), and its float
outputs are turned back into codes with the output's scale and zero point.

`layer_differences` checks each quantized layer alone: every layer of ours
reads onnxruntime's own int8 input of that layer (the QuantizeLinear outputs
it is asked to expose), so one layer's rounding does not grow through the
next ones, and its output is compared with onnxruntime's QuantizeLinear
output of the same layer.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import onnx
from onnx import helper

from cmsis_opt.dialects.kernel import CmsisOp, KernelOp
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.dialects.utils import shape_of

_FUSED = ("Relu", "Clip")  # activations folded into the layer before their QuantizeLinear


def session(model: onnx.ModelProto | str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else model
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def function_of(module):
    return next(iter(module.ops))


def int8_io(module):
    """(input quantization, output quantization, input shape) of a compiled single-input model."""
    func = function_of(module)
    arg = func.body.block.args[0]
    return quant_of(arg.type), quant_of(func.function_type.outputs.data[0]), tuple(arg.type.get_shape())


def float_of(codes: np.ndarray, q) -> np.ndarray:
    return ((codes.astype(np.float32) - np.float32(q.zero_point)) * np.float32(q.scale)).astype(np.float32)


def codes_of(values: np.ndarray, q) -> np.ndarray:
    """QuantizeLinear: round half to even, saturate to q's storage type (int8, or int16 for A16W8)."""
    dtype = np.int16 if q.storage_type.width.data == 16 else np.int8
    info = np.iinfo(dtype)
    return np.clip(np.rint(values / np.float32(q.scale)) + q.zero_point, info.min, info.max).astype(dtype)


def run_codes(sess, module, q_codes: np.ndarray) -> np.ndarray:
    """onnxruntime's output of the model for int8 input codes, as int8 codes."""
    q_in, q_out, _ = int8_io(module)
    feed = sess.get_inputs()[0]
    x = float_of(q_codes, q_in)
    out = sess.run(None, {feed.name: x.reshape([d if isinstance(d, int) else 1 for d in feed.shape])})[0]
    return codes_of(out, q_out)


def _layer_tensors(model: onnx.ModelProto) -> dict[str, str]:
    """Layer name (a node's name, else its first output) -> the QuantizeLinear output that quantizes its result."""
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    found = {}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") or not node.output:
            continue
        value = node.output[0]
        while True:
            users = consumers.get(value, [])
            if len(users) != 1:
                break
            if users[0].op_type == "QuantizeLinear":
                found[node.name or node.output[0]] = users[0].output[0]
                break
            if users[0].op_type not in _FUSED:
                break
            value = users[0].output[0]
    return found


def _to_ours(theirs: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """onnxruntime's NCHW tensor in our stored order (NHWC for rank 4), by shape; another order (a softmax over
    H stores H last) where exactly one axis order of theirs gives `shape` (size-1 axes aside)."""
    import itertools

    if theirs.shape == shape:
        return theirs
    if theirs.ndim == 4 and tuple(theirs.transpose(0, 2, 3, 1).shape) == shape:
        return np.ascontiguousarray(theirs.transpose(0, 2, 3, 1))
    if theirs.ndim == len(shape):
        orders = {tuple(p for p in perm if theirs.shape[p] != 1) for perm in itertools.permutations(range(theirs.ndim))
                  if tuple(theirs.shape[p] for p in perm) == shape}
        if len(orders) == 1:
            (kept,) = orders
            return _in_order(theirs, kept, shape)
    return theirs.reshape(shape)


def _in_order(theirs: np.ndarray, kept: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """`theirs` with its non-1 axes in the order `kept`, shaped `shape`."""
    ones = [a for a in range(theirs.ndim) if theirs.shape[a] == 1]
    return np.ascontiguousarray(theirs.transpose(*ones, *kept)).reshape(shape)


def layer_differences(path: str, module, inputs: Iterable[np.ndarray]) -> dict[str, int]:
    """Largest |ours - onnxruntime| (int8 or int16 codes) of each quantized layer, each fed onnxruntime's own
    input."""
    model = onnx.load(path)
    tensors = _layer_tensors(model)
    zero_points = {init.name: init.data_type for init in model.graph.initializer}
    types = {node.output[0]: zero_points.get(node.input[2], onnx.TensorProto.INT8) if len(node.input) > 2
             else onnx.TensorProto.INT8 for node in model.graph.node if node.op_type == "QuantizeLinear"}
    for name in sorted(set(tensors.values())):
        model.graph.output.append(helper.make_tensor_value_info(name, types[name], None))
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    func = function_of(module)
    q_in, _, _ = int8_io(module)
    feed = sess.get_inputs()[0]
    ops = list(func.body.block.ops)
    last_of_layer = {}
    for op in ops:
        layer = op.attributes.get("layer")
        if isinstance(op, KernelOp) and layer is not None and layer.data in tensors:
            last_of_layer[layer.data] = op
    worst: dict[str, int] = {layer: 0 for layer in last_of_layer}
    for q in inputs:
        x = float_of(q, q_in)
        outputs = dict(zip(names, sess.run(None, {feed.name: x.reshape([d if isinstance(d, int) else 1
                                                                        for d in feed.shape])}), strict=True))
        env = {func.body.block.args[0]: q}
        for op in ops:
            if not isinstance(op, CmsisOp):
                continue
            result = op.interpret(*[env[v] for v in op.operands])
            layer = op.attributes.get("layer")
            if layer is not None and last_of_layer.get(layer.data) is op:
                theirs = _to_ours(outputs[tensors[layer.data]], shape_of(op.results[0]))
                diff = int(np.abs(result.astype(np.int32) - theirs.astype(np.int32)).max())
                worst[layer.data] = max(worst[layer.data], diff)
                result = theirs.astype(result.dtype)
            env[op.results[0]] = result
    return worst


def assert_within_one_lsb_per_layer(path: str, module, inputs: list[np.ndarray], layers: int) -> None:
    """The project's allowance against onnxruntime: every one of the model's `layers` quantized layers within
    1 LSB of onnxruntime's (each fed onnxruntime's own input), and the whole model within `layers` LSB."""
    from cmsis_opt.interpreter import run_function

    per_layer = layer_differences(path, module, inputs)
    assert len(per_layer) == layers and max(per_layer.values()) <= 1, per_layer
    sess = session(path)
    for x in inputs:
        ours = run_function(module, [x])[0].astype(np.int32).reshape(-1)
        assert np.abs(ours - run_codes(sess, module, x).astype(np.int32).reshape(-1)).max() <= layers


def quantized(path: str):
    """The model at `path` imported and lowered by --quantize (an interpreter-ready cmsis module)."""
    from cmsis_opt.context import make_context
    from cmsis_opt.frontends import import_model
    from cmsis_opt.passes.quantize import QuantizePass

    module = import_model(path)
    QuantizePass().apply(make_context(), module)
    return module


def kernels(module, views: bool = True) -> list[str]:
    """The cmsis op names of the module's function, in order (without cmsis.reshape unless `views`)."""
    return [op.name for op in function_of(module).body.block.ops
            if op.name.startswith("cmsis.") and (views or op.name != "cmsis.reshape")]


def assert_within_steps(path: str, module, inputs: Iterable[np.ndarray], end_to_end: int, layers: int | None = None,
                        check=None) -> dict[str, int]:
    """Asserts 1 LSB per quantized layer (`layer_differences`; exactly `layers` of them when given) and at most
    `end_to_end` LSB on the whole model against onnxruntime; `check(x, ours)` runs on each input's output of
    the interpreter. Returns the per-layer differences."""
    from cmsis_opt.interpreter import run_function

    inputs = list(inputs)
    per_layer = layer_differences(path, module, inputs)
    assert max(per_layer.values()) <= 1 and (layers is None or len(per_layer) == layers), per_layer
    sess = session(path)
    for x in inputs:
        ours = run_function(module, [x])[0]
        theirs = run_codes(sess, module, x).astype(np.int32).reshape(-1)
        assert np.abs(ours.astype(np.int32).reshape(-1) - theirs).max() <= end_to_end
        if check is not None:
            check(x, ours)
    return per_layer


def quantize_static(float_path: str, path: str, samples: np.ndarray, per_channel: bool = True,
                    a16w8: bool = False) -> None:
    """onnxruntime's quantize_static as users run it: QDQ, int8 activations and weights, calibrated (min/max)
    on `samples` ([N, *input shape]) fed to the model's one input. With `a16w8`, int16 activations with zero
    point 0 (activation_type=QInt16, extra_options={'ActivationSymmetric': True}: what CMSIS-NN's s16
    kernels take) and int8 weights; onnxruntime then writes opset 21."""
    from onnxruntime import quantization

    feed = onnx.load(float_path).graph.input[0].name

    class Samples(quantization.CalibrationDataReader):
        def __init__(self):
            self.samples = iter(samples)

        def get_next(self):
            sample = next(self.samples, None)
            return None if sample is None else {feed: sample}

    import logging

    activations = quantization.QuantType.QInt16 if a16w8 else quantization.QuantType.QInt8
    extra = {"ActivationSymmetric": True} if a16w8 else {}
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process and to move to opset 21
    try:
        quantization.quantize_static(float_path, path, Samples(), quant_format=quantization.QuantFormat.QDQ,
                                     activation_type=activations, weight_type=quantization.QuantType.QInt8,
                                     per_channel=per_channel, extra_options=extra)
    finally:
        logging.getLogger().setLevel(level)
