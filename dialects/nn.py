"""The `nn` dialect: a model as imported, before quantization.

Semantics follow ONNX: float32 tensors, NCHW activations, OIHW filters,
numpy broadcasting for `add`/`mul`. Pre-quantized models keep their
quantize/dequantize markers (`nn.quantize`, `nn.dequantize`) around float ops,
with the scales and zero points in `!quant.uniform` element types; `--quantize`
turns each such sandwich into one `cmsis` op.

    %w = nn.constant {value = dense<"0x..."> : tensor<8x3x3x3xi8>}
         : tensor<8x3x3x3x!quant.uniform<i8<-127:127>:f32:0, {...}>>
    %wf = nn.dequantize %w : (tensor<8x3x3x3x!quant.uniform<...>>) -> tensor<8x3x3x3xf32>
    %y = nn.conv2d %x, %wf, %b {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, ...}
         : (...) -> tensor<1x8x32x32xf32>
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    FloatData,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, ParametrizedAttribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import NoMemoryEffect
from xdsl.utils.exceptions import VerifyException

from cmsis_opt.lut import ACTIVATIONS, TABLE, GridValues

from .accessors import fast_field_access
from .quant import UniformQuantizedType, format_float
from .utils import (
    broadcast_shape,
    check_len,
    check_slice,
    conv_out_size,
    dense,
    fail,
    i64_array,
    i64_attr,
    ints,
    num_elements,
    shape_of,
    tensor_type,
)

_FORMAT = "operands attr-dict `:` functional-type(operands, results)"


def _element(value: SSAValue) -> Attribute:
    assert isinstance(value.type, TensorType)
    return value.type.element_type


def _float_attr(value: float) -> FloatAttr:
    return FloatAttr(float(value), f32)


class NNOp(IRDLOperation):
    """Common format: `nn.op %a, %b {props} : (types) -> type`."""

    assembly_format = _FORMAT
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(NoMemoryEffect())

    def _build(self, operands: Sequence[SSAValue], result: Attribute,
               properties: dict[str, Attribute] | None = None) -> None:
        """Initialise an op of one result, as xDSL's `Operation.create` does (a missing optional operand is
        left out of `operands`).

        IRDLOperation's builder groups operands by their definitions (variadic, optional) and drops
        None properties, which for these ops changes nothing and costs about 20 us an op (a model's
        importer builds one per tensor and weight); the op is verified where its module is built, as
        any other.
        """
        Operation.__init__(self, operands=operands, result_types=[result], properties=properties or {})

    def _check_float(self, *values: SSAValue) -> None:
        for value in values:
            if not isinstance(_element(value), Float32Type):
                field = "result" if value in self.results else "operand"
                fail(self, field, f"expected f32 elements, got {_element(value)}")


def _window_props(op: Conv2DOp | ConvTranspose2DOp | _PoolOp, rank: int, kernel: Sequence[int]) -> None:
    """Verify strides / pads / dilations of a 2-D window op on NCHW input."""
    strides = ints(op.strides)
    pads = ints(op.pads)
    check_len(op, "strides", strides, 2)
    check_len(op, "pads", pads, 4)
    if any(s < 1 for s in strides):
        fail(op, "strides", f"must be >= 1, got {list(strides)}")
    if any(p < 0 for p in pads):
        fail(op, "pads", f"must be >= 0, got {list(pads)}")
    if rank != 4:
        fail(op, "input", f"expected a rank-4 NCHW tensor, got rank {rank}")
    if any(k < 1 for k in kernel):
        fail(op, "kernel", f"must be >= 1, got {list(kernel)}")


def _expect_shape(op: IRDLOperation, actual: Sequence[int], expected: Sequence[int]) -> None:
    if tuple(actual) != tuple(expected):
        fail(op, "result", f"shape {list(actual)} does not match the expected {list(expected)}")


@irdl_op_definition
class ConstantOp(NNOp):
    """A constant tensor (weights, biases). Integer constants may carry a quantized type."""

    name = "nn.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    assembly_format = "attr-dict `:` type($result)"

    def __init__(self, value: DenseIntOrFPElementsAttr, result_type: Attribute | None = None):
        self._build([], result_type or value.type, {"value": value})

    def verify_(self) -> None:
        shape = self.value.get_shape()
        if shape != shape_of(self.result):
            fail(self, "value", f"shape {list(shape)} differs from the result's {list(shape_of(self.result))}")
        element = _element(self.result)
        stored = self.value.get_element_type()
        is_int = isinstance(stored, IntegerType) and stored.width.data in (4, 8, 16, 32, 64)
        if not (isinstance(stored, Float32Type) or is_int):
            fail(self, "value", f"expected f32 or i4/i8/i16/i32/i64 elements, got {stored}")
        if isinstance(element, UniformQuantizedType):
            if element.storage_type != stored:
                fail(self, "value", f"stored as {stored} but the quantized type stores {element.storage_type}")
            _check_axis(self, element, shape)
        elif element != stored:
            fail(self, "value", f"element type {stored} differs from the result's {element}")


def _check_axis(op: IRDLOperation, q: UniformQuantizedType, shape: Sequence[int]) -> None:
    if q.per_axis:
        axis = q.axis
        assert axis is not None
        if axis >= len(shape):
            fail(op, "type", f"per-axis quantization on axis {axis} of a rank-{len(shape)} tensor")
        if shape[axis] != len(q.scales):
            fail(op, "type", f"per-axis quantization on axis {axis} needs {shape[axis]} scales, got {len(q.scales)}")


@irdl_op_definition
class QuantizeOp(NNOp):
    """real -> stored: clamp(round_half_even(x / scale) + zero_point)."""

    name = "nn.quantize"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def __init__(self, input: SSAValue, result_type: Attribute):
        self._build([input], result_type)

    def verify_(self) -> None:
        self._check_float(self.input)
        q = _element(self.output)
        if not isinstance(q, UniformQuantizedType):
            fail(self, "result", f"expected a !quant.uniform element type, got {q}")
        _expect_shape(self, shape_of(self.output), shape_of(self.input))
        _check_axis(self, q, shape_of(self.output))


@irdl_op_definition
class DequantizeOp(NNOp):
    """stored -> real: (q - zero_point) * scale."""

    name = "nn.dequantize"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def __init__(self, input: SSAValue):
        assert isinstance(input.type, TensorType)
        self._build([input], tensor_type(f32, input.type.get_shape()))

    def verify_(self) -> None:
        q = _element(self.input)
        if not isinstance(q, UniformQuantizedType):
            fail(self, "operand", f"expected a !quant.uniform element type, got {q}")
        self._check_float(self.output)
        _expect_shape(self, shape_of(self.output), shape_of(self.input))
        _check_axis(self, q, shape_of(self.input))


@irdl_op_definition
class Conv2DOp(NNOp):
    """ONNX Conv: NCHW input, OIHW weight ([C_out, C_in/group, KH, KW]), optional bias.

    `pads` is [top, left, bottom, right] as in ONNX.
    """

    name = "nn.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))
    dilations = prop_def(DenseArrayBase.constr(i64))
    group = prop_def(IntegerAttr[IntegerType])

    def __init__(self, input, weight, bias, result_type, strides, pads, dilations, group=1):
        self._build([input, weight] if bias is None else [input, weight, bias], result_type, {
            "strides": i64_array(strides),
            "pads": i64_array(pads),
            "dilations": i64_array(dilations),
            "group": i64_attr(group),
        })

    def verify_(self) -> None:
        self._check_float(self.input, self.weight, self.output)
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 4:
            fail(self, "weight", f"expected rank 4 OIHW, got rank {len(w)}")
        _window_props(self, len(x), w[2:])
        dil = ints(self.dilations)
        check_len(self, "dilations", dil, 2)
        if any(d < 1 for d in dil):
            fail(self, "dilations", f"must be >= 1, got {list(dil)}")
        group = self.group.value.data
        if group < 1 or x[1] % group or w[0] % group:
            fail(self, "group", f"{group} does not divide input channels {x[1]} and output channels {w[0]}")
        if w[1] * group != x[1]:
            fail(self, "weight", f"has {w[1]} input channels per group, input has {x[1]} channels in {group} groups")
        if self.bias is not None:
            self._check_float(self.bias)
            if shape_of(self.bias) != (w[0],):
                fail(self, "bias", f"expected shape [{w[0]}], got {list(shape_of(self.bias))}")
        s, p = ints(self.strides), ints(self.pads)
        oh = conv_out_size(x[2], w[2], s[0], p[0], p[2], dil[0])
        ow = conv_out_size(x[3], w[3], s[1], p[1], p[3], dil[1])
        if oh < 1 or ow < 1:
            fail(self, "input", f"spatial size {x[2]}x{x[3]} is smaller than the kernel window")
        _expect_shape(self, shape_of(self.output), (x[0], w[0], oh, ow))


@irdl_op_definition
class ConvTranspose2DOp(NNOp):
    """ONNX ConvTranspose (group 1, dilation 1): NCHW input, weight [C_in, C_out, KH, KW], optional bias [C_out].

    Input pixel (y, x) adds x[c] * weight[c, o, ky, kx] to output pixel
    (y * stride + ky - pads[0], x * stride + kx - pads[1]); `pads` is
    [top, left, bottom, right]. The output is
    stride * (in - 1) + k - top - bottom + output_padding per axis, with
    0 <= output_padding < stride (onnx.ai ConvTranspose); the output_padding
    rows and columns get the bias alone.
    """

    name = "nn.conv_transpose2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))

    def __init__(self, input, weight, bias, result_type, strides, pads):
        super().__init__(
            operands=[input, weight, bias],
            result_types=[result_type],
            properties={"strides": i64_array(strides), "pads": i64_array(pads)},
        )

    def verify_(self) -> None:
        self._check_float(self.input, self.weight, self.output)
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 4:
            fail(self, "weight", f"expected rank 4 [C_in, C_out, KH, KW], got rank {len(w)}")
        _window_props(self, len(x), w[2:])
        if w[0] != x[1]:
            fail(self, "weight", f"has {w[0]} input channels, input has {x[1]}")
        if self.bias is not None:
            self._check_float(self.bias)
            if shape_of(self.bias) != (w[1],):
                fail(self, "bias", f"expected shape [{w[1]}], got {list(shape_of(self.bias))}")
        out = shape_of(self.output)
        if len(out) != 4 or out[:2] != (x[0], w[1]):
            fail(self, "result", f"shape {list(out)} does not match [{x[0]}, {w[1]}, H, W]")
        s, p = ints(self.strides), ints(self.pads)
        for axis in range(2):
            full = s[axis] * (x[2 + axis] - 1) + w[2 + axis] - p[axis] - p[axis + 2]
            if not (1 <= out[2 + axis] and 0 <= out[2 + axis] - full < s[axis]):
                fail(self, "result", f"{('height', 'width')[axis]} {out[2 + axis]} is not {full} plus an output "
                     f"padding below the stride {s[axis]}")


@irdl_op_definition
class FullyConnectedOp(NNOp):
    """y = x @ weight^T + bias, x [N, K], weight [M, K] (ONNX Gemm with transB=1)."""

    name = "nn.fully_connected"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)

    def __init__(self, input, weight, bias, result_type):
        super().__init__(operands=[input, weight, bias], result_types=[result_type])

    def verify_(self) -> None:
        self._check_float(self.input, self.weight, self.output)
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(x) != 2 or len(w) != 2:
            fail(self, "input", f"expected rank-2 input and weight, got {list(x)} and {list(w)}")
        if x[1] != w[1]:
            fail(self, "weight", f"has {w[1]} input features, input has {x[1]}")
        if self.bias is not None:
            self._check_float(self.bias)
            if shape_of(self.bias) != (w[0],):
                fail(self, "bias", f"expected shape [{w[0]}], got {list(shape_of(self.bias))}")
        _expect_shape(self, shape_of(self.output), (x[0], w[0]))


@irdl_op_definition
class MatMulOp(NNOp):
    """ONNX MatMul on rank-2 operands: [N, K] x [K, M]."""

    name = "nn.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self._check_float(self.lhs, self.rhs, self.output)
        a, b = shape_of(self.lhs), shape_of(self.rhs)
        if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
            fail(self, "operand", f"shapes {list(a)} and {list(b)} cannot be multiplied")
        _expect_shape(self, shape_of(self.output), (a[0], b[1]))


class _PoolOp(NNOp):
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(DenseArrayBase.constr(i64))
    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))

    def __init__(self, input, result_type, kernel, strides, pads):
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={"kernel": i64_array(kernel), "strides": i64_array(strides), "pads": i64_array(pads)},
        )

    def verify_(self) -> None:
        self._check_float(self.input, self.output)
        x, k = shape_of(self.input), ints(self.kernel)
        check_len(self, "kernel", k, 2)
        _window_props(self, len(x), k)
        s, p = ints(self.strides), ints(self.pads)
        if any(pp >= kk for pp, kk in zip(p, k + k, strict=True)):
            fail(self, "pads", f"{list(p)} must be smaller than the kernel {list(k)}")
        oh = conv_out_size(x[2], k[0], s[0], p[0], p[2])
        ow = conv_out_size(x[3], k[1], s[1], p[1], p[3])
        if oh < 1 or ow < 1:
            fail(self, "input", f"spatial size {x[2]}x{x[3]} is smaller than the window")
        _expect_shape(self, shape_of(self.output), (x[0], x[1], oh, ow))


@irdl_op_definition
class MaxPoolOp(_PoolOp):
    """ONNX MaxPool (NCHW); padded positions never win."""

    name = "nn.max_pool"


@irdl_op_definition
class AvgPoolOp(_PoolOp):
    """ONNX AveragePool with count_include_pad=0 (TFLite's): divide by the valid count."""

    name = "nn.avg_pool"


@irdl_op_definition
class GlobalAvgPoolOp(NNOp):
    """ONNX GlobalAveragePool: NCHW -> N x C x 1 x 1.

    `tflite_mean` (a unit property) marks a TFLite MEAN over H and W: the same
    float mean, whose int8 form must be TFLite's (`reference_ops::QuantizedMeanOrSum`,
    lowered to `cmsis.mean` even when input and output quantization are equal),
    not the rounded average an int8 GlobalAveragePool gets.
    """

    name = "nn.global_avg_pool"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    tflite_mean = opt_prop_def(UnitAttr)

    def verify_(self) -> None:
        self._check_float(self.input, self.output)
        x = shape_of(self.input)
        if len(x) != 4:
            fail(self, "input", f"expected a rank-4 NCHW tensor, got rank {len(x)}")
        _expect_shape(self, shape_of(self.output), (x[0], x[1], 1, 1))


class _BinaryOp(NNOp):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self._check_float(self.lhs, self.rhs, self.output)
        shape = broadcast_shape(shape_of(self.lhs), shape_of(self.rhs))
        if shape is None:
            fail(self, "operand", f"shapes {list(shape_of(self.lhs))} and {list(shape_of(self.rhs))} do not broadcast")
        _expect_shape(self, shape_of(self.output), shape)


@irdl_op_definition
class AddOp(_BinaryOp):
    """Element-wise sum with numpy broadcasting."""

    name = "nn.add"


@irdl_op_definition
class MulOp(_BinaryOp):
    """Element-wise product with numpy broadcasting."""

    name = "nn.mul"


class _UnaryOp(NNOp):
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self._check_float(self.input, self.output)
        _expect_shape(self, shape_of(self.output), shape_of(self.input))


@irdl_op_definition
class ReluOp(_UnaryOp):
    """max(x, 0)."""

    name = "nn.relu"


@irdl_op_definition
class ClipOp(_UnaryOp):
    """clamp(x, min, max); ReLU6 is clip 0..6."""

    name = "nn.clip"
    min = prop_def(FloatAttr)
    max = prop_def(FloatAttr)

    def __init__(self, input, low: float, high: float):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"min": _float_attr(low), "max": _float_attr(high)},
        )

    def verify_(self) -> None:
        super().verify_()
        low, high = self.min.value.data, self.max.value.data
        if not low <= high:
            fail(self, "min", f"{low} is greater than max {high}")


