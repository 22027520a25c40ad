"""`cmsis.lstm`: TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM as one `arm_lstm_unidirectional_s8` call (int8), or one
`arm_lstm_unidirectional_s16` call (the 16x8 scheme: int16 activations, int8 weights, int64 biases).

Sources (CMSIS-NN v7.0.0): `Source/LSTMFunctions/arm_lstm_unidirectional_s8.c` and `_s16.c`,
`Source/NNSupportFunctions/arm_nn_lstm_step_s8.c` and `_s16.c`,
`arm_nn_lstm_calculate_gate_s8_s16.c` and `_s16.c`, `arm_nn_vec_mat_mul_result_acc_s8_s16.c` and `_s16.c`
(int64 accumulators requantized by `arm_nn_requantize_s64`),
`Source/ActivationFunctions/arm_nn_activation_s16.c`,
`Source/BasicMathFunctions/arm_elementwise_mul_s16.c`, `arm_elementwise_mul_acc_s16.c`,
`arm_elementwise_mul_s16_s8.c`, `arm_elementwise_mul_s16_batch_offset.c`; the parameters as TFLite Micro's
`lstm_eval_common.cc` (`PrepareGateParametersInteger`) and its CMSIS-NN port
(`kernels/cmsis_nn/unidirectional_sequence_lstm.cc`) compute them.

**State.** The hidden state of step t is step t's row of the output: step
t + 1 reads it back, so it needs no buffer of its own. The int16 cell state
and the two int16 gate buffers (`cmsis_nn_lstm_context`: temp1, temp2,
cell_state, batch x hidden values each) are the op's scratch: the kernel
zeroes the cell state on entry and nothing reads it after the call, which
is TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM with non-persistent state (the
variable state tensors reset to their zero initial value before each
inference). A scratch region lives exactly for the op's step, so the state
is planned in the arena with the lifetime of the whole call and shares
bytes with other ops' buffers outside it.

**Overlap.** Step t reads its input rows before writing its output rows and
never reads them again (`access_order`), so the output may start before
its input and overwrite the rows already consumed.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    i32,
)
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from cmsis_opt.errors import CompileError
from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_s64
from cmsis_opt.targets import BuildPath

from .cmsis_activation import activation_s16
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, Trace, int_of
from .utils import element_bytes, fail, int_type, ints, shape_of, to_numpy

_I32 = IntegerAttr[IntegerType]
_I32_ARRAY = DenseArrayBase.constr(i32)

GATES = ("input", "forget", "cell", "output")
"""The order of the gates in the op's weights, biases and per-gate arrays (TFLite's tensor order)."""

Q15_MIN, Q15_MAX = -(1 << 15), (1 << 15) - 1
CELL_ACTIVATIONS = {"sigmoid": "ARM_SIGMOID", "tanh": "ARM_TANH"}
BUFFERS = 3
"""int16 buffers of batch x hidden values in `cmsis_nn_lstm_context`: temp1, temp2, cell_state."""


def _requantize(x: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    return multiply_by_quantized_multiplier(x, multiplier, shift)


@irdl_op_definition
class LstmOp(CmsisOp, KernelOp):
    """`arm_lstm_unidirectional_s8` / `_s16`: input [B, T, I] ([T, B, I] with `time_major`), result [B, T, H]
    (or [T, B, H]), int8 or int16 (both the same), per-tensor.

    Gates in the order input, forget, cell, output (`GATES`): `input_weights`
    [4, H, I] and `recurrent_weights` [4, H, H] int8, `bias` [4, H] int32
    (int64 with int16 activations; the gate sums are then int64, requantized
    with the Q15-reduced multiplier of `arm_nn_requantize_s64`);
    `input_multiplier` / `input_shift` requantize each gate's W x sum and
    `hidden_multiplier` / `hidden_shift` its R h sum into Q3.12 (scale
    2^-12). `forget_to_cell_*` and `input_to_cell_*` requantize the Q0.15
    products into the int16 cell state, of scale 2^`cell_scale_power`;
    `cell_clip` bounds it (0: no clip); `output_*` the Q0.15 x Q0.15 hidden
    product into the output. `input_offset` is minus the input zero point,
    `output_offset` the output's (the hidden state's) zero point.
    `cell_activation` is the cell gate's (tanh or sigmoid); the other gates
    are sigmoids and the hidden state's tanh(cell) is a tanh.
    """

    name = "cmsis.lstm"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    input = operand_def(TensorType)
    output = result_def(TensorType)
    input_weights = prop_def(DenseIntOrFPElementsAttr)
    recurrent_weights = prop_def(DenseIntOrFPElementsAttr)
    bias = prop_def(DenseIntOrFPElementsAttr)
    input_multiplier = prop_def(_I32_ARRAY)
    input_shift = prop_def(_I32_ARRAY)
    hidden_multiplier = prop_def(_I32_ARRAY)
    hidden_shift = prop_def(_I32_ARRAY)
    forget_to_cell_multiplier = prop_def(_I32)
    forget_to_cell_shift = prop_def(_I32)
    input_to_cell_multiplier = prop_def(_I32)
    input_to_cell_shift = prop_def(_I32)
    cell_clip = prop_def(_I32)
    cell_scale_power = prop_def(_I32)
    output_multiplier = prop_def(_I32)
    output_shift = prop_def(_I32)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    cell_activation = prop_def(StringAttr)
    time_major = opt_prop_def(UnitAttr)

    # -- shapes -----------------------------------------------------------------
    def sizes(self) -> tuple[int, int, int, int]:
        """(batch, time steps, input features, hidden units)."""
        a, b, features = shape_of(self.input)
        hidden = shape_of(self.output)[2]
        return (b, a, features, hidden) if self.time_major is not None else (a, b, features, hidden)

    def weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(input weights [4, H, I], recurrent weights [4, H, H], bias [4, H]) as int64."""
        w, r, b = (to_numpy(a).astype(np.int64) for a in (self.input_weights, self.recurrent_weights, self.bias))
        return w, r, b

    def effective_biases(self) -> tuple[np.ndarray, np.ndarray]:
        """([4, H] bias + input_offset * row sums of W, [4, H] -output_offset * row sums of R), as TFLite
        Micro's CMSIS-NN port computes them with `arm_vector_sum_s8`."""
        w, r, b = self.weights()
        return b + int_of(self.input_offset) * w.sum(axis=2), -int_of(self.output_offset) * r.sum(axis=2)

    def verify_(self) -> None:
        x = self.check_rank(self.input, "input", 3)
        out = self.check_rank(self.output, "result", 3)
        if tuple(out[:2]) != tuple(x[:2]):
            fail(self, "result", f"shape {list(out)} must keep the input's {list(x[:2])} sequence dimensions")
        batch, _, features, hidden = self.sizes()
        for field, attr, shape, bits in (("input_weights", self.input_weights, (4, hidden, features), 8),
                                         ("recurrent_weights", self.recurrent_weights, (4, hidden, hidden), 8),
                                         ("bias", self.bias, (4, hidden), 64 if self.is_s16() else 32)):
            element = attr.get_element_type()
            if element != int_type(bits):
                fail(self, field, f"expected i{bits} elements, got {element}")
            if tuple(attr.get_shape()) != shape:
                fail(self, field, f"shape {list(attr.get_shape())} does not match the expected {list(shape)}")
        for name in ("input", "hidden"):
            mults = ints(getattr(self, f"{name}_multiplier"))
            shifts = ints(getattr(self, f"{name}_shift"))
            if len(mults) != 4 or len(shifts) != 4:
                fail(self, f"{name}_multiplier", "expected one multiplier and shift per gate (4)")
            self.check_requant(f"{name}_multiplier", mults, f"{name}_shift", shifts)
        for name in ("forget_to_cell", "input_to_cell", "output"):
            self.check_requant(f"{name}_multiplier", [int_of(getattr(self, f"{name}_multiplier"))],
                               f"{name}_shift", [int_of(getattr(self, f"{name}_shift"))])
        self.check_range("cell_clip", int_of(self.cell_clip), 0, Q15_MAX)
        # arm_nn_activation_s16 shifts its input left by cell_scale_power + 12 (3 << it must stay an int32)
        self.check_range("cell_scale_power", int_of(self.cell_scale_power), -27, 15)
        if self.cell_activation.data not in CELL_ACTIVATIONS:
            fail(self, "cell_activation", f"'{self.cell_activation.data}' is not one of {sorted(CELL_ACTIVATIONS)}")
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets([("input_offset", int_of(self.input_offset), qi, -1),
                            ("output_offset", int_of(self.output_offset), qo, 1)])
        self.check_same_width(self.input, self.output)
        del batch

    # -- kernel interface -----------------------------------------------------------
    def kernel_function(self, path: BuildPath) -> str:
        return "arm_lstm_unidirectional_s16" if self.is_s16() else "arm_lstm_unidirectional_s8"

    def scratch_bytes(self, path: BuildPath) -> int:
        """temp1, temp2 and the cell state: three int16 buffers of batch x hidden (TFLite Micro's CMSIS-NN port
        asks for the same three scratch buffers); every path."""
        batch, _, _, hidden = self.sizes()
        return BUFFERS * batch * hidden * 2

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder:
        """Step by step, on every path: step t reads its input rows (every batch; four times, once per gate)
        before it writes its output rows, and never reads an input row again; the hidden state it reads back
        is the output's previous row, not the input (`arm_lstm_unidirectional_s8.c`, `arm_nn_lstm_step_s8.c`:
        the gates go to the int16 scratch, the output row is written last by `arm_elementwise_mul_s16_s8`).
        So the output may trail the input by what the steps before have consumed."""
        batch, steps, features, hidden = self.sizes()
        major = self.time_major is not None

        def step_of(width: int) -> np.ndarray:  # the time step of every byte of a [.., .., width] sequence
            grid = (np.arange(steps)[:, None] if major else np.arange(steps)[None, :]) + np.zeros(
                (steps, batch) if major else (batch, steps), np.int64)
            return np.repeat(grid.reshape(-1), width)

        element = element_bytes(self.input)  # the order is in bytes: 2 per int16 value
        trace = Trace(batch * steps * features * element, batch * steps * hidden * element)
        trace.read(2 * step_of(features * element), np.arange(batch * steps * features * element))
        trace.write(2 * step_of(hidden * element) + 1, np.arange(batch * steps * hidden * element))
        return trace.done()

    def emit_c(self, c: CEmitter) -> None:
        batch, steps, features, hidden = self.sizes()
        w, r, b = self.weights()
        eff_in, eff_hidden = self.effective_biases()
        mults, shifts = ints(self.input_multiplier), ints(self.input_shift)
        h_mults, h_shifts = ints(self.hidden_multiplier), ints(self.hidden_shift)
        bias_c = "int64_t" if self.is_s16() else "int32_t"
        gates = {}
        for k, gate in enumerate(GATES):
            activation = CELL_ACTIVATIONS[self.cell_activation.data] if gate == "cell" else "ARM_SIGMOID"
            fields = [f".input_multiplier = {mults[k]}", f".input_shift = {shifts[k]}",
                      f".input_weights = {c.array(f'{gate}_input_weights', 'int8_t', w[k])}",
                      f".input_effective_bias = {c.array(f'{gate}_input_effective_bias', bias_c, eff_in[k])}",
                      f".hidden_multiplier = {h_mults[k]}", f".hidden_shift = {h_shifts[k]}",
                      f".hidden_weights = {c.array(f'{gate}_hidden_weights', 'int8_t', r[k])}",
                      f".hidden_effective_bias = {c.array(f'{gate}_hidden_effective_bias', bias_c, eff_hidden[k])}",
                      f".bias = {c.array(f'{gate}_bias', bias_c, b[k])}",
                      f".activation_type = {activation}"]
            gates[gate] = "{\n        " + ",\n        ".join(fields) + "}"
        scalars = {
            "time_major": int(self.time_major is not None), "batch_size": batch, "time_steps": steps,
            "input_size": features, "hidden_size": hidden, "input_offset": int_of(self.input_offset),
            **{f"{name}_{part}": int_of(getattr(self, f"{name}_{part}"))
               for name in ("forget_to_cell", "input_to_cell") for part in ("multiplier", "shift")},
            "cell_clip": int_of(self.cell_clip), "cell_scale_power": int_of(self.cell_scale_power),
            "output_multiplier": int_of(self.output_multiplier), "output_shift": int_of(self.output_shift),
            "output_offset": int_of(self.output_offset),
        }
        init = [f".{k} = {v}" for k, v in scalars.items()] + [f".{g}_gate = {gates[g]}" for g in GATES]
        params = c.struct("params", "cmsis_nn_lstm_params", "{\n    " + ",\n    ".join(init) + "}")
        if c.alignment < 2:
            raise CompileError(f"layer '{c.layer}' (cmsis.lstm): {self.kernel_function(c.path)} keeps int16 values in "
                               f"its scratch, which an arena aligned to {c.alignment} byte may place on an odd "
                               "address; use --alignment 2 or more", "C backend")
        size = batch * hidden * 2
        buffers = f"{c.ident}_buffers"
        c.prologue([f"    cmsis_nn_lstm_context {buffers};",
                    f"    {buffers}.temp1 = {c.scratch_ptr(0)};",
                    f"    {buffers}.temp2 = {c.scratch_ptr(size)};",
                    f"    {buffers}.cell_state = {c.scratch_ptr(2 * size)};"])
        c.call(self.kernel_function(c.path), [c.ptr(self.input), c.ptr(self.output), f"&{params}", f"&{buffers}"])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The kernel's int16 arithmetic step by step (`arm_nn_lstm_step_s8` / `_s16`), every batch at once. With
        int16 activations the gate sums are int64 requantized as `arm_nn_requantize_s64` (TFLite Micro's
        16x8 fully connected) and the hidden state is clamped to int16 (`arm_elementwise_mul_s16_batch_offset`)."""
        (x,) = inputs
        batch, steps, _, hidden = self.sizes()
        seq = x.astype(np.int64)
        if self.time_major is None:
            seq = seq.transpose(1, 0, 2)  # [T, B, I]
        w, r, _ = self.weights()
        eff_in, eff_hidden = self.effective_biases()
        mults, shifts = ints(self.input_multiplier), ints(self.input_shift)
        h_mults, h_shifts = ints(self.hidden_multiplier), ints(self.hidden_shift)
        clip = int_of(self.cell_clip)
        low, high = (-clip, clip) if clip > 0 else (Q15_MIN, Q15_MAX)
        cell_sigmoid = self.cell_activation.data == "sigmoid"
        wide = self.is_s16()
        requantize_sum = multiply_by_quantized_multiplier_s64 if wide else _requantize
        out_min, out_max = (Q15_MIN, Q15_MAX) if wide else (-128, 127)

        def gate(k: int, data: np.ndarray, state: np.ndarray | None) -> np.ndarray:
            acc = np.clip(requantize_sum(data @ w[k].T + eff_in[k], mults[k], shifts[k]), Q15_MIN, Q15_MAX)
            if state is not None:
                acc = np.clip(requantize_sum(state @ r[k].T + eff_hidden[k], h_mults[k], h_shifts[k]) + acc,
                              Q15_MIN, Q15_MAX)
            return activation_s16(acc, 0, cell_sigmoid if GATES[k] == "cell" else True)

        cell = np.zeros((batch, hidden), np.int64)
        state: np.ndarray | None = None
        outs = []
        for t in range(steps):
            data = seq[t]
            forget = gate(1, data, state)
            cell = np.clip(_requantize(forget * cell, int_of(self.forget_to_cell_multiplier),
                                       int_of(self.forget_to_cell_shift)), Q15_MIN, Q15_MAX)
            product = _requantize(gate(0, data, state) * gate(2, data, state), int_of(self.input_to_cell_multiplier),
                                  int_of(self.input_to_cell_shift))
            cell = np.clip(product + cell, low, high)
            out_gate = gate(3, data, state)
            squashed = activation_s16(cell, int_of(self.cell_scale_power) + 12, False)
            h = _requantize(out_gate * squashed, int_of(self.output_multiplier), int_of(self.output_shift))
            state = np.clip(h + int_of(self.output_offset), out_min, out_max)
            outs.append(state)
        out = np.stack(outs)  # [T, B, H]
        return (out if self.time_major is not None else out.transpose(1, 0, 2)).astype(np.int16 if wide else np.int8)
