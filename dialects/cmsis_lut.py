"""`cmsis.lut`: an int8 element-wise function as a table of 256 outputs, `cmsis_opt_lut_s8`; `cmsis.lut_s16`,
an int16 one as an interpolated table, `cmsis_opt_lut_s16` (ONNX A16W8 Sigmoid / Tanh).

CMSIS-NN has no s8 kernel for sigmoid, tanh, hard swish, leaky ReLU, ELU,
PReLU, GELU, SiLU or softplus; each is a function of one int8 code, so the
compiler computes its 256 outputs (`cmsis_opt.lut`) and one small kernel of
ours looks them up. `cmsis_opt_lut_s8` lives in runtime/
(`src/cmsis_opt_lut_s8.c`, `include/cmsis_opt_lut.h`), and the C backend
writes its definition, as a static function, into every generated model that
calls it, so the model links with the real CMSIS-NN too.

    %y = cmsis.lut %x {table = dense<"0x..."> : tensor<256xi8>}
         : (tensor<1x4x4x8x!quant.uniform<i8:f32, 0.05:3>>) -> tensor<1x4x4x8x!quant.uniform<i8:f32, 0.00390625:-128>>

`table` is [256] (one function for every element) or [C, 256] with C the
input's last dimension (one per channel of the last, fastest varying axis:
NHWC storage puts the channels there; a per-channel PReLU slope). Entry
[c, i] is the output code for input code i - 128. The output has its own
quantization, which the table already accounts for.

Access order: element i is read, then output i written, i increasing, so the
output may lie exactly on the input (in place) or anywhere before it.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.lut import lut_s16, softmax_table_s16
from cmsis_opt.targets import BuildPath

from .c_definitions import define
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, elementwise_order, int_of
from .utils import element_bytes, fail, int_type, num_elements, shape_of, to_numpy

FUNCTION = "cmsis_opt_lut_s8"
@irdl_op_definition
class LutOp(CmsisOp, KernelOp):
    """`cmsis_opt_lut_s8`: output[i] = table[channel(i)][input[i] + 128], per-tensor int8 in and out."""

    name = "cmsis.lut"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    table = prop_def(DenseIntOrFPElementsAttr)

    def verify_(self) -> None:
        """int8 per-tensor input and output of one shape; an i8 table of [256] or [C, 256], C the last dimension."""
        self.quant(self.input, "input")
        self.quant(self.output, "result")
        shape = shape_of(self.input)
        self.check_shape("result", shape_of(self.output), shape)
        if self.table.get_element_type() != int_type(8):
            fail(self, "table", f"expected i8 entries, got {self.table.get_element_type()}")
        table_shape = tuple(self.table.get_shape())
        channels = shape[-1] if shape else 1
        if table_shape != (256,) and table_shape != (channels, 256):
            fail(self, "table", f"shape {list(table_shape)} is neither [256] nor [{channels}, 256] "
                                "(one table per channel of the last axis)")

    @property
    def channels(self) -> int:
        """How many tables: 1, or the input's last dimension."""
        shape = tuple(self.table.get_shape())
        return 1 if len(shape) == 1 else shape[0]

    def tables(self) -> np.ndarray:
        """The table as [channels, 256] int8."""
        return np.asarray(to_numpy(self.table), dtype=np.int8).reshape(self.channels, 256)

    def kernel_function(self, path: BuildPath) -> str:
        return FUNCTION

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return elementwise_order(num_elements(shape_of(self.output)))

    def emit_c(self, c: CEmitter) -> None:
        define(c, FUNCTION)
        table = c.array("table", "int8_t", self.tables())
        c.call(FUNCTION, [c.ptr(self.input), table, str(self.channels), c.ptr(self.output),
                          str(num_elements(shape_of(self.output)))])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        tables = self.tables()
        channel = np.arange(x.size) % self.channels
        flat = tables[channel, x.reshape(-1).astype(np.int64) + 128]
        return flat.reshape(x.shape).astype(np.int8)


FUNCTION_S16 = "cmsis_opt_lut_s16"


