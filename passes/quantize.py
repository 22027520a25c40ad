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

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerType, ModuleOp, StringAttr, TensorType, UnitAttr
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import VerifyException

from cmsis_opt import lut, quantmath
from cmsis_opt.calibrate import (
    COMMUTE_WITH_QUANTIZE,
    QDQRewriter,
    activation_quant,
    float_input_blocker,
    float_input_error,
    is_float_model,
    quantized_by,
    recorded_range,
)
from cmsis_opt.diagnostics import remark
from cmsis_opt.dialects import cmsis, cmsis_activation, nn
from cmsis_opt.dialects.kernel import view_source
from cmsis_opt.dialects.quant import UniformQuantizedType, as_f32, quant_of
from cmsis_opt.dialects.utils import (
    dense,
    drop_arg,
    func_attr,
    i32_array,
    i32_attr,
    i64_array,
    int_type,
    ints,
    num_elements,
    replace_arg,
    set_func_attr,
    shape_of,
    tensor_type,
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
_VIEWS = nn.VIEW_OPS


def stored_quant(value: SSAValue) -> UniformQuantizedType:
    """The quantization of a value the lowering has already made int8 or int16 (a stored cmsis result or
    argument)."""
    q = quant_of(value.type)
    assert q is not None, f"{value.type} is not quantized"
    return q

_ACTIVATIONS = nn.FUSED_ACTIVATION_OPS


def layer_of(op: Operation) -> str:
    attr = op.attributes.get("layer")
    return attr.data if isinstance(attr, StringAttr) else op.name


def error(op: Operation, message: str) -> CompileError:
    """A located error: the op's layer and what it is (the model's op type where the importer decomposed it)."""
    source = op.attributes.get(nn.SOURCE_OP_ATTR)
    what = source.data if isinstance(source, StringAttr) else op.name
    return CompileError(f"layer '{layer_of(op)}' ({what}): {message}", f"pass '{PASS}'")


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

    def real(self) -> np.ndarray:
        """The values the codes stand for: (code - zero point) * scale in float32, as DequantizeLinear computes."""
        scales = np.asarray(self.q.scales, np.float32)
        zps = np.asarray(self.q.zero_points, np.int64)
        if self.axis is not None:
            shape = [1] * self.data.ndim
            shape[self.axis] = -1
            scales, zps = scales.reshape(shape), zps.reshape(shape)
        return ((self.data.astype(np.int64) - zps).astype(np.float32) * scales).astype(np.float64)


BIAS_SCALE_TOLERANCE = 1e-4
"""Relative difference under which an int32 bias's own scale counts as the accumulator's (input * weight scale):
its codes are then used as they are, as TFLite's kernels always do; beyond it the bias's real values are
quantized again at the accumulator's scale."""


def real_constant(value: SSAValue) -> np.ndarray | None:
    """The real values of a constant operand: a dequantized int8 / int32 constant, or a float one (through
    transposes and reshapes), as float64; None for a computed value."""
    quantized = float_const(value)
    if quantized is not None:
        return quantized.real()
    op = value.owner
    if isinstance(op, nn.ConstantOp) and quant_of(op.result.type) is None:
        return np.asarray(to_numpy(op.value), np.float64)
    if isinstance(op, _VIEWS):
        inner = real_constant(op.input)
        if inner is None:
            return None
        if isinstance(op, nn.TransposeOp):
            return inner.transpose(ints(op.perm))
        return inner.reshape(shape_of(op.output))
    return None


def _linear_producer(value: SSAValue) -> nn.MatMulOp | nn.FullyConnectedOp | None:
    """The x @ W behind `value` that a bias can still join: a MatMul, or a Gemm without its own bias, whose
    result `value` is, directly or through its own QuantizeLinear / DequantizeLinear pair."""
    owner = value.owner
    if isinstance(owner, nn.DequantizeOp) and isinstance(owner.input.owner, nn.QuantizeOp):
        owner = owner.input.owner.input.owner
    if isinstance(owner, nn.MatMulOp) or (isinstance(owner, nn.FullyConnectedOp) and owner.bias is None):
        return owner
    return None


def _channel_vector(shape: tuple[int, ...], values: np.ndarray) -> tuple[int | None, np.ndarray] | None:
    """How a constant broadcasts over a tensor of `shape` (numpy rules, without enlarging it): (None, [v]) for
    one value, (axis, v[shape[axis]]) for values along one axis, None otherwise."""
    if values.ndim > len(shape):
        return None
    aligned = (1,) * (len(shape) - values.ndim) + tuple(values.shape)
    varying = [axis for axis, size in enumerate(aligned) if size != 1]
    if any(aligned[axis] != shape[axis] for axis in varying):
        return None
    if not varying:
        return None, values.reshape(1)
    if len(varying) > 1:
        return None
    return varying[0], values.reshape(-1)


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


_AFFINE_BIAS_LIMIT = (1 << 31) - 1 - 255 * 127
"""Largest |bias| of a channel affine: the accumulator adds one product of at most 255 * 127 to it."""


def _int4_storage(op: Operation, w: QuantConst, q_in: UniformQuantizedType) -> IntegerType | None:
    """i4 for int4 weights (CMSIS-NN's s4 kernels, which read int8 activations only), else None (int8 weights)."""
    if w.q.storage_type != int_type(4):
        return None
    if _is_s16(q_in):
        raise error(op, "int4 weights with int16 activations have no CMSIS-NN kernel (the s4 kernels read int8)")
    return int_type(4)


def _scales_match(own: list[float], acc: list[float]) -> bool:
    """|own - acc| <= BIAS_SCALE_TOLERANCE * acc for every channel (broadcast as numpy would when one side has a
    single value)."""
    if len(own) != len(acc):
        return bool(np.all(np.abs(np.array(own) - np.array(acc)) <= BIAS_SCALE_TOLERANCE * np.array(acc)))
    return all(abs(o - a) <= BIAS_SCALE_TOLERANCE * a for o, a in zip(own, acc, strict=True))


def quantize_bias(op: Operation, values: np.ndarray, scales: np.ndarray, bits: int = 32) -> np.ndarray:
    """Real bias values as int32 (or int64) codes at per-channel `scales`, rounded half away from zero; a located
    error naming the channel where one does not fit (never a saturated value)."""
    codes = []
    for channel, (value, scale) in enumerate(zip(values.tolist(), scales.tolist(), strict=True)):
        code = quantmath.round_half_away(value / scale) if scale > 0 and math.isfinite(value) else 0
        if not math.isfinite(value) or not -(1 << (bits - 1)) <= code < (1 << (bits - 1)):
            raise error(op, f"bias {value:g} of output channel {channel} is {code} steps of its accumulator scale "
                            f"{scale:g} (input scale * weight scale): beyond int{bits}")
        codes.append(code)
    return np.array(codes, np.int64 if bits == 64 else np.int32)


def storage_range(q: UniformQuantizedType) -> tuple[int, int]:
    """[min, max] of `q`'s storage integers: the clamp of an unbounded activation ([-128, 127] for int8,
    [-32768, 32767] for int16)."""
    bits = q.storage_type.width.data
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _offsets(q_in: UniformQuantizedType, q_out: UniformQuantizedType, act: tuple[int, int]) -> dict[str, Attribute]:
    """The properties every requantizing CMSIS-NN kernel takes: input_offset (minus the input zero point),
    output_offset (the output zero point) and the int8 clamp act_min / act_max."""
    return {
        "input_offset": i32_attr(-q_in.zero_point),
        "output_offset": i32_attr(q_out.zero_point),
        "act_min": i32_attr(act[0]),
        "act_max": i32_attr(act[1]),
    }


def _tensor(q: UniformQuantizedType, shape) -> TensorType:
    return tensor_type(q, list(shape))


def _i64s(values) -> DenseArrayBase:
    """`i64_array(values)` for a window's few ints (strides, paddings, dilations), shared between ops."""
    return _shared_i64s(tuple(int(v) for v in values))


@functools.lru_cache(maxsize=1024)
def _shared_i64s(values: tuple[int, ...]) -> DenseArrayBase:
    return i64_array(values)


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
        q = stored_quant(stored.value)
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
        q = stored_quant(row_major)
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
                try:
                    self.quantized[op.output] = self.lower_quantize(op)
                except quantmath.ScaleRangeError as problem:
                    raise CompileError(f"layer '{self.layer}': {problem}", f"pass '{PASS}'") from None
            elif isinstance(op, ReturnOp):
                try:
                    self.lower_return(op)
                except quantmath.ScaleRangeError as problem:
                    raise CompileError(f"graph output: {problem}", f"pass '{PASS}'") from None
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
        q = stored_quant(stored.value)
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
        if q_out is None or q_out.per_axis or q_out.storage_type not in (int_type(8), int_type(16)):
            raise error(quantize, f"activations must be int8 or int16 per-tensor, got {q_out}")
        if q_out.storage_type == int_type(16) and q_out.zero_point != 0:
            raise error(quantize, f"int16 activations must have zero point 0 (TFLite's 16x8 scheme: CMSIS-NN's s16 "
                                  f"kernels take no offsets), got {q_out.zero_point}")
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
        if value in self.views:  # an int8 tensor dequantized and quantized again, maybe clamped on the way
            stored = self.views[value]
            act = self.clamp_range(quantize, q_out, ranges)
            if act == storage_range(q_out) and quant_of(stored.value.type) == q_out:
                for view in reversed(views):
                    stored = self.apply_view(stored, view)
                return stored
            stored = self.requantize(stored, q_out, act, quantize)
            for view in reversed(views):
                stored = self.apply_view(stored, view)
            return stored
        compute = value.owner
        if not isinstance(compute, Operation):
            raise error(quantize, "its input is not computed by an nn op")
        self.layer = layer_of(compute) if "layer" in compute.attributes else self.layer
        act = self.clamp_range(compute, q_out, ranges)
        stored = self.lower_compute(compute, q_out, act)
        for view in reversed(views):
            stored = self.apply_view(stored, view)
        return stored

    def clamp_range(self, op: Operation, q_out: UniformQuantizedType,
                    ranges: list[tuple[float | None, float | None]]) -> tuple[int, int]:
        """The clamp [act_min, act_max] of the fused ReLU / Clip real `ranges` at `q_out` (within its storage type)."""
        act = storage_range(q_out)
        for low, high in ranges:
            lo, hi = quantmath.activation_range(q_out.scale, q_out.zero_point, low, high, *storage_range(q_out))
            act = (max(act[0], lo), min(act[1], hi))
        if act[0] > act[1]:
            raise error(op, f"its activation clamps every value: empty range {list(act)}")
        return act

    def requantize(self, stored: Stored, q_out: UniformQuantizedType, act: tuple[int, int],
                   user: Operation) -> Stored:
        """`cmsis.requantize`: the stored int8 or int16 values at `q_out`'s scale, zero point and width, clamped
        to `act` (a TFLite QUANTIZE between int8 and int16 parts of a mixed graph changes the width).

        Element-wise, so the bytes keep their order (a flatten with permuted
        columns is made row-major first: its source is not requantized).
        """
        if stored.columns is not None:
            stored = self.unflatten(stored, user)
        q_in = stored_quant(stored.value)
        mult, shift = quantmath.requantize_multiplier(q_in.scale, q_out.scale)
        new = cmsis.RequantizeOp.build(
            operands=[stored.value],
            result_types=[_tensor(q_out, shape_of(stored.value))],
            properties={
                "multiplier": i32_attr(mult),
                "shift": i32_attr(shift),
                **_offsets(q_in, q_out, act),
            },
        )
        try:
            new.verify_()
        except VerifyException as refused:
            raise error(user, f"no kernel requantizes it: {refused}") from None
        return Stored(self.emit(new).results[0], stored.perm)

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
        width = q_out.storage_type.width.data
        for operand in op.operands:
            stored = self.views.get(operand)
            if stored is not None and stored_quant(stored.value).storage_type.width.data != width:
                raise error(op, f"reads an int{stored_quant(stored.value).storage_type.width.data} tensor and writes "
                                f"int{width}: no CMSIS-NN kernel converts between the two widths")
        if width == 16 and type(op) not in S16_LOWERINGS:
            raise error(op, "has no int16 CMSIS-NN kernel (the 16x8 scheme runs: "
                            f"{', '.join(sorted(cls.name for cls in S16_LOWERINGS))})")
        return lowering(self, op, q_out, act)

    def matmul(self, op: nn.FullyConnectedOp | nn.MatMulOp, q_out, act) -> Stored:
        return self.fully_connected(op, op, None, q_out, act)

    def add(self, op: nn.AddOp, q_out, act) -> Stored:
        """x @ W plus a constant bias (shape [N] or [1, N], either operand order) is one fully connected layer.

        A MatMul (or a Gemm without its own C) whose result is quantized
        before the Add (onnxruntime's QDQ form) joins it only where that
        intermediate rounding cannot move the result by a step (`bias_folds`);
        else it keeps its own layer and the bias is a channel affine. An add
        of a per-channel constant is a channel affine (`constant_affine`);
        any other add is arm_elementwise_add_s8 (on int16 always arm_elementwise_add_s16: no int16 affine).
        """
        if _is_s16(q_out):
            return self.elementwise_s16(op, q_out, act)
        for mm, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            bias, linear = float_const(other), _linear_producer(mm)
            rows = shape_of(mm)[-1]
            if bias is None or linear is None or tuple(bias.data.shape) not in ((rows,), (1, rows)):
                continue
            if mm not in self.views:  # quantized after its bias only: one layer
                return self.fully_connected(op, linear, other, q_out, act)
            if self.bias_folds(linear, bias.real().reshape(-1), stored_quant(self.views[mm].value), q_out):
                return self.fully_connected(op, linear, other, q_out, act)
        affine = self.constant_affine(op, q_out, act)
        return affine if affine is not None else self.elementwise(op, q_out, act)

    def mul(self, op: nn.MulOp, q_out, act) -> Stored:
        """A product with a per-channel (or one) constant is a channel affine; any other is arm_elementwise_mul_s8
        (on int16 always arm_elementwise_mul_s16)."""
        if _is_s16(q_out):
            return self.elementwise_s16(op, q_out, act)
        affine = self.constant_affine(op, q_out, act)
        return affine if affine is not None else self.elementwise(op, q_out, act)

    def elementwise_s16(self, op: nn.AddOp | nn.MulOp, q_out, act) -> Stored:
        """arm_elementwise_add_s16 / arm_elementwise_mul_s16: two computed int16 tensors of one shape. A constant
        operand is a located error (int8 runs it as a channel affine; the s16 kernels read two arena tensors)."""
        kind = "Add" if isinstance(op, nn.AddOp) else "Mul"
        if any(real_constant(v) is not None for v in (op.lhs, op.rhs)):
            raise error(op, f"an int16 {kind} with a constant operand has no kernel here (arm_elementwise_"
                            f"{kind.lower()}_s16 reads two computed tensors; int8 runs it as a channel affine); "
                            "supported on int16: two computed tensors of one shape")
        return self.elementwise(op, q_out, act)

    def bias_folds(self, linear: nn.MatMulOp | nn.FullyConnectedOp, bias: np.ndarray, q_mm: UniformQuantizedType,
                   q_out: UniformQuantizedType) -> bool:
        """Whether x @ W, quantized at `q_mm`, then + `bias` (reals, one per output) and quantized at `q_out`, is
        one fully connected layer within 1 LSB of those two roundings.

        The rule: onnxruntime rounds x @ W to a step of q_mm first, which moves
        (x @ W + b) / s_out by at most s_mm / (2 s_out); the folded layer rounds
        once, after the bias's own rounding to the accumulator's scale (at most
        half an accumulator step, e_b output steps). While s_mm / (2 s_out) + e_b
        stays below 1, the two results differ by at most one step. Where
        onnxruntime clamps x @ W to q_mm's int8 range, its result must already
        be within a step of the output's clamp: for every output, q_mm's range
        shifted by that output's bias reaches the output range's last step.
        """
        x_value = linear.lhs if isinstance(linear, nn.MatMulOp) else linear.input
        weight = linear.rhs if isinstance(linear, nn.MatMulOp) else linear.weight
        w = float_const(weight)
        if w is None or x_value not in self.views:
            return False
        s_x = stored_quant(self.views[x_value].value).scale
        s_mm, s_out = q_mm.scale, q_out.scale
        bias_error = 0.5 * s_x * max(w.q.scales) / s_out
        if s_mm / (2 * s_out) + bias_error >= 0.999:
            return False
        high, low = (127 - q_mm.zero_point) * s_mm, (-128 - q_mm.zero_point) * s_mm
        return bool(np.all(high + bias >= (126 - q_out.zero_point) * s_out)
                    and np.all(low + bias <= (-127 - q_out.zero_point) * s_out))

    def constant_affine(self, op: nn.AddOp | nn.MulOp, q_out, act) -> Stored | None:
        """x * a + b with constant a, b that are one value or vary along one axis of x (a Mul, an Add, or an Add
        of a Mul's result, as the ONNX importer writes a BatchNormalization): a channel affine; None for other
        operands."""
        for x, other in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            const = real_constant(other)
            if const is None:
                continue
            shape = shape_of(x)
            found = _channel_vector(shape, const)
            if found is None:
                continue
            axis, vector = found
            if isinstance(op, nn.MulOp):
                scale, shift = vector, np.zeros_like(vector)
            else:
                scale, shift = np.ones_like(vector), vector
            if x in self.views:
                return self.affine(op, self.views[x], shape, axis, scale, shift, q_out, act)
            inner = x.owner
            if isinstance(op, nn.AddOp) and isinstance(inner, nn.MulOp) and x.has_one_use():
                for y, factor in ((inner.lhs, inner.rhs), (inner.rhs, inner.lhs)):
                    factor_const = real_constant(factor)
                    inner_found = None if factor_const is None else _channel_vector(shape, factor_const)
                    if inner_found is None or y not in self.views:
                        continue
                    inner_axis, inner_vector = inner_found
                    joint = {a for a in (axis, inner_axis) if a is not None}
                    if len(joint) > 1:
                        continue
                    common = joint.pop() if joint else None
                    size = 1 if common is None else shape[common]
                    scale = np.broadcast_to(inner_vector, (size,)).astype(np.float64)
                    shift = np.broadcast_to(vector, (size,)).astype(np.float64)
                    return self.affine(op, self.views[y], shape, common, scale, shift, q_out, act)
        return None

    def affine(self, op: Operation, stored: Stored, logical: tuple[int, ...], axis: int | None, scale: np.ndarray,
               shift: np.ndarray, q_out: UniformQuantizedType, act: tuple[int, int]) -> Stored:
        """y = x * scale[c] + shift[c] (reals; c the index along `axis`, or one value for all) as a 1x1 depthwise
        convolution (arm_depthwise_conv_s8 family) over the channel axis.

        Each channel's weight is +-127 with scale |scale[c]| / 127 (0 with
        scale 1/127 for a zero factor), so the factor is represented to float32
        precision; its int32 bias is shift[c] at the accumulator's scale
        (`_affine_bias` raises the weight scale where it would not fit).
        """
        rank = len(logical)
        if axis is None:  # one factor for all: any byte order, seen as one row of single-channel pixels
            if stored.columns is not None:
                stored = self.unflatten(stored, op)
            x, perm = stored.value, stored.perm
            view_shape = (1, 1, num_elements(logical), 1)
        elif rank == 4 and axis == 1:
            x, perm = self.materialize(stored, logical, NCHW_TO_NHWC, op), NCHW_TO_NHWC
            view_shape = stored_shape(logical, NCHW_TO_NHWC)
        elif rank == 2 and axis == 1:
            x, perm = self.materialize(stored, logical, identity(2), op), identity(2)
            view_shape = (logical[0], 1, 1, logical[1])
        else:
            raise error(op, f"a constant along axis {axis} of a {list(logical)} tensor has no CMSIS-NN kernel "
                            "(only per-channel constants: axis 1 of NCHW or of [N, C])")
        q_in = stored_quant(x)
        out_shape = shape_of(x)
        channels = view_shape[3]
        scale = np.broadcast_to(scale, (channels,)).astype(np.float64)
        shift = np.broadcast_to(shift, (channels,)).astype(np.float64)
        weights, w_scales, bias = self._affine_constants(op, q_in.scale, scale, shift)
        mults, shifts = quantmath.conv_multipliers(q_in.scale, w_scales, q_out.scale)
        if tuple(shape_of(x)) != tuple(view_shape):
            x = self.emit(cmsis.ReshapeOp.build(operands=[x], result_types=[_tensor(q_in, view_shape)])).results[0]
        new = cmsis.DepthwiseConvOp.build(
            operands=[x],
            result_types=[_tensor(q_out, view_shape)],
            properties={
                "filter": dense(weights.reshape(1, 1, 1, channels)),
                "bias": dense(bias),
                "multiplier": i32_array(mults),
                "shift": i32_array(shifts),
                **_offsets(q_in, q_out, act),
                "stride": _i64s((1, 1)),
                "padding": _i64s((0, 0)),
                "dilation": _i64s((1, 1)),
            },
        )
        y = self.emit(new).results[0]
        if tuple(out_shape) != tuple(view_shape):
            y = self.emit(cmsis.ReshapeOp.build(operands=[y], result_types=[_tensor(q_out, out_shape)])).results[0]
        return Stored(y, tuple(perm))

    def _affine_constants(self, op: Operation, s_x: float, scale: np.ndarray,
                          shift: np.ndarray) -> tuple[np.ndarray, list[float], np.ndarray]:
        """(int8 weights, their float32 scales, int32 biases) of a channel affine on input scale `s_x`."""
        weights, w_scales, biases = [], [], []
        for a, b in zip(scale.tolist(), shift.tolist(), strict=True):
            if not (math.isfinite(a) and math.isfinite(b)):
                raise error(op, f"its constant factor {a} or term {b} is not finite")
            w_scale = as_f32(abs(a) / 127.0) if a != 0.0 else as_f32(1.0 / 127.0)
            if w_scale == 0.0:
                raise error(op, f"its constant factor {a} is below float32's range once divided into 127 steps")
            w = 127 if a > 0 else -127 if a < 0 else 0
            acc_scale = as_f32(s_x) * w_scale
            if abs(b) / acc_scale > _AFFINE_BIAS_LIMIT:  # TFLite's rule: raise the weight scale until the bias fits
                w_scale = as_f32(abs(b) / (as_f32(s_x) * _AFFINE_BIAS_LIMIT) * (1 + 1e-6))
                w = quantmath.round_half_away(a / w_scale)
                acc_scale = as_f32(s_x) * w_scale
            weights.append(w)
            w_scales.append(w_scale)
            biases.append(quantmath.round_half_away(b / acc_scale))
        return np.array(weights, np.int8), w_scales, np.array(biases, np.int32)

    def _input(self, op: Operation, value: SSAValue) -> tuple[SSAValue, UniformQuantizedType]:
        """A rank-4 NCHW input, stored NHWC."""
        stored = self.view(value, op)
        x = self.materialize(stored, shape_of(value), NCHW_TO_NHWC, op)
        return x, stored_quant(x)

    def _weights(self, op: Operation, value: SSAValue, what: str, int4: bool = False) -> QuantConst:
        """The op's quantized weights: int8, or int4 where `int4` (the ops with CMSIS-NN s4 kernels)."""
        const = float_const(value)
        if const is None:
            raise error(op, f"its {what} is not a quantized constant (nn.constant + nn.dequantize)")
        if const.q.storage_type == int_type(4) and not int4:
            raise error(op, f"its {what} is int4, which only convolution, depthwise convolution and fully connected "
                            "layers with int8 activations take (CMSIS-NN's s4 kernels)")
        if const.q.storage_type not in (int_type(8), int_type(4)):
            raise error(op, f"its {what} must be int8, got {const.q.storage_type}")
        if any(zp != 0 for zp in const.zero_points()):
            raise error(
                op, f"its {what} must be symmetric (zero point 0), got zero points {sorted(set(const.zero_points()))}"
            )
        return const

    def _bias(self, op: Operation, value: SSAValue | None, input_scale: float, weight_scales: list[float],
              wide: bool = False):
        """The int32 bias (int64 when `wide`: the s16 kernels of TFLite's 16x8 scheme) of a layer whose accumulator
        has scale input_scale * weight_scales[c] (float32 scales multiplied in double, as TFLite's kernels take
        them), one value per output channel, or None.

        An int32 bias quantized at that scale (TFLite's, onnxruntime's) keeps
        its codes; any other (onnxruntime's int8 bias of a MatMul + Add, a
        rescaled Gemm C) has its real values quantized at it, rounded half away
        from zero. A value beyond int32 there is an error, never saturated.
        """
        if value is None:
            return None
        const = float_const(value)
        if const is None:
            raise error(op, "its bias is not a quantized constant (nn.constant + nn.dequantize)")
        channels = len(weight_scales)
        data = const.data.reshape(-1)
        if data.size != channels:
            raise error(op, f"its bias has {data.size} values for {channels} output channels")
        # plain floats and ints: a layer has a handful of channels, where numpy's per-call cost dominates
        in_scale = as_f32(input_scale)
        acc = [in_scale * as_f32(s) for s in weight_scales]
        own = [float(s) for s in const.scales(channels)]
        bias_type = np.int64 if wide else np.int32
        low, high = (-(1 << 63), (1 << 63) - 1) if wide else (-(1 << 31), (1 << 31) - 1)
        if (const.q.storage_type in (int_type(32), int_type(64)) and not any(const.zero_points())
                and _scales_match(own, acc)
                and all(low <= v <= high for v in data.tolist())):
            return dense(data.astype(bias_type))
        return dense(quantize_bias(op, const.real().reshape(-1), np.array(acc), 64 if wide else 32))

    def conv(self, op: nn.Conv2DOp, q_out, act) -> Stored:
        x, q_in = self._input(op, op.input)
        w = self._weights(op, op.weight, "filter", int4=True)
        storage = _int4_storage(op, w, q_in)
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
            "bias": self._bias(op, op.bias, q_in.scale, scales, wide=_is_s16(q_in)),
            "multiplier": i32_array(mults),
            "shift": i32_array(shifts),
            **_offsets(q_in, q_out, act),
            "stride": _i64s(strides),
            "padding": _i64s(pads[:2]),
            "dilation": _i64s(dil),
        }
        props = {k: v for k, v in props.items() if v is not None or k == "filter"}
        out_type = _tensor(q_out, (n, oh, ow, c_out))
        if group == 1:
            props["filter"] = dense(np.ascontiguousarray(w.data.transpose(0, 2, 3, 1)), storage)
            new = cmsis.ConvOp.build(operands=[x], result_types=[out_type], properties=props)
        elif group == c_in and c_per_group == 1 and c_out % c_in == 0:
            target = cmsis.target_of(op)
            if storage is not None and not cmsis.DepthwiseConvOp.s4_exact(c_in, c_out // c_in,
                                                                          target.path if target else None):
                storage = None  # the same codes as int8 weights: arm_depthwise_conv_wrapper_s8, exact
            props["filter"] = dense(np.ascontiguousarray(w.data.transpose(1, 2, 3, 0)), storage)
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
        scales = w.scales(c_out)
        mults, shifts = quantmath.conv_multipliers(q_in.scale, scales, q_out.scale)
        n, _, oh, ow = shape_of(op.output)
        props = {
            "filter": dense(np.ascontiguousarray(w.data.transpose(1, 2, 3, 0))),
            "bias": self._bias(op, op.bias, q_in.scale, scales),
            "multiplier": i32_array(mults),
            "shift": i32_array(shifts),
            "input_offset": i32_attr(-q_in.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
            "stride": _i64s(ints(op.strides)),
            "padding": _i64s(ints(op.pads)[:2]),
            "dilation": _i64s([1, 1]),
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
            w = self._weights(op, weight, "weight", int4=True)
            data, axis = w.data.T, None if w.axis is None else 1 - w.axis
        else:
            x_value, weight, bias = mm.input, mm.weight, mm.bias if mm.bias is not None else bias
            w = self._weights(op, weight, "weight", int4=True)
            data, axis = w.data, w.axis
        m, k = data.shape
        scales = w.scales(m)
        if axis not in (None, 0):
            raise error(op, f"weight scales vary along the {k} inputs: only one scale per output ({m}) or per "
                            "tensor has a CMSIS-NN kernel")
        stored = self.view(x_value, op)
        logical = shape_of(x_value)
        if stored.columns is not None:
            data = data[:, stored.columns]
            x = stored.value
        else:
            x = self.materialize(stored, logical, identity(2), op)
        q_in = stored_quant(x)
        storage = _int4_storage(op, w, q_in)
        if storage is not None and len(set(scales)) > 1:
            raise error(op, "int4 weights with a scale per output row have no CMSIS-NN kernel "
                            "(arm_fully_connected_s4 takes one weight scale)")
        if _is_s16(q_in) and len(set(scales)) > 1:
            return self.per_channel_s16(op, x, data, bias, scales, q_in, q_out, act)
        props: dict[str, Attribute] = {"filter": dense(np.ascontiguousarray(data), storage)}
        if len(set(scales)) == 1:  # arm_fully_connected_s8 (or _s16)
            cls: type[cmsis.FullyConnectedBase] = cmsis.FullyConnectedOp
            mult, shift = quantmath.fully_connected_multiplier(q_in.scale, scales[0], q_out.scale)
            props.update(multiplier=i32_attr(mult), shift=i32_attr(shift))
        else:  # a scale per output row (per-channel weights): arm_fully_connected_per_channel_s8
            cls = cmsis.FullyConnectedPerChannelOp
            mults, shifts = quantmath.conv_multipliers(q_in.scale, scales, q_out.scale)
            props.update(multiplier=i32_array(mults), shift=i32_array(shifts))
        props.update({
            **_offsets(q_in, q_out, act),
        })
        b = self._bias(op, bias, q_in.scale, scales, wide=_is_s16(q_in))
        if b is not None:
            props["bias"] = b
        n = shape_of(x_value)[0]
        new = cls.build(operands=[x], result_types=[_tensor(q_out, (n, m))], properties=props)
        return Stored(self.emit(new).results[0], identity(2))

    def per_channel_s16(self, op: Operation, x: SSAValue, data: np.ndarray, bias: SSAValue | None,
                        scales: list[float], q_in: UniformQuantizedType, q_out: UniformQuantizedType,
                        act: tuple[int, int]) -> Stored:
        """An int16 fully connected layer with a weight scale per output row: CMSIS-NN v7.0.0 has no
        arm_fully_connected_per_channel_s16, so its N rows run as the N pixels of a 1x1 `cmsis.conv`
        (arm_convolve_s16: the same int64 sums, requantized per output channel as TFLite Micro's 16x8
        FullyConnectedPerChannel does), through views [N, K] -> [1, 1, N, K] and back."""
        n, k = shape_of(x)
        m = data.shape[0]
        mults, shifts = quantmath.conv_multipliers(q_in.scale, scales, q_out.scale)
        props: dict[str, Attribute] = {
            "filter": dense(np.ascontiguousarray(data).reshape(m, 1, 1, k)),
            "multiplier": i32_array(mults),
            "shift": i32_array(shifts),
            **_offsets(q_in, q_out, act),
            "stride": _i64s((1, 1)),
            "padding": _i64s((0, 0)),
            "dilation": _i64s((1, 1)),
        }
        b = self._bias(op, bias, q_in.scale, scales, wide=True)
        if b is not None:
            props["bias"] = b
        pixels = self.emit(cmsis.ReshapeOp.build(operands=[x], result_types=[_tensor(q_in, (1, 1, n, k))]))
        conv = self.emit(cmsis.ConvOp.build(operands=[pixels.results[0]], result_types=[_tensor(q_out, (1, 1, n, m))],
                                            properties=props))
        rows = self.emit(cmsis.ReshapeOp.build(operands=[conv.results[0]], result_types=[_tensor(q_out, (n, m))]))
        return Stored(rows.results[0], identity(2))

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
        qa, qb = stored_quant(a), stored_quant(b)
        props = {
            "input1_offset": i32_attr(-qa.zero_point),
            "input2_offset": i32_attr(-qb.zero_point),
            "output_offset": i32_attr(q_out.zero_point),
            "act_min": i32_attr(act[0]),
            "act_max": i32_attr(act[1]),
        }
        if isinstance(op, nn.AddOp):
            left_shift = 15 if _is_s16(q_out) else quantmath.ADD_LEFT_SHIFT
            params = quantmath.add_params(qa.scale, qb.scale, q_out.scale, left_shift)
            props.update({k: i32_attr(v) for k, v in params.items()})
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
        if isinstance(op, nn.GlobalAvgPoolOp) and (op.tflite_mean is not None or q_in != q_out):
            return self.mean(op, x, q_in, q_out, act)
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
                "kernel": _i64s(kernel),
                "stride": _i64s(strides),
                "padding": _i64s(pads),
                "act_min": i32_attr(act[0]),
                "act_max": i32_attr(act[1]),
            },
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def mean(self, op: nn.GlobalAvgPoolOp, x: SSAValue, q_in, q_out, act) -> Stored:
        """A global average whose output has its own quantization, or a TFLite MEAN: `cmsis.mean`.

        The same integer arithmetic serves both: TFLite's MEAN exactly, and an
        int8 or int16 (A16W8) GlobalAveragePool / ReduceMean (float mean, then
        quantize, as onnxruntime runs it) within one step. A GlobalAveragePool whose output
        keeps its input's quantization stays arm_avgpool_s8: its rounded
        average is the float mean quantized, up to ties.
        """
        n, h, w, c = shape_of(x)
        mult, shift = quantmath.mean_multiplier(q_in.scale, q_out.scale, h * w)
        new = cmsis.MeanOp.build(
            operands=[x],
            result_types=[_tensor(q_out, (n, 1, 1, c))],
            properties={
                "multiplier": i32_attr(mult),
                "shift": i32_attr(shift),
                **_offsets(q_in, q_out, act),
            },
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def softmax_input(self, op: nn.SoftmaxOp, stored: Stored) -> tuple[SSAValue, tuple[int, ...]]:
        """The softmax's input stored with its softmax axis last, as arm_softmax_s8/s16 reduce over the last
        stored dimension, and that order. Free when the axis is stored last already: a softmax over the
        channels (ONNX axis 1 of NCHW, PyTorch's softmax(dim=1)) of an NHWC-stored tensor; else the other
        axes keep their logical order and one transpose moves the axis last."""
        logical = shape_of(op.input)
        rank = len(logical)
        axis = op.axis.value.data % rank
        if stored.columns is None and stored.perm[-1] == axis:
            perm = tuple(stored.perm)
        else:
            perm = (*(p for p in range(rank) if p != axis), axis)
        return self.materialize(stored, logical, perm, op), perm

    def softmax(self, op: nn.SoftmaxOp, q_out, act=(-128, 127)) -> Stored:
        stored = self.view(op.input, op)
        if _is_s16(stored_quant(stored.value)):
            return self.softmax_s16(op, stored, q_out, act)
        q_softmax = UniformQuantizedType(1.0 / 256.0, -128)
        x, perm = self.softmax_input(op, stored)
        q_in = stored_quant(x)
        beta = 1.0 if op.beta is None else op.beta.value.data
        mult, shift, diff_min = quantmath.softmax_params(q_in.scale, beta)
        new = cmsis.SoftmaxOp.build(
            operands=[x],
            result_types=[_tensor(q_softmax, shape_of(x))],
            properties={
                "input_multiplier": i32_attr(mult),
                "input_left_shift": i32_attr(shift),
                "diff_min": i32_attr(diff_min),
            },
        )
        result = Stored(self.emit(new).results[0], tuple(perm))
        if q_out != q_softmax or act != (-128, 127):
            # arm_softmax_s8 writes 1/256 : -128 (TFLite's int8 softmax); another output quantization
            # (onnxruntime writes 1/255 : -128) or a clamp is one requantization more
            result = self.requantize(result, q_out, act, op)
        return result

    def softmax_s16(self, op: nn.SoftmaxOp, stored: Stored, q_out: UniformQuantizedType,
                    act: tuple[int, int]) -> Stored:
        """arm_softmax_s16 (TFLite's int16 SOFTMAX): the output at 1/32768 : 0, its exp and 1 / (1 + x) tables
        computed here as TFLite Micro computes them (gen_lut, float32)."""
        q_softmax = UniformQuantizedType(1.0 / 32768.0, 0, storage_type=int_type(16))
        if q_out.zero_point == 0 and float(as_f32(q_out.scale)) == lut.SOFTMAX_S16_OUTPUT_SCALE \
                and act == storage_range(q_out):
            return self.softmax_s16_table(op, stored, q_out)
        if q_out != q_softmax or act != storage_range(q_out):
            raise error(op, f"an int16 softmax writes scale 1/32768 and zero point 0 (arm_softmax_s16), not "
                            f"{q_out.scale}:{q_out.zero_point} or a clamp: arm_softmax_s16 interpolates TFLite's "
                            "tables; supported: TFLite's int16 SOFTMAX (1/32768, exact to TFLite Micro) and an ONNX "
                            "A16W8 Softmax (1/32767 : 0, cmsis_opt_softmax_s16), neither clamped")
        x, perm = self.softmax_input(op, stored)
        beta = 1.0 if op.beta is None else op.beta.value.data
        mult, shift = quantmath.softmax_s16_params(stored_quant(x).scale, beta)
        new = cmsis.SoftmaxOp.build(
            operands=[x],
            result_types=[_tensor(q_softmax, shape_of(x))],
            properties={
                "input_multiplier": i32_attr(mult),
                "input_left_shift": i32_attr(shift),
                "diff_min": i32_attr(0),
                "exp_lut": dense(lut.tflm_lut_s16(lut.f32_exp, -10.0, 0.0)),
                "one_by_one_lut": dense(lut.tflm_lut_s16(lut.f32_one_over_one_plus, 0.0, 1.0)),
            },
        )
        return Stored(self.emit(new).results[0], tuple(perm))

    def softmax_s16_table(self, op: nn.SoftmaxOp, stored: Stored, q_out: UniformQuantizedType) -> Stored:
        """An ONNX A16W8 Softmax (output 1/32767 : 0): one `cmsis.softmax_s16_table` whose exp table this layer's
        input scale fills (`lut.softmax_exp_table_s16`), within 1 LSB of onnxruntime's float softmax. A located
        error for a row longer than `lut.SOFTMAX_S16_MAX_ROW` (the error analysis stops there)."""
        x, perm = self.softmax_input(op, stored)
        row = shape_of(x)[-1]
        if row > lut.SOFTMAX_S16_MAX_ROW:
            raise error(op, f"an int16 softmax over {row} elements is longer than the {lut.SOFTMAX_S16_MAX_ROW} "
                            "cmsis_opt_softmax_s16 is proven within 1 LSB of onnxruntime for; split the axis or "
                            "keep this softmax in float")
        beta = 1.0 if op.beta is None else op.beta.value.data
        try:
            table = lut.softmax_exp_table_s16(stored_quant(x).scale, beta)
        except lut.TableError as err:
            raise error(op, str(err)) from None
        new = cmsis.SoftmaxS16TableOp.build(
            operands=[x], result_types=[_tensor(q_out, shape_of(x))],
            properties={"table": dense(table)})
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
        """`cmsis.concat` (arm_concatenation_s8_*) of rank-4 NCHW inputs stored NHWC; an input at another
        scale or zero point than the output's is first requantized to it (`cmsis.requantize`), which TFLite
        Micro's CONCATENATION refuses but onnxruntime's QDQ models need."""
        logical = shape_of(op.output)
        if len(logical) != 4:
            raise error(
                op, f"concatenating rank-{len(logical)} tensors is not supported (CMSIS-NN concatenation is 4-D)"
            )
        inputs = []
        for value in op.inputs:
            x, q_in = self._input(op, value)
            if q_in != q_out:  # beyond TFLite Micro (which refuses): the input at the concatenation's scale
                x = self.requantize(Stored(x, NCHW_TO_NHWC), q_out, (-128, 127), op).value
            inputs.append(x)
        axis = NCHW_TO_NHWC.index(op.axis.value.data)
        new = cmsis.ConcatOp.build(
            operands=[inputs],
            result_types=[_tensor(q_out, stored_shape(logical, NCHW_TO_NHWC))],
            properties={"axis": i32_attr(axis)},
        )
        return Stored(self.emit(new).results[0], NCHW_TO_NHWC)

    def take_slice(self, op: nn.SliceOp, q_out, act=None) -> Stored:
        """`cmsis.slice` on the stored bytes, in whatever order they are stored (the starts permuted alike); a
        slice cutting several axes is one `cmsis.slice` per cut axis, outermost first (the kernel cuts one)."""
        stored = self.view(op.input, op)
        if stored.columns is not None:
            stored = self.unflatten(stored, op)
        q_in = stored_quant(stored.value)
        self._check_same_quant(op, q_in, q_out)
        starts = [ints(op.starts)[p] for p in stored.perm]
        sizes = list(shape_of(stored.value))
        wanted = stored_shape(shape_of(op.output), stored.perm)
        value = stored.value
        for axis in [a for a, (size, full) in enumerate(zip(wanted, sizes, strict=True)) if size != full]:
            sizes[axis] = wanted[axis]
            new = cmsis.SliceOp.build(
                operands=[value],
                result_types=[_tensor(q_out, sizes)],
                properties={"starts": i64_array([starts[a] if a == axis else 0 for a in range(len(sizes))])},
            )
            try:
                new.verify_()
            except VerifyException as refused:
                raise error(op, f"no kernel computes it: {refused}") from None
            value = self.emit(new).results[0]
        if value is stored.value:  # nothing cut: the slice is the identity
            return stored
        return Stored(value, stored.perm)

    def lstm(self, op: nn.LSTMOp, q_out, act) -> Stored:
        """`cmsis.lstm` (arm_lstm_unidirectional_s8, or _s16 for int16 activations and int64 biases) with TFLite Micro's
        parameters (`lstm_eval_common.cc`, PrepareGateParametersInteger): each gate's W x and R h sums requantized to
        Q3.12 as fully connected layers with output scale 2^-12; the inter-gate products from Q0.15 (2^-15) into the
        cell state's scale and, for the hidden state, into the output's; the cell state scale a power of two."""
        wide = _is_s16(q_out)
        if act != ((-32768, 32767) if wide else (-128, 127)):
            raise error(op, f"an activation after an LSTM (clamp {list(act)}) has no CMSIS-NN kernel")
        if op.cell_scale is None:
            raise error(op, "the int16 cell state's scale is unknown (TFLite gives it as the cell state tensor's "
                            "quantization); only a quantized TFLite UNIDIRECTIONAL_SEQUENCE_LSTM maps onto "
                            "arm_lstm_unidirectional_s8")
        stored = self.view(op.input, op)
        x = self.materialize(stored, shape_of(op.input), identity(3), op)
        q_in = stored_quant(x)
        hidden = op.hidden
        gate_weights = []
        for value, what in ((op.weight, "input weights"), (op.recurrence, "recurrent weights")):
            w = self._weights(op, value, what)
            scales = np.asarray(w.scales(4 * hidden), np.float32).reshape(4, hidden)
            if np.any(scales != scales[:, :1]):
                raise error(op, f"its {what} vary in scale within a gate: arm_lstm_unidirectional_s8 takes one "
                                "scale per gate")
            gate_weights.append((w.data.reshape(4, hidden, -1), [float(v) for v in scales[:, 0]]))
        (w_in, s_in), (w_rec, s_rec) = gate_weights
        bias = float_const(op.bias)
        bias_bits = 64 if wide else 32
        if bias is None or bias.q.storage_type != int_type(bias_bits):
            raise error(op, f"its bias is not an int{bias_bits} quantized constant (TFLite's "
                            f"{'16x8' if wide else 'int8'} LSTM bias)")
        if _is_s16(q_in) != wide:
            raise error(op, "its input and output differ in element type; TFLite's LSTM keeps one")
        cell_scale = op.cell_scale.value.data
        power = round(math.log2(cell_scale))
        if abs(math.log2(cell_scale) - power) >= 1e-3:  # TFLite's CheckedLog2
            raise error(op, f"the cell state scale {cell_scale} is not a power of two")
        gate_scale, product_scale = 2.0 ** -12, 2.0 ** -15
        ins = [quantmath.fully_connected_multiplier(q_in.scale, s, gate_scale) for s in s_in]
        recs = [quantmath.fully_connected_multiplier(q_out.scale, s, gate_scale) for s in s_rec]

        def inter_gate(a: float, b: float, out: float) -> tuple[int, int]:  # CreateInterGateMulParams
            return quantmath.quantize_multiplier(as_f32(a) * as_f32(b) / as_f32(out))

        forget = inter_gate(product_scale, cell_scale, cell_scale)
        into_cell = inter_gate(product_scale, product_scale, cell_scale)
        output = inter_gate(product_scale, product_scale, q_out.scale)
        clip = int(min(max(op.cell_clip.value.data / as_f32(cell_scale), -32768.0), 32767.0))
        n, t, _ = shape_of(op.input)
        props: dict[str, Attribute] = {
            "input_weights": dense(np.ascontiguousarray(w_in.astype(np.int8))),
            "recurrent_weights": dense(np.ascontiguousarray(w_rec.astype(np.int8))),
            "bias": dense(bias.data.reshape(4, hidden).astype(np.int64 if wide else np.int32)),
            "input_multiplier": i32_array([m for m, _ in ins]), "input_shift": i32_array([s for _, s in ins]),
            "hidden_multiplier": i32_array([m for m, _ in recs]), "hidden_shift": i32_array([s for _, s in recs]),
            "forget_to_cell_multiplier": i32_attr(forget[0]), "forget_to_cell_shift": i32_attr(forget[1]),
            "input_to_cell_multiplier": i32_attr(into_cell[0]), "input_to_cell_shift": i32_attr(into_cell[1]),
            "cell_clip": i32_attr(clip), "cell_scale_power": i32_attr(power),
            "output_multiplier": i32_attr(output[0]), "output_shift": i32_attr(output[1]),
            "input_offset": i32_attr(-q_in.zero_point), "output_offset": i32_attr(q_out.zero_point),
            "cell_activation": op.cell_activation,
        }
        if op.time_major is not None:
            props["time_major"] = UnitAttr()
        new = cmsis.LstmOp.build(operands=[x], result_types=[_tensor(q_out, (n, t, hidden))], properties=props)
        try:
            new.verify_()
        except VerifyException as refused:
            raise error(op, f"no CMSIS-NN kernel computes it: {refused}") from None
        return Stored(self.emit(new).results[0], identity(3))

    def activation(self, op: nn.ActivationOp, q_out, act) -> Stored:
        """A table activation: one `cmsis.lut` (cmsis_opt.lut), in the order the input is stored.

        The table follows TFLite Micro's arithmetic for `rule = "tflite"`, else
        the float function rounded once; a ReLU / Clip after it clamps the
        table. A PRelu slope that varies along one axis gives one table per
        channel of that axis, which must then be stored last (a transpose
        first if it is not: NCHW graph inputs).
        """
        if _is_s16(q_out):
            return self.activation_s16(op, q_out, act)
        logical = shape_of(op.input)
        stored = self.view(op.input, op)
        slope = slope_values(op)
        perm = tuple(stored.perm)
        axis = None if slope is None else varying_axis(op, slope)
        if axis is not None and perm[-1] != axis:
            perm = (*(p for p in perm if p != axis), axis)
        x = self.materialize(stored, logical, perm, op)
        q_in = quant_of(x.type)
        assert q_in is not None  # a lowered value is int8
        try:
            tables = activation_tables(op, slope, perm, (q_in.scale, q_in.zero_point),
                                       (q_out.scale, q_out.zero_point))
        except lut.TableError as err:
            raise error(op, str(err)) from None
        tables = np.clip(tables, act[0], act[1]).astype(np.int8)
        new = cmsis.LutOp.build(operands=[x], result_types=[_tensor(q_out, shape_of(x))],
                                properties={"table": dense(tables[0] if len(tables) == 1 else tables)})
        return Stored(self.emit(new).results[0], perm)


    def activation_s16(self, op: nn.ActivationOp, q_out: UniformQuantizedType, act: tuple[int, int]) -> Stored:
        """TFLite's int16 LOGISTIC / TANH: one `cmsis.activation_s16` with TFLite Micro's input multiplier and
        shift (`cmsis_activation.tflm_input_params`), element-wise in the stored order. TFLite Micro's Prepare
        rules are ours: output scale 2^-15 (zero points are 0 in the 16x8 scheme), no clamp after it (no int16
        requantization kernel follows), an input scale whose multiplier keeps the int32 product in range."""
        kind = op.kind.data
        if kind in cmsis_activation.FUNCTIONS and op.rule is None and op.slope is None:
            return self.float_lut_s16(op, q_out, act)
        if kind not in cmsis_activation.FUNCTIONS or op.rule is None or op.rule.data != "tflite":
            raise error(op, f"an int16 {kind} has no kernel here; supported: TFLite's int16 LOGISTIC and TANH "
                            "(arm_nn_activation_s16), ONNX A16W8 Sigmoid and Tanh (cmsis_opt_lut_s16)")
        name = "LOGISTIC" if kind == "sigmoid" else "TANH"
        log2, power_of_two = cmsis_activation.checked_log2(q_out.scale)
        if not power_of_two or log2 != -15 or act != storage_range(q_out):
            raise error(op, f"TFLite's int16 {name} writes scale 2^-15 (1/32768) and no clamp, not scale "
                            f"{q_out.scale} clamped to {list(act)}: no int16 requantization kernel follows")
        stored = self.view(op.input, op)
        if stored.columns is not None:
            stored = self.unflatten(stored, op)
        q_in = stored_quant(stored.value)
        multiplier, shift = cmsis_activation.tflm_input_params(q_in.scale, kind == "sigmoid")
        rounding = (1 << (shift - 1)) if shift > 0 else 0
        if 32767 * multiplier + rounding > cmsis_activation.INT32_MAX:
            raise error(op, f"an input scale of {q_in.scale} overflows TFLite Micro's int32 input product in "
                            f"int16 {name} (multiplier {multiplier}); scales up to about 5.3 work")
        new = cmsis.ActivationS16Op.build(
            operands=[stored.value], result_types=[_tensor(q_out, shape_of(stored.value))],
            properties={"function": StringAttr(kind), "input_multiplier": i32_attr(multiplier),
                        "input_shift": i32_attr(shift)})
        return Stored(self.emit(new).results[0], stored.perm)

    def float_lut_s16(self, op: nn.ActivationOp, q_out: UniformQuantizedType, act: tuple[int, int]) -> Stored:
        """An ONNX A16W8 Sigmoid / Tanh: one `cmsis.lut_s16` whose table this layer's scales fill
        (`lut.float_table_s16`: onnxruntime's float function rounded, within 1 step of it for every int16 input),
        element-wise in the stored order. A located error when no table size meets that bound, or for a clamp
        after it (a clamped table would bend where the interpolation cannot follow)."""
        if act != storage_range(q_out):
            raise error(op, f"an int16 {op.kind.data} clamped to {list(act)} has no kernel here (cmsis_opt_lut_s16 "
                            "interpolates the function alone); supported: no Relu / Clip after it")
        stored = self.view(op.input, op)
        if stored.columns is not None:
            stored = self.unflatten(stored, op)
        q_in = stored_quant(stored.value)
        try:
            entries, step_log2, _ = lut.float_table_s16(op.kind.data, q_in.scale, q_out.scale, op.params)
        except lut.TableError as err:
            raise error(op, str(err)) from None
        new = cmsis.LutS16Op.build(
            operands=[stored.value], result_types=[_tensor(q_out, shape_of(stored.value))],
            properties={"table": dense(entries), "step_log2": i32_attr(step_log2)})
        return Stored(self.emit(new).results[0], stored.perm)


def slope_values(op: nn.ActivationOp) -> np.ndarray | None:
    """PRelu's slope broadcast to the input's shape: int8 codes for `rule = "tflite"` (TFLite's PRELU computes
    with them), real values otherwise; None without a slope. A located error when it is not a constant."""
    if op.slope is None:
        return None
    if op.rule is not None and op.rule.data == "tflite":
        const = float_const(op.slope)
        if const is None or const.axis is not None or const.q.storage_type != int_type(8):
            raise error(op, "TFLite's PRELU needs an int8 alpha constant with one scale and zero point")
        values = const.data.astype(np.int64)
    else:
        values = real_constant(op.slope)  # float32 values (DequantizeLinear's), held as float64
        if values is None:
            raise error(op, "its slope is computed, not a constant: a table needs the slope at compile time")
    return np.broadcast_to(values, shape_of(op.input))


def varying_axis(op: nn.ActivationOp, slope: np.ndarray) -> int | None:
    """The one input axis along which the (broadcast) slope changes, None if it is the same everywhere; a
    located error when it changes along several (no table per element)."""
    axes = [axis for axis in range(slope.ndim) if slope.shape[axis] > 1 and np.any(np.diff(slope, axis=axis))]
    if len(axes) > 1:
        raise error(op, f"its slope of shape {list(shape_of(op.slope))} varies along axes {axes} of the input "
                        f"{list(shape_of(op.input))}: a table kernel takes a scalar or per-channel slope "
                        "(one 256-entry table per channel)")
    return axes[0] if axes else None


def activation_tables(op: nn.ActivationOp, slope: np.ndarray | None, perm, q_in: lut.Quant,
                      q_out: lut.Quant) -> np.ndarray:
    """[T, 256] int8 tables of a table activation whose input is stored in order `perm`: T is 1, or the stored
    last dimension when the slope varies along it."""
    kind, params = op.kind.data, op.params
    tflite = op.rule is not None and op.rule.data == "tflite"
    if slope is None:
        table = (lut.tflm_table(kind, q_in, q_out, params) if tflite
                 else lut.float_table(kind, q_in, q_out, params, table=op.table))
        return table[None, :]
    stored = slope.transpose(perm) if slope.ndim else slope.reshape(1)
    rows = stored.reshape(-1, stored.shape[-1])
    channels = rows[0] if np.any(rows != rows.flat[0]) else rows[0, :1]
    if tflite:
        assert op.slope is not None
        const = float_const(op.slope)
        assert const is not None  # slope_values checked it
        return lut.tflm_prelu(q_in, q_out, channels.tolist(), (const.q.scale, const.q.zero_point))
    return np.stack([lut.float_table(kind, q_in, q_out, params, float(value)) for value in channels])


def quantize_table_outputs(func: FuncOp) -> None:
    """A graph output that a table activation computes in float from an int8 tensor (onnxruntime's QDQ
    quantizer leaves ops it does not handle, HardSwish for one, in float) gets an nn.quantize with the exact
    range of the activation's 256 possible values, and an nn.dequantize: the C API then gives it as int8."""
    block = func.body.block
    ret = block.last_op
    if not isinstance(ret, ReturnOp):
        return
    operands = list(ret.operands)
    for index, value in enumerate(operands):
        source = value
        while isinstance(source.owner, _VIEWS):
            source = source.owner.input
        op = source.owner
        if quant_of(value.type) is not None or not isinstance(op, nn.ActivationOp):
            continue
        q_in = QDQRewriter(func, recorded_range).quant_of_float(op.input)
        if q_in is None or q_in.per_axis:
            continue
        slope = None if op.slope is None else real_constant(op.slope)
        if op.slope is not None and slope is None:
            continue
        low, high = lut.output_range(op.kind.data, (q_in.scale, q_in.zero_point), op.params, slope, op.table)
        q = activation_quant(low, high)
        quantize = nn.QuantizeOp(value, tensor_type(q, list(shape_of(value))))
        dequantize = nn.DequantizeOp(quantize.output)
        for new in (quantize, dequantize):
            new.attributes["layer"] = StringAttr(layer_of(op))
            block.insert_op_before(new, ret)
        operands[index] = dequantize.output
    ret.operands = operands


def _is_s16(q: UniformQuantizedType) -> bool:
    return q.storage_type == int_type(16)


LOWERINGS: dict[type[Operation], Callable[..., Stored]] = {
    nn.Conv2DOp: Lowering.conv,
    nn.ConvTranspose2DOp: Lowering.conv_transpose,
    nn.FullyConnectedOp: Lowering.matmul,
    nn.MatMulOp: Lowering.matmul,
    nn.AddOp: Lowering.add,
    nn.MulOp: Lowering.mul,
    nn.MaxPoolOp: Lowering.pool,
    nn.AvgPoolOp: Lowering.pool,
    nn.GlobalAvgPoolOp: Lowering.pool,
    nn.SoftmaxOp: Lowering.softmax,
    nn.PadOp: Lowering.pad,
    nn.ConcatOp: Lowering.concat,
    nn.ActivationOp: Lowering.activation,
    nn.LSTMOp: Lowering.lstm,
    nn.SliceOp: Lowering.take_slice,
}
"""nn compute op class -> the Lowering method that writes its cmsis op(s).

Each is called as (lowering, op, output quantization, clamp).
"""

S16_LOWERINGS: frozenset[type[Operation]] = frozenset({
    nn.Conv2DOp, nn.FullyConnectedOp, nn.MatMulOp, nn.MaxPoolOp, nn.AvgPoolOp, nn.GlobalAvgPoolOp, nn.SoftmaxOp,
    nn.AddOp, nn.MulOp, nn.ActivationOp, nn.LSTMOp,
})
"""The nn ops whose lowering also takes int16 activations (TFLite's 16x8 scheme, CMSIS-NN's s16 kernels)."""


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


class MergeTwinTransposes(RewritePattern):
    """Two transposes of one value with one permutation are one: the later one's readers read the earlier one's
    result (an NCHW graph input that several layers read is transposed once, and `io-layout=nhwc` then drops
    that one transpose)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cmsis.TransposeOp, rewriter: PatternRewriter) -> None:
        for use in op.input.uses:
            twin = use.operation
            if (twin is not op and isinstance(twin, cmsis.TransposeOp) and twin.perm == op.perm
                    and twin.parent_block() is op.parent_block() and twin.is_before_in_block(op)):
                rewriter.replace(op, [], [twin.output])
                return


def _move_quantize_to(arg: SSAValue, new_arg: SSAValue, block: Block) -> None:
    """Rebuild the layout ops between a float `arg` and its nn.quantize ops on the int8 `new_arg`."""
    for use in list(arg.uses):
        user = use.operation
        if isinstance(user, nn.QuantizeOp):
            user.output.replace_all_uses_with(new_arg)
            block.erase_op(user)
            continue
        element = stored_quant(new_arg)
        if isinstance(user, nn.TransposeOp):
            moved = nn.TransposeOp(new_arg, ints(user.perm))
        else:
            assert isinstance(user, nn.ReshapeOp), user
            moved = nn.ReshapeOp(new_arg, tensor_type(element, list(shape_of(user.output))))
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
        commuting = False
        quantizes = quantized_by(arg)
        if not quantizes:
            quantizes, commuting = quantized_by(arg, COMMUTE_WITH_QUANTIZE), True
        if not quantizes:
            continue
        elements = {q.output.type.element_type for q in quantizes}  # type: ignore[union-attr]
        element = elements.pop() if len(elements) == 1 else None
        if not isinstance(element, UniformQuantizedType) or element.per_axis:
            continue
        new_arg = replace_arg(func, arg, tensor_type(element, list(shape_of(arg))))
        if commuting:  # the float ops stay, reading the int8 input's dequantized values: the same codes reach
            dequantize = nn.DequantizeOp(new_arg)  # each nn.quantize (`COMMUTE_WITH_QUANTIZE`)
            block.insert_op_before(dequantize, next(iter(block.ops)))  # the input's readers come after it
            arg.replace_all_uses_with(dequantize.output)
        else:
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
    """One remark when the model's float inputs or outputs became int8 (int16) in the C API, naming the header macros
    that convert them (NAME_INPUT_SCALE, or NAME_INPUT_0_SCALE, ... with several inputs; NAME is the C name)."""
    from cmsis_opt.backend.c import entry_names  # the C API's names; imported late: the backend is not a pass

    inputs = entry_names("input", len(func.body.block.args))
    outputs = entry_names("output", len(func.function_type.outputs.data))
    floats = [name for i, name in enumerate(inputs) if func_attr(func, "arg", i, nn.FLOAT_IO_ATTR)]
    floats += [name for i, name in enumerate(outputs) if func_attr(func, "res", i, nn.FLOAT_IO_ATTR)]
    types = [*(a.type for i, a in enumerate(func.body.block.args) if func_attr(func, "arg", i, nn.FLOAT_IO_ATTR)),
             *(t for i, t in enumerate(func.function_type.outputs.data) if func_attr(func, "res", i, nn.FLOAT_IO_ATTR))]
    widths = sorted({q.storage_type.width.data for t in types if (q := quant_of(t)) is not None}) or [8]
    codes = " and ".join(f"int{w}" for w in widths)  # int16: an A16W8 model
    if floats:
        said = [name.replace("_", " ") for name in floats]
        which = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
        macros = ", ".join(f"NAME_{name.upper()}_SCALE / NAME_{name.upper()}_ZERO_POINT" for name in floats)
        remark(
            f"the model's {which} {'is' if len(floats) == 1 else 'are'} float32; the C API takes and gives {codes}: "
            f"q = round(x / SCALE) + ZERO_POINT, x = (q - ZERO_POINT) * SCALE, with the header's {macros} "
            "(NAME: the C name, --name)",
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
    FUNCTIONS: ClassVar[Literal["one", "some", "any"]] = "some"  # each function is lowered on its own
    io_layout: Literal["model", "nhwc"] = "model"

    def run(self, module: ModuleOp) -> None:
        for func in [o for o in module.ops if isinstance(o, FuncOp)]:
            quantize_table_outputs(func)
            strip_float_io(func)
            remark_float_io(func)
            if is_float_model(func):
                if (blocker := float_input_blocker(func)) is not None:
                    raise float_input_error(blocker)
                QDQRewriter(func, recorded_range).run()
            Lowering(func).run()
        # the applier's dead-code removal also drops the views the folding leaves unused; twin transposes merge
        # before the boundary ones are absorbed, so a graph input read by several layers is one boundary
        walker = PatternRewriteWalker(GreedyRewritePatternApplier([FoldViewChains(), MergeTwinTransposes()]))
        walker.rewrite_module(module)
        if self.io_layout == "nhwc":
            for func in [o for o in module.ops if isinstance(o, FuncOp)]:
                absorb_boundary_transposes(func)
            walker.rewrite_module(module)
