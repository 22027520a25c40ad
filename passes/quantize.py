"""`--quantize`: lower the nn dialect (QDQ form) to int8 cmsis ops, bit-exact with TFLite.

Each `nn.quantize` whose float input is `[activation | transpose]* <- compute
op <- nn.dequantize inputs` becomes one cmsis op with TFLite's fixed-point
parameters (compiler/quantmath.py); fused ReLU / Clip narrow its clamp range.
Everything is stored NHWC: transposes only change the tracked layout
(compiler/layout.py) and cost nothing; weights are permuted instead.

A float model (f32 graph input) must be calibrated first (`cmsis-calibrate`,
which records `#nn.range`s); the pass rewrites it into the QDQ form with
those ranges (compiler/calibrate.py), then lowers it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from xdsl.dialects.builtin import IntegerType, ModuleOp, StringAttr, TensorType, UnitAttr
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import VerifyException

from cmsis_opt import quantmath
from cmsis_opt.calibrate import QDQRewriter, is_float_model, recorded_range
from cmsis_opt.diagnostics import remark
from cmsis_opt.dialects import cmsis, nn
from cmsis_opt.dialects.kernel import view_source
from cmsis_opt.dialects.quant import UniformQuantizedType, quant_of
from cmsis_opt.dialects.utils import (
    dense,
    drop_arg,
    func_attr,
    i32_array,
    i32_attr,
    i64_array,
    ints,
    replace_arg,
    set_func_attr,
    shape_of,
    to_numpy,
)
from cmsis_opt.errors import CompileError
from cmsis_opt.layout import (
    NCHW_TO_NHWC,
    Stored,
    after_transpose,
    flatten_columns,
    identity,
    inverse,
    preferred,
    same_bytes,
    stored_shape,
)
from cmsis_opt.passes.common import CmsisPass, Stage

PASS = "quantize"
_VIEWS = (nn.TransposeOp, nn.ReshapeOp)


def int8_quant(value: SSAValue) -> UniformQuantizedType:
    """The quantization of a value the lowering has already made int8 (a stored cmsis result or argument)."""
    q = quant_of(value.type)
    assert q is not None, f"{value.type} is not quantized"
    return q

_ACTIVATIONS = (nn.ReluOp, nn.ClipOp)


def layer_of(op: Operation) -> str:
    attr = op.attributes.get("layer")
    return attr.data if isinstance(attr, StringAttr) else op.name


def error(op: Operation, message: str) -> CompileError:
    return CompileError(f"layer '{layer_of(op)}' ({op.name}): {message}", f"pass '{PASS}'")


@dataclass
class QuantConst:
    """A constant as stored integers plus its quantization (axis tracked through transposes)."""

    data: np.ndarray
    q: UniformQuantizedType
    axis: int | None

    def scales(self, count: int) -> list[float]:
        return list(self.q.scales) if self.axis is not None else [self.q.scale] * count

    def zero_points(self) -> list[int]:
        return list(self.q.zero_points)


def _stored_const(value: SSAValue) -> QuantConst | None:
    """A quantized-domain constant (nn.constant, possibly transposed)."""
    op = value.owner
    if isinstance(op, nn.ConstantOp):
        q = quant_of(op.result.type)
        if q is None:
            return None
        return QuantConst(np.asarray(to_numpy(op.value)), q, q.axis)
    if isinstance(op, nn.TransposeOp):
        inner = _stored_const(op.input)
        if inner is None:
            return None
        perm = ints(op.perm)
        axis = None if inner.axis is None else perm.index(inner.axis)
        return QuantConst(inner.data.transpose(perm), inner.q, axis)
    if isinstance(op, nn.ReshapeOp):
        inner = _stored_const(op.input)
        if inner is None or inner.axis is not None:
            return None
        return QuantConst(inner.data.reshape(shape_of(op.output)), inner.q, None)
    return None


def float_const(value: SSAValue) -> QuantConst | None:
    """The quantized constant behind a float value (dequantize / transpose / reshape of one)."""
    op = value.owner
    if isinstance(op, nn.DequantizeOp):
        return _stored_const(op.input)
    if isinstance(op, _VIEWS):
        inner = float_const(op.input)
        if inner is None:
            return None
        if isinstance(op, nn.TransposeOp):
            perm = ints(op.perm)
            axis = None if inner.axis is None else perm.index(inner.axis)
            return QuantConst(inner.data.transpose(perm), inner.q, axis)
        if inner.axis is not None:
            return None
        return QuantConst(inner.data.reshape(shape_of(op.output)), inner.q, None)
    return None


def _tensor(q: UniformQuantizedType, shape) -> TensorType:
    return TensorType(q, list(shape))


class Lowering:
    """Lowers one function, walking its ops in order."""

    def __init__(self, func: FuncOp):
        self.func = func
        self.block: Block = func.body.block
        self.quantized: dict[SSAValue, Stored] = {}  # int8 nn values -> lowered
        self.views: dict[SSAValue, Stored] = {}  # float values that are dequantized int8 values
        self.anchor: Operation | None = None
        self.layer: str = ""

    # -- building ---------------------------------------------------------
    def emit(self, op: Operation) -> Operation:
        assert self.anchor is not None
        op.attributes["layer"] = StringAttr(self.layer)
        self.block.insert_op_before(op, self.anchor)
        return op

    def materialize(self, stored: Stored, logical, want, user: Operation) -> SSAValue:
        """The stored value in order `want`: free when the bytes already match (a reshape view), else a
        `cmsis.transpose` (arm_transpose_s8) that moves them."""
        if stored.columns is not None:
            stored = self.unflatten(stored, user)
        if tuple(stored.perm) == tuple(want):
            return stored.value
        q = int8_quant(stored.value)
        shape = stored_shape(logical, want)
        if same_bytes(stored.perm, want, logical):
            view = cmsis.ReshapeOp.build(operands=[stored.value], result_types=[_tensor(q, shape)])
            return self.emit(view).results[0]
        # stored axis i holds logical axis stored.perm[i]; result axis j must hold logical axis want[j]
        perm = [inverse(stored.perm)[axis] for axis in want]
        transpose = cmsis.TransposeOp.build(operands=[stored.value], result_types=[_tensor(q, shape)],
                                            properties={"perm": i64_array(perm)})
        return self.emit(transpose).results[0]

    def unflatten(self, stored: Stored, user: Operation) -> Stored:
        """A flatten whose columns are permuted (stored.columns), made row-major: its source transposed, reshaped."""
        assert stored.flattened is not None
        source, source_logical = stored.flattened
        row_major = self.materialize(source, source_logical, identity(len(source_logical)), user)
        q = int8_quant(row_major)
        view = cmsis.ReshapeOp.build(operands=[row_major], result_types=[_tensor(q, shape_of(stored.value))])
        return Stored(self.emit(view).results[0], identity(2))

    # -- the walk ---------------------------------------------------------
    def run(self) -> None:
        for arg in self.func.body.block.args:
            if quant_of(arg.type) is not None:
                self.quantized[arg] = Stored(arg, identity(len(shape_of(arg))))
        for op in list(self.block.ops):
            if isinstance(op, nn.DequantizeOp) and op.input in self.quantized:
                self.views[op.output] = self.quantized[op.input]
            elif isinstance(op, _VIEWS):
                self.view_op(op)
            elif isinstance(op, nn.QuantizeOp):
                self.anchor, self.layer = op, layer_of(op)
                self.quantized[op.output] = self.lower_quantize(op)
            elif isinstance(op, ReturnOp):
                self.lower_return(op)
        self.erase_float_ops()

    def view_op(self, op: nn.TransposeOp | nn.ReshapeOp) -> None:
        for table in (self.quantized, self.views):
            if op.input in table:
                self.anchor, self.layer = op, layer_of(op)
                table[op.output] = self.apply_view(table[op.input], op)

    def apply_view(self, stored: Stored, op: nn.TransposeOp | nn.ReshapeOp) -> Stored:
        """Transpose: a new perm, no data moved. Reshape: a cmsis.reshape view when the bytes allow."""
        logical_in = shape_of(op.input)
        if isinstance(op, nn.TransposeOp):
            if stored.columns is not None:
                stored = self.unflatten(stored, op)
            return Stored(stored.value, after_transpose(stored.perm, ints(op.perm)))
        logical_out = shape_of(op.output)
        q = int8_quant(stored.value)
        if stored.columns is None and same_bytes(stored.perm, identity(len(logical_in)), logical_in):
            value = stored.value
            if shape_of(value) != logical_out:
                view = cmsis.ReshapeOp.build(operands=[value], result_types=[_tensor(q, logical_out)])
                value = self.emit(view).results[0]
            return Stored(value, identity(len(logical_out)))
        columns = None
        if stored.columns is None and len(logical_out) == 2 and logical_out[0] == logical_in[0]:
            columns = flatten_columns(logical_in, stored.perm)
        if columns is None:  # the bytes must move: row-major order first, then the view
            row_major = self.materialize(stored, logical_in, identity(len(logical_in)), op)
            view = cmsis.ReshapeOp.build(operands=[row_major], result_types=[_tensor(q, logical_out)])
            value = self.emit(view).results[0]
            return Stored(value, identity(len(logical_out)))
        # a flatten: a fully connected consumer absorbs the column order in its weights, any other gets a transpose
        view = cmsis.ReshapeOp.build(operands=[stored.value], result_types=[_tensor(q, logical_out)])
        value = self.emit(view).results[0]
        return Stored(value, identity(2), columns, (stored, tuple(logical_in)))

    def lower_return(self, op: ReturnOp) -> None:
        self.anchor = op
        operands = []
        for value in op.operands:
            stored = self.quantized.get(value)
            if stored is None:
                raise CompileError(
                    f"graph output of type {value.type} is not an int8 quantized tensor "
                    "(expected an nn.quantize result)",
                    f"pass '{PASS}'",
                )
            self.layer = layer_of(value.owner) if isinstance(value.owner, Operation) else "output"
            operands.append(
                self.materialize(
                    stored,
                    shape_of(value),
                    identity(len(shape_of(value))),
                    value.owner if isinstance(value.owner, Operation) else op,
                )
            )
        op.operands = operands

    def erase_float_ops(self) -> None:
        for op in reversed(list(self.block.ops)):
            if op.name.startswith("nn.") or (isinstance(op, cmsis.CmsisOp) and not any(r.uses for r in op.results)):
                if any(r.uses for r in op.results):
                    user = next(iter(op.results[0].uses)).operation
                    raise error(op, f"its float result is used by {user.name}, which was not lowered")
                self.block.erase_op(op)

    # -- quantize chains --------------------------------------------------
    def lower_quantize(self, quantize: nn.QuantizeOp) -> Stored:
        q_out = quant_of(quantize.output.type)
        if q_out is None or q_out.per_axis or q_out.storage_type != IntegerType(8):
            raise error(quantize, f"activations must be int8 per-tensor, got {q_out}")
        ranges: list[tuple[float | None, float | None]] = []
        views: list[nn.TransposeOp | nn.ReshapeOp] = []  # transposes / reshapes between the compute op and the quantize
        value = quantize.input
        while value not in self.views and isinstance(value.owner, (*_ACTIVATIONS, *_VIEWS)):
            op = value.owner
            if isinstance(op, nn.ReluOp):
                ranges.append((0.0, None))
            elif isinstance(op, nn.ClipOp):
                if math.isnan(op.min.value.data) or math.isnan(op.max.value.data):
                    raise error(op, "a clip bound is NaN")
                ranges.append((op.min.value.data, op.max.value.data))
            else:
                views.append(op)
            value = op.input
        if value in self.views:
            stored = self.views[value]
            if ranges or quant_of(stored.value.type) != q_out:
                raise error(quantize, "requantizing or clamping an int8 tensor without a compute op is not supported")
            return stored
        compute = value.owner
        if not isinstance(compute, Operation):
            raise error(quantize, "its input is not computed by an nn op")
        self.layer = layer_of(compute) if "layer" in compute.attributes else self.layer
        act = (-128, 127)
        for low, high in ranges:
            lo, hi = quantmath.activation_range(q_out.scale, q_out.zero_point, low, high)
            act = (max(act[0], lo), min(act[1], hi))
        if act[0] > act[1]:
            raise error(compute, f"its activation clamps every value: empty range {list(act)}")
        stored = self.lower_compute(compute, q_out, act)
        for view in reversed(views):
            stored = self.apply_view(stored, view)
        return stored

    def view(self, value: SSAValue, user: Operation) -> Stored:
        stored = self.views.get(value)
        if stored is None:
            raise error(
                user, 'an input is not a dequantized int8 tensor (float inputs need --quantize="calibration=FILE.npz")'
            )
        return stored

    def lower_compute(self, op: Operation, q_out: UniformQuantizedType, act: tuple[int, int]) -> Stored:
        """The cmsis op(s) computing `op`'s result in int8, by the lowering registered for its class."""
        lowering = LOWERINGS.get(type(op))
        if lowering is None:
            raise error(op, "has no int8 CMSIS-NN lowering")
        return lowering(self, op, q_out, act)

    def matmul(self, op: nn.FullyConnectedOp | nn.MatMulOp, q_out, act) -> Stored:
        return self.fully_connected(op, op, None, q_out, act)

    def add(self, op: nn.AddOp, q_out, act) -> Stored:
        """A MatMul plus a constant bias is one fully connected layer; any other add is arm_elementwise_add_s8."""
        for mm, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if isinstance(mm.owner, nn.MatMulOp) and float_const(other) is not None and mm not in self.views:
                return self.fully_connected(op, mm.owner, other, q_out, act)
        return self.elementwise(op, q_out, act)

    def _input(self, op: Operation, value: SSAValue) -> tuple[SSAValue, UniformQuantizedType]:
        """A rank-4 NCHW input, stored NHWC."""
        stored = self.view(value, op)
        x = self.materialize(stored, shape_of(value), NCHW_TO_NHWC, op)
        return x, int8_quant(x)

    def _weights(self, op: Operation, value: SSAValue, what: str) -> QuantConst:
        const = float_const(value)
        if const is None:
            raise error(op, f"its {what} is not a quantized constant (nn.constant + nn.dequantize)")
        if const.q.storage_type != IntegerType(8):
            raise error(op, f"its {what} must be int8, got {const.q.storage_type}")
        if any(zp != 0 for zp in const.zero_points()):
            raise error(
                op, f"its {what} must be symmetric (zero point 0), got zero points {sorted(set(const.zero_points()))}"
            )
        return const

    def _bias(self, op: Operation, value: SSAValue | None, channels: int):
        if value is None:
            return None
        const = float_const(value)
        if const is None or const.q.storage_type != IntegerType(32):
            raise error(op, "its bias is not an int32 quantized constant")
        if any(zp != 0 for zp in const.zero_points()):
            raise error(op, "its bias must have zero point 0")
        data = const.data.reshape(-1)
        if data.size != channels:
            raise error(op, f"its bias has {data.size} values for {channels} output channels")
        return dense(data.astype(np.int32))

    def conv(self, op: nn.Conv2DOp, q_out, act) -> Stored:
        x, q_in = self._input(op, op.input)
        w = self._weights(op, op.weight, "filter")
        c_out, c_per_group, kh, kw = w.data.shape
        c_in = shape_of(op.input)[1]
        group = op.group.value.data
        scales = w.scales(c_out)
        if w.axis not in (None, 0):
            raise error(op, f"filter scales must be per output channel (axis 0), got axis {w.axis}")
        mults, shifts = quantmath.conv_multipliers(q_in.scale, scales, q_out.scale)
        pads, strides, dil = ints(op.pads), ints(op.strides), ints(op.dilations)
        n, _, oh, ow = shape_of(op.output)
        props = {
            "filter": None,  # set below, once the kernel is known
            "bias": self._bias(op, op.bias, c_out),
            "multiplier": i32_array(mults),
            "shift": i32_array(shifts),
            "input_offset": i32_attr(-q_in.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
            "stride": i64_array(strides),
            "padding": i64_array(pads[:2]),
            "dilation": i64_array(dil),
        }
        props = {k: v for k, v in props.items() if v is not None or k == "filter"}
        out_type = _tensor(q_out, (n, oh, ow, c_out))
        if group == 1:
            props["filter"] = dense(np.ascontiguousarray(w.data.transpose(0, 2, 3, 1)))
            new = cmsis.ConvOp.build(operands=[x], result_types=[out_type], properties=props)
        elif group == c_in and c_per_group == 1 and c_out % c_in == 0:
            props["filter"] = dense(np.ascontiguousarray(w.data.transpose(1, 2, 3, 0)))
            new = cmsis.DepthwiseConvOp.build(operands=[x], result_types=[out_type], properties=props)
        else:
            raise error(
                op,
                f"grouped convolution with {group} groups of {c_per_group} channels has no CMSIS-NN kernel "
                "(only group 1 or depthwise)",
            )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def conv_transpose(self, op: nn.ConvTranspose2DOp, q_out, act) -> Stored:
        """arm_transpose_conv_s8: the [C_in, C_out, KH, KW] weight as an OHWI filter, per output channel (axis 1)."""
        x, q_in = self._input(op, op.input)
        w = self._weights(op, op.weight, "filter")
        _, c_out, _, _ = w.data.shape
        if w.axis not in (None, 1):
            raise error(op, f"filter scales must be per output channel (axis 1), got axis {w.axis}")
        mults, shifts = quantmath.conv_multipliers(q_in.scale, w.scales(c_out), q_out.scale)
        n, _, oh, ow = shape_of(op.output)
        props = {
            "filter": dense(np.ascontiguousarray(w.data.transpose(1, 2, 3, 0))),
            "bias": self._bias(op, op.bias, c_out),
            "multiplier": i32_array(mults),
            "shift": i32_array(shifts),
            "input_offset": i32_attr(-q_in.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
            "stride": i64_array(ints(op.strides)),
            "padding": i64_array(ints(op.pads)[:2]),
            "dilation": i64_array([1, 1]),
        }
        props = {k: v for k, v in props.items() if v is not None}
        new = cmsis.TransposeConvOp.build(operands=[x], result_types=[_tensor(q_out, (n, oh, ow, c_out))],
                                          properties=props)
        try:  # the kernel's limits on padding and output size, named here with the layer
            new.verify_()
        except VerifyException as refused:
            raise error(op, f"no CMSIS-NN kernel computes it: {refused}") from None
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def fully_connected(self, op: Operation, mm: nn.FullyConnectedOp | nn.MatMulOp, bias: SSAValue | None, q_out,
                        act) -> Stored:
        if isinstance(mm, nn.MatMulOp):
            x_value, weight = mm.lhs, mm.rhs
            w = self._weights(op, weight, "weight")
            data = w.data.T
        else:
            x_value, weight, bias = mm.input, mm.weight, mm.bias
            w = self._weights(op, weight, "weight")
            data = w.data
        m, k = data.shape
        scales = w.scales(m)
        if len(set(scales)) != 1:
            raise error(
                op,
                "per-channel fully connected weights are not supported by arm_fully_connected_s8 "
                "(one scale per tensor)",
            )
        stored = self.view(x_value, op)
        logical = shape_of(x_value)
        if stored.columns is not None:
            data = data[:, stored.columns]
            x = stored.value
        else:
            x = self.materialize(stored, logical, identity(2), op)
        q_in = int8_quant(x)
        mult, shift = quantmath.fully_connected_multiplier(q_in.scale, scales[0], q_out.scale)
        props = {
            "filter": dense(np.ascontiguousarray(data)),
            "multiplier": i32_attr(mult),
            "shift": i32_attr(shift),
            "input_offset": i32_attr(-q_in.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
        }
        b = self._bias(op, bias, m)
        if b is not None:
            props["bias"] = b
        n = shape_of(x_value)[0]
        new = cmsis.FullyConnectedOp.build(operands=[x], result_types=[_tensor(q_out, (n, m))], properties=props)
        return Stored(self.emit(new).results[0], identity(2))

    def _same_shape_inputs(self, op: Operation, values) -> tuple[list[SSAValue], tuple[int, ...]]:
        shapes = [shape_of(v) for v in values]
        if any(s != shapes[0] for s in shapes):
            raise error(
                op,
                f"broadcasting {' and '.join(str(list(s)) for s in shapes)} is not supported "
                "(CMSIS-NN element-wise kernels need equal shapes)",
            )
        logical = shapes[0]
        stored = [self.view(v, op) for v in values]
        want = preferred(len(logical)) if len(logical) == 4 else stored[0].perm
        return [self.materialize(s, logical, want, op) for s in stored], tuple(want)

    def elementwise(self, op: nn.AddOp | nn.MulOp, q_out, act) -> Stored:
        (a, b), perm = self._same_shape_inputs(op, [op.lhs, op.rhs])
        qa, qb = int8_quant(a), int8_quant(b)
        props = {
            "input1_offset": i32_attr(-qa.zero_point),
            "input2_offset": i32_attr(-qb.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
        }
        if isinstance(op, nn.AddOp):
            props.update({k: i32_attr(v) for k, v in quantmath.add_params(qa.scale, qb.scale, q_out.scale).items()})
            cls = cmsis.AddOp
        else:
            mult, shift = quantmath.mul_multiplier(qa.scale, qb.scale, q_out.scale)
            props.update(output_multiplier=i32_attr(mult), output_shift=i32_attr(shift))
            cls = cmsis.MulOp
        new = cls.build(operands=[a, b], result_types=[_tensor(q_out, shape_of(a))], properties=props)
        return Stored(self.emit(new).results[0], perm)

    def _check_same_quant(self, op: Operation, q_in, q_out) -> None:
        if q_in != q_out:
            raise error(
                op,
                f"output quantization {q_out.scale}:{q_out.zero_point} must equal the input's "
                f"{q_in.scale}:{q_in.zero_point} (no requantization in this kernel)",
            )

    def pool(self, op: nn.MaxPoolOp | nn.AvgPoolOp | nn.GlobalAvgPoolOp, q_out, act) -> Stored:
        x, q_in = self._input(op, op.input)
        self._check_same_quant(op, q_in, q_out)
        n, c, h, w = shape_of(op.input)
        if isinstance(op, nn.GlobalAvgPoolOp):
            kernel, strides, pads = (h, w), (1, 1), (0, 0)
        else:
            kernel, strides, pads = ints(op.kernel), ints(op.strides), ints(op.pads)[:2]
        _, _, oh, ow = shape_of(op.output)
        cls = cmsis.MaxPoolOp if isinstance(op, nn.MaxPoolOp) else cmsis.AvgPoolOp
        new = cls.build(
            operands=[x],
            result_types=[_tensor(q_out, (n, oh, ow, c))],
            properties={
                "kernel": i64_array(kernel),
                "stride": i64_array(strides),
                "padding": i64_array(pads),
                "act_min": i32_attr(act[0]),
                "act_max": i32_attr(act[1]),
            },
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def softmax(self, op: nn.SoftmaxOp, q_out, act=None) -> Stored:
        logical = shape_of(op.input)
        rank = len(logical)
        if op.axis.value.data not in (-1, rank - 1):
            raise error(
                op, f"softmax over axis {op.axis.value.data} of a rank-{rank} tensor: only the last axis is supported"
            )
        if (q_out.scale, q_out.zero_point) != (1.0 / 256.0, -128):
            raise error(
                op,
                "int8 softmax output must be quantized with scale 1/256 and zero point -128, "
                f"got {q_out.scale}:{q_out.zero_point}",
            )
        stored = self.view(op.input, op)
        perm = stored.perm
        last = [p for p in perm if logical[p] != 1]
        if last and last[-1] != rank - 1 and logical[rank - 1] != 1:
            perm = identity(rank)
        x = self.materialize(stored, logical, perm, op)
        q_in = int8_quant(x)
        beta = 1.0 if op.beta is None else op.beta.value.data
        mult, shift, diff_min = quantmath.softmax_params(q_in.scale, beta)
        new = cmsis.SoftmaxOp.build(
            operands=[x],
            result_types=[_tensor(q_out, shape_of(x))],
            properties={
                "input_multiplier": i32_attr(mult),
                "input_left_shift": i32_attr(shift),
                "diff_min": i32_attr(diff_min),
            },
        )
        return Stored(self.emit(new).results[0], tuple(perm))

    def pad(self, op: nn.PadOp, q_out, act=None) -> Stored:
        logical = shape_of(op.input)
        if len(logical) != 4:
            raise error(op, f"padding a rank-{len(logical)} tensor is not supported (arm_pad_s8 takes NHWC)")
        if op.value is not None and op.value.value.data != 0.0:
            raise error(
                op, f"constant padding with {op.value.value.data} is not supported (only real 0, the zero point)"
            )
        x, q_in = self._input(op, op.input)
        self._check_same_quant(op, q_in, q_out)
        pads = ints(op.pads)
        pre = [pads[p] for p in NCHW_TO_NHWC]
        post = [pads[4 + p] for p in NCHW_TO_NHWC]
        new = cmsis.PadOp.build(
            operands=[x],
            result_types=[_tensor(q_out, stored_shape(shape_of(op.output), NCHW_TO_NHWC))],
            properties={"pre_pad": i64_array(pre), "post_pad": i64_array(post)},
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def concat(self, op: nn.ConcatOp, q_out, act=None) -> Stored:
        logical = shape_of(op.output)
        if len(logical) != 4:
            raise error(
                op, f"concatenating rank-{len(logical)} tensors is not supported (CMSIS-NN concatenation is 4-D)"
            )
        inputs = []
        for value in op.inputs:
            x, q_in = self._input(op, value)
            self._check_same_quant(op, q_in, q_out)
            inputs.append(x)
        axis = NCHW_TO_NHWC.index(op.axis.value.data)
        new = cmsis.ConcatOp.build(
            operands=[inputs],
            result_types=[_tensor(q_out, stored_shape(logical, NCHW_TO_NHWC))],
            properties={"axis": i32_attr(axis)},
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)


LOWERINGS: dict[type[Operation], Callable[..., Stored]] = {
    nn.Conv2DOp: Lowering.conv,
    nn.ConvTranspose2DOp: Lowering.conv_transpose,
    nn.FullyConnectedOp: Lowering.matmul,
    nn.MatMulOp: Lowering.matmul,
    nn.AddOp: Lowering.add,
    nn.MulOp: Lowering.elementwise,
    nn.MaxPoolOp: Lowering.pool,
    nn.AvgPoolOp: Lowering.pool,
    nn.GlobalAvgPoolOp: Lowering.pool,
    nn.SoftmaxOp: Lowering.softmax,
    nn.PadOp: Lowering.pad,
    nn.ConcatOp: Lowering.concat,
}
"""nn compute op class -> the Lowering method that writes its cmsis op(s).

Each is called as (lowering, op, output quantization, clamp).
"""


class FoldViewChains(RewritePattern):
    """A view of a view reads the first one's source; a view back to its source's type is no view at all."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cmsis.ReshapeOp, rewriter: PatternRewriter) -> None:
        source = view_source(op.input)
        if source.type == op.output.type:
            rewriter.replace(op, [], [source])
        elif source is not op.input:
            rewriter.replace(op, cmsis.ReshapeOp.build(operands=[source], result_types=[op.output.type],
                                                       attributes=dict(op.attributes)))


def _quantized_by(value: SSAValue) -> list[nn.QuantizeOp] | None:
    """The nn.quantize ops a float value reaches through layout ops only (transpose, reshape), or None."""
    found: list[nn.QuantizeOp] = []
    for use in value.uses:
        user = use.operation
        if isinstance(user, nn.QuantizeOp):
            found.append(user)
        elif isinstance(user, _VIEWS):
            inner = _quantized_by(user.results[0])
            if inner is None:
                return None
            found.extend(inner)
        else:
            return None
    return found


def _move_quantize_to(arg: SSAValue, new_arg: SSAValue, block: Block) -> None:
    """Rebuild the layout ops between a float `arg` and its nn.quantize ops on the int8 `new_arg`."""
    for use in list(arg.uses):
        user = use.operation
        if isinstance(user, nn.QuantizeOp):
            user.output.replace_all_uses_with(new_arg)
            block.erase_op(user)
            continue
        element = int8_quant(new_arg)
        if isinstance(user, nn.TransposeOp):
            moved = nn.TransposeOp(new_arg, ints(user.perm))
        else:
            assert isinstance(user, nn.ReshapeOp), user
            moved = nn.ReshapeOp(new_arg, TensorType(element, list(shape_of(user.output))))
        moved.attributes.update(user.attributes)
        block.insert_op_before(moved, user)
        _move_quantize_to(user.results[0], moved.results[0], block)
        block.erase_op(user)


def strip_float_io(func: FuncOp) -> None:
    """QDQ models with float graph inputs/outputs (as onnxruntime writes them): an input that only
    identical per-tensor nn.quantize ops read, directly or through transposes and reshapes (onnxruntime
    puts a Transpose in front of the first QuantizeLinear), takes their int8 type; an output that is an
    nn.dequantize returns its int8 operand. The compiled model's interface is int8."""
    block = func.body.block
    for arg in list(block.args):
        if quant_of(arg.type) is not None:
            continue
        quantizes = _quantized_by(arg)
        if not quantizes:
            continue
        elements = {q.output.type.element_type for q in quantizes}  # type: ignore[union-attr]
        element = elements.pop() if len(elements) == 1 else None
        if not isinstance(element, UniformQuantizedType) or element.per_axis:
            continue
        new_arg = replace_arg(func, arg, TensorType(element, list(shape_of(arg))))
        _move_quantize_to(arg, new_arg, block)
        drop_arg(func, arg)
        set_func_attr(func, "arg", new_arg.index, nn.FLOAT_IO_ATTR, UnitAttr())
    ret = block.last_op
    if isinstance(ret, ReturnOp):
        for index, value in enumerate(ret.operands):
            if isinstance(value.owner, nn.DequantizeOp):
                set_func_attr(func, "res", index, nn.FLOAT_IO_ATTR, UnitAttr())
        ret.operands = [v.owner.input if isinstance(v.owner, nn.DequantizeOp) else v for v in ret.operands]
    func.update_function_type()


def remark_float_io(func: FuncOp) -> None:
    """One remark when the model's float inputs or outputs became int8 in the C API."""
    names = [f"input {i}" for i in range(len(func.body.block.args)) if func_attr(func, "arg", i, nn.FLOAT_IO_ATTR)]
    names += [
        f"output {i}"
        for i in range(len(func.function_type.outputs.data))
        if func_attr(func, "res", i, nn.FLOAT_IO_ATTR)
    ]
    if names:
        remark(
            f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} float32 in the model; the C API takes and gives "
            "int8: q = round(x / SCALE) + ZERO_POINT, x = (q - ZERO_POINT) * SCALE, with the header's "
            "NAME_INPUT_SCALE / NAME_INPUT_ZERO_POINT (and the output's)",
            PASS,
        )


def boundary_transposes(func: FuncOp) -> list[cmsis.TransposeOp]:
    """The transposes that only turn a graph input into the kernels' order, or a result into the output's."""
    def users(value: SSAValue) -> list[Operation]:  # the arena ops of a planned module only describe memory
        return [use.operation for use in value.uses if not use.operation.name.startswith("arena.")]

    block = func.body.block
    found = []
    for arg in block.args:
        readers = users(arg)
        if len(readers) == 1 and isinstance(readers[0], cmsis.TransposeOp):
            found.append(readers[0])
    ret = block.last_op
    for value in ret.operands if isinstance(ret, ReturnOp) else ():
        owner = value.owner
        if isinstance(owner, cmsis.TransposeOp) and len(users(owner.output)) == 1:
            found.append(owner)
    return found


def absorb_boundary_transposes(func: FuncOp) -> None:
    """`io-layout=nhwc`: the C API takes and gives each tensor in the order the kernels store it."""
    block = func.body.block
    for transpose in boundary_transposes(func):
        if isinstance(transpose.input, BlockArgument) and transpose.input.owner is block:
            arg = transpose.input
            new_arg = replace_arg(func, arg, transpose.output.type)
            transpose.output.replace_all_uses_with(new_arg)
            block.erase_op(transpose)
            drop_arg(func, arg)
            set_func_attr(func, "arg", new_arg.index, nn.LAYOUT_ATTR, StringAttr("NHWC"))
        else:
            ret = block.last_op
            assert isinstance(ret, ReturnOp)
            index = list(ret.operands).index(transpose.output)
            ret.operands = [transpose.input if v is transpose.output else v for v in ret.operands]
            block.erase_op(transpose)
            set_func_attr(func, "res", index, nn.LAYOUT_ATTR, StringAttr("NHWC"))
    func.update_function_type()


@dataclass(frozen=True)
class QuantizePass(CmsisPass):
    """Lower the nn dialect to int8 cmsis ops, with TFLite's exact requantization parameters.

    `io-layout`: `model` keeps each graph input and output in the model's own
    order (a rank-4 NCHW tensor then costs a transpose at the boundary);
    `nhwc` gives the C API the order the kernels use, so no boundary
    transpose runs.
    """

    name: ClassVar[str] = "quantize"
    STAGE: ClassVar[Stage] = "nn"
    io_layout: Literal["model", "nhwc"] = "model"

    def run(self, module: ModuleOp) -> None:
        for func in [o for o in module.ops if isinstance(o, FuncOp)]:
            strip_float_io(func)
            remark_float_io(func)
            if is_float_model(func):
                QDQRewriter(func, recorded_range).run()
            Lowering(func).run()
            if self.io_layout == "nhwc":
                absorb_boundary_transposes(func)
        # the applier's dead-code removal also drops the views the folding leaves unused
        PatternRewriteWalker(GreedyRewritePatternApplier([FoldViewChains()])).rewrite_module(module)