@irdl_op_definition
class SoftmaxOp(_UnaryOp):
    """softmax(beta * x) along `axis` (ONNX opset 13 semantics)."""

    name = "nn.softmax"
    axis = prop_def(IntegerAttr[IntegerType])
    beta = opt_prop_def(FloatAttr)

    def __init__(self, input, axis: int = -1, beta: float = 1.0):
        props: dict[str, Attribute] = {"axis": i64_attr(axis)}
        if beta != 1.0:
            props["beta"] = _float_attr(beta)
        super().__init__(operands=[input], result_types=[input.type], properties=props)

    def verify_(self) -> None:
        super().verify_()
        rank = len(shape_of(self.input))
        axis = self.axis.value.data
        if not -rank <= axis < rank:
            fail(self, "axis", f"{axis} is out of range for rank {rank}")
        if self.beta is not None and not self.beta.value.data > 0:
            fail(self, "beta", f"must be positive, got {self.beta.value.data}")


LSTM_CELL_ACTIVATIONS = ("tanh", "sigmoid")
"""The cell gate's activation `nn.lstm` takes: CMSIS-NN's LSTM kernels have ARM_TANH and ARM_SIGMOID."""


@irdl_op_definition
class LSTMOp(NNOp):
    """A unidirectional LSTM over a sequence (TFLite UNIDIRECTIONAL_SEQUENCE_LSTM without peephole,
    projection or layer normalisation), state starting at zero, the whole output sequence.

    input [B, T, I] (`time_major` absent) or [T, B, I]; `weight` [4H, I] and
    `recurrence` [4H, H] hold the gates in TFLite's order (input, forget, cell,
    output), each H rows; `bias` [4H]; result [B, T, H] (or [T, B, H]).
    Per step: g = x_t W^T + h R^T + b split into (i, f, c~, o);
    i, f, o = sigmoid, c~ = `cell_activation` (tanh or sigmoid);
    c = f * c + i * c~, clamped to +-`cell_clip` when it is positive;
    h = o * tanh(c) (tensorflow/lite/kernels/lstm_eval.cc).

    `cell_scale` (optional) is the scale of the int16 cell state of a quantized
    model (TFLite's cell state tensor, a power of two): the quantize pass
    needs it and the float semantics ignore it.
    """

    name = "nn.lstm"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    recurrence = operand_def(TensorType)
    bias = operand_def(TensorType)
    output = result_def(TensorType)
    cell_activation = prop_def(StringAttr)
    cell_clip = prop_def(FloatAttr)
    time_major = opt_prop_def(UnitAttr)
    cell_scale = opt_prop_def(FloatAttr)

    def __init__(self, operands: Sequence[SSAValue], result_type, *, cell_activation: str, cell_clip: float,
                 time_major: bool, cell_scale: float | None):
        """`operands` are (input, weight, recurrence, bias)."""
        props: dict[str, Attribute] = {"cell_activation": StringAttr(cell_activation),
                                       "cell_clip": _float_attr(cell_clip)}
        if time_major:
            props["time_major"] = UnitAttr()
        if cell_scale is not None:
            props["cell_scale"] = _float_attr(cell_scale)
        super().__init__(operands=list(operands), result_types=[result_type], properties=props)

    @property
    def hidden(self) -> int:
        """H, the number of units."""
        return shape_of(self.recurrence)[1]

    def verify_(self) -> None:
        self._check_float(self.input, self.weight, self.recurrence, self.bias, self.output)
        x, w, r, b = (shape_of(v) for v in (self.input, self.weight, self.recurrence, self.bias))
        if len(x) != 3:
            fail(self, "input", f"expected rank 3 ([batch, time, features]), got {list(x)}")
        if len(r) != 2 or r[0] != 4 * r[1]:
            fail(self, "recurrence", f"expected shape [4H, H], got {list(r)}")
        hidden = r[1]
        if tuple(w) != (4 * hidden, x[2]):
            fail(self, "weight", f"expected shape [{4 * hidden}, {x[2]}], got {list(w)}")
        if tuple(b) != (4 * hidden,):
            fail(self, "bias", f"expected shape [{4 * hidden}], got {list(b)}")
        if self.cell_activation.data not in LSTM_CELL_ACTIVATIONS:
            fail(self, "cell_activation", f"'{self.cell_activation.data}' is not one of {list(LSTM_CELL_ACTIVATIONS)}")
        if not self.cell_clip.value.data >= 0:
            fail(self, "cell_clip", f"must be >= 0, got {self.cell_clip.value.data}")
        if self.cell_scale is not None and not self.cell_scale.value.data > 0:
            fail(self, "cell_scale", f"must be positive, got {self.cell_scale.value.data}")
        _expect_shape(self, shape_of(self.output), (x[0], x[1], hidden))