@irdl_op_definition
class LutS16Op(CmsisOp, KernelOp):
    """`cmsis_opt_lut_s16`: an int16 element-wise function (zero points 0) as an interpolated table.

        %y = cmsis.lut_s16 %x {table = dense<...> : tensor<513xi16>, step_log2 = 7 : i32}
             : (tensor<1x8x!quant.uniform<i16:f32, 1.2e-4>>) -> tensor<1x8x!quant.uniform<i16:f32, 3.05e-05>>

    `table` holds (65536 >> step_log2) + 1 int16 entries, entry j the output
    for input code j * 2^step_log2 - 32768; an input between two entries gets
    the line through them, rounded half up (`lut.lut_s16`, the C's arithmetic).
    The compiler fills the table for the layer's scales (`lut.float_table_s16`,
    which checks all 65,536 inputs). Access order as `cmsis.lut`, in 2-byte
    elements: element i read, then output i written, so in place works.
    """

    name = "cmsis.lut_s16"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (16,)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    table = prop_def(DenseIntOrFPElementsAttr)
    step_log2 = prop_def(IntegerAttr[IntegerType])

    def verify_(self) -> None:
        """int16 input and output of one shape; step_log2 in [0, 15]; an i16 table of (65536 >> step_log2) + 1."""
        self.quant(self.input, "input")
        self.quant(self.output, "result")
        self.check_shape("result", shape_of(self.output), shape_of(self.input))
        step_log2 = int_of(self.step_log2)
        self.check_range("step_log2", step_log2, 0, 15)
        if self.table.get_element_type() != int_type(16):
            fail(self, "table", f"expected i16 entries, got {self.table.get_element_type()}")
        entries = (65536 >> step_log2) + 1
        if tuple(self.table.get_shape()) != (entries,):
            fail(self, "table", f"shape {list(self.table.get_shape())} is not [{entries}] "
                                f"((65536 >> {step_log2}) + 1 entries)")

    def entries(self) -> np.ndarray:
        """The table as int16."""
        return np.asarray(to_numpy(self.table), dtype=np.int16).reshape(-1)

    def kernel_function(self, path: BuildPath) -> str:
        return FUNCTION_S16

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        element = element_bytes(self.output)
        return elementwise_order(num_elements(shape_of(self.output)), element, element)

    def emit_c(self, c: CEmitter) -> None:
        define(c, FUNCTION_S16)
        table = c.array("table", "int16_t", self.entries())
        c.call(FUNCTION_S16, [c.ptr(self.input), table, str(int_of(self.step_log2)), c.ptr(self.output),
                              str(num_elements(shape_of(self.output)))])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        return lut_s16(x, self.entries(), int_of(self.step_log2)).astype(np.int16)


FUNCTION_SOFTMAX_S16 = "cmsis_opt_softmax_s16"


@irdl_op_definition
class SoftmaxS16TableOp(CmsisOp, KernelOp):
    """`cmsis_opt_softmax_s16`: an int16 softmax over the last stored axis, output 1/32767 : 0 (ONNX A16W8).

        %y = cmsis.softmax_s16_table %x {table = dense<...> : tensor<512xi32>}
             : (tensor<1x8x!quant.uniform<i16:f32, 1.2e-4>>) -> tensor<1x8x!quant.uniform<i16:f32, 3.05e-05>>

    `table` is the layer's exp table (`lut.softmax_exp_table_s16`: 256 coarse and 256 fine steps of
    exp(-d * s_in * beta) with 30 fraction bits); the result is `lut.softmax_table_s16`, within 1 LSB of
    onnxruntime (the error analysis there). TFLite's int16 SOFTMAX stays on arm_softmax_s16 (`cmsis.softmax`).
    Access order: a row is read whole, then element i read again and output i written, i increasing; as
    element-wise in 2-byte elements, so exactly in place works and any other overlap is refused.
    """

    name = "cmsis.softmax_s16_table"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (16,)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    table = prop_def(DenseIntOrFPElementsAttr)

    def verify_(self) -> None:
        """int16 input and output of one shape, rank >= 1; an i32 table of [512]."""
        self.quant(self.input, "input")
        self.quant(self.output, "result")
        shape = shape_of(self.input)
        self.check_shape("result", shape_of(self.output), shape)
        if not shape:
            fail(self, "input", "a softmax needs at least one dimension")
        if self.table.get_element_type() != int_type(32):
            fail(self, "table", f"expected i32 entries, got {self.table.get_element_type()}")
        if tuple(self.table.get_shape()) != (512,):
            fail(self, "table", f"shape {list(self.table.get_shape())} is not [512]")

    def entries(self) -> np.ndarray:
        """The table as int32."""
        return np.asarray(to_numpy(self.table), dtype=np.int32).reshape(-1)

    def kernel_function(self, path: BuildPath) -> str:
        return FUNCTION_SOFTMAX_S16

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        element = element_bytes(self.output)
        return elementwise_order(num_elements(shape_of(self.output)), element, element)

    def emit_c(self, c: CEmitter) -> None:
        define(c, FUNCTION_SOFTMAX_S16)
        shape = shape_of(self.output)
        row = shape[-1]
        table = c.array("table", "int32_t", self.entries())
        c.call(FUNCTION_SOFTMAX_S16, [c.ptr(self.input), str(num_elements(shape) // row), str(row), table,
                                      c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        return softmax_table_s16(x, self.entries()).astype(np.int16)
