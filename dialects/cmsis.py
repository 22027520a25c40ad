"""The `cmsis` dialect: one op per CMSIS-NN int8 kernel family.

Activations are NHWC tensors of `!quant.uniform<i8:f32, scale:zp>`; each op
holds, as properties, exactly what its CMSIS-NN call takes (filters in OHWI /
1HWC / [out][in] layout, int32 biases, per-channel multipliers and shifts,
offsets, activation range, stride, padding, dilation). Offsets are redundant
with the zero points in the types, as they are in the CMSIS-NN call; the
verifiers check that they agree.

    %1 = cmsis.conv %0 {filter = dense<"0x..."> : tensor<8x3x3x3xi8>, bias = ..., multiplier = array<i32: ...>,
                        shift = array<i32: ...>, input_offset = 128 : i32, output_offset = -128 : i32,
                        act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>,
                        padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>}
         : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.25:-128>>
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import NoMemoryEffect

from .quant import UniformQuantizedType
from .utils import check_len, conv_out_size, fail, ints, num_elements, shape_of

I8_MIN, I8_MAX = -128, 127
Q31_MAX = (1 << 31) - 1

_I32 = IntegerAttr[IntegerType]
_I32_ARRAY = DenseArrayBase.constr(i32)
_I64_ARRAY = DenseArrayBase.constr(i64)


def _int(attr: IntegerAttr | None, default: int = 0) -> int:
    return default if attr is None else attr.value.data


class CmsisOp(IRDLOperation):
    """Common format and checks: `cmsis.op %a {props} : (types) -> type`."""

    assembly_format = "operands attr-dict `:` functional-type(operands, results)"
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(NoMemoryEffect())

    # -- checks shared by several ops ------------------------------------
    def quant(self, value: SSAValue, field: str) -> UniformQuantizedType:
        type_ = value.type
        assert isinstance(type_, TensorType)
        q = type_.element_type
        if not isinstance(q, UniformQuantizedType) or q.storage_type != IntegerType(8) or q.per_axis:
            fail(self, field, f"expected int8 per-tensor !quant.uniform elements, got {q}")
        return q

    def check_range(self, field: str, value: int, low: int, high: int) -> None:
        if not low <= value <= high:
            fail(self, field, f"{value} is outside [{low}, {high}]")

    def check_activation(self) -> None:
        low, high = _int(self.act_min), _int(self.act_max)
        self.check_range("act_min", low, I8_MIN, I8_MAX)
        self.check_range("act_max", high, I8_MIN, I8_MAX)
        if low > high:
            fail(self, "act_min", f"{low} is greater than act_max {high}")

    def check_offsets(self, pairs: Sequence[tuple[str, int, UniformQuantizedType, int]]) -> None:
        """Each (field, value, type, sign): value must equal sign * zero point."""
        for field, value, q, sign in pairs:
            low, high = (-I8_MAX, -I8_MIN) if sign < 0 else (I8_MIN, I8_MAX)
            self.check_range(field, value, low, high)
            if value != sign * q.zero_point:
                fail(self, field, f"{value} does not match the zero point {q.zero_point} of its tensor (expected {sign * q.zero_point})")

    def check_requant(self, mult_field: str, mults: Sequence[int], shift_field: str, shifts: Sequence[int]) -> None:
        for m in mults:
            self.check_range(mult_field, m, 0, Q31_MAX)
        for s in shifts:
            self.check_range(shift_field, s, -31, 30)

    def check_same_quant(self, a: SSAValue, b: SSAValue) -> None:
        qa, qb = self.quant(a, "input"), self.quant(b, "result")
        if qa != qb:
            fail(self, "result", f"quantization {qb} must equal the input's {qa}")

    def check_rank(self, value: SSAValue, field: str, rank: int) -> tuple[int, ...]:
        shape = shape_of(value)
        if len(shape) != rank:
            fail(self, field, f"expected rank {rank}, got shape {list(shape)}")
        return shape

    def check_shape(self, field: str, actual: Sequence[int], expected: Sequence[int]) -> None:
        if tuple(actual) != tuple(expected):
            fail(self, field, f"shape {list(actual)} does not match the expected {list(expected)}")


def _check_window(op: CmsisOp, in_hw: Sequence[int], out_hw: Sequence[int], kernel: Sequence[int]) -> None:
    """Stride / padding / dilation of an NHWC window op, TFLite style.

    `padding` is [top, left]; the bottom/right padding is implied by the
    output size (as CMSIS-NN does: it only bounds-checks the far edge).
    """
    stride, pad = ints(op.stride), ints(op.padding)
    dilation = ints(op.dilation) if getattr(op, "dilation", None) is not None else (1, 1)
    check_len(op, "stride", stride, 2)
    check_len(op, "padding", pad, 2)
    check_len(op, "dilation", dilation, 2)
    for field, values, low in (("stride", stride, 1), ("padding", pad, 0), ("dilation", dilation, 1)):
        if any(v < low for v in values):
            fail(op, field, f"values must be >= {low}, got {list(values)}")
    for axis, name in ((0, "height"), (1, "width")):
        eff = (kernel[axis] - 1) * dilation[axis] + 1
        if pad[axis] >= eff:
            fail(op, "padding", f"{pad[axis]} on the {name} is not smaller than the window {eff}")
        end = max((out_hw[axis] - 1) * stride[axis] + eff - in_hw[axis] - pad[axis], 0)
        if end > pad[axis] + 1 or end >= eff or conv_out_size(in_hw[axis], kernel[axis], stride[axis], pad[axis], end, dilation[axis]) != out_hw[axis]:
            fail(op, "result", f"output {name} {out_hw[axis]} is inconsistent with input {in_hw[axis]}, window {eff}, stride {stride[axis]}, padding {pad[axis]}")


class _FilterOp(CmsisOp):
    """Conv-like ops: weights, bias, per-channel requantization, a window."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    filter = prop_def(DenseIntOrFPElementsAttr)
    bias = opt_prop_def(DenseIntOrFPElementsAttr)
    multiplier = prop_def(_I32_ARRAY)
    shift = prop_def(_I32_ARRAY)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)
    stride = prop_def(_I64_ARRAY)
    padding = prop_def(_I64_ARRAY)
    dilation = prop_def(_I64_ARRAY)

    def _verify_filter(self, expected_filter: Sequence[int], out_channels: int) -> None:
        if self.filter.get_element_type() != IntegerType(8):
            fail(self, "filter", f"expected i8 weights, got {self.filter.get_element_type()}")
        self.check_shape("filter", self.filter.get_shape(), expected_filter)
        if self.bias is not None:
            if self.bias.get_element_type() != IntegerType(32):
                fail(self, "bias", f"expected i32 values, got {self.bias.get_element_type()}")
            self.check_shape("bias", self.bias.get_shape(), (out_channels,))
        mult, shift = ints(self.multiplier), ints(self.shift)
        check_len(self, "multiplier", mult, out_channels)
        check_len(self, "shift", shift, out_channels)
        self.check_requant("multiplier", mult, "shift", shift)
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets(
            [("input_offset", _int(self.input_offset), qi, -1), ("output_offset", _int(self.output_offset), qo, 1)]
        )
        self.check_activation()


