"""Element-wise kernels: `cmsis.add` (`arm_elementwise_add_s8`), `cmsis.mul` (`arm_elementwise_mul_s8`)
and `cmsis.softmax` (`arm_softmax_s8`, row by row).

Sources (CMSIS-NN v7.0.0): `Source/BasicMathFunctions/arm_elementwise_add_s8.c`,
`arm_elementwise_mul_s8.c`, `Source/SoftmaxFunctions/arm_softmax_s8.c`.

Access order, all three: element i is read (from every input) before element
i is written, in increasing order (1, 4 or 16 elements at a time, reads
first; softmax reads a row twice, then reads element i and writes output i),
so an output placed exactly on an input is safe.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from cmsis_opt.fixedpoint import (
    count_leading_zeros32,
    exp_on_negative_values,
    multiply_by_quantized_multiplier,
    one_over_one_plus_x_for_x_in_0_1,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from cmsis_opt.targets import BuildPath

from .kernel import (
    Q31_MAX,
    AccessOrder,
    CEmitter,
    CmsisOp,
    KernelOp,
    NoOverlap,
    elementwise_order,
    int_of,
    storage_dtype,
)
from .utils import element_bytes, fail, int_type, num_elements, shape_of, to_numpy

_I32 = IntegerAttr[IntegerType]

SOFTMAX_ACCUM_BITS = 12
"""Integer bits of the sum of exponentials (arm_softmax_s8.c: ACCUM_BITS)."""
SOFTMAX_DIFF_BITS = 5
"""Integer bits of the scaled input differences (TFLite's kScaledDiffIntegerBits)."""


class ElementwiseOp(CmsisOp, KernelOp):
    """Two equally shaped int8 inputs, one output: offsets, output requantization, activation range."""

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
                ("input1_offset", int_of(self.input1_offset), q1, -1),
                ("input2_offset", int_of(self.input2_offset), q2, -1),
                ("output_offset", int_of(self.output_offset), qo, 1),
            ]
        )
        self.check_requant(
            "output_multiplier", [int_of(self.output_multiplier)], "output_shift", [int_of(self.output_shift)]
        )

    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    FUNCTION: ClassVar[str]

    def kernel_function(self, path: BuildPath) -> str:
        """`FUNCTION`, or its `_s16` twin on int16 tensors (the same arguments and arithmetic, no offsets)."""
        return self.FUNCTION.replace("_s8", "_s16") if self.is_s16() else self.FUNCTION

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        element = element_bytes(self.output)
        return elementwise_order(num_elements(shape_of(self.output)), element, element)

    def scalar_args(self, *names: str) -> list[str]:
        """The C arguments of the named integer properties, in that order."""
        return [str(int_of(getattr(self, n))) for n in names]

    def _finish(self, values: np.ndarray) -> np.ndarray:
        """Requantized sum/product plus the output offset, clamped to the activation range."""
        out = multiply_by_quantized_multiplier(values, int_of(self.output_multiplier), int_of(self.output_shift))
        out = np.clip(out + int_of(self.output_offset), int_of(self.act_min), int_of(self.act_max))
        return out.astype(storage_dtype(self.output))


@irdl_op_definition
class AddOp(ElementwiseOp):
    """`arm_elementwise_add_s8`: both inputs rescaled to a common scale (left_shift 20), summed, requantized."""

    name = "cmsis.add"
    FUNCTION: ClassVar[str] = "arm_elementwise_add_s8"
    input1_multiplier = prop_def(_I32)
    input1_shift = prop_def(_I32)
    input2_multiplier = prop_def(_I32)
    input2_shift = prop_def(_I32)
    left_shift = prop_def(_I32)

    def verify_(self) -> None:
        super().verify_()
        for name in ("input1", "input2"):
            self.check_requant(
                f"{name}_multiplier",
                [int_of(getattr(self, f"{name}_multiplier"))],
                f"{name}_shift",
                [int_of(getattr(self, f"{name}_shift"))],
            )
        self.check_range("left_shift", int_of(self.left_shift), 0, 30)

    def emit_c(self, c: CEmitter) -> None:
        c.call(self.kernel_function(c.path),
               [c.ptr(self.lhs), c.ptr(self.rhs),
                *self.scalar_args("input1_offset", "input1_multiplier", "input1_shift",
                             "input2_offset", "input2_multiplier", "input2_shift", "left_shift"),
                c.ptr(self.output),
                *self.scalar_args("output_offset", "output_multiplier", "output_shift", "act_min", "act_max"),
                str(num_elements(shape_of(self.output)))])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        a, b = inputs
        shift = int_of(self.left_shift)
        sa = multiply_by_quantized_multiplier(
            (a.astype(np.int64) + int_of(self.input1_offset)) << shift,
            int_of(self.input1_multiplier),
            int_of(self.input1_shift),
        )
        sb = multiply_by_quantized_multiplier(
            (b.astype(np.int64) + int_of(self.input2_offset)) << shift,
            int_of(self.input2_multiplier),
            int_of(self.input2_shift),
        )
        return self._finish(sa + sb)


