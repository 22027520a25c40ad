"""`cmsis.activation_s16`: TFLite's int16 LOGISTIC and TANH, `arm_nn_activation_s16` or `cmsis_opt_activation_s16`.

TensorFlow Lite Micro's int16 kernels (`reference_integer_ops::Logistic` /
`Tanh`, `tensorflow/lite/kernels/internal/reference/integer_ops/logistic.h`
and `tanh.h`; parameters from `micro/kernels/logistic_common.cc` and
`tanh_common.cc`) scale each input to Q3.12 times 3,

    x' = floor((x * input_multiplier + round) / 2^input_shift),  round = 2^(input_shift - 1) (0 for shift 0),

look |x'| up in TFLite's 256-entry sigmoid table (`sigmoid_table_uint16`,
Q0.16 over [0, 10.67)) with linear interpolation (9 fraction bits for
sigmoid, 8 for tanh = 2 sigmoid(2x) - 1), fold the sign back and round to
Q0.15: the output is int16 at scale 2^-15, zero point 0.

CMSIS-NN v7.0.0's `arm_nn_activation_s16` (Source/ActivationFunctions/
arm_nn_activation_s16.c) fixes the multiplier to 3 << left_shift (or 3 and
a rounding right shift by -left_shift). That is TFLite Micro's arithmetic
exactly when its multiplier is 3 * 2^t: then (x * 3 * 2^t + 2^(s-1)) >> s
equals (3x + 2^(s-t-1)) >> (s - t) for s > t, and x * 3 * 2^(t-s) for
s <= t. TFLite Micro's multiplier is int32(scale * 3 * 4096 * 2^s) with s
the doublings that bring it above 16383.5, so this holds for every
power-of-two input scale (in the converter's range) and for few others;
every other scale runs our kernel `cmsis_opt_activation_s16`
(runtime/src/cmsis_opt_activation_s16.c), which takes the multiplier and
shift as they are and which the C backend copies into the model's source.
`kernel_function` says which one an op calls.

    %y = cmsis.activation_s16 %x {function = "sigmoid", input_multiplier = 24576 : i32, input_shift = 11 : i32}
         : (tensor<16x!quant.uniform<i16:f32, 0.0009765625>>) -> tensor<16x!quant.uniform<i16:f32, 3.0517578125e-05>>

Access order: element i is read, then output i written, i increasing (both
kernels), so the output may lie on its input (in place).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, IntegerType, StringAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.targets import BuildPath

from .c_definitions import define
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, elementwise_order, int_of
from .utils import element_bytes, fail, num_elements, shape_of

_I32 = IntegerAttr[IntegerType]

FUNCTION = "cmsis_opt_activation_s16"
"""Our kernel's C function; its source (and the project's one copy of the sigmoid table) is
runtime/src/cmsis_opt_activation_s16.c."""
CMSIS_FUNCTION = "arm_nn_activation_s16"
FUNCTIONS = {"sigmoid": "ARM_SIGMOID", "tanh": "ARM_TANH"}
"""The op's `function` -> CMSIS-NN's `arm_nn_activation_type`."""
OUTPUT_SCALE = 2.0 ** -15
"""TFLite Micro's int16 LOGISTIC and TANH write Q0.15 (its Prepare checks log2(scale) rounds to -15)."""
INT32_MAX = (1 << 31) - 1


@functools.cache
def sigmoid_table() -> np.ndarray:
    """The 256-entry Q0.16 sigmoid table of `arm_nn_activation_s16` (TFLite's `sigmoid_table_uint16`), int64,
    read from runtime/src/cmsis_opt_activation_s16.c, its one copy in the project."""
    text = resources.files("cmsis_opt.runtime").joinpath("src", f"{FUNCTION}.c").read_text()
    body = text[text.index("sigmoid table begins"):text.index("sigmoid table ends")]
    values = [int(v) for v in re.findall(r"(\d+)u", body[body.index("{"):])]
    assert len(values) == 256, f"runtime/src/{FUNCTION}.c: the sigmoid table has 256 entries"
    return np.array(values, np.int64)


def tflm_activation_s16(x: np.ndarray, multiplier: int, shift: int, sigmoid: bool) -> np.ndarray:
    """TFLite Micro's int16 Logistic (`sigmoid`) or Tanh of the int16 array `x`, exactly: x * multiplier rounded
    right by `shift` is the Q3.12-times-3 input (see the module docstring). Returns int64 values in int16 range."""
    rounding = (1 << (shift - 1)) if shift > 0 else 0
    data = (x.astype(np.int64) * multiplier + rounding) >> shift
    magnitude = np.abs(data)
    bits = 9 if sigmoid else 8
    uh = magnitude >> bits
    index = np.minimum(uh, 254)
    table = sigmoid_table()
    ua, ub = table[index], table[index + 1]
    interpolated = (ua << bits) + (magnitude & ((1 << bits) - 1)) * (ub - ua)
    mask = 0xFFFFFFFF  # TFLite's uint32 / int32 arithmetic, then the int16 store keeps the low 16 bits
    if sigmoid:
        result = np.where(uh >= 255, 0x7FFF << 10, interpolated)
        result = (np.where(data >= 0, result + (1 << 9), (1 << 25) - result + (1 << 9) - 1) & mask) >> 10
    else:
        result = np.where(uh >= 255, 0xFFFF << 8, interpolated)
        result = (np.where(data >= 0, result - (1 << 23) + (1 << 7), -result + (1 << 23) + (1 << 7) - 1)
                  & mask) >> 8
    low = result & 0xFFFF
    return np.where(low >= 0x8000, low - 0x10000, low)


