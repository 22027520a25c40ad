"""`cmsis.mean`: the mean over H and W with requantization, TFLite's int8 MEAN (`cmsis_opt_mean_s8`), and the
same arithmetic on int16 (`cmsis_opt_mean_s16`: an int16 GlobalAveragePool / ReduceMean of an ONNX A16W8 model).

CMSIS-NN v7.0.0 has no reduction kernel (`Include/arm_nnfunctions.h`), and
`arm_avgpool_s8` divides the window sum by its count rounding half away from
zero, with no output requantization: not what TFLite Micro's MEAN computes.
The kernels are our own C (`runtime/src/cmsis_opt_mean_s8.c`, `_s16.c`), which the C
backend copies into every generated source that calls it, so builds linked
with Arm's CMSIS-NN have it too.

Arithmetic (TFLite `reference_ops::QuantizedMeanOrSum`, `reduce.h`, with the
parameters of `PrepareMeanOrSum` in `micro/kernels/reduce_common.cc`): per
batch and channel, acc = sum over H*W of (x + input_offset) in int32, then
MultiplyByQuantizedMultiplier(acc, multiplier, shift) + output_offset,
clamped to [act_min, act_max]. `multiplier` / `shift` already hold the
1/(H*W) TFLite folds in (`cmsis_opt.quantmath.mean_multiplier`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, IntegerType, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier, wrap_int32
from cmsis_opt.targets import BuildPath

from .c_definitions import define
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, Trace, element_span, int_of
from .utils import element_bytes, fail, shape_of

_I32 = IntegerAttr[IntegerType]

MEAN_FUNCTION = "cmsis_opt_mean_s8"
"""Our kernel's C function; its source is runtime/src/cmsis_opt_mean_s8.c."""
MEAN_FUNCTIONS = {8: MEAN_FUNCTION, 16: "cmsis_opt_mean_s16"}
"""The kernel by storage width (runtime/src/FUNCTION.c)."""

_MAX_WINDOW = (1 << 31) // 256
"""Most elements one sum may hold: H*W values of at most 255 in magnitude must fit an int32."""
_MAX_WINDOWS = {8: _MAX_WINDOW, 16: (1 << 31) // 65536}
"""The same for int16: values of (x + input_offset) up to 65535 in magnitude (input offsets are 0 on int16)."""


@irdl_op_definition
class MeanOp(CmsisOp, KernelOp):
    """Mean over H and W of NHWC int8 (or int16) [N, H, W, C] -> [N, 1, 1, C], requantized as TFLite's MEAN.

    `multiplier` (Q31) and `shift` (power of two, positive to the left) are
    the requantization of input_scale / (output_scale * H * W);
    `input_offset` is minus the input zero point, `output_offset` the output's.
    """

    name = "cmsis.mean"
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
        n, h, w, c = self.check_rank(self.input, "input", 4)
        self.check_shape("result", shape_of(self.output), (n, 1, 1, c))
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        if qi.storage_type != qo.storage_type:
            fail(self, "result", f"expected the input's {qi.storage_type} elements, got {qo.storage_type}")
        limit = _MAX_WINDOWS[self.width()]
        if h * w > limit:
            fail(self, "input", f"{h}x{w} values per sum may overflow the int32 accumulator "
                                f"(at most {limit} per channel)")
        self.check_requant("multiplier", [int_of(self.multiplier)], "shift", [int_of(self.shift)])
        self.check_offsets(
            [("input_offset", int_of(self.input_offset), qi, -1), ("output_offset", int_of(self.output_offset), qo, 1)]
        )
        self.check_activation()

    def width(self) -> int:
        """Bits of a stored element: 8 or 16."""
        return 8 * element_bytes(self.input)

    def kernel_function(self, path: BuildPath) -> str:
        return MEAN_FUNCTIONS[self.width()]

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """Batch by batch, channel by channel: every pixel's value of the channel is read, then its output written
        (the loop nest of cmsis_opt_mean_s8.c and _s16.c, the same on every path), in bytes."""
        n, h, w, c = shape_of(self.input)
        size = element_bytes(self.input)
        t = Trace(n * h * w * c * size, n * c * size)
        step = np.arange(n * c)  # output element n * C + c, in the order they are computed
        batch, channel = np.divmod(step, c)
        pixels = np.arange(h * w)
        elements = (batch[:, None] * h * w + pixels[None, :]) * c + channel[:, None]
        t.read(2 * step[:, None, None], element_span(elements, size))
        t.write(2 * step[:, None] + 1, element_span(step, size))
        return t.done()

    def emit_c(self, c: CEmitter) -> None:
        function = MEAN_FUNCTIONS[self.width()]
        define(c, function)
        dims = c.dims("input_dims", shape_of(self.input))
        c.call(function, [f"&{dims}", c.ptr(self.input), str(int_of(self.input_offset)),
                               str(int_of(self.output_offset)), str(int_of(self.multiplier)),
                               str(int_of(self.shift)), str(int_of(self.act_min)), str(int_of(self.act_max)),
                               c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The int32 window sum of (x + input_offset), requantized (double rounding), offset and clamped."""
        (x,) = inputs
        acc = (x.astype(np.int64) + int_of(self.input_offset)).sum(axis=(1, 2), keepdims=True)
        out = multiply_by_quantized_multiplier(wrap_int32(acc), int_of(self.multiplier), int_of(self.shift))
        out = out + int_of(self.output_offset)
        return np.clip(out, int_of(self.act_min), int_of(self.act_max)).astype(np.int16 if self.width() == 16
                                                                                 else np.int8)
