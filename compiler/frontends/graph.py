"""Building one `func.func` of `nn` ops, shared by the ONNX and TFLite frontends.

A `GraphBuilder` appends ops to the function body in order, stamps each with
its source `layer` name, and closes the function with `func.return`. The
helpers below make the types the IR contract uses (float tensors, per-tensor
and per-axis `!quant.uniform` tensors) and compute explicit window padding.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from xdsl.dialects.builtin import IntegerType, ModuleOp, StringAttr, TensorType, f32
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from cmsis_opt.dialects import nn
from cmsis_opt.dialects.nn import LAYOUT_ATTR
from cmsis_opt.dialects.quant import UniformQuantizedType, as_f32
from cmsis_opt.dialects.utils import dense, set_func_attr, shape_of, tensor_type

I4 = IntegerType(4)
I8 = IntegerType(8)
I16 = IntegerType(16)
I32 = IntegerType(32)
I64 = IntegerType(64)


def function_name(path: str | Path) -> str:
    """The model file's name up to its first dot, made a C identifier (`kws_dscnn.qdq.onnx` -> `kws_dscnn`)."""
    stem = Path(path).name.split(".")[0] or "model"
    name = re.sub(r"[^A-Za-z0-9_]", "_", stem)
    return f"m_{name}" if name[0].isdigit() else name


def value_name(text: str) -> str | None:
    """A readable SSA name for a short source tensor name (None for long or empty ones: numbered instead)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")
    name = re.sub(r"_+(\d+)$", r"\1", name)  # xDSL reads a `_N` suffix as a uniquing counter
    if not name or len(name) > 32:
        return None
    return f"v{name}" if name[0].isdigit() else name


def float_tensor(shape: Sequence[int]) -> TensorType:
    return tensor_type(f32, [int(d) for d in shape])


def quant_element(
    scales: ArrayLike,
    zero_points: ArrayLike,
    axis: int | None = None,
    storage: IntegerType = I8,
) -> UniformQuantizedType:
    """A `!quant.uniform` element type; scales are stored as float32 values."""
    scale_list = [as_f32(s) for s in np.atleast_1d(np.asarray(scales, dtype=np.float64))]
    zp_list = [int(z) for z in np.atleast_1d(np.asarray(zero_points))]
    if len(zp_list) == 1 and len(scale_list) > 1:
        zp_list = zp_list * len(scale_list)
    try:
        return UniformQuantizedType(scale_list, zp_list, axis=axis, storage_type=storage)
    except (VerifyException, OverflowError) as error:
        raise QuantizationError(str(error).removeprefix("quant.uniform: ")) from None


class QuantizationError(ValueError):
    """Scales or zero points that no `!quant.uniform` type can hold (the caller names the node)."""


def tensor_of(element: Attribute, shape: Sequence[int]) -> TensorType:
    return tensor_type(element, [int(d) for d in shape])


def element_of(value: SSAValue) -> Attribute:
    assert isinstance(value.type, TensorType)
    return value.type.element_type


def is_quantized(value: SSAValue) -> bool:
    return isinstance(element_of(value), UniformQuantizedType)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1, upper: bool = True) -> tuple[int, int, int]:
    """SAME padding (TFLite / ONNX SAME_UPPER: the odd pixel at the end): (begin, end, out)."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    small = total // 2
    return (small, total - small, out) if upper else (total - small, small, out)


def ceil_mode_end_pad(size: int, kernel: int, stride: int, begin: int, end: int) -> int:
    """Extra end padding that makes floor-mode output sizes equal ceil_mode=1's.

    A last window that would start inside the end padding is dropped, as ONNX
    Runtime and PyTorch do.
    """
    span = size + begin + end - kernel
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + begin:
        out -= 1
    return max((out - 1) * stride + kernel - (size + begin + end), 0)


# Ops whose rank-4 data input and output have NCHW axes (ONNX's Conv, ConvTranspose, pools), and ops whose
# rank-4 operands and results share their axes (element-wise, quantize / dequantize, pad, concat).
_NCHW_OPS = (nn.Conv2DOp, nn.ConvTranspose2DOp, nn.MaxPoolOp, nn.AvgPoolOp, nn.GlobalAvgPoolOp)
_SAME_AXES_OPS = (nn.QuantizeOp, nn.DequantizeOp, nn.ReluOp, nn.ClipOp, nn.SoftmaxOp, nn.ActivationOp, nn.PadOp,
                  nn.AddOp, nn.MulOp, nn.ConcatOp)


@functools.cache
def _axis_roles(cls: type) -> tuple[bool, bool, bool]:
    """Whether ops of `cls` have NCHW data axes, are transposes, keep their operands' axes (one class test each)."""
    return issubclass(cls, _NCHW_OPS), issubclass(cls, nn.TransposeOp), issubclass(cls, _SAME_AXES_OPS)


