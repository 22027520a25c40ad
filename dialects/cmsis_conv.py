"""Convolutions: `cmsis.conv` (`arm_convolve_wrapper_s8`) and `cmsis.depthwise_conv` (`arm_depthwise_conv_wrapper_s8`).

Sources (CMSIS-NN v7.0.0): `Source/ConvolutionFunctions/arm_convolve_wrapper_s8.c`,
`arm_depthwise_conv_wrapper_s8.c`, `arm_convolve_get_buffer_sizes_s8.c`,
`arm_depthwise_conv_get_buffer_sizes_s8.c` and the kernels they dispatch to.

A filter of i4 values (int8 activations) runs the s4 wrappers instead
(`arm_convolve_wrapper_s4.c`, `arm_depthwise_conv_wrapper_s4.c`,
`arm_convolve_get_buffer_sizes_s4.c`, `arm_depthwise_conv_get_buffer_sizes_s4.c`):
the same arithmetic on weights packed two per byte (`utils.pack_int4`). Their
memory order is not modelled (no in-place overlap).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import ClassVar, Protocol, cast

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Operation
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from cmsis_opt.fixedpoint import multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_s64, wrap_int32
from cmsis_opt.targets import BuildPath

from .kernel import (
    AccessOrder,
    CEmitter,
    CmsisOp,
    KernelOp,
    NoOverlap,
    Requantized,
    Trace,
    Window,
    c_activation,
    c_tile,
    int_of,
    kernel_fact,
    storage_dtype,
)
from .utils import (
    check_len,
    element_bytes,
    fail,
    int_type,
    ints,
    is_int4,
    pack_int4,
    shape_of,
    to_numpy,
    window_expressible,
    window_patches,
)

_I32 = IntegerAttr[IntegerType]
_I32_ARRAY = DenseArrayBase.constr(i32)
_I64_ARRAY = DenseArrayBase.constr(i64)

CH_IN_BLOCK_MVE = 124
"""Channels per block of `arm_depthwise_conv_s8_opt` on MVE (`Include/arm_nnsupportfunctions.h`)."""

DW_TO_CONV_THRESHOLD = 1
"""`CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD` for GCC builds (armclang: 8):
on MVE, a depthwise conv with one input channel and more output channels than this runs as a convolution
(`arm_depthwise_conv_to_conv_s8` in `arm_depthwise_conv_wrapper_s8.c`)."""


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


class _Windowed(Protocol):
    @property
    def stride(self) -> DenseArrayBase[IntegerType]: ...

    @property
    def padding(self) -> DenseArrayBase[IntegerType]: ...


def check_window(op: CmsisOp, in_hw: Sequence[int], out_hw: Sequence[int], kernel: Sequence[int]) -> None:
    """Stride / padding / dilation of an NHWC window op, TFLite style.

    `padding` is [top, left]; the bottom/right padding is implied by the
    output size (as CMSIS-NN does: it only bounds-checks the far edge).
    """
    windowed = cast(_Windowed, op)  # every caller is a window op
    stride, pad = ints(windowed.stride), ints(windowed.padding)
    dilation_attr = getattr(op, "dilation", None)
    dilation = ints(dilation_attr) if dilation_attr is not None else (1, 1)
    check_len(op, "stride", stride, 2)
    check_len(op, "padding", pad, 2)
    check_len(op, "dilation", dilation, 2)
    for field, values, low in (("stride", stride, 1), ("padding", pad, 0), ("dilation", dilation, 1)):
        if any(v < low for v in values):
            fail(op, field, f"values must be >= {low}, got {list(values)}")
    for axis, name in ((0, "height"), (1, "width")):
        eff = (kernel[axis] - 1) * dilation[axis] + 1
        if pad[axis] >= eff:
            fail(op, "padding", f"{pad[axis]} on the {name} is not smaller than the window {eff}")
        if not window_expressible(in_hw[axis], out_hw[axis], kernel[axis], stride[axis], pad[axis], dilation[axis]):
            fail(
                op,
                "result",
                f"output {name} {out_hw[axis]} is inconsistent with input {in_hw[axis]}, window {eff}, "
                f"stride {stride[axis]}, padding {pad[axis]}",
            )


# -- the integer arithmetic both convolutions share -------------------------------------


def requantize_and_clamp(acc: np.ndarray, op: Requantized, multiplier, shift) -> np.ndarray:
    """The kernels' accumulator requantized, offset and clamped to the output's integer type.

    int8 output (`arm_*_s8`): the int32 accumulator wraps as the C code does,
    then TFLite's MultiplyByQuantizedMultiplier. int16 output (`arm_*_s16`,
    TFLite's 16x8 kernels): the int64 accumulator, `arm_nn_requantize_s64`.
    """
    output = cast(Operation, op).results[0]
    if element_bytes(output) == 2:
        out = multiply_by_quantized_multiplier_s64(acc, multiplier, shift) + int_of(op.output_offset)
    else:
        out = multiply_by_quantized_multiplier(wrap_int32(acc), multiplier, shift) + int_of(op.output_offset)
    return np.clip(out, int_of(op.act_min), int_of(op.act_max)).astype(storage_dtype(output))


S4_NOT_MODELLED = "the s4 kernels' memory order is not modelled"
"""Why an op with int4 weights never overlaps its input and output (NoOverlap)."""


def verify_weight_type(op: CmsisOp, weights: DenseIntOrFPElementsAttr, int4_allowed: bool) -> None:
    """i8 weights, or i4 where `int4_allowed` (an op with a CMSIS-NN s4 kernel) and the activations are int8."""
    if int4_allowed and is_int4(weights):
        if op.is_s16():
            fail(op, "filter", "i4 weights take int8 activations (CMSIS-NN's s4 kernels)")
    elif weights.get_element_type() != int_type(8):
        allowed = "i8 or i4" if int4_allowed else "i8"
        fail(op, "filter", f"expected {allowed} weights, got {weights.get_element_type()}")


def _target_path(op: Operation) -> str | None:
    """The CMSIS-NN build path of the target recorded on `op`'s module (`cmsis.target`), or None."""
    module = op.get_toplevel_object()
    attr = module.attributes.get("cmsis.target") if isinstance(module, Operation) else None
    return getattr(attr, "path", None)