@irdl_op_definition
class ConvOp(_FilterOp):
    """`arm_convolve_wrapper_s8`: NHWC input, OHWI filter.

    `kernel = "generic"` forces `arm_convolve_s8` (pixel-by-pixel im2col)
    where the wrapper would pick a faster variant, e.g. for 1x1 filters.
    """

    name = "cmsis.conv"
    kernel = opt_prop_def(StringAttr)

    def verify_(self) -> None:
        n, h, w, c = self.check_rank(self.input, "input", 4)
        on, oh, ow, oc = self.check_rank(self.output, "result", 4)
        fshape = self.filter.get_shape()
        if len(fshape) != 4:
            fail(self, "filter", f"expected an OHWI filter of rank 4, got {list(fshape)}")
        if on != n:
            fail(self, "result", f"batch {on} differs from the input's {n}")
        self._verify_filter((oc, fshape[1], fshape[2], c), oc)
        _check_window(self, (h, w), (oh, ow), fshape[1:3])
        if self.kernel is not None and self.kernel.data not in ("generic",):
            fail(self, "kernel", f"unknown kernel variant '{self.kernel.data}' (known: generic)")


@irdl_op_definition
class DepthwiseConvOp(_FilterOp):
    """`arm_depthwise_conv_wrapper_s8`: NHWC input, 1HWC filter, channel multiplier C_out / C_in."""

    name = "cmsis.depthwise_conv"

    def verify_(self) -> None:
        n, h, w, c = self.check_rank(self.input, "input", 4)
        on, oh, ow, oc = self.check_rank(self.output, "result", 4)
        fshape = self.filter.get_shape()
        if len(fshape) != 4:
            fail(self, "filter", f"expected a 1HWC filter of rank 4, got {list(fshape)}")
        if on != n:
            fail(self, "result", f"batch {on} differs from the input's {n}")
        if oc % c:
            fail(self, "result", f"{oc} output channels are not a multiple of the {c} input channels")
        self._verify_filter((1, fshape[1], fshape[2], oc), oc)
        _check_window(self, (h, w), (oh, ow), fshape[1:3])

    @property
    def channel_multiplier(self) -> int:
        return shape_of(self.output)[3] // shape_of(self.input)[3]


