"""`cmsis.requantize`: an int8 or int16 tensor to another scale, zero point and width.

`cmsis_opt_requantize_s8` for int8 -> int8, `cmsis_opt_requantize_s16` when
either side is int16 (TFLite's QUANTIZE between the int8 and int16 parts of
a mixed 16x8 graph, or int16 -> int16). TFLite's QUANTIZE between integer types (`reference_ops::Requantize`,
`tensorflow/lite/kernels/internal/reference/requantize.h`, parameters from
`PrepareQuantizeReference` in `micro/kernels/quantize_common.cc`):
out = clamp(MultiplyByQuantizedMultiplier(x + input_offset, multiplier, shift)
+ output_offset, act_min, act_max), element by element, with the multiplier
of double(input_scale) / double(output_scale) (`quantmath.requantize_multiplier`).

TFLite Micro computes int8 -> int16 and int16 -> int8 with the same
`Requantize` template, clamping to the output type's range.

CMSIS-NN v7.0.0 has no requantization kernel at all, of any width
(`Include/arm_nnfunctions.h`; `arm_nn_requantize` is an inline helper of the
kernels, not an API). The kernels are our own C
(`runtime/src/cmsis_opt_requantize_s8.c`, `cmsis_opt_requantize_s16.c`),
which the C backend copies into the generated source that calls them.

Access order: element i is read, then output i written, i increasing. In
bytes (`elementwise_order` with the two element sizes): an int16 -> int8
output may lie on its input; an int8 -> int16 output writes two bytes per
input byte, so the planner places it where no unread input byte is hit.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, IntegerType, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier
from cmsis_opt.targets import BuildPath

from .c_definitions import define
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, elementwise_order, int_of, int_range
from .utils import element_bytes, fail, num_elements, shape_of

_I32 = IntegerAttr[IntegerType]

REQUANTIZE_FUNCTION = "cmsis_opt_requantize_s8"
"""Our int8 -> int8 kernel's C function; its source is runtime/src/cmsis_opt_requantize_s8.c."""
REQUANTIZE_S16_FUNCTION = "cmsis_opt_requantize_s16"
"""Our kernel for any pair of widths with an int16 side; its source is runtime/src/cmsis_opt_requantize_s16.c."""
INT32_MAX = (1 << 31) - 1


@irdl_op_definition
class RequantizeOp(CmsisOp, KernelOp):
    """int8 or int16 -> int8 or int16 of the same shape, any layout: each value moved to the result's scale, zero
    point and width.

    `multiplier` (Q31) and `shift` (power of two, positive to the left) are
    input_scale / output_scale; `input_offset` is minus the input zero point,
    `output_offset` the output's; [act_min, act_max] a fused clamp within the
    result's type. With a left shift, every input value shifted must stay an
    int32 (TFLite's MultiplyByQuantizedMultiplier shifts in int32).
    """

    name = "cmsis.requantize"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    multiplier = prop_def(_I32)
    shift = prop_def(_I32)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)

    def verify_(self) -> None:
        self.check_shape("result", shape_of(self.output), shape_of(self.input))
        self.check_requant("multiplier", [int_of(self.multiplier)], "shift", [int_of(self.shift)])
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets(
            [("input_offset", int_of(self.input_offset), qi, -1), ("output_offset", int_of(self.output_offset), qo, 1)]
        )
        self.check_activation()
        shift = int_of(self.shift)
        if shift > 0:
            lo, hi = int_range(qi)
            largest = max(abs(lo + int_of(self.input_offset)), abs(hi + int_of(self.input_offset)))
            if largest << shift > INT32_MAX:
                fail(self, "shift", f"an input of {largest} shifted left by {shift} leaves int32")

    def is_s8(self) -> bool:
        return element_bytes(self.input) == 1 and element_bytes(self.output) == 1

    def kernel_function(self, path: BuildPath) -> str:
        return REQUANTIZE_FUNCTION if self.is_s8() else REQUANTIZE_S16_FUNCTION

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """Element i is read, then output i written, in increasing order (every path runs the same C), each the
        bytes of its type."""
        return elementwise_order(num_elements(shape_of(self.output)), element_bytes(self.input),
                                 element_bytes(self.output))

    def emit_c(self, c: CEmitter) -> None:
        if not self.is_s8():
            define(c, REQUANTIZE_S16_FUNCTION)
            c.call(REQUANTIZE_S16_FUNCTION, [
                c.ptr(self.input), str(element_bytes(self.input)), str(num_elements(shape_of(self.input))),
                str(int_of(self.input_offset)), str(int_of(self.output_offset)), str(int_of(self.multiplier)),
                str(int_of(self.shift)), str(int_of(self.act_min)), str(int_of(self.act_max)), c.ptr(self.output),
                str(element_bytes(self.output))])
            return
        define(c, REQUANTIZE_FUNCTION)
        c.call(REQUANTIZE_FUNCTION, [c.ptr(self.input), str(num_elements(shape_of(self.input))),
                                     str(int_of(self.input_offset)), str(int_of(self.output_offset)),
                                     str(int_of(self.multiplier)), str(int_of(self.shift)),
                                     str(int_of(self.act_min)), str(int_of(self.act_max)), c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """(x + input_offset) requantized (double rounding), offset and clamped."""
        (x,) = inputs
        shifted = x.astype(np.int64) + int_of(self.input_offset)
        out = multiply_by_quantized_multiplier(shifted, int_of(self.multiplier), int_of(self.shift))
        out = out + int_of(self.output_offset)
        dtype = np.int8 if element_bytes(self.output) == 1 else np.int16
        return np.clip(out, int_of(self.act_min), int_of(self.act_max)).astype(dtype)
