"""`cmsis.fully_connected` (`arm_fully_connected_s8`, or `arm_fully_connected_s16` on int16 tensors) and
`cmsis.fully_connected_per_channel` (`arm_fully_connected_per_channel_s8`).

Sources (CMSIS-NN v7.0.0): `Source/FullyConnectedFunctions/arm_fully_connected_s8.c`,
`arm_fully_connected_per_channel_s8.c`, `arm_fully_connected_get_buffer_sizes_s8.c`,
`arm_vector_sum_s8.c`, `Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c`,
`arm_nn_vec_mat_mult_t_per_ch_s8.c`.

On MVE both kernels read one int32 "kernel sum" per output row from their
context buffer instead of the bias: bias[r] + input_offset * sum_k W[r][k]
(what `arm_vector_sum_s8` computes, 32-bit wrapping). Those depend on the
weights only, so they are computed here and stored as a constant table the
context points at: no scratch RAM, no work per inference. The C and DSP
paths ignore the buffer. v7.0.0 has no `*_get_buffer_size` of its own for
the per-channel kernel; its MVE buffer is the same table, which
`arm_fully_connected_s8_get_buffer_size` sizes (as TFLite Micro's CMSIS-NN
glue asks it).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType, i32
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from cmsis_opt.fixedpoint import wrap_int32
from cmsis_opt.targets import BuildPath

from .cmsis_conv import S4_NOT_MODELLED, bias_of, requantize_and_clamp, verify_weight_type, weights_array
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, c_activation, int_of
from .utils import check_len, fail, int_type, ints, is_int4, shape_of, to_numpy

_I32 = IntegerAttr[IntegerType]
_I32_ARRAY = DenseArrayBase.constr(i32)


class FullyConnectedBase(CmsisOp, KernelOp):
    """Input [N, K], filter [M][K] rows, optional int32 bias [M]; the requantization is the subclass's."""

    FUNCTION: ClassVar[str]
    INT4_FILTER: ClassVar[bool] = False
    """Whether i4 weights are taken (`arm_fully_connected_s4`: one weight scale, int8 activations)."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    filter = prop_def(DenseIntOrFPElementsAttr)
    bias = opt_prop_def(DenseIntOrFPElementsAttr)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)

    @abc.abstractmethod
    def requantization(self) -> tuple[list[int], list[int]]:
        """(multipliers, shifts) of each output row."""

    @abc.abstractmethod
    def _verify_requantization(self, rows: int) -> None:
        """Check the requantization properties against `rows` output rows."""

    def verify_(self) -> None:
        n, k = self.check_rank(self.input, "input", 2)
        on, m = self.check_rank(self.output, "result", 2)
        if on != n:
            fail(self, "result", f"batch {on} differs from the input's {n}")
        verify_weight_type(self, self.filter, self.INT4_FILTER)
        self.check_shape("filter", self.filter.get_shape(), (m, k))
        self.check_same_width(self.input, self.output)
        if self.bias is not None:
            bias_width = 64 if self.is_s16() else 32  # arm_fully_connected_s16 takes TFLite's 16x8 int64 bias
            if self.bias.get_element_type() != int_type(bias_width):
                fail(self, "bias", f"expected i{bias_width} values, got {self.bias.get_element_type()}")
            self.check_shape("bias", self.bias.get_shape(), (m,))
        self._verify_requantization(m)
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets(
            [("input_offset", int_of(self.input_offset), qi, -1), ("output_offset", int_of(self.output_offset), qo, 1)]
        )
        self.check_activation()

    @property
    def int4(self) -> bool:
        """Whether the weights are int4 values (`arm_fully_connected_s4`, packed two per byte)."""
        return is_int4(self.filter)

    def kernel_function(self, path: BuildPath) -> str:
        if self.int4:
            return "arm_fully_connected_s4"
        return "arm_fully_connected_s16" if self.is_s16() else self.FUNCTION

    def scratch_bytes(self, path: BuildPath) -> int:
        """No RAM: the buffer the MVE kernel asks for (one int32 per output row) is a constant table (`kernel_sums`)."""
        return 0

    def library_buffer_bytes(self, path: BuildPath) -> int:
        """MVE's `arm_fully_connected_s8_get_buffer_size`: one int32 kernel sum per output row (given as a table)."""
        return 4 * shape_of(self.output)[1] if path == "mve" and not self.is_s16() and not self.int4 else 0

    def kernel_sums(self) -> np.ndarray:
        """int32 per output row: bias + input_offset * (sum of the row's weights), wrapping as 32-bit C does."""
        weights = to_numpy(self.filter).astype(np.int64)
        sums = bias_of(self, weights.shape[0]) + int_of(self.input_offset) * weights.sum(axis=1)
        return wrap_int32(sums).astype(np.int32)

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        if self.int4:
            return NoOverlap(S4_NOT_MODELLED)
        return NoOverlap("re-reads the whole input for every output row")

    @abc.abstractmethod
    def _quant_struct(self, c: CEmitter) -> str:
        """The C name of the call's quantization parameters struct, written through `c`."""

    def emit_c(self, c: CEmitter) -> None:
        batches, depth = shape_of(self.input)
        _, rows = shape_of(self.output)
        weights = weights_array(c, to_numpy(self.filter), self.int4)
        bias_type = "int64_t" if self.is_s16() else "int32_t"
        bias = c.array("bias", bias_type, to_numpy(self.bias)) if self.bias is not None else "NULL"
        params = c.struct("params", "cmsis_nn_fc_params",
                          f"{{.input_offset = {int_of(self.input_offset)}, .filter_offset = 0, "
                          f".output_offset = {int_of(self.output_offset)}, .activation = {c_activation(self)}}}")
        quant = self._quant_struct(c)
        dims = {k: c.dims(f"{k}_dims", v) for k, v in
                (("input", (batches, 1, 1, depth)), ("filter", (depth, 1, 1, rows)), ("bias", (1, 1, 1, rows)),
                 ("output", (batches, 1, 1, rows)))}
        if c.path == "mve" and not self.is_s16() and not self.int4:  # arm_fully_connected_s4 reads no context
            sums = c.array("kernel_sums", "int32_t", self.kernel_sums())
            ctx = c.context(table=(sums, 4 * rows))
        else:
            ctx = c.context()
        function = self.kernel_function(c.path)
        query = "arm_fully_connected_s16_get_buffer_size" if self.is_s16() else "arm_fully_connected_s8_get_buffer_size"
        if not self.int4:  # v7.0.0 has no arm_fully_connected_s4_get_buffer_size: the kernel takes no buffer
            c.scratch_query(f"{query}(&{dims['filter']})")
        c.call(function,
               [f"&{ctx}", f"&{params}", f"&{quant}", f"&{dims['input']}", c.ptr(self.input), f"&{dims['filter']}",
                weights, f"&{dims['bias']}", bias, f"&{dims['output']}", c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """x @ W^T + bias, each output row requantized with its (multiplier, shift)."""
        (x,) = inputs
        weights = to_numpy(self.filter)
        shifted = x.astype(np.float64) + int_of(self.input_offset)
        acc = np.rint(shifted @ weights.astype(np.float64).T).astype(np.int64) + bias_of(self, weights.shape[0])
        mults, shifts = self.requantization()
        return requantize_and_clamp(acc, self, np.array(mults, np.int64), np.array(shifts, np.int64))


@irdl_op_definition
class FullyConnectedOp(FullyConnectedBase):
    """`arm_fully_connected_s8`: input [N, K], filter [M][K] rows, int32 bias [M], per-tensor requantization."""

    name = "cmsis.fully_connected"
    FUNCTION: ClassVar[str] = "arm_fully_connected_s8"
    INT4_FILTER: ClassVar[bool] = True
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    multiplier = prop_def(_I32)
    shift = prop_def(_I32)

    def requantization(self) -> tuple[list[int], list[int]]:
        rows = shape_of(self.output)[1]
        return [int_of(self.multiplier)] * rows, [int_of(self.shift)] * rows

    def _verify_requantization(self, rows: int) -> None:
        self.check_requant("multiplier", [int_of(self.multiplier)], "shift", [int_of(self.shift)])

    def _quant_struct(self, c: CEmitter) -> str:
        return c.struct("quant", "cmsis_nn_per_tensor_quant_params",
                        f"{{.multiplier = {int_of(self.multiplier)}, .shift = {int_of(self.shift)}}}")


@irdl_op_definition
class FullyConnectedPerChannelOp(FullyConnectedBase):
    """`arm_fully_connected_per_channel_s8`: as `cmsis.fully_connected`, with one (multiplier, shift) per output row.

    The weights of row r have their own scale (onnxruntime's `per_channel=True`,
    TFLite's per-channel FULLY_CONNECTED); the multiplier of row r is
    input_scale * filter_scale[r] / output_scale, as TFLite Micro's
    CalculateOpDataFullyConnected computes it (in double).
    """

    name = "cmsis.fully_connected_per_channel"
    FUNCTION: ClassVar[str] = "arm_fully_connected_per_channel_s8"
    multiplier = prop_def(_I32_ARRAY)
    shift = prop_def(_I32_ARRAY)

    def requantization(self) -> tuple[list[int], list[int]]:
        return list(ints(self.multiplier)), list(ints(self.shift))

    def _verify_requantization(self, rows: int) -> None:
        mults, shifts = ints(self.multiplier), ints(self.shift)
        check_len(self, "multiplier", mults, rows)
        check_len(self, "shift", shifts, rows)
        self.check_requant("multiplier", mults, "shift", shifts)

    def _quant_struct(self, c: CEmitter) -> str:
        mult = c.array("multiplier", "int32_t", ints(self.multiplier))
        shift = c.array("shift", "int32_t", ints(self.shift))
        return c.struct("quant", "cmsis_nn_per_channel_quant_params",
                        f"{{.multiplier = (int32_t *){mult}, .shift = (int32_t *){shift}}}")