@irdl_op_definition
class FullyConnectedOp(CmsisOp):
    """`arm_fully_connected_s8`: input [N, K], filter [M][K] rows, per-tensor requantization."""

    name = "cmsis.fully_connected"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    filter = prop_def(DenseIntOrFPElementsAttr)
    bias = opt_prop_def(DenseIntOrFPElementsAttr)
    multiplier = prop_def(_I32)
    shift = prop_def(_I32)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)

    def verify_(self) -> None:
        n, k = self.check_rank(self.input, "input", 2)
        on, m = self.check_rank(self.output, "result", 2)
        if on != n:
            fail(self, "result", f"batch {on} differs from the input's {n}")
        if self.filter.get_element_type() != IntegerType(8):
            fail(self, "filter", f"expected i8 weights, got {self.filter.get_element_type()}")
        self.check_shape("filter", self.filter.get_shape(), (m, k))
        if self.bias is not None:
            if self.bias.get_element_type() != IntegerType(32):
                fail(self, "bias", f"expected i32 values, got {self.bias.get_element_type()}")
            self.check_shape("bias", self.bias.get_shape(), (m,))
        self.check_requant("multiplier", [_int(self.multiplier)], "shift", [_int(self.shift)])
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets(
            [("input_offset", _int(self.input_offset), qi, -1), ("output_offset", _int(self.output_offset), qo, 1)]
        )
        self.check_activation()


class _PoolOp(CmsisOp):
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(_I64_ARRAY)
    stride = prop_def(_I64_ARRAY)
    padding = prop_def(_I64_ARRAY)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)

    def verify_(self) -> None:
        n, h, w, c = self.check_rank(self.input, "input", 4)
        on, oh, ow, oc = self.check_rank(self.output, "result", 4)
        if (on, oc) != (n, c):
            fail(self, "result", f"batch and channels {on}, {oc} differ from the input's {n}, {c}")
        kernel = ints(self.kernel)
        check_len(self, "kernel", kernel, 2)
        if any(k < 1 for k in kernel):
            fail(self, "kernel", f"values must be >= 1, got {list(kernel)}")
        _check_window(self, (h, w), (oh, ow), kernel)
        self.check_same_quant(self.input, self.output)
        self.check_activation()


@irdl_op_definition
class MaxPoolOp(_PoolOp):
    """`arm_max_pool_s8`: NHWC; padded positions are skipped."""

    name = "cmsis.max_pool"


@irdl_op_definition
class AvgPoolOp(_PoolOp):
    """`arm_avgpool_s8`: NHWC; the mean over the valid (unpadded) positions, rounded half away from zero."""

    name = "cmsis.avg_pool"


@irdl_op_definition
class SoftmaxOp(CmsisOp):
    """`arm_softmax_s8` over the last dimension; output scale 1/256, zero point -128."""

    name = "cmsis.softmax"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    input_multiplier = prop_def(_I32)
    input_left_shift = prop_def(_I32)
    diff_min = prop_def(_I32)

    def verify_(self) -> None:
        self.quant(self.input, "input")
        qo = self.quant(self.output, "result")
        self.check_shape("result", shape_of(self.output), shape_of(self.input))
        if (qo.scale, qo.zero_point) != (1.0 / 256.0, -128):
            fail(self, "result", f"softmax output must be quantized with scale 1/256 and zero point -128, got {qo.scale}:{qo.zero_point}")
        self.check_range("input_multiplier", _int(self.input_multiplier), 0, Q31_MAX)
        self.check_range("input_left_shift", _int(self.input_left_shift), 0, 31)
        if _int(self.diff_min) > 0:
            fail(self, "diff_min", f"must be <= 0, got {_int(self.diff_min)}")