@irdl_op_definition
class SliceOp(NNOp):
    """ONNX Slice with step 1: result[i] = input[starts + i] on every axis; the result type gives the sizes.

    Works on float or stored values, like the other layout ops.
    """

    name = "nn.slice"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))

    def __init__(self, input, starts: Sequence[int], sizes: Sequence[int]):
        assert isinstance(input.type, TensorType)
        super().__init__(operands=[input], result_types=[tensor_type(input.type.element_type, list(sizes))],
                         properties={"starts": i64_array(starts)})

    def verify_(self) -> None:
        _same_element(self, self.input, self.output)
        shape, out, starts = shape_of(self.input), shape_of(self.output), ints(self.starts)
        check_slice(self, shape, out, starts)


RULES = ("float", "tflite")
"""How `nn.activation` becomes an int8 table (cmsis_opt.lut): ONNX's float definition, or TFLite Micro's kernel."""


@irdl_op_definition
class ActivationOp(NNOp):
    """An element-wise activation that int8 models run as a 256-entry table (`cmsis.lut`).

    `kind` names the function in `cmsis_opt.lut.ACTIVATIONS` (sigmoid, tanh,
    hard_swish, hard_sigmoid, leaky_relu, elu, prelu, gelu, gelu_tanh, silu,
    softplus), whose entry gives its float semantics (ONNX's) and its
    defaults; `alpha` / `beta` are the function's float attributes where it
    has them (ONNX's names). `prelu` takes a second operand, the slope,
    broadcast against the input as ONNX PRelu does (a scalar, or one value
    per channel). `rule = "tflite"` (set by the TFLite importer) asks for
    TFLite Micro's int8 arithmetic when lowered; without it the table is the
    float function rounded once.

    `kind = "table"` is a function given by its values rather than a formula
    (`cmsis_opt.lut.TABLE`): `values` holds its 256 float32 outputs for the
    reals the input codes -128..127 hold at `grid = array<f32: scale,
    zero_point>` (the ONNX importer computes them for a chain of element-wise
    ops on one int8 tensor).

        %y = nn.activation %x {kind = "leaky_relu", alpha = 0.1 : f32} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
    """

    name = "nn.activation"
    input = operand_def(TensorType)
    slope = opt_operand_def(TensorType)
    output = result_def(TensorType)
    kind = prop_def(StringAttr)
    alpha = opt_prop_def(FloatAttr)
    beta = opt_prop_def(FloatAttr)
    rule = opt_prop_def(StringAttr)
    values = opt_prop_def(DenseArrayBase.constr(f32))
    grid = opt_prop_def(DenseArrayBase.constr(f32))

    def __init__(self, input: SSAValue, kind: str, slope: SSAValue | None = None, *, alpha: float | None = None,
                 beta: float | None = None, rule: str | None = None, table: GridValues | None = None):
        props: dict[str, Attribute] = {"kind": StringAttr(kind)}
        if table is not None:
            values, (scale, zero_point) = table
            props["values"] = DenseArrayBase.from_list(f32, [float(v) for v in np.asarray(values, np.float32)])
            props["grid"] = DenseArrayBase.from_list(f32, [float(scale), float(zero_point)])
        for key, value in (("alpha", alpha), ("beta", beta)):
            if value is not None:
                props[key] = _float_attr(value)
        if rule is not None:
            props["rule"] = StringAttr(rule)
        super().__init__(operands=[input, slope], result_types=[input.type], properties=props)

    @property
    def params(self) -> dict[str, float]:
        """The float attributes that are set (alpha, beta)."""
        return {key: attr.value.data for key, attr in (("alpha", self.alpha), ("beta", self.beta)) if attr is not None}

    @property
    def table(self) -> GridValues | None:
        """A `table` kind's (values, (scale, zero point)); None for the other kinds."""
        if self.values is None or self.grid is None:
            return None
        scale, zero_point = (float(v) for v in self.grid.get_values())
        return np.asarray(self.values.get_values(), np.float32), (scale, int(zero_point))

    def verify_(self) -> None:
        self._check_float(self.input, self.output)
        _expect_shape(self, shape_of(self.output), shape_of(self.input))
        kind = self.kind.data
        if kind == TABLE or self.values is not None or self.grid is not None:
            self.verify_table()
            return
        activation = ACTIVATIONS.get(kind)
        if activation is None:
            fail(self, "kind", f"unknown activation '{kind}'; known: {', '.join(ACTIVATIONS)}")
        for key in self.params:
            if key not in activation.defaults:
                fail(self, key, f"{kind} has no {key} attribute")
        for key, value in self.params.items():
            if not math.isfinite(value):
                fail(self, key, f"must be finite, got {value}")
        if self.rule is not None and self.rule.data not in RULES:
            fail(self, "rule", f"unknown rule '{self.rule.data}'; known: {', '.join(RULES)}")
        if self.rule is not None and self.rule.data == "tflite" and activation.tflite is None:
            fail(self, "rule", f"{kind} has no TFLite Micro kernel to follow")
        if activation.slope != (self.slope is not None):
            fail(self, "slope", f"{kind} {'needs' if activation.slope else 'takes no'} slope operand")
        if self.slope is not None:
            self._check_float(self.slope)
            x, s = shape_of(self.input), shape_of(self.slope)
            if broadcast_shape(x, s) != tuple(x):
                fail(self, "slope", f"shape {list(s)} does not broadcast to the input's {list(x)}")

    def verify_table(self) -> None:
        if self.kind.data != TABLE:
            fail(self, "values", f"only kind '{TABLE}' has values and a grid")
        if self.values is None or len(self.values) != 256:
            fail(self, "values", "a table needs 256 values (one per input code)")
        if self.grid is None or len(self.grid) != 2:
            fail(self, "grid", "a table needs its input grid: array<f32: scale, zero_point>")
        scale, zero_point = self.grid.get_values()
        if not (math.isfinite(scale) and scale > 0 and zero_point == int(zero_point) and -128 <= zero_point <= 127):
            fail(self, "grid", f"scale {scale:g} and zero point {zero_point:g} are not an int8 quantization")
        if not all(math.isfinite(v) for v in self.values.get_values()):
            fail(self, "values", "every value must be finite")
        if self.params or self.slope is not None or self.rule is not None:
            fail(self, "kind", "a table takes no alpha, beta, slope or rule")