def axis_names(func: FuncOp) -> dict[SSAValue, str]:
    """What the axes of the function's rank-4 values mean ("NCHW", "NHWC", ...), where the graph says it.

    The data operand and result of a convolution or pool are NCHW (the nn dialect's convention, ONNX's); a
    transpose permutes the names (output axis i is input axis perm[i]); element-wise ops, quantize /
    dequantize, pad and concat keep them. Names spread forwards and backwards until nothing changes, so a
    graph input [1, 8, 8, 3] that a Transpose(perm 0,3,1,2) turns into a convolution's input is "NHWC".
    A value no such chain reaches has no entry. Own code rather than an xDSL analysis: xDSL 0.74 has no
    dataflow framework for a forward-and-backward lattice over a block.
    """
    names: dict[SSAValue, str] = {}

    def rank4(values) -> list[SSAValue]:
        return [v for v in values if isinstance(v.type, TensorType) and len(shape_of(v)) == 4]

    # what each sweep reads of an op, gathered once: a chain of N ops takes a few sweeps over them
    steps: list[tuple[SSAValue, SSAValue, list[int]] | list[SSAValue]] = []
    for op in func.body.block.ops:
        nchw, transpose, same_axes = _axis_roles(type(op))
        if nchw:
            for value in rank4([op.operands[0], op.results[0]]):
                names[value] = "NCHW"
        if transpose:
            assert isinstance(op, nn.TransposeOp)
            if rank4([op.input]):
                steps.append((op.input, op.output, [int(p) for p in op.perm.get_values()]))
        elif same_axes:
            steps.append(rank4([*op.operands, *op.results]))
    changed = True
    while changed:
        changed = False
        for step in steps:
            if isinstance(step, tuple):
                source, result, perm = step
                if source in names and result not in names:
                    names[result] = "".join(names[source][p] for p in perm)
                    changed = True
                elif result in names and source not in names:
                    axes = [""] * 4
                    for i, p in enumerate(perm):
                        axes[p] = names[result][i]
                    names[source] = "".join(axes)
                    changed = True
            else:
                known = next((names[v] for v in step if v in names), "")
                for value in step if known else ():
                    if value not in names:
                        names[value] = known
                        changed = True
    return names


def mark_layouts(func: FuncOp, layout: str) -> None:
    """Record on every rank-4 input and output of `func` the order of its bytes (`nn.layout`, which the C
    header states): "NCHW" or "NHWC" as `axis_names` finds its axes, else the frontend's `layout`."""
    names = axis_names(func)
    returned = func.body.block.last_op
    results = list(returned.operands) if isinstance(returned, ReturnOp) else []
    for kind, values in (("arg", list(func.body.block.args)), ("res", results)):
        for index, value in enumerate(values):
            if len(shape_of(value)) == 4:
                found = names.get(value, layout)
                set_func_attr(func, kind, index, LAYOUT_ATTR, StringAttr(found if found in nn.LAYOUTS else layout))


class GraphBuilder:
    """Appends ops to one function; every op gets the `layer` it comes from."""

    def __init__(self, name: str, inputs: Sequence[tuple[str, TensorType]]):
        self.name = name
        self.block = Block(arg_types=[t for _, t in inputs])
        for arg, (arg_name, _) in zip(self.block.args, inputs, strict=True):
            arg.name_hint = value_name(arg_name)
        self.args: list[SSAValue] = list(self.block.args)

    def add(self, op: Operation, layer: str, result_name: str | None = None) -> Operation:
        op.attributes["layer"] = StringAttr(layer)
        if result_name is not None and op.results:
            op.results[0].name_hint = value_name(result_name)
        self.block.add_op(op)
        return op

    def value(self, op: Operation, layer: str, result_name: str | None = None) -> SSAValue:
        return self.add(op, layer, result_name).results[0]

    # -- common op shapes ---------------------------------------------------
    def constant(
        self, array: np.ndarray, layer: str, element: Attribute | None = None, name: str | None = None
    ) -> SSAValue:
        """An `nn.constant` holding `array`, typed with `element` (e.g. a quantized type) when given."""
        storage = element.storage_type if isinstance(element, UniformQuantizedType) else None
        attr = dense(array, storage if storage is not None and storage.width.data == 4 else None)
        result = tensor_of(element, array.shape) if element is not None else None
        return self.value(nn.ConstantOp(attr, result), layer, name)

    def dequantize(self, value: SSAValue, layer: str, name: str | None = None) -> SSAValue:
        return self.value(nn.DequantizeOp(value), layer, name)

    def quantize(self, value: SSAValue, element: UniformQuantizedType, layer: str, name: str | None = None) -> SSAValue:
        return self.value(nn.QuantizeOp(value, tensor_of(element, shape_of(value))), layer, name)

    def transpose(self, value: SSAValue, perm: Sequence[int], layer: str, name: str | None = None) -> SSAValue:
        return self.value(nn.TransposeOp(value, list(perm)), layer, name)

    def reshape(self, value: SSAValue, shape: Sequence[int], layer: str, name: str | None = None) -> SSAValue:
        return self.value(nn.ReshapeOp(value, tensor_of(element_of(value), shape)), layer, name)

    def unary(self, cls: type[Operation], value: SSAValue, layer: str, name: str | None = None) -> SSAValue:
        return self.value(cls(operands=[value], result_types=[value.type]), layer, name)

    def binary(
        self, cls: type[Operation], lhs: SSAValue, rhs: SSAValue, shape: Sequence[int], layer: str,
        name: str | None = None,
    ) -> SSAValue:
        return self.value(cls(operands=[lhs, rhs], result_types=[float_tensor(shape)]), layer, name)

    def clip(self, value: SSAValue, low: float, high: float, layer: str, name: str | None = None) -> SSAValue:
        """ReLU when the range is [0, +inf), otherwise `nn.clip`."""
        if low == 0.0 and math.isinf(high) and high > 0:
            return self.unary(nn.ReluOp, value, layer, name)
        return self.value(nn.ClipOp(value, low, high), layer, name)

    def finish(self, outputs: Sequence[SSAValue], layout: str = "NCHW") -> ModuleOp:
        """The module: one function returning `outputs`; its rank-4 inputs and outputs are in `layout`
        (recorded as `nn.layout`, which the C header states)."""
        self.block.add_op(ReturnOp(*outputs))
        func = FuncOp(
            self.name,
            ([a.type for a in self.block.args], [o.type for o in outputs]),
            Region(self.block),
        )
        mark_layouts(func, layout)
        return ModuleOp([func])
