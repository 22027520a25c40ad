"""Data movement: `cmsis.pad` (`arm_pad_s8`), `cmsis.concat` (`arm_concatenation_s8_{x,y,z,w}`),
`cmsis.transpose` (`arm_transpose_s8`), `cmsis.slice` (rows copied with memcpy) and `cmsis.reshape`, a view that
calls nothing.

Sources (CMSIS-NN v7.0.0): `Source/PadFunctions/arm_pad_s8.c`,
`Source/ConcatenationFunctions/arm_concatenation_s8_*.c`,
`Source/TransposeFunctions/arm_transpose_s8.c`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, IntegerType, TensorType, i64
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def, traits_def, var_operand_def
from xdsl.traits import NoMemoryEffect

from cmsis_opt.diagnostics import plural
from cmsis_opt.targets import BuildPath

from .kernel import AccessOrder, CEmitter, CmsisOp, IsView, KernelOp, NoOverlap, Trace, int_of
from .quant import quant_of
from .utils import check_len, check_slice, element_bytes, fail, ints, num_elements, shape_of

_I32 = IntegerAttr[IntegerType]
_I64_ARRAY = DenseArrayBase.constr(i64)

CONCAT_FUNCTIONS = {
    3: "arm_concatenation_s8_x",
    2: "arm_concatenation_s8_y",
    1: "arm_concatenation_s8_z",
    0: "arm_concatenation_s8_w",
}
"""NHWC axis -> CMSIS-NN concatenation (x is the innermost dimension)."""


def pad_order(shape: Sequence[int], pre: Sequence[int], post: Sequence[int]) -> AccessOrder:
    """Source/PadFunctions/arm_pad_s8.c (every path; runtime/ copies the same way).

    The output is written front to back, once: `arm_memset_s8` runs of the
    pad value between `arm_memcpy_s8` copies of the input, one copy per input
    row when no channel is padded, else one per input pixel. Copy k (input
    rows or pixels in order) writes its output bytes at time 3k + 1 and reads
    its input bytes at 3k + 2: within one memcpy the order is the C library's,
    so its writes are taken to come first (and an output that overlaps the
    copy's own input is refused, which memcpy also forbids). A memset between
    copies k - 1 and k writes at 3k.
    """
    n, h, w, c = shape
    out = [d + a + b for d, a, b in zip(shape, pre, post, strict=True)]
    copy_c = out[3] == c
    # the copy unit of each input byte: its row (whole rows copied) or its pixel
    unit_of_in = np.arange(n * h * w * c) // (w * c if copy_c else c)
    # the same unit index on the output bytes that copies write, -1 on padding
    units = np.full(out, -1, dtype=np.int64)
    units[pre[0]:pre[0] + n, pre[1]:pre[1] + h, pre[2]:pre[2] + w, pre[3]:pre[3] + c] = unit_of_in.reshape(n, h, w, c)
    units = units.reshape(-1)
    copied = units >= 0
    before = np.maximum.accumulate(units) + 1  # pad bytes: how many copies came before them
    write_time = np.where(copied, 3 * units + 1, 3 * before)
    t = Trace(unit_of_in.size, units.size)
    t.read(3 * unit_of_in + 2, np.arange(unit_of_in.size))
    t.write(write_time, np.arange(units.size))
    return t.done()


@irdl_op_definition
class PadOp(CmsisOp, KernelOp):
    """`arm_pad_s8`: NHWC [N, H, W, C] constant padding with the zero point (real 0); pre/post pads per axis."""

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
        self.check_shape("result", shape_of(self.output), [d + a + b for d, a, b in zip(shape, pre, post, strict=True)])
        self.check_same_quant(self.input, self.output)

    def kernel_function(self, path: BuildPath) -> str:
        return "arm_pad_s8"

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return pad_order(shape_of(self.input), ints(self.pre_pad), ints(self.post_pad))

    def emit_c(self, c: CEmitter) -> None:
        dims = {k: c.dims(f"{k}_dims", v) for k, v in
                (("input", shape_of(self.input)), ("pre_pad", ints(self.pre_pad)), ("post_pad", ints(self.post_pad)))}
        q = quant_of(self.output.type)
        assert q is not None
        c.call("arm_pad_s8", [c.ptr(self.input), c.ptr(self.output), f"(int8_t){q.zero_point}",
                              f"&{dims['input']}", f"&{dims['pre_pad']}", f"&{dims['post_pad']}"])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        q = quant_of(self.output.type)
        assert q is not None
        widths = list(zip(ints(self.pre_pad), ints(self.post_pad), strict=True))
        return np.pad(x, widths, constant_values=q.zero_point).astype(np.int8)


@irdl_op_definition
class ConcatOp(CmsisOp, KernelOp):
    """`arm_concatenation_s8_{x,y,z,w}`: NHWC concatenation along `axis`; every input quantized alike."""

    name = "cmsis.concat"
    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(_I32)

    def verify_(self) -> None:
        if not self.inputs:
            fail(self, "inputs", "needs at least one input")
        axis = int_of(self.axis)
        out = self.check_rank(self.output, "result", 4)
        self.check_range("axis", axis, 0, 3)
        total = 0
        for value in self.inputs:
            shape = self.check_rank(value, "inputs", 4)
            if any(a != b for i, (a, b) in enumerate(zip(shape, out, strict=True)) if i != axis):
                fail(self, "inputs", f"shape {list(shape)} does not match the result {list(out)} outside axis {axis}")
            self.check_same_quant(value, self.output)
            total += shape[axis]
        if total != out[axis]:
            fail(self, "result", f"axis {axis} has size {out[axis]}, the inputs add up to {total}")

    def kernel_function(self, path: BuildPath) -> str:
        return CONCAT_FUNCTIONS[int_of(self.axis)]

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return NoOverlap("the output must not overlap the input (documented)")

    def emit_c(self, c: CEmitter) -> None:
        axis = int_of(self.axis)
        function = CONCAT_FUNCTIONS[axis]
        out = shape_of(self.output)
        offset = 0
        for value in self.inputs:
            n, h, w, ch = shape_of(value)
            args = [c.ptr(value), str(ch), str(w), str(h), str(n), c.ptr(self.output)]
            if axis != 0:  # the w function takes no output size of its axis
                args.append(str(out[axis]))
            args.append(str(offset))
            c.call(function, args, returns_status=False)
            offset += shape_of(value)[axis]

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        return np.concatenate(inputs, axis=int_of(self.axis)).astype(np.int8)


@irdl_op_definition
class TransposeOp(CmsisOp, KernelOp):
    """`arm_transpose_s8`: a tensor of rank 1 to 4, its axes permuted: result axis i is input axis perm[i].

    The input and output keep their quantization. CMSIS-NN takes the shape
    in `cmsis_nn_dims` (rank 4: n, h, w, c; rank 3: n, h, w; rank 2: n, h)
    and the permutation in `cmsis_nn_transpose_params`.

    int16 tensors (v7.0.0 has no arm_transpose_s16) are moved as bytes:
    each element is an innermost axis of 2 bytes that stays last, and axes
    that stay adjacent in the permutation are merged (`byte_transpose`), so
    an NCHW -> NHWC transpose of [1, C, H, W] is arm_transpose_s8 of
    [C, H*W, 2] with permutation (1, 0, 2).
    """

    name = "cmsis.transpose"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)  # int16 moved as byte pairs
    input = operand_def(TensorType)
    output = result_def(TensorType)
    perm = prop_def(_I64_ARRAY)

    def verify_(self) -> None:
        shape, perm = shape_of(self.input), ints(self.perm)
        if not 1 <= len(shape) <= 4:
            fail(self, "input", f"expected rank 1 to 4 (arm_transpose_s8 takes cmsis_nn_dims), got shape {list(shape)}")
        check_len(self, "perm", perm, len(shape))
        if sorted(perm) != list(range(len(shape))):
            fail(self, "perm", f"{list(perm)} is not a permutation of 0..{len(shape) - 1}")
        if list(perm) == sorted(perm):
            # nothing moves (and arm_transpose_s8 v7.0.0 swaps the two axes of any rank-2 call, identity or not)
            fail(self, "perm", f"{list(perm)} is the identity: a cmsis.reshape view keeps the same bytes")
        self.check_shape("result", shape_of(self.output), [shape[p] for p in perm])
        self.check_same_quant(self.input, self.output)
        byte_shape, byte_perm = byte_transpose(shape, perm, element_bytes(self.input))
        if len(byte_shape) > 4:
            fail(self, "perm", f"{list(perm)} of an int16 tensor of shape {list(shape)} moves its bytes as "
                               f"{list(byte_perm)} of {list(byte_shape)}: rank {len(byte_shape)}, "
                               "arm_transpose_s8 takes rank 1 to 4")

    def kernel_function(self, path: BuildPath) -> str:
        return "arm_transpose_s8"

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return NoOverlap("reads the input in order while writing across the whole output")

    def emit_c(self, c: CEmitter) -> None:
        def dims(shape) -> list[int]:
            return [*shape, *[1] * (4 - len(shape))]  # n, h, w, c: the leading fields hold the axes

        size = element_bytes(self.input)
        shape, perm = byte_transpose(shape_of(self.input), ints(self.perm), size)
        permutation = c.array("perm", "uint32_t", perm)
        params = c.struct("params", "cmsis_nn_transpose_params",
                          f"{{.num_dims = {len(perm)}, .permutations = {permutation}}}")
        input_dims = c.dims("input_dims", dims(shape))
        output_dims = c.dims("output_dims", dims([shape[p] for p in perm]))
        pointers = [c.ptr(v) if size == 1 else f"(int8_t *)({c.ptr(v)})" for v in (self.input, self.output)]
        c.call("arm_transpose_s8", [*pointers, f"&{input_dims}", f"&{output_dims}", f"&{params}"])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        return np.ascontiguousarray(x.transpose(ints(self.perm)))


def byte_transpose(shape: Sequence[int], perm: Sequence[int], element: int) -> tuple[list[int], list[int]]:
    """(shape, permutation) of the same transpose over bytes: for `element` > 1 bytes an innermost axis of
    `element` bytes that stays last; then axes of size 1 dropped and input axes that stay adjacent in the
    permutation merged into one. For 1-byte elements, `shape` and `perm` as given (the int8 C is unchanged)."""
    if element == 1:
        return list(shape), list(perm)
    full_shape, full_perm = [*shape, element], [*perm, len(shape)]
    position = {axis: i for i, axis in enumerate(a for a in range(len(full_shape)) if full_shape[a] != 1)}
    runs: list[list[int]] = []  # kept input axes (by position), in output order, grouped where they stay adjacent
    for axis in (position[p] for p in full_perm if full_shape[p] != 1):
        if runs and runs[-1][-1] + 1 == axis:
            runs[-1].append(axis)
        else:
            runs.append([axis])
    sizes = [full_shape[a] for a in position]
    order = sorted(range(len(runs)), key=lambda r: runs[r][0])  # merged input axes in input order
    merged_shape = [num_elements([sizes[a] for a in runs[r]]) for r in order]
    return merged_shape, [order.index(r) for r in range(len(runs))]


@irdl_op_definition
class ReshapeOp(CmsisOp):
    """A view: the same bytes under another shape. Calls no kernel, emits no code, has no buffer of its own."""

    name = "cmsis.reshape"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)  # a view of any element width
    traits = traits_def(NoMemoryEffect(), IsView())
    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self.check_same_quant(self.input, self.output)
        a, b = shape_of(self.input), shape_of(self.output)
        if num_elements(a) != num_elements(b):
            fail(self, "result", f"{list(b)} has {num_elements(b)} elements, the input {list(a)} has {num_elements(a)}")

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        return x.reshape(shape_of(self.output))


def slice_rows(shape: Sequence[int], starts: Sequence[int], sizes: Sequence[int]) -> tuple[int, int, int, int]:
    """(rows, bytes per row, input row stride, input offset) of a slice that cuts one axis of a row-major tensor.

    The axes before the cut one make the rows; the cut axis and the full
    axes after it make one contiguous run per row.
    """
    cut = next((axis for axis, (n, full) in enumerate(zip(sizes, shape, strict=True)) if n != full), len(shape) - 1)
    inner = num_elements(shape[cut + 1:])
    rows = num_elements(shape[:cut])
    return rows, sizes[cut] * inner, shape[cut] * inner, starts[cut] * inner


@irdl_op_definition
class SliceOp(CmsisOp, KernelOp):
    """A slice along one axis of a row-major int8 tensor (TFLite STRIDED_SLICE / SLICE with step 1, ONNX Slice):
    result[i] = input[starts + i], the result type giving the sizes; every other axis is taken whole.

    CMSIS-NN v7.0.0 has no slice kernel; TFLite Micro's reference kernel
    (`reference_ops::StridedSlice`) copies element by element. The C is
    `rows` memcpy's of contiguous runs (`CEmitter.copy_rows`), in place in
    the generated function.
    """

    name = "cmsis.slice"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    starts = prop_def(_I64_ARRAY)

    def verify_(self) -> None:
        shape, out, starts = shape_of(self.input), shape_of(self.output), ints(self.starts)
        check_slice(self, shape, out, starts)
        cut = [axis for axis, (size, full) in enumerate(zip(out, shape, strict=True)) if size != full]
        if len(cut) > 1:
            fail(self, "result", f"slices axes {cut}: only one axis may be cut")
        self.check_same_quant(self.input, self.output)

    def kernel_function(self, path: BuildPath) -> str:
        return "memcpy"

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return NoOverlap("memcpy forbids its source and destination to overlap")

    def emit_c(self, c: CEmitter) -> None:
        rows, width, stride, offset = slice_rows(shape_of(self.input), ints(self.starts), shape_of(self.output))
        c.copy_rows(c.ptr(self.output), width, f"{c.ptr(self.input)} + {offset}", stride, rows, width,
                    f"{plural(rows, 'row')} of {width} bytes from offset {offset}")

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        (x,) = inputs
        index = tuple(slice(s, s + n) for s, n in zip(ints(self.starts), shape_of(self.output), strict=True))
        return np.ascontiguousarray(x[index])