def _same_element(op: IRDLOperation, a: SSAValue, b: SSAValue) -> None:
    if _element(a) != _element(b):
        fail(op, "result", f"element type {_element(b)} differs from the input's {_element(a)}")


@irdl_op_definition
class ReshapeOp(NNOp):
    """Row-major reshape (ONNX Reshape / Flatten); the shape is the result type's."""

    name = "nn.reshape"
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def __init__(self, input, result_type):
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        _same_element(self, self.input, self.output)
        a, b = shape_of(self.input), shape_of(self.output)
        if num_elements(a) != num_elements(b):
            fail(self, "result", f"{list(b)} has {num_elements(b)} elements, the input {list(a)} has {num_elements(a)}")


@irdl_op_definition
class TransposeOp(NNOp):
    """ONNX Transpose: output dim i is input dim perm[i]. Works on float or stored values."""

    name = "nn.transpose"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    perm = prop_def(DenseArrayBase.constr(i64))

    def __init__(self, input, perm: Sequence[int]):
        shape = shape_of(input)
        assert isinstance(input.type, TensorType)
        result = tensor_type(input.type.element_type, [shape[p] for p in perm])
        super().__init__(operands=[input], result_types=[result], properties={"perm": i64_array(perm)})

    def verify_(self) -> None:
        _same_element(self, self.input, self.output)
        shape, perm = shape_of(self.input), ints(self.perm)
        if sorted(perm) != list(range(len(shape))):
            fail(self, "perm", f"{list(perm)} is not a permutation of {len(shape)} dimensions")
        _expect_shape(self, shape_of(self.output), [shape[p] for p in perm])