def checked_log2(scale: float) -> tuple[int, bool]:
    """TFLite's `CheckedLog2` in float32: (round(log2 scale), whether log2 scale is within 1e-3 of it)."""
    log2 = np.float32(np.log(np.float32(scale))) * np.float32(1.0 / np.log(np.float32(2.0)))
    rounded = np.round(log2)
    return int(rounded), bool(abs(float(log2 - rounded)) < 1e-3)


def tflm_input_params(scale: float, sigmoid: bool) -> tuple[int, int]:
    """(input_multiplier, input_shift) of TFLite Micro's int16 LOGISTIC / TANH Prepare for input `scale`, with
    its power-of-two case (multiplier 0: 3 << shift, shift 0) resolved, so that the kernel computes
    (x * multiplier + round) >> shift. Source: `micro/kernels/logistic_common.cc`, `tanh_common.cc`: a scale
    that CheckedLog2 calls 2^-12 (sigmoid), or 2^-12 or 2^-11 (tanh), is that power exactly; any other gives
    multiplier int32(scale * 3 * 4096 * 2^s), s the doublings (at most 31) that bring it above 32767 / 2."""
    log2, power_of_two = checked_log2(scale)
    shift = 12 + log2
    if power_of_two and (shift == 0 or (not sigmoid and shift == 1)):
        return 3 << shift, 0
    multiplier = float(np.float32(scale)) * 4096.0 * 3.0
    shift = 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift


def cmsis_left_shift(multiplier: int, shift: int) -> int | None:
    """The `left_shift` with which `arm_nn_activation_s16` computes (x * multiplier + round) >> shift exactly, or
    None: multiplier must be 3 * 2^t (then left_shift = t - shift; see the module docstring)."""
    if multiplier < 3 or multiplier % 3 or (multiplier // 3) & (multiplier // 3 - 1):
        return None
    left = (multiplier // 3).bit_length() - 1 - shift
    return left if -31 <= left <= 29 else None


@irdl_op_definition
class ActivationS16Op(CmsisOp, KernelOp):
    """TFLite's int16 LOGISTIC (`function = "sigmoid"`) or TANH (`"tanh"`), element-wise over any shape.

    int16 input (zero point 0) and result of the same shape, the result at
    scale 2^-15 (Q0.15, as TFLite's CheckedLog2 accepts it) and zero point 0.
    `input_multiplier` (> 0) and `input_shift` (right, rounding, in [0, 31])
    scale the input codes to the table's Q3.12 times 3: TFLite Micro's
    Prepare values (`tflm_input_params`). The product must stay an int32 for
    every int16 input, as TFLite Micro computes it in int32.
    """

    name = "cmsis.activation_s16"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (16,)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    function = prop_def(StringAttr)
    input_multiplier = prop_def(_I32)
    input_shift = prop_def(_I32)

    def verify_(self) -> None:
        self.quant(self.input, "input")
        q_out = self.quant(self.output, "result")
        self.check_shape("result", shape_of(self.output), shape_of(self.input))
        if self.function.data not in FUNCTIONS:
            fail(self, "function", f"expected one of {sorted(FUNCTIONS)}, got {self.function.data!r}")
        log2, power_of_two = checked_log2(q_out.scale)
        if not power_of_two or log2 != -15:
            fail(self, "result", f"TFLite's int16 {self.tflite_name} writes scale 2^-15 (Q0.15), got {q_out.scale}")
        multiplier, shift = int_of(self.input_multiplier), int_of(self.input_shift)
        self.check_range("input_shift", shift, 0, 31)
        rounding = (1 << (shift - 1)) if shift > 0 else 0
        low, high = -32768 * multiplier + rounding, 32767 * multiplier + rounding
        if multiplier <= 0 or high > INT32_MAX or low < -INT32_MAX - 1:
            fail(self, "input_multiplier", f"{multiplier} must be positive and keep x * it + {rounding} within "
                                           "int32 for every int16 x (TFLite Micro multiplies in int32)")

    @property
    def tflite_name(self) -> str:
        return "LOGISTIC" if self.function.data == "sigmoid" else "TANH"

    def left_shift(self) -> int | None:
        """`arm_nn_activation_s16`'s left_shift when it computes this op exactly, else None (our kernel runs)."""
        return cmsis_left_shift(int_of(self.input_multiplier), int_of(self.input_shift))

    def kernel_function(self, path: BuildPath) -> str:
        return CMSIS_FUNCTION if self.left_shift() is not None else FUNCTION

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """Element i (two bytes) is read, then output i written, in increasing order (both kernels, every path)."""
        element = element_bytes(self.output)
        return elementwise_order(num_elements(shape_of(self.output)), element, element)

    def emit_c(self, c: CEmitter) -> None:
        size = str(num_elements(shape_of(self.output)))
        kind = FUNCTIONS[self.function.data]
        left_shift = self.left_shift()
        if left_shift is not None:
            c.call(CMSIS_FUNCTION, [c.ptr(self.input), c.ptr(self.output), size, str(left_shift), kind])
            return
        define(c, FUNCTION)
        c.call(FUNCTION, [c.ptr(self.input), c.ptr(self.output), size, str(int_of(self.input_multiplier)),
                          str(int_of(self.input_shift)), kind])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        out = tflm_activation_s16(x, int_of(self.input_multiplier), int_of(self.input_shift),
                                  self.function.data == "sigmoid")
        return out.astype(np.int16)


def activation_s16(x: np.ndarray, left_shift: int, sigmoid: bool) -> np.ndarray:
    """`arm_nn_activation_s16`: int16 sigmoid / tanh of x * 3 * 2^left_shift (Q3.12 in, Q0.15 out), exactly."""
    if left_shift >= 0:
        return tflm_activation_s16(x, 3 << left_shift, 0, sigmoid)
    return tflm_activation_s16(x, 3, -left_shift, sigmoid)