def weights_array(c: CEmitter, values: np.ndarray, int4: bool) -> str:
    """The C array of a filter: int8 values, or int4 values packed two per byte (`pack_int4`) for the s4 kernels."""
    return c.array("weights", "int8_t", pack_int4(values) if int4 else values)


def bias_of(op: Requantized, channels: int) -> np.ndarray:
    bias = op.bias
    return np.zeros(channels, np.int64) if bias is None else to_numpy(bias).astype(np.int64)


class FilterOp(CmsisOp, KernelOp):
    """Conv-like ops: weights, bias, per-channel requantization, a window."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    filter = prop_def(DenseIntOrFPElementsAttr)
    bias = opt_prop_def(DenseIntOrFPElementsAttr)
    multiplier = prop_def(_I32_ARRAY)
    shift = prop_def(_I32_ARRAY)
    input_offset = prop_def(_I32)
    output_offset = prop_def(_I32)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)
    stride = prop_def(_I64_ARRAY)
    padding = prop_def(_I64_ARRAY)
    dilation = prop_def(_I64_ARRAY)

    def _verify_shapes(self, layout: str) -> tuple[tuple[int, ...], tuple[int, ...], Sequence[int]]:
        """Rank-4 input, result and `layout` filter, the same batch: ((n, h, w, c), (n, oh, ow, oc), filter shape)."""
        n, h, w, c = self.check_rank(self.input, "input", 4)
        on, oh, ow, oc = self.check_rank(self.output, "result", 4)
        fshape = self.filter.get_shape()
        if len(fshape) != 4:
            fail(self, "filter", f"expected {layout} filter of rank 4, got {list(fshape)}")
        if on != n:
            fail(self, "result", f"batch {on} differs from the input's {n}")
        return (n, h, w, c), (on, oh, ow, oc), fshape

    INT4_FILTER: ClassVar[bool] = False
    """Whether the op takes i4 filters (CMSIS-NN has an s4 kernel for it), with int8 activations."""

    @property
    def int4(self) -> bool:
        """Whether the filter holds int4 values: the s4 kernels run, on weights packed two per byte."""
        return is_int4(self.filter)

    def _verify_filter(self, expected_filter: Sequence[int], out_channels: int) -> None:
        verify_weight_type(self, self.filter, self.INT4_FILTER)
        self.check_shape("filter", self.filter.get_shape(), expected_filter)
        self.check_same_width(self.input, self.output)
        if self.bias is not None:
            bias_width = 64 if self.is_s16() else 32  # the s16 kernels take TFLite's 16x8 int64 bias
            if self.bias.get_element_type() != int_type(bias_width):
                fail(self, "bias", f"expected i{bias_width} values, got {self.bias.get_element_type()}")
            self.check_shape("bias", self.bias.get_shape(), (out_channels,))
        mult, shift = ints(self.multiplier), ints(self.shift)
        check_len(self, "multiplier", mult, out_channels)
        check_len(self, "shift", shift, out_channels)
        self.check_requant("multiplier", mult, "shift", shift)
        qi, qo = self.quant(self.input, "input"), self.quant(self.output, "result")
        self.check_offsets(
            [("input_offset", int_of(self.input_offset), qi, -1), ("output_offset", int_of(self.output_offset), qo, 1)]
        )
        self.check_activation()

    @property
    def window(self) -> Window:
        """Shapes and window parameters (kept within a pass: `kernel_fact`)."""
        return kernel_fact(self, ("window",), self._window)

    def _window(self) -> Window:
        n, h, w, c = shape_of(self.input)
        _, oh, ow, oc = shape_of(self.output)
        _, kh, kw, _ = self.filter.get_shape()
        (sh, sw), (ph, pw), (dh, dw) = ints(self.stride), ints(self.padding), ints(self.dilation)
        return Window(n, h, w, c, oh, ow, oc, kh, kw, sh, sw, ph, pw, dh, dw,
                      element_bytes(self.input), element_bytes(self.output))

    def _patches(self, x: np.ndarray, kernel: Sequence[int]) -> np.ndarray:
        """Receptive fields of (x + input_offset) as float64; padding contributes zero."""
        shifted = x.astype(np.float64) + int_of(self.input_offset)
        out_hw = shape_of(self.output)[1:3]
        return window_patches(shifted, kernel, ints(self.stride), ints(self.padding), ints(self.dilation), out_hw, 0.0)

    def _emit_common(self, c: CEmitter, params_type: str, params_extra: str,
                     filter_ohwi: np.ndarray | None = None) -> dict[str, str]:
        """The constant arguments every convolution call takes: weights, bias, quantization, params, dims, context.

        `filter_ohwi` replaces the op's own filter (a depthwise conv run as a convolution).
        """
        out = shape_of(self.output)
        weights = to_numpy(self.filter) if filter_ohwi is None else filter_ohwi
        bias_type = "int64_t" if self.is_s16() else "int32_t"
        consts = {
            "weights": weights_array(c, weights, self.int4),
            "bias": c.array("bias", bias_type, to_numpy(self.bias)) if self.bias is not None else "NULL",
        }
        mult = c.array("multiplier", "int32_t", ints(self.multiplier))
        shift = c.array("shift", "int32_t", ints(self.shift))
        consts["params"] = c.struct(
            "params",
            params_type,
            f"{{.input_offset = {int_of(self.input_offset)}, .output_offset = {int_of(self.output_offset)}, "
            f"{params_extra}"
            f".stride = {c_tile(ints(self.stride))}, .padding = {c_tile(ints(self.padding))}, "
            f".dilation = {c_tile(ints(self.dilation))}, .activation = {c_activation(self)}}}",
        )
        consts["quant"] = c.struct("quant", "cmsis_nn_per_channel_quant_params",
                                   f"{{.multiplier = (int32_t *){mult}, .shift = (int32_t *){shift}}}")
        for key, dims in (("input", shape_of(self.input)), ("filter", weights.shape),
                          ("bias", (1, 1, 1, out[3])), ("output", out)):
            consts[f"{key}_dims"] = c.dims(f"{key}_dims", dims)
        consts["ctx"] = c.context()
        return consts

    def _emit_conv_call(self, c: CEmitter, k: dict[str, str], direct: bool) -> None:
        """arm_convolve_wrapper_s8, or arm_convolve_s8 itself when `direct` (forced, or the wrapper's pick fails)."""
        args = [f"&{k['ctx']}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}", c.ptr(self.input),
                f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", k["bias"]]
        if direct:
            upscale = c.dims("upscale_dims", (1, 1, 1, 1))
            c.scratch_query(f"arm_convolve_s8_get_buffer_size(&{k['input_dims']}, &{k['filter_dims']})")
            c.call("arm_convolve_s8", [*args, f"&{upscale}", f"&{k['output_dims']}", c.ptr(self.output)])
        else:
            c.scratch_query(f"arm_convolve_wrapper_s8_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                            f"&{k['filter_dims']}, &{k['output_dims']})")
            c.call("arm_convolve_wrapper_s8", [*args, f"&{k['output_dims']}", c.ptr(self.output)])


# =====================================================================================
# cmsis.conv
# =====================================================================================


def conv_s8_scratch(g: Window, path: BuildPath) -> int:
    """`arm_convolve_s8_get_buffer_size`: two int16 im2col columns (C/DSP), four int8 ones (MVE)."""
    cols = g.kh * g.kw * g.c
    if path == "mve":
        return 4 * _align(cols, 16)
    return 2 * _align(cols, 4) * 2


def conv_s16_scratch(g: Window, path: BuildPath) -> int:
    """`arm_convolve_s16_get_buffer_size` (Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s16.c): two
    int16 im2col columns (C/DSP), four columns of whole 8-lane registers (MVE)."""
    cols = g.kh * g.kw * g.c
    if path == "mve":
        return 4 * _align(cols, 8) * 2
    return 2 * cols * 2


def conv_1_x_n_scratch_mve(g: Window) -> int:
    """`arm_convolve_1_x_n_s8_get_buffer_size_mve`: the padded im2col of one output column, or arm_convolve_s8's."""
    total_pad = (g.ow - 1) * g.sw + g.kw - g.w
    asym = total_pad % 2
    right = max(1, (g.pw + asym + g.sw - 1) // g.sw) if g.pw + asym else 0
    left = max(1, (g.pw + g.sw - 1) // g.sw) if g.pw else 0
    if right + max(g.ow - (right + left), 0) + left != g.ow:
        return conv_s8_scratch(g, "mve")
    pad_left = g.pw * g.c
    pad_right = right * g.c if asym else pad_left
    elems_left = g.kw * g.c
    return max(elems_left + pad_left, elems_left - g.c + pad_right)


def _conv_s8_order(g: Window, path: BuildPath) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_convolve_s8.c.

    Output pixels in raster order, two at a time on C/DSP (im2col of both
    columns, then arm_nn_mat_mult_kernel_s8_s16 writes both pixels, every
    channel), four at a time on MVE (arm_nn_mat_mult_nt_t_s8 on four rows); an
    odd tail forms its own group. Reads of a group come before its writes.
    """
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    group = g.pixel_groups(4 if path == "mve" else 2)
    t.read(2 * group[:, None, None], g.in_bytes(g.taps()))
    t.write(2 * group[:, None] + 1, g.out_bytes(np.arange(pixels)))
    return t.done()


def _conv_1x1_strided_order(g: Window) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_convolve_1x1_s8.c: one arm_nn_mat_mult_nt_t_s8 call per output row.

    Within a call the C/DSP matrix product loops over output channel pairs
    outside the pixels, so writes and re-reads interleave; the model takes every
    write of row r before every read of that call (a safe superset).
    """
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    row = np.arange(pixels) // g.ow  # global output row (batch-major)
    tap = g.taps()[:, 0]  # 1x1, no padding: the one input pixel
    t.write(3 * row[:, None] + 1, g.out_bytes(np.arange(pixels)))
    t.read(3 * row[:, None] + 2, g.in_bytes(tap))
    return t.done()


def wrapper_choice(g: Window) -> str:
    """`arm_convolve_wrapper_s8`'s choice, the same on every path."""
    if (g.ph, g.pw, g.kh, g.kw, g.dh, g.dw) == (0, 0, 1, 1, 1, 1):
        return "arm_convolve_1x1_s8_fast" if (g.sh, g.sw) == (1, 1) else "arm_convolve_1x1_s8"
    if g.h == 1 and g.dw == 1 and g.kh == 1 and (g.sw * g.c) % 4 == 0:
        return "arm_convolve_1_x_n_s8"
    return "arm_convolve_s8"


def mve_1_x_n_fails(g: Window) -> bool:
    """Whether the MVE `arm_convolve_1_x_n_s8` returns ARM_CMSIS_NN_FAILURE: it takes only SAME-style padding,
    `2 * pad_left + (total padding % 2) == total padding` (the left padding, or one less than the right)."""
    total = (g.ow - 1) * g.sw + g.kw - g.w
    return 2 * g.pw + total % 2 != total


def mve_1_x_n_reads_right(g: Window) -> bool:
    """Whether every tap of the MVE `arm_convolve_1_x_n_s8` (v7.0.0) reads the input pixel or padding it should.

    Source/ConvolutionFunctions/arm_convolve_1_x_n_s8.c (MVE) splits the output
    row into `left_pad_num` columns computed from an im2col buffer (padding, then
    KW input pixels from the row start), `no_pad_num` read from the input in
    place, and `right_pad_num` from a second im2col buffer: KW - 1 input pixels
    from `stride * (left + no_pad) - pad_left`, then `right_pad_num` (odd total
    padding) or `pad_left` padding pixels. With stride > 1 that buffer can hold
    a pixel past the row end, or padding where input belongs, or too few pixels
    (e.g. width 8, kernel 5, stride 2, SAME padding: its last column reads the
    byte after the input): outputs differ from TFLite's. Replays that index
    arithmetic per batch row; an internal fallback to arm_convolve_s8 (sections
    that do not add up to the output width) counts as right.
    """
    total = (g.ow - 1) * g.sw + g.kw - g.w
    asym = total % 2
    right = max(1, (g.pw + asym + g.sw - 1) // g.sw) if g.pw + asym else 0
    left = max(1, (g.pw + g.sw - 1) // g.sw) if g.pw else 0
    middle = max(g.ow - (right + left), 0)
    if right + middle + left != g.ow:
        return True

    def pixel(x: int) -> int | None:
        return x if 0 <= x < g.w else None  # None: past the input row (what the kernel must not read)

    def wanted(column: int, tap: int) -> int | str:
        x = column * g.sw - g.pw + tap
        return x if 0 <= x < g.w else "pad"

    def from_buffer(buffer: list, first_column: int, columns: int) -> bool:
        for r in range(columns):
            for tap in range(g.kw):
                j = r * g.sw + tap
                if j >= len(buffer) or buffer[j] != wanted(first_column + r, tap):
                    return False  # a stale buffer byte, a byte past the row, or the wrong pixel
        return True

    left_buffer = ["pad"] * g.pw + [pixel(x) for x in range(g.kw)]
    start = g.sw * (left + middle) - g.pw
    right_buffer = [pixel(x) for x in range(start, start + g.kw - 1)] + ["pad"] * (right if asym else g.pw)
    middle_ok = all(wanted(left + r, tap) == pixel(g.sw * left - g.pw + r * g.sw + tap)
                    for r in range(middle) for tap in range(g.kw))
    return from_buffer(left_buffer, 0, left) and middle_ok and from_buffer(right_buffer, left + middle, right)


def calls_conv_s8_directly(g: Window, generic: bool, path: BuildPath) -> bool:
    """The call goes to arm_convolve_s8 itself, not the wrapper: forced, or the wrapper's MVE 1xN pick would
    fail (`mve_1_x_n_fails`) or compute other outputs than TFLite's (`mve_1_x_n_reads_right`)."""
    return generic or (path == "mve" and wrapper_choice(g) == "arm_convolve_1_x_n_s8"
                       and (mve_1_x_n_fails(g) or not mve_1_x_n_reads_right(g)))


@functools.lru_cache(maxsize=256)
def conv_function(g: Window, generic: bool, path: BuildPath = "c") -> str:
    """The function a convolution call ends in on `path` (kept per window: layers of one shape share it)."""
    return "arm_convolve_s8" if calls_conv_s8_directly(g, generic, path) else wrapper_choice(g)


def conv_scratch(g: Window, function: str, path: BuildPath) -> int:
    """`arm_convolve_wrapper_s8_get_buffer_size` (or arm_convolve_s8's) for `function` on `path`.

    `arm_convolve_1x1_s8_fast` needs no scratch in a GCC build (armclang's DSP
    build asks for 2 * C_IN int16 values); `arm_convolve_1_x_n_s8` sizes its
    own im2col on MVE and arm_convolve_s8's elsewhere.
    """
    if function in ("arm_convolve_1x1_s8_fast", "arm_convolve_1x1_s8"):
        return 0
    if function == "arm_convolve_1_x_n_s8" and path == "mve":
        return conv_1_x_n_scratch_mve(g)
    return conv_s8_scratch(g, path)


@functools.lru_cache(maxsize=256)
def conv_order(g: Window, function: str, path: BuildPath) -> AccessOrder | NoOverlap:
    """The access order of the convolution `function` on `path` (read-only arrays).

    Kept per (window, function, path): layers of one shape, common in a
    network, share it, and each order costs a trace of the whole loop nest.
    """
    order = _conv_order(g, function, path)
    if isinstance(order, AccessOrder):
        for array in (order.last_read, order.first_write, order.last_write):
            array.flags.writeable = False
    return order


def _conv_order(g: Window, function: str, path: BuildPath) -> AccessOrder | NoOverlap:
    if function == "arm_convolve_s16":
        # Source/ConvolutionFunctions/arm_convolve_s16.c: arm_convolve_s8's loop nest on 2-byte elements (im2col of
        # two output pixels, arm_nn_mat_mult_kernel_s16 writes both; four with arm_nn_mat_mult_nt_t_s16 on MVE)
        return _conv_s8_order(g, path)
    if function == "arm_convolve_1x1_s8_fast":
        return NoOverlap("re-reads the whole input for every pair of output channels (gcc build, C/DSP)")
    if function == "arm_convolve_1x1_s8":
        return _conv_1x1_strided_order(g)
    if function == "arm_convolve_1_x_n_s8" and path == "mve":
        return NoOverlap("its MVE kernel is not modelled")
    return _conv_s8_order(g, path)  # 1xN on C/DSP runs arm_convolve_s8


def conv_s4_function(g: Window, path: BuildPath) -> str:
    """`arm_convolve_wrapper_s4`'s pick (Source/ConvolutionFunctions/arm_convolve_wrapper_s4.c)."""
    if g.ph == 0 and g.pw == 0 and g.kh == 1 and g.kw == 1 and g.dh == 1 and g.dw == 1:
        return "arm_convolve_1x1_s4_fast" if g.sh == 1 and g.sw == 1 else "arm_convolve_1x1_s4"
    if g.h == 1 and g.dw == 1 and g.kh == 1 and g.sw * g.c % 4 == 0:
        return "arm_convolve_1_x_n_s4"
    if path == "mve" and g.kh * g.kw * g.c % 2 == 0:
        return "arm_convolve_even_s4"
    return "arm_convolve_s4"


def conv_s4_scratch(g: Window, path: BuildPath) -> int:
    """`arm_convolve_wrapper_s4_get_buffer_size` (Source/ConvolutionFunctions/arm_convolve_get_buffer_sizes_s4.c):
    none for 1x1 without padding; else two int16 im2col columns (C/DSP, not aligned). MVE builds answer
    `arm_convolve_wrapper_s8_get_buffer_size_mve`, the s8 wrapper's MVE size."""
    if path == "mve":
        return conv_scratch(g, conv_function(g, False, path), path)
    if g.ph == 0 and g.pw == 0 and g.kh == 1 and g.kw == 1 and g.dh == 1 and g.dw == 1:
        return 0
    return 2 * g.kh * g.kw * g.c * 2


@irdl_op_definition
class ConvOp(FilterOp):
    """`arm_convolve_wrapper_s8`: NHWC input [N, H, W, C_IN], OHWI filter [C_OUT, KH, KW, C_IN], int32 bias [C_OUT].

    `kernel = "generic"` forces `arm_convolve_s8` (pixel-by-pixel im2col)
    where the wrapper would pick a faster variant, e.g. for 1x1 filters.
    """

    name = "cmsis.conv"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    INT4_FILTER: ClassVar[bool] = True
    kernel = opt_prop_def(StringAttr)

    def verify_(self) -> None:
        (n, h, w, c), (_, oh, ow, oc), fshape = self._verify_shapes("an OHWI")
        self._verify_filter((oc, fshape[1], fshape[2], c), oc)
        check_window(self, (h, w), (oh, ow), fshape[1:3])
        if self.is_s16() and n != 1:
            # arm_convolve_s16 (v7.0.0) starts every batch's output at output_data
            fail(self, "input", f"batch {n}: the int16 convolution (arm_convolve_s16) takes batch 1")
        if self.kernel is not None and self.kernel.data not in ("generic",):
            fail(self, "kernel", f"unknown kernel variant '{self.kernel.data}' (known: generic)")

    @property
    def generic(self) -> bool:
        return self.kernel is not None and self.kernel.data == "generic"

    def kernel_function(self, path: BuildPath) -> str:
        if self.is_s16():
            return "arm_convolve_s16"  # arm_convolve_wrapper_s16 always calls it
        if self.int4:
            return conv_s4_function(self.window, path)
        return conv_function(self.window, self.generic, path)

    def scratch_bytes(self, path: BuildPath) -> int:
        if self.is_s16():
            return conv_s16_scratch(self.window, path)
        if self.int4:
            return conv_s4_scratch(self.window, path)
        return conv_scratch(self.window, self.kernel_function(path), path)

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        if self.int4:
            return NoOverlap(S4_NOT_MODELLED)
        return conv_order(self.window, self.kernel_function(path), path)

    def emit_c(self, c: CEmitter) -> None:
        k = self._emit_common(c, "cmsis_nn_conv_params", "")
        if self.int4:  # arm_convolve_wrapper_s4 picks its kernel itself ("generic" has no s4 meaning)
            args = [f"&{k['ctx']}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}", c.ptr(self.input),
                    f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", k["bias"], f"&{k['output_dims']}",
                    c.ptr(self.output)]
            c.scratch_query(f"arm_convolve_wrapper_s4_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                            f"&{k['filter_dims']}, &{k['output_dims']})")
            c.call("arm_convolve_wrapper_s4", args)
            return
        if self.is_s16():
            bias = c.struct("bias_data", "cmsis_nn_bias_data", f"{{.data = {k['bias']}, .is_int32_bias = false}}")
            c.scratch_query(f"arm_convolve_wrapper_s16_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                            f"&{k['filter_dims']}, &{k['output_dims']})")
            c.call("arm_convolve_wrapper_s16",
                   [f"&{k['ctx']}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}", c.ptr(self.input),
                    f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", f"&{bias}", f"&{k['output_dims']}",
                    c.ptr(self.output)])
            return
        self._emit_conv_call(c, k, calls_conv_s8_directly(self.window, self.generic, c.path))

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """Per-channel requantized convolution (float64 BLAS products are exact: every partial sum is below 2^53)."""
        (x,) = inputs
        weights = to_numpy(self.filter)
        oc, kh, kw, ic = weights.shape
        patches = self._patches(x, (kh, kw))
        n, oh, ow = patches.shape[:3]
        columns = patches.reshape(n * oh * ow, kh * kw * ic)
        acc = np.rint(columns @ weights.reshape(oc, -1).astype(np.float64).T).astype(np.int64)
        acc = acc.reshape(n, oh, ow, oc) + bias_of(self, oc)
        return requantize_and_clamp(acc, self, np.array(ints(self.multiplier)), np.array(ints(self.shift)))


# =====================================================================================
# cmsis.depthwise_conv
# =====================================================================================


def _depthwise_blocks(g: Window, block: int, tail_single: bool) -> list[np.ndarray]:
    """Channel blocks of `block` channels; the remainder as one block or (tail_single) one channel each."""
    full = g.c // block * block
    blocks = [np.arange(s, s + block) for s in range(0, full, block)]
    rest = np.arange(full, g.c)
    if rest.size:
        blocks += [rest[i : i + 1] for i in range(rest.size)] if tail_single else [rest]
    return blocks


def per_pixel_blocks_order(g: Window, blocks: list[np.ndarray]) -> AccessOrder:
    """Pixel-major, then channel blocks: each (pixel, block) reads its window's channels, then writes them."""
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    taps = g.taps()
    for k, chans in enumerate(blocks):
        unit = np.arange(pixels) * len(blocks) + k
        t.read(2 * unit[:, None, None], g.in_bytes(taps, chans))
        t.write(2 * unit[:, None] + 1, g.out_bytes(np.arange(pixels), chans))
    return t.done()


def _depthwise_opt_mve_order(g: Window) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_s8_opt.c (MVE).

    Channel blocks of CH_IN_BLOCK_MVE outside the pixels; inside a block,
    im2col of four pixels, then those four pixels' block channels are written.
    """
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    taps = g.taps()
    group = g.pixel_groups(4)
    groups = int(group.max()) + 1
    for b, chans in enumerate(_depthwise_blocks(g, CH_IN_BLOCK_MVE, tail_single=False)):
        unit = b * groups + group
        t.read(2 * unit[:, None, None], g.in_bytes(taps, chans))
        t.write(2 * unit[:, None] + 1, g.out_bytes(np.arange(pixels), chans))
    return t.done()


def _depthwise_generic_order(g: Window) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_s8.c.

    Per output pixel, per input channel, per output of its ch_mult: the
    channel's window is read, then that one output is written. (With
    ch_mult % 4 == 0, one batch and no dilation, CMSIS-NN reads the window once
    per four outputs; this per-output order is stricter, so it covers both.)
    """
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    taps = g.taps()
    mult = g.oc // g.c
    for ch in range(g.c):
        for m in range(mult):
            unit = (np.arange(pixels) * g.c + ch) * mult + m
            t.read(2 * unit[:, None, None], g.in_bytes(taps, np.array([ch])))
            t.write(2 * unit[:, None] + 1, g.out_bytes(np.arange(pixels), np.array([ch * mult + m])))
    return t.done()


@irdl_op_definition
class DepthwiseConvOp(FilterOp):
    """`arm_depthwise_conv_wrapper_s8`: NHWC input [N, H, W, C], 1HWC filter [1, KH, KW, C * M], multiplier M."""

    name = "cmsis.depthwise_conv"
    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)
    INT4_FILTER: ClassVar[bool] = True

    def verify_(self) -> None:
        (n, h, w, c), (_, oh, ow, oc), fshape = self._verify_shapes("a 1HWC")
        if oc % c:
            fail(self, "result", f"{oc} output channels are not a multiple of the {c} input channels")
        self._verify_filter((1, fshape[1], fshape[2], oc), oc)
        check_window(self, (h, w), (oh, ow), fshape[1:3])
        if self.is_s16() and n != 1:
            fail(self, "input", f"batch {n}: arm_depthwise_conv_wrapper_s16 takes batch 1")
        if self.int4 and n != 1:
            fail(self, "input", f"batch {n}: arm_depthwise_conv_wrapper_s4 takes batch 1")
        path = _target_path(self)
        if self.int4 and not self.s4_exact(c, oc // c, path):
            where = f"{c} input channels (odd)" if c % 2 else f"multiplier 1 on the {path} path"
            fail(self, "filter", f"i4 weights with {where}: CMSIS-NN v7.0.0's s4 depthwise kernels differ from "
                                 "TFLite there; give i8 weights")

    @staticmethod
    def s4_exact(channels: int, multiplier: int, path: str | None) -> bool:
        """Whether CMSIS-NN v7.0.0's s4 depthwise kernels compute TFLite's result on build path `path` (None: the
        default core's, not MVE). Measured against tflite-micro, they do not on an odd number of input channels
        (`arm_depthwise_conv_s4`, multiplier 2 or 3 on 3 channels: most outputs differ on the C build), nor with
        multiplier 1 on MVE (`arm_depthwise_conv_s4_opt` on 5 and on 6 channels differs on Cortex-M55 under QEMU,
        where the int8 kernel on the same codes is exact). Even channel counts match on the C and DSP builds, and
        with a multiplier above 1 on MVE."""
        return channels % 2 == 0 and not (multiplier == 1 and path == "mve")

    def uses_fast_s16(self) -> bool:
        """`USE_FAST_DW_CONV_S16_FUNCTION` (Include/arm_nnsupportfunctions.h): multiplier 1, no dilation, a
        window of fewer than 512 taps; arm_depthwise_conv_fast_s16 then runs (on C it calls the generic one)."""
        g = self.window
        return g.oc == g.c and g.dh == 1 and g.dw == 1 and g.kh * g.kw < 512

    @property
    def channel_multiplier(self) -> int:
        return shape_of(self.output)[3] // shape_of(self.input)[3]

    def runs_as_conv(self, path: BuildPath) -> bool:
        """On MVE, one input channel and several outputs: the wrapper would transpose the filter into its
        buffer and run a convolution (arm_depthwise_conv_to_conv_s8); the generated code calls that
        convolution itself, with the filter transposed at compile time (no buffer for it)."""
        g = self.window
        return path == "mve" and g.c == 1 and g.oc > DW_TO_CONV_THRESHOLD and not self.is_s16() and not self.int4

    def filter_as_conv(self) -> np.ndarray:
        """The 1HWC filter [1, KH, KW, C_OUT] as the OHWI filter [C_OUT, KH, KW, 1] of the same convolution."""
        return np.ascontiguousarray(to_numpy(self.filter).transpose(3, 1, 2, 0))

    def kernel_function(self, path: BuildPath) -> str:
        """The wrapper's choice: 3x3 (not MVE), opt (multiplier 1), else generic.

        On MVE with one input channel, the convolution's choice instead.
        """
        g = self.window
        if self.is_s16():
            fast = self.uses_fast_s16() and path != "c"
            return "arm_depthwise_conv_fast_s16" if fast else "arm_depthwise_conv_s16"
        if self.int4:  # arm_depthwise_conv_wrapper_s4.c
            opt = g.oc == g.c and g.n == 1 and g.dh == 1 and g.dw == 1
            return "arm_depthwise_conv_s4_opt" if opt else "arm_depthwise_conv_s4"
        if self.runs_as_conv(path):
            return conv_function(g, False, path)
        if g.oc == g.c and g.n == 1 and g.dh == 1 and g.dw == 1:
            if path != "mve" and g.kh == 3 and g.kw == 3 and g.ph <= 1 and g.pw <= 1:
                return "arm_depthwise_conv_3x3_s8"
            return "arm_depthwise_conv_s8_opt"
        return "arm_depthwise_conv_s8"

    def scratch_bytes(self, path: BuildPath) -> int:
        """`arm_depthwise_conv_wrapper_s8_get_buffer_size`: the opt kernel's im2col (DSP and MVE); on MVE the
        converted convolution's scratch plus its transposed filter."""
        g = self.window
        function = self.kernel_function(path)
        if function == "arm_depthwise_conv_fast_s16":  # arm_depthwise_conv_get_buffer_sizes_s16.c
            return 4 * g.c * g.kh * g.kw * 2 + 8 if path == "mve" else g.c * g.kh * g.kw * 2
        if function == "arm_depthwise_conv_s16":
            return 0
        if function == "arm_depthwise_conv_s4_opt":
            # arm_depthwise_conv_wrapper_s4_get_buffer_size asks the s8 opt kernel's DSP size on C builds too
            return 4 * CH_IN_BLOCK_MVE * g.kh * g.kw if path == "mve" else g.c * g.kh * g.kw * 2
        if function == "arm_depthwise_conv_s4":
            return 0
        if self.runs_as_conv(path):  # the same window, one input channel; no buffer for the transposed filter
            return conv_scratch(g, function, path)
        if function != "arm_depthwise_conv_s8_opt":
            return 0
        if path == "mve":
            return 4 * CH_IN_BLOCK_MVE * g.kh * g.kw
        if path == "dsp":
            return g.c * g.kh * g.kw * 2
        return 0

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        g = self.window
        function = self.kernel_function(path)
        if self.int4:
            return NoOverlap(S4_NOT_MODELLED)
        if function == "arm_depthwise_conv_fast_s16" and path == "dsp":
            # Source/ConvolutionFunctions/arm_depthwise_conv_fast_s16.c (DSP): im2col of one output pixel's whole
            # window (every channel) into the scratch, then that pixel's channels, four at a time
            return per_pixel_blocks_order(g, [np.arange(g.c)])
        if function == "arm_depthwise_conv_fast_s16":
            # (MVE): im2col of four output pixels (every channel), then arm_nn_depthwise_conv_nt_t_s16 writes the
            # four; the left-over pixels after the last full group (batch 1: the verifier refuses more)
            return _conv_s8_order(g, "mve")
        if function == "arm_depthwise_conv_s16":
            # Source/ConvolutionFunctions/arm_depthwise_conv_s16.c: per output pixel, per input channel, per output
            # of its multiplier (four at a time when the multiplier allows): the s8 generic kernel's order
            return _depthwise_generic_order(g)
        if self.runs_as_conv(path):
            return conv_order(g, function, path)
        if function == "arm_depthwise_conv_3x3_s8":
            # Source/ConvolutionFunctions/arm_depthwise_conv_3x3_s8.c: per output pixel, four channels at a time,
            # then single ones
            return per_pixel_blocks_order(g, _depthwise_blocks(g, 4, tail_single=True))
        if function == "arm_depthwise_conv_s8_opt" and path == "dsp":
            # arm_depthwise_conv_s8_opt.c (DSP): im2col of a pixel's whole window, then all its channels
            return per_pixel_blocks_order(g, [np.arange(g.c)])
        if function == "arm_depthwise_conv_s8_opt" and path == "mve":
            return _depthwise_opt_mve_order(g)
        return _depthwise_generic_order(g)  # the C build of the opt kernel calls the generic one

    def emit_c(self, c: CEmitter) -> None:
        if self.is_s16() or self.int4:
            kind = "s16" if self.is_s16() else "s4"
            k = self._emit_common(c, "cmsis_nn_dw_conv_params", f".ch_mult = {self.channel_multiplier}, ")
            c.scratch_query(f"arm_depthwise_conv_wrapper_{kind}_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                            f"&{k['filter_dims']}, &{k['output_dims']})")
            c.call(f"arm_depthwise_conv_wrapper_{kind}",
                   [f"&{k['ctx']}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}", c.ptr(self.input),
                    f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", k["bias"], f"&{k['output_dims']}",
                    c.ptr(self.output)])
            return
        if self.runs_as_conv(c.path):
            k = self._emit_common(c, "cmsis_nn_conv_params", "", filter_ohwi=self.filter_as_conv())
            self._emit_conv_call(c, k, calls_conv_s8_directly(self.window, False, c.path))
            return
        k = self._emit_common(c, "cmsis_nn_dw_conv_params", f".ch_mult = {self.channel_multiplier}, ")
        c.scratch_query(f"arm_depthwise_conv_wrapper_s8_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                        f"&{k['filter_dims']}, &{k['output_dims']})")
        c.call("arm_depthwise_conv_wrapper_s8",
               [f"&{k['ctx']}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}", c.ptr(self.input),
                f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", k["bias"], f"&{k['output_dims']}",
                c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """Output channel c reads input channel c // multiplier."""
        (x,) = inputs
        weights = to_numpy(self.filter)[0]  # [KH, KW, C_out]
        kh, kw, oc = weights.shape
        patches = self._patches(x, (kh, kw))
        multiplier = oc // x.shape[3]
        if multiplier > 1:
            patches = patches[..., np.repeat(np.arange(x.shape[3]), multiplier)]
        acc = np.einsum("nhwijc,ijc->nhwc", patches, weights.astype(np.float64), optimize=True)
        acc = np.rint(acc).astype(np.int64) + bias_of(self, oc)
        return requantize_and_clamp(acc, self, np.array(ints(self.multiplier)), np.array(ints(self.shift)))


# =====================================================================================
# cmsis.transpose_conv
# =====================================================================================


def transpose_conv_row_elements(in_w: int, kernel_w: int, stride_w: int) -> int:
    """Pixels in one row of `arm_transpose_conv_s8`'s int32 row buffer: (W_IN - 1) * stride + max(KW, stride)."""
    return (in_w - 1) * stride_w + max(kernel_w, stride_w)


@irdl_op_definition
class TransposeConvOp(FilterOp):
    """`arm_transpose_conv_s8`: NHWC input [N, H, W, C_IN], OHWI filter [C_OUT, KH, KW, C_IN], int32 bias [C_OUT].

    Input pixel (y, x) adds (input + input_offset) * filter[o, ky, kx, :] to
    output pixel (y * stride + ky - padding[0], x * stride + kx - padding[1])
    (TFLite TRANSPOSE_CONV, `reference_integer_ops::TransposeConv`); the sums
    start at the bias and are requantized per output channel like a
    convolution's. `dilation` must be [1, 1] (the kernel has none).

    Source: CMSIS-NN v7.0.0 `Source/ConvolutionFunctions/arm_transpose_conv_s8.c`,
    `arm_transpose_conv_get_buffer_sizes_s8.c` and
    `Source/NNSupportFunctions/arm_nn_transpose_conv_row_s8_s32.c`. The call
    goes to `arm_transpose_conv_s8` itself, not to
    `arm_transpose_conv_wrapper_s8` (whose other branch, a convolution over a
    zero-upscaled input with a reversed filter it copies to a second buffer,
    is not used).
    """

    name = "cmsis.transpose_conv"

    def verify_(self) -> None:
        (n, h, w, c), (_, oh, ow, oc), fshape = self._verify_shapes("an OHWI")
        self._verify_filter((oc, fshape[1], fshape[2], c), oc)
        stride, pad, dilation = ints(self.stride), ints(self.padding), ints(self.dilation)
        check_len(self, "stride", stride, 2)
        check_len(self, "padding", pad, 2)
        if list(dilation) != [1, 1]:
            fail(self, "dilation", f"must be [1, 1] (arm_transpose_conv_s8 has no dilation), got {list(dilation)}")
        if any(s < 1 for s in stride):
            fail(self, "stride", f"values must be >= 1, got {list(stride)}")
        if any(p < 0 for p in pad):
            fail(self, "padding", f"values must be >= 0, got {list(pad)}")
        for axis, name, size, out in ((0, "height", h, oh), (1, "width", w, ow)):
            reach = transpose_conv_row_elements(size, fshape[1 + axis], stride[axis])
            if pad[axis] + out > reach:
                fail(self, "result", f"output {name} {out} after padding {pad[axis]} reaches past the "
                     f"{reach} positions the kernel accumulates ((in - 1) * stride + max(kernel, stride))")
            if pad[axis] >= fshape[1 + axis]:
                fail(self, "padding", f"{pad[axis]} on the {name} is not smaller than the window "
                     f"{fshape[1 + axis]}")
        if pad[0] % stride[0]:
            # arm_transpose_conv_s8 starts its rolling row buffer at the first input row's first unskipped
            # filter row, but the rows of the next input row at filter row 0: with a top padding that is not
            # a multiple of the stride the two disagree and the outputs are wrong (e.g. TFLite SAME, kernel 4,
            # stride 2: tests/test_transpose_conv.py runs it on the library).
            fail(self, "padding", f"top padding {pad[0]} is not a multiple of the stride {stride[0]} "
                 "(arm_transpose_conv_s8 misplaces such rows)")
        if pad[0] + oh < h * stride[0]:
            # every input row from the first unpadded one writes `stride` output rows, whatever the output height
            fail(self, "result", f"output height {oh} after padding {pad[0]} is less than input height {h} times "
                 f"the stride {stride[0]} (arm_transpose_conv_s8 would write {h * stride[0] - pad[0]} rows)")

    def kernel_function(self, path: BuildPath) -> str:
        return "arm_transpose_conv_s8"

    def scratch_bytes(self, path: BuildPath) -> int:
        """The int32 row buffer: max(KH, stride_h) rows of `transpose_conv_row_elements` pixels, C_OUT sums each.

        `arm_transpose_conv_s8_get_buffer_size` (v7.0.0) sizes the row with
        max(KW, stride_h) where the kernel uses max(KW, stride_w); the larger
        of the two is planned, so neither the query nor the kernel overruns it.
        """
        _, _, w, _ = shape_of(self.input)
        oc, kh, kw, _ = self.filter.get_shape()
        sh, sw = ints(self.stride)
        rows = max(kh, sh)
        used = transpose_conv_row_elements(w, kw, sw)
        asked = (w - 1) * sw + max(kw, sh)
        return rows * max(used, asked) * oc * 4

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return NoOverlap("not modelled: it reads an input row, then writes up to stride output rows ahead of it "
                         "from its row buffer")

    def emit_c(self, c: CEmitter) -> None:
        k = self._emit_common(c, "cmsis_nn_transpose_conv_params", ".padding_offsets = {.w = 0, .h = 0}, ")
        reverse = c.struct("reverse_ctx", "cmsis_nn_context", "{.buf = NULL, .size = 0}")
        c.scratch_query(f"arm_transpose_conv_s8_get_buffer_size(&{k['params']}, &{k['input_dims']}, "
                        f"&{k['filter_dims']}, &{k['output_dims']})")
        c.call("arm_transpose_conv_s8",
               [f"&{k['ctx']}", f"&{reverse}", f"&{k['params']}", f"&{k['quant']}", f"&{k['input_dims']}",
                c.ptr(self.input), f"&{k['filter_dims']}", k["weights"], f"&{k['bias_dims']}", k["bias"],
                f"&{k['output_dims']}", c.ptr(self.output)])

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """Scatter-add of every input pixel's products (int64, exact), cropped by the padding, requantized."""
        (x,) = inputs
        weights = to_numpy(self.filter).astype(np.int64)
        oc, kh, kw, _ = weights.shape
        n, h, w, _ = x.shape
        _, oh, ow, _ = shape_of(self.output)
        (sh, sw), (ph, pw) = ints(self.stride), ints(self.padding)
        shifted = x.astype(np.int64) + int_of(self.input_offset)
        contrib = np.einsum("nhwc,oijc->nhwijo", shifted, weights, optimize=True)
        rows = max(ph + oh, (h - 1) * sh + kh)
        cols = max(pw + ow, (w - 1) * sw + kw)
        acc = np.zeros((n, rows, cols, oc), np.int64)
        for i in range(kh):
            for j in range(kw):
                acc[:, i:i + (h - 1) * sh + 1:sh, j:j + (w - 1) * sw + 1:sw] += contrib[:, :, :, i, j]
        acc = acc[:, ph:ph + oh, pw:pw + ow] + bias_of(self, oc)
        return requantize_and_clamp(acc, self, np.array(ints(self.multiplier)), np.array(ints(self.shift)))
