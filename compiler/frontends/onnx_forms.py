"""ONNX forms that exporters write around the layers: external weights and constant shape arithmetic.

External data (ONNX IR, `TensorProto.data_location = EXTERNAL`, onnx/onnx.proto3): a tensor's
bytes live in another file, named by the `location` entry of its `external_data` list, relative
to the model file's folder, from byte `offset` (default 0) for `length` bytes (default: to the
end of the file), in the same little-endian layout as `raw_data`. The `torch.export`-based
exporter (`torch.onnx.export(..., dynamo=True)`) writes its weights this way by default, into
`MODEL.onnx.data` beside `MODEL.onnx`. `load_external_data` reads them into the model, or
raises one CompileError naming the tensor and the file.

Constant folding: exporters compute Reshape targets and similar operands with small integer
subgraphs (`Shape -> Gather -> Unsqueeze -> Concat`, `Shape -> Expand -> CastLike`, Cast, Slice,
arithmetic). Once every input of such a node is a known constant (shapes here are static),
`evaluate` computes its outputs with the ONNX reference implementation (`onnx.reference`),
the executable form of each operator's specification, at the model's own opset, so every
operator version's rules (attributes that became inputs: Squeeze/Unsqueeze axes from opset 13,
Split sizes from 13, Reduce* axes from 18, Slice starts/ends from 10) hold as written.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cmsis_opt.errors import CompileError

# Operators evaluated when all their inputs are constants: the shape and index arithmetic
# exporters emit, casts, and element-wise arithmetic on constants (ONNX operator names).
FOLDABLE_OPS = frozenset({
    "Abs", "Add", "And", "Cast", "CastLike", "Ceil", "Concat", "ConstantOfShape", "Div", "Equal", "Expand",
    "Flatten", "Floor", "Gather", "GatherElements", "Greater", "GreaterOrEqual", "Identity", "Less",
    "LessOrEqual", "Max", "Min", "Mod", "Mul", "Neg", "Not", "Or", "Range", "ReduceMax", "ReduceMin",
    "ReduceProd", "ReduceSum", "Reshape", "Shape", "Size", "Slice", "Split", "Sqrt", "Squeeze", "Sub", "Tile",
    "Transpose", "Unsqueeze", "Where",
})

# A folded constant larger than this is refused: shape arithmetic produces a handful of integers, and
# an Expand or ConstantOfShape of millions of elements is a mistake in the model, not a weight.
MAX_FOLDED_ELEMENTS = 1 << 24


def load_external_data(model, path: str) -> None:
    """Replace every external tensor of `model` (initializers and Constant node values of the main
    graph) by its bytes, read from the files beside `path`; a CompileError names the tensor and file."""
    folder = Path(path).resolve().parent
    files: dict[str, bytes] = {}
    for tensor in _tensors(model.graph):
        if tensor.data_location != 1:  # TensorProto.EXTERNAL
            continue
        entries = {entry.key: entry.value for entry in tensor.external_data}
        what = f"tensor '{tensor.name}'"
        location = entries.get("location", "")
        if not location:
            raise CompileError(f"{what}: its data is external but no file is named (no 'location')", path)
        target = Path(os.path.normpath(folder / location))
        if Path(location).is_absolute() or not target.is_relative_to(folder):
            raise CompileError(
                f"{what}: its data file '{location}' is outside the model's folder; ONNX requires a path "
                "relative to the folder of the model file", path)
        if location not in files:
            try:
                files[location] = target.read_bytes()
            except FileNotFoundError:
                raise CompileError(
                    f"{what}: its data file '{location}' is missing (looked for '{target}'); keep the file the "
                    f"exporter wrote beside the model, or re-save the model with its weights inside "
                    "(onnx.save_model(model, path, save_as_external_data=False))", path) from None
            except OSError as error:
                raise CompileError(f"{what}: cannot read its data file '{target}': {error.strerror}", path) from None
        data = files[location]
        try:
            offset = int(entries.get("offset", "0"))
            length = int(entries["length"]) if "length" in entries else len(data) - offset
        except ValueError:
            raise CompileError(f"{what}: offset '{entries.get('offset')}' or length '{entries.get('length')}' "
                               "is not a number", path) from None
        if offset < 0 or length < 0 or offset + length > len(data):
            raise CompileError(
                f"{what}: bytes {offset}..{offset + length} are beyond the end of '{location}' ({len(data)} bytes); "
                "the data file belongs to another export of the model or is damaged: export again", path)
        expected = _byte_size(tensor)
        if expected is not None and expected != length:
            raise CompileError(
                f"{what}: '{location}' holds {length} bytes for it, its shape {list(tensor.dims)} needs {expected}; "
                "the data file belongs to another export of the model: export again", path)
        tensor.raw_data = data[offset:offset + length]
        tensor.data_location = 0  # TensorProto.DEFAULT
        del tensor.external_data[:]


def _tensors(graph):
    """The main graph's initializers and the tensors held in its nodes' attributes."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors


def _byte_size(tensor) -> int | None:
    """Bytes of a tensor's raw data, for element types of a whole number of bytes (None otherwise)."""
    from onnx import helper

    try:
        itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
    except (KeyError, TypeError, ValueError):
        return None
    if tensor.data_type in (8, 21, 22, 23):  # string, 4-bit types: not a fixed number of bytes per element
        return None
    return int(np.prod(tensor.dims, dtype=np.int64)) * itemsize


def evaluate(node, inputs: Sequence[np.ndarray | None], opset_imports) -> list[np.ndarray]:
    """The outputs of one ONNX node on constant inputs (None for an omitted optional input), computed by
    the ONNX reference implementation at the model's opsets (DequantizeLinear by `dequantize`, which
    covers every version). Raises ValueError with the reason."""
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    if node.op_type == "DequantizeLinear":
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        x, scale, zero_point = (*inputs, None, None)[:3]
        if x is None or scale is None:
            raise ValueError("the input and the scale are required")
        return [dequantize(x, scale, zero_point, int(attrs.get("axis", 1)), int(attrs.get("block_size", 0)))]

    feeds, infos = {}, []
    for name, value in zip(node.input, inputs, strict=True):
        if name and value is not None and name not in feeds:
            feeds[name] = value
            infos.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(value.dtype), list(value.shape)))
    outputs = [name for name in node.output if name]
    graph = helper.make_graph(
        [node], "fold", infos, [helper.make_tensor_value_info(name, TensorProto.UNDEFINED, None) for name in outputs])
    model = helper.make_model(graph, opset_imports=list(opset_imports))
    try:
        results = ReferenceEvaluator(model).run(None, feeds)
    except Exception as error:  # the reference implementation's own checks, worded by it
        detail = str(error).strip().splitlines()
        raise ValueError(detail[0] if detail else type(error).__name__) from None
    arrays = [np.asarray(r) for r in results]
    for name, array in zip(outputs, arrays, strict=True):
        if array.size > MAX_FOLDED_ELEMENTS:
            raise ValueError(f"output '{name}' would hold {array.size:,} elements")
    return arrays


def dequantize(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None, axis: int = 1,
               block_size: int = 0) -> np.ndarray:
    """ONNX DequantizeLinear (versions 10 to 21): y = (x - zero_point) * scale in float32, the difference
    taken exactly in integers. `scale` is a scalar or one-element vector (per tensor), a vector along `axis`
    (per axis, opset 13), or a tensor of x's rank whose `axis` dimension is ceil(D / block_size) (blocked,
    opset 21). Raises ValueError when the shapes do not fit that rule."""
    x = np.asarray(x)
    if x.dtype.kind not in "iu" and x.dtype.name not in ("int4", "uint4"):
        raise ValueError(f"a {x.dtype} input; supported: integer codes (int4 to int32, signed or unsigned)")
    codes = x.astype(np.int64)
    scale = np.asarray(scale)
    if scale.dtype != np.float32:
        raise ValueError(f"a {scale.dtype} scale; supported: float32")
    zero = np.zeros(scale.shape, np.int64) if zero_point is None else np.asarray(zero_point).astype(np.int64)
    if zero.shape != scale.shape:
        raise ValueError(f"zero point of shape {list(zero.shape)} for a scale of shape {list(scale.shape)}")
    rank = codes.ndim
    if block_size > 0 or (scale.ndim == rank and scale.ndim > 1):
        if block_size <= 0 or scale.ndim != rank:
            raise ValueError(f"blocked quantization needs block_size > 0 and a scale of rank {rank}")
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank or -(-codes.shape[axis] // block_size) != scale.shape[axis]:
            raise ValueError(f"scale shape {list(scale.shape)} does not block axis {axis} of {list(codes.shape)} "
                             f"by {block_size}")
        keep = [slice(None)] * rank
        keep[axis] = slice(0, codes.shape[axis])
        scale = np.repeat(scale, block_size, axis=axis)[tuple(keep)]
        zero = np.repeat(zero, block_size, axis=axis)[tuple(keep)]
    elif scale.size != 1:
        if scale.ndim != 1:
            raise ValueError(f"a scale of shape {list(scale.shape)}; expected a scalar or a vector")
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank or codes.shape[axis] != scale.size:
            raise ValueError(f"{scale.size} scales do not match axis {axis} of shape {list(codes.shape)}")
        shape = [1] * rank
        shape[axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    else:
        scale, zero = scale.reshape(()), zero.reshape(())
    return ((codes - zero).astype(np.float32) * scale).astype(np.float32)