@irdl_op_definition
class MulOp(ElementwiseOp):
    """`arm_elementwise_mul_s8`: (a - zp_a) * (b - zp_b), requantized."""

    name = "cmsis.mul"
    FUNCTION: ClassVar[str] = "arm_elementwise_mul_s8"

    def emit_c(self, c: CEmitter) -> None:
        c.call(self.kernel_function(c.path),
               [c.ptr(self.lhs), c.ptr(self.rhs), *self.scalar_args("input1_offset", "input2_offset"),
                c.ptr(self.output),
                *self.scalar_args("output_offset", "output_multiplier", "output_shift", "act_min", "act_max"),
                str(num_elements(shape_of(self.output)))])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        a, b = inputs
        product = (a.astype(np.int64) + int_of(self.input1_offset)) * (b.astype(np.int64) + int_of(self.input2_offset))
        return self._finish(product)


SOFTMAX_LUT_SIZE = 513
"""Entries of each arm_softmax_s16 table: 512 steps and the end point (TFLite's gen_lut for int16 inputs)."""


def lut_lookup_s16(value: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Linear interpolation in a 513-entry int16 table at int16 `value` (TFLite's LUTLookup, arm_softmax_s16):
    entry 256 + (value >> 7), plus the slope times the low 7 bits, rounded."""
    value = value.astype(np.int64)
    index = 256 + (value >> 7)
    base = lut.astype(np.int64)[index]
    slope = lut.astype(np.int64)[index + 1] - base
    return base + ((slope * (value & 0x7F) + 64) >> 7)


@irdl_op_definition
class SoftmaxOp(CmsisOp, KernelOp):
    """`arm_softmax_s8` over the last dimension; output scale 1/256, zero point -128.

    On int16 tensors (TFLite's 16x8 scheme) `arm_softmax_s16`: output scale
    1/32768, zero point 0; `exp_lut` (exp on [-10, 0]) and `one_by_one_lut`
    (1 / (1 + x) on [0, 1]) are the 513-entry tables TFLite Micro builds
    (`cmsis_opt.lut.tflm_lut_s16`), `input_multiplier` / `input_left_shift`
    scale the differences to the row maximum so that [-65535, 0] spans
    [-10, 0], and `diff_min` is 0 (unused). Source:
    Source/SoftmaxFunctions/arm_softmax_s16.c.
    """

    name = "cmsis.softmax"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    input_multiplier = prop_def(_I32)
    input_left_shift = prop_def(_I32)
    diff_min = prop_def(_I32)
    exp_lut = opt_prop_def(DenseIntOrFPElementsAttr)
    one_by_one_lut = opt_prop_def(DenseIntOrFPElementsAttr)

    def verify_(self) -> None:
        self.quant(self.input, "input")
        qo = self.quant(self.output, "result")
        self.check_shape("result", shape_of(self.output), shape_of(self.input))
        self.check_same_width(self.input, self.output)
        if self.is_s16():
            self._verify_s16(qo)
            return
        for field in ("exp_lut", "one_by_one_lut"):
            if getattr(self, field) is not None:
                fail(self, field, "only the int16 softmax (arm_softmax_s16) takes tables")
        if (qo.scale, qo.zero_point) != (1.0 / 256.0, -128):
            fail(
                self,
                "result",
                "softmax output must be quantized with scale 1/256 and zero point -128, "
                f"got {qo.scale}:{qo.zero_point}",
            )
        self.check_range("input_multiplier", int_of(self.input_multiplier), 0, Q31_MAX)
        self.check_range("input_left_shift", int_of(self.input_left_shift), 0, 31)
        if int_of(self.diff_min) > 0:
            fail(self, "diff_min", f"must be <= 0, got {int_of(self.diff_min)}")

    def _verify_s16(self, qo) -> None:
        if (qo.scale, qo.zero_point) != (1.0 / 32768.0, 0):
            fail(self, "result", "int16 softmax output must be quantized with scale 1/32768 and zero point 0, "
                 f"got {qo.scale}:{qo.zero_point}")
        self.check_range("input_multiplier", int_of(self.input_multiplier), 0, Q31_MAX)
        self.check_range("input_left_shift", int_of(self.input_left_shift), -31, 30)
        if int_of(self.diff_min) != 0:
            fail(self, "diff_min", f"the int16 softmax takes no diff_min (0), got {int_of(self.diff_min)}")
        for field in ("exp_lut", "one_by_one_lut"):
            table = getattr(self, field)
            if table is None:
                fail(self, field, "the int16 softmax (arm_softmax_s16) needs its 513-entry table")
            if table.get_element_type() != int_type(16) or tuple(table.get_shape()) != (SOFTMAX_LUT_SIZE,):
                fail(self, field, f"expected {SOFTMAX_LUT_SIZE} i16 values, got {list(table.get_shape())} "
                     f"{table.get_element_type()}")

    def kernel_function(self, path: BuildPath) -> str:
        return "arm_softmax_s16" if self.is_s16() else "arm_softmax_s8"

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        element = element_bytes(self.output)  # arm_softmax_s16 writes exp(x_i) to output i right after reading x_i
        return elementwise_order(num_elements(shape_of(self.output)), element, element)

    def emit_c(self, c: CEmitter) -> None:
        shape = shape_of(self.input)
        row = shape[-1]
        if self.is_s16():
            assert self.exp_lut is not None and self.one_by_one_lut is not None  # verified
            exp_lut = c.array("exp_lut", "int16_t", to_numpy(self.exp_lut))
            one_by_one = c.array("one_by_one_lut", "int16_t", to_numpy(self.one_by_one_lut))
            luts = c.struct("luts", "cmsis_nn_softmax_lut_s16",
                            f"{{.exp_lut = {exp_lut}, .one_by_one_lut = {one_by_one}}}")
            c.call("arm_softmax_s16", [c.ptr(self.input), str(num_elements(shape) // row), str(row),
                                       str(int_of(self.input_multiplier)), str(int_of(self.input_left_shift)),
                                       f"&{luts}", c.ptr(self.output)])
            return
        c.call(
            "arm_softmax_s8",
            [
                c.ptr(self.input),
                str(num_elements(shape) // row),
                str(row),
                str(int_of(self.input_multiplier)),
                str(int_of(self.input_left_shift)),
                str(int_of(self.diff_min)),
                c.ptr(self.output),
            ],
            returns_status=False,
        )

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """gemmlowp fixed-point exp of the differences to the row maximum, their sum, a fixed-point reciprocal;
        on int16, the two tables' interpolated lookups (TFLite's SoftmaxInt16)."""
        (x,) = inputs
        if self.is_s16():
            return self._interpret_s16(x)
        rows = x.reshape(-1, x.shape[-1]).astype(np.int64)
        diff = rows - rows.max(axis=1, keepdims=True)
        valid = diff >= int_of(self.diff_min)
        scaled = saturating_rounding_doubling_high_mul(
            wrap_int32(diff << int_of(self.input_left_shift)), int_of(self.input_multiplier)
        )
        exps = exp_on_negative_values(scaled, SOFTMAX_DIFF_BITS)
        total = np.where(valid, rounding_divide_by_pot(exps, SOFTMAX_ACCUM_BITS), 0).sum(axis=1, keepdims=True)
        headroom = count_leading_zeros32(total)
        reciprocal = one_over_one_plus_x_for_x_in_0_1((total << headroom) - (1 << 31))
        bits_over_unit = SOFTMAX_ACCUM_BITS - headroom + 31 - 8
        out = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(reciprocal, exps), bits_over_unit) - 128
        return np.where(valid, np.clip(out, -128, 127), -128).astype(np.int8).reshape(x.shape)

    def _interpret_s16(self, x: np.ndarray) -> np.ndarray:
        assert self.exp_lut is not None and self.one_by_one_lut is not None  # verified
        rows = x.reshape(-1, x.shape[-1]).astype(np.int64)
        diff = rows - rows.max(axis=1, keepdims=True)
        scaled = multiply_by_quantized_multiplier(diff, int_of(self.input_multiplier), int_of(self.input_left_shift))
        exps = lut_lookup_s16(np.clip(scaled + 32767, -32768, 32767), to_numpy(self.exp_lut))
        total = exps.sum(axis=1, keepdims=True)
        headroom = count_leading_zeros32(total)  # headroom + 1 in TFLite's terms
        shifted = ((total << (headroom - 1)) + (1 << 13)) >> 14
        reciprocal = lut_lookup_s16(np.clip(shifted - 98304, -32768, 32767), to_numpy(self.one_by_one_lut))
        right = 30 - headroom
        out = (((exps * reciprocal) >> right) + 1) >> 1
        return np.clip(out, -32768, 32767).astype(np.int16).reshape(x.shape)