@irdl_op_definition
class PadOp(NNOp):
    """ONNX Pad, constant mode: `pads` is [begin_0.., end_0..]."""

    name = "nn.pad"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    pads = prop_def(DenseArrayBase.constr(i64))
    value = opt_prop_def(FloatAttr)

    def verify_(self) -> None:
        _same_element(self, self.input, self.output)
        shape, pads = shape_of(self.input), ints(self.pads)
        check_len(self, "pads", pads, 2 * len(shape))
        if any(p < 0 for p in pads):
            fail(self, "pads", f"negative padding {list(pads)} is not supported")
        r = len(shape)
        _expect_shape(self, shape_of(self.output), [d + pads[i] + pads[i + r] for i, d in enumerate(shape)])


@irdl_op_definition
class ConcatOp(NNOp):
    """ONNX Concat along `axis`."""

    name = "nn.concat"
    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(IntegerAttr[IntegerType])

    def verify_(self) -> None:
        if not self.inputs:
            fail(self, "inputs", "needs at least one input")
        shapes = [shape_of(v) for v in self.inputs]
        rank = len(shapes[0])
        axis = self.axis.value.data
        if not 0 <= axis < rank:
            fail(self, "axis", f"{axis} is out of range for rank {rank}")
        for v, s in zip(self.inputs, shapes, strict=True):
            _same_element(self, v, self.output)
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0], strict=True)) if i != axis):
                fail(self, "inputs", f"shape {list(s)} does not match {list(shapes[0])} outside axis {axis}")
        expected = list(shapes[0])
        expected[axis] = sum(s[axis] for s in shapes)
        _expect_shape(self, shape_of(self.output), expected)