class _ElementwiseOp(CmsisOp):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)
    input1_offset = prop_def(_I32)
    input2_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    output_multiplier = prop_def(_I32)
    output_shift = prop_def(_I32)

    def verify_(self) -> None:
        """Equal shapes (no broadcasting), offsets matching the zero points, the output requantization."""
        a, b, o = shape_of(self.lhs), shape_of(self.rhs), shape_of(self.output)
        if a != b:
            fail(self, "rhs", f"shape {list(b)} differs from lhs {list(a)} (CMSIS-NN does not broadcast)")
        self.check_shape("result", o, a)
        self.check_activation()
        q1, q2, qo = self.quant(self.lhs, "lhs"), self.quant(self.rhs, "rhs"), self.quant(self.output, "result")
        self.check_offsets(
            [
                ("input1_offset", _int(self.input1_offset), q1, -1),
                ("input2_offset", _int(self.input2_offset), q2, -1),
                ("output_offset", _int(self.output_offset), qo, 1),
            ]
        )
        self.check_requant("output_multiplier", [_int(self.output_multiplier)], "output_shift", [_int(self.output_shift)])


@irdl_op_definition
class AddOp(_ElementwiseOp):
    """`arm_elementwise_add_s8`: both inputs rescaled to a common scale (left_shift 20), summed, requantized."""

    name = "cmsis.add"
    input1_multiplier = prop_def(_I32)
    input1_shift = prop_def(_I32)
    input2_multiplier = prop_def(_I32)
    input2_shift = prop_def(_I32)
    left_shift = prop_def(_I32)

    def verify_(self) -> None:
        super().verify_()
        for name in ("input1", "input2"):
            self.check_requant(
                f"{name}_multiplier", [_int(getattr(self, f"{name}_multiplier"))], f"{name}_shift", [_int(getattr(self, f"{name}_shift"))]
            )
        self.check_range("left_shift", _int(self.left_shift), 0, 30)


@irdl_op_definition
class MulOp(_ElementwiseOp):
    """`arm_elementwise_mul_s8`: (a - zp_a) * (b - zp_b), requantized."""

    name = "cmsis.mul"


@irdl_op_definition
class PadOp(CmsisOp):
    """`arm_pad_s8`: NHWC constant padding with the zero point (real 0)."""

    name = "cmsis.pad"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    pre_pad = prop_def(_I64_ARRAY)
    post_pad = prop_def(_I64_ARRAY)

    def verify_(self) -> None:
        shape = self.check_rank(self.input, "input", 4)
        pre, post = ints(self.pre_pad), ints(self.post_pad)
        check_len(self, "pre_pad", pre, 4)
        check_len(self, "post_pad", post, 4)
        if any(p < 0 for p in pre + post):
            fail(self, "pre_pad", f"negative padding {list(pre)} / {list(post)} is not supported")
        self.check_shape("result", shape_of(self.output), [d + a + b for d, a, b in zip(shape, pre, post)])
        self.check_same_quant(self.input, self.output)


@irdl_op_definition
class ConcatOp(CmsisOp):
    """`arm_concatenation_s8_{x,y,z,w}`: NHWC concatenation along `axis`; every input quantized alike."""

    name = "cmsis.concat"
    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(_I32)

    def verify_(self) -> None:
        if not self.inputs:
            fail(self, "inputs", "needs at least one input")
        axis = _int(self.axis)
        out = self.check_rank(self.output, "result", 4)
        self.check_range("axis", axis, 0, 3)
        total = 0
        for value in self.inputs:
            shape = self.check_rank(value, "inputs", 4)
            if any(a != b for i, (a, b) in enumerate(zip(shape, out)) if i != axis):
                fail(self, "inputs", f"shape {list(shape)} does not match the result {list(out)} outside axis {axis}")
            self.check_same_quant(value, self.output)
            total += shape[axis]
        if total != out[axis]:
            fail(self, "result", f"axis {axis} has size {out[axis]}, the inputs add up to {total}")


@irdl_op_definition
class ReshapeOp(CmsisOp):
    """A view: the same bytes under another shape. Emits no code."""

    name = "cmsis.reshape"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self.check_same_quant(self.input, self.output)
        a, b = shape_of(self.input), shape_of(self.output)
        if num_elements(a) != num_elements(b):
            fail(self, "result", f"{list(b)} has {num_elements(b)} elements, the input {list(a)} has {num_elements(a)}")


KERNEL_OPS = (ConvOp, DepthwiseConvOp, FullyConnectedOp, MaxPoolOp, AvgPoolOp, SoftmaxOp, AddOp, MulOp, PadOp, ConcatOp)
"""Ops that call a CMSIS-NN kernel (every op but the reshape view)."""

CMSIS = Dialect(
    "cmsis",
    [ConvOp, DepthwiseConvOp, FullyConnectedOp, MaxPoolOp, AvgPoolOp, SoftmaxOp, AddOp, MulOp, PadOp, ConcatOp, ReshapeOp],
)

__all__ = ["CMSIS", "KERNEL_OPS", "i32"]
