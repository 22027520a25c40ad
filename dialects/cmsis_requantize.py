"""`cmsis.requantize`: an int8 tensor to another scale and zero point (`cmsis_opt_requantize_s8`).

TFLite's int8 -> int8 QUANTIZE (`reference_ops::Requantize`,
`tensorflow/lite/kernels/internal/reference/requantize.h`, parameters from
`PrepareQuantizeReference` in `micro/kernels/quantize_common.cc`):
out = clamp(MultiplyByQuantizedMultiplier(x + input_offset, multiplier, shift)
+ output_offset, act_min, act_max), element by element, with the multiplier
of double(input_scale) / double(output_scale) (`quantmath.requantize_multiplier`).

CMSIS-NN v7.0.0 has no int8 -> int8 requantization kernel
(`Include/arm_nnfunctions.h`; `arm_nn_requantize` is an inline helper of the
kernels, not an API). The kernel is our own C
(`runtime/src/cmsis_opt_requantize_s8.c`), which the C backend copies into
the generated source that calls it.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, IntegerType, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier
from cmsis_opt.targets import BuildPath

from .c_definitions import define
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, elementwise_order, int_of
from .utils import num_elements, shape_of

_I32 = IntegerAttr[IntegerType]

REQUANTIZE_FUNCTION = "cmsis_opt_requantize_s8"
"""Our kernel's C function; its source is runtime/src/cmsis_opt_requantize_s8.c."""


@irdl_op_definition
class RequantizeOp(CmsisOp, KernelOp):
    """int8 -> int8 of the same shape, any layout: each value moved to the result's scale and zero point.

    `multiplier` (Q31) and `shift` (power of two, positive to the left) are
    input_scale / output_scale; `input_offset` is minus the input zero point,
    `output_offset` the output's; [act_min, act_max] a fused clamp.
    """

    name = "cmsis.requantize"
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

    def kernel_function(self, path: BuildPath) -> str:
        return REQUANTIZE_FUNCTION

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """Element i is read, then output i written, in increasing order (every path runs the same C)."""
        return elementwise_order(num_elements(shape_of(self.output)))

    def emit_c(self, c: CEmitter) -> None:
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
        return np.clip(out, int_of(self.act_min), int_of(self.act_max)).astype(np.int8)