LAYOUT_ATTR = "nn.layout"
"""On a function's rank-4 arguments and results: "NCHW" or "NHWC", the order of their bytes (frontends set it)."""
LAYOUTS = ("NCHW", "NHWC")

SOURCE_OP_ATTR = "nn.source_op"
"""On the ops an importer writes for one model op it decomposes (a BatchNormalization as nn.mul and nn.add): that
op's type in the model, which messages show instead of the nn op's name."""

FLOAT_IO_ATTR = "nn.float"
"""On a function's argument or result: the model had it in float32 and the C API takes it quantized (--quantize)."""

RANGE_ATTR = "nn.range"
"""The discardable attribute calibration records on each op with a float result (and on float graph inputs)."""


@irdl_attr_definition
class RangeAttr(ParametrizedAttribute):
    """`#nn.range<-1.5, 3.25>`: the smallest and largest value calibration saw (or chose) for a float tensor.

    Doubles, printed as the shortest decimal that reads back to the same value.
    """

    name = "nn.range"

    low_attr: FloatData
    high_attr: FloatData

    def __init__(self, low: float, high: float):
        super().__init__(FloatData(float(low)), FloatData(float(high)))

    @property
    def low(self) -> float:
        return self.low_attr.data

    @property
    def high(self) -> float:
        return self.high_attr.data

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            low = float(parser.parse_number())
            parser.parse_punctuation(",")
            high = float(parser.parse_number())
        return [FloatData(low), FloatData(high)]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{format_float(self.low)}, {format_float(self.high)}>")

    def verify(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise VerifyException(f"nn.range: bounds must be finite, got {self.low}, {self.high}")
        if self.low > self.high:
            raise VerifyException(f"nn.range: low {self.low} is greater than high {self.high}")


NN = fast_field_access(Dialect(
    "nn",
    [
        ConstantOp,
        QuantizeOp,
        DequantizeOp,
        Conv2DOp,
        ConvTranspose2DOp,
        FullyConnectedOp,
        MatMulOp,
        MaxPoolOp,
        AvgPoolOp,
        GlobalAvgPoolOp,
        AddOp,
        MulOp,
        ReluOp,
        ClipOp,
        SoftmaxOp,
        ActivationOp,
        ReshapeOp,
        TransposeOp,
        PadOp,
        ConcatOp,
        LSTMOp,
        SliceOp,
    ],
    [RangeAttr],
))

__all__ = ["NN", "dense", "math"]


VIEW_OPS = (TransposeOp, ReshapeOp)
"""Ops that only reorder or reinterpret their input's values: quantization passes through them unchanged."""
FUSED_ACTIVATION_OPS = (ReluOp, ClipOp)
"""Clamps the quantize pass folds into the producing layer's activation range (act_min / act_max)."""
