"""Models of the CMSIS-NN kernels: which function runs, how much scratch it needs.

Follows CMSIS-NN as vendored by TensorFlow Lite Micro in 2024 (the API of
CMSIS-NN v6/v7, ARM-software/CMSIS-NN), per build path:

- "c":   pure C (cortex-m0),
- "dsp": ARM_MATH_DSP (cortex-m4, cortex-m7, cortex-m33),
- "mve": ARM_MATH_MVEI (cortex-m55).

Built with gcc: `arm_convolve_1x1_s8_fast` then needs no scratch (the armclang
build of the DSP path asks for 2 * C_IN int16 values).

Three questions per op, each answered from the CMSIS-NN source named in the
function that answers it:

- `kernel_function(op, target)`: what the wrappers dispatch to;
- `scratch_bytes(op, target)`: the matching `*_get_buffer_size` result;
- `max_safe_delta(op, target)`: how far past its input's first byte the output
  may start (usually a negative number of bytes) so that every output byte is
  written only after the input byte at its address was read for the last time;
  None where no overlap is allowed. It comes from an access-order model
  (`access_order`: per input byte its last read, per output byte its first and
  last write, on a step counter over the kernel's loops) and is the stricter of
  the target's path and the portable C path, which the host runtime follows.
  Where a loop nest interleaves reads and writes too finely to be worth
  modelling exactly, the model takes the writes of a unit of work before its
  reads: a safe superset (strided 1x1 conv, pooling). Not modelled, so no
  overlap: the MVE `arm_convolve_1_x_n_s8`, `arm_pad_s8`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation

from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.utils import ints, num_elements, shape_of
from cmsis_opt.errors import CompileError

PATHS = {"cortex-m0": "c", "cortex-m4": "dsp", "cortex-m7": "dsp", "cortex-m33": "dsp", "cortex-m55": "mve"}
TARGETS = tuple(PATHS)
CH_IN_BLOCK_MVE = 124
"""Channels per block of `arm_depthwise_conv_s8_opt` on MVE (arm_nnsupportfunctions.h)."""

CONCAT_FUNCTIONS = {3: "arm_concatenation_s8_x", 2: "arm_concatenation_s8_y", 1: "arm_concatenation_s8_z", 0: "arm_concatenation_s8_w"}
"""NHWC axis -> CMSIS-NN concatenation (x is the innermost dimension)."""


def target_of_path(path: str) -> str:
    """A target compiled with the CMSIS-NN build `path`."""
    return next(target for target, p in PATHS.items() if p == path)


def kernel_path(target: str) -> str:
    """The CMSIS-NN build path ("c", "dsp" or "mve") compiled for `target`."""
    try:
        return PATHS[target]
    except KeyError:
        raise CompileError(f"unknown target '{target}' (known: {', '.join(TARGETS)})", "target") from None


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


# -- convolution: Source/ConvolutionFunctions/arm_convolve_wrapper_s8.c ----------------


def conv_geometry(op: cmsis.ConvOp | cmsis.DepthwiseConvOp) -> dict[str, int]:
    """Shapes and window parameters of a conv-like op, by name."""
    n, h, w, c = shape_of(op.input)
    _, oh, ow, oc = shape_of(op.output)
    _, kh, kw, _ = op.filter.get_shape()
    (sh, sw), (ph, pw), (dh, dw) = ints(op.stride), ints(op.padding), ints(op.dilation)
    return dict(n=n, h=h, w=w, c=c, oh=oh, ow=ow, oc=oc, kh=kh, kw=kw, sh=sh, sw=sw, ph=ph, pw=pw, dh=dh, dw=dw)


def conv_function(op: cmsis.ConvOp) -> str:
    """`arm_convolve_wrapper_s8`'s choice (the same on every path), or arm_convolve_s8 when forced."""
    if op.kernel is not None and op.kernel.data == "generic":
        return "arm_convolve_s8"
    g = conv_geometry(op)
    if g["ph"] == 0 and g["pw"] == 0 and g["kh"] == 1 and g["kw"] == 1 and g["dh"] == 1 and g["dw"] == 1:
        if g["sh"] == 1 and g["sw"] == 1:
            return "arm_convolve_1x1_s8_fast"
        return "arm_convolve_1x1_s8"
    if g["h"] == 1 and g["dw"] == 1 and g["kh"] == 1 and (g["sw"] * g["c"]) % 4 == 0:
        return "arm_convolve_1_x_n_s8"
    return "arm_convolve_s8"


def conv_s8_scratch(g: dict[str, int], path: str) -> int:
    """`arm_convolve_s8_get_buffer_size`: two int16 im2col columns (C/DSP), four int8 ones (MVE)."""
    cols = g["kh"] * g["kw"] * g["c"]
    if path == "mve":
        return 4 * _align(cols, 16)
    return 2 * _align(cols, 4) * 2


def conv_scratch(op: cmsis.ConvOp, path: str) -> int:
    """Arm_convolve_get_buffer_sizes_s8.c for the function the wrapper (or `kernel`) picks."""
    function = conv_function(op)
    if function in ("arm_convolve_1x1_s8_fast", "arm_convolve_1x1_s8"):
        return 0
    # arm_convolve_1_x_n_s8 sizes its scratch as arm_convolve_s8 does (kernel height 1).
    return conv_s8_scratch(conv_geometry(op), path)


# -- depthwise: Source/ConvolutionFunctions/arm_depthwise_conv_wrapper_s8.c --------------


def depthwise_function(op: cmsis.DepthwiseConvOp, path: str) -> str:
    """`arm_depthwise_conv_wrapper_s8`'s choice: 3x3 (not MVE), opt (multiplier 1), else generic."""
    g = conv_geometry(op)
    if g["oc"] == g["c"] and g["n"] == 1 and g["dh"] == 1 and g["dw"] == 1:
        if path != "mve" and g["kh"] == 3 and g["kw"] == 3 and g["ph"] <= 1 and g["pw"] <= 1:
            return "arm_depthwise_conv_3x3_s8"
        return "arm_depthwise_conv_s8_opt"
    return "arm_depthwise_conv_s8"


def depthwise_scratch(op: cmsis.DepthwiseConvOp, path: str) -> int:
    """Arm_depthwise_conv_get_buffer_sizes_s8.c: only the opt kernel needs scratch (DSP and MVE)."""
    if depthwise_function(op, path) != "arm_depthwise_conv_s8_opt":
        return 0
    g = conv_geometry(op)
    if path == "mve":
        return 4 * CH_IN_BLOCK_MVE * g["kh"] * g["kw"]
    if path == "dsp":
        return g["c"] * g["kh"] * g["kw"] * 2
    return 0


# -- the rest -------------------------------------------------------------------------


def kernel_function(op: Operation, target: str) -> str:
    """The CMSIS-NN function that runs `op` on `target` (after the wrappers' dispatch)."""
    path = kernel_path(target)
    if isinstance(op, cmsis.ConvOp):
        return conv_function(op)
    if isinstance(op, cmsis.DepthwiseConvOp):
        return depthwise_function(op, path)
    if isinstance(op, cmsis.ConcatOp):
        return CONCAT_FUNCTIONS[op.axis.value.data]
    simple = {
        cmsis.FullyConnectedOp: "arm_fully_connected_s8",
        cmsis.MaxPoolOp: "arm_max_pool_s8",
        cmsis.AvgPoolOp: "arm_avgpool_s8",
        cmsis.SoftmaxOp: "arm_softmax_s8",
        cmsis.AddOp: "arm_elementwise_add_s8",
        cmsis.MulOp: "arm_elementwise_mul_s8",
        cmsis.PadOp: "arm_pad_s8",
    }
    for kind, name in simple.items():
        if isinstance(op, kind):
            return name
    raise CompileError(f"'{op.name}' calls no CMSIS-NN kernel", "kernels")


def scratch_bytes(op: Operation, target: str) -> int:
    """The `*_get_buffer_size` result for `op`'s kernel function on `target` (0 where none)."""
    path = kernel_path(target)
    if isinstance(op, cmsis.ConvOp):
        return conv_scratch(op, path)
    if isinstance(op, cmsis.DepthwiseConvOp):
        return depthwise_scratch(op, path)
    if isinstance(op, cmsis.FullyConnectedOp):
        # arm_fully_connected_get_buffer_sizes_s8.c: kernel sums on MVE, one int32 per output.
        return 4 * shape_of(op.output)[-1] if path == "mve" else 0
    if isinstance(op, cmsis.AvgPoolOp):
        # arm_avgpool_s8_get_buffer_size: one int32 sum per channel on DSP only.
        return 4 * shape_of(op.input)[3] if path == "dsp" else 0
    kernel_function(op, target)  # rejects ops without a kernel
    return 0


# =====================================================================================
# Access order: when each input byte is read for the last time, when each output byte
# is written. Time is a step counter over the kernel's loop nest; within one "unit" of
# work (e.g. a pair of output pixels) the model says whether reads precede writes.
# =====================================================================================

NEVER = -1
"""`last_read` of an input byte that the kernel never reads."""


@dataclass
class AccessOrder:
    """Per input byte: time of its last read; per output byte: time of its first and last write."""

    last_read: np.ndarray
    first_write: np.ndarray
    last_write: np.ndarray


class _Trace:
    """Collects reads and writes given as broadcastable (time, byte index) arrays."""

    def __init__(self, in_size: int, out_size: int):
        self.last_read = np.full(in_size, NEVER, dtype=np.int64)
        self.first_write = np.full(out_size, np.iinfo(np.int64).max, dtype=np.int64)
        self.last_write = np.full(out_size, NEVER, dtype=np.int64)

    def read(self, time: np.ndarray, byte: np.ndarray) -> None:
        time, byte = (a.ravel() for a in np.broadcast_arrays(time, byte))
        keep = byte >= 0
        np.maximum.at(self.last_read, byte[keep], time[keep])

    def write(self, time: np.ndarray, byte: np.ndarray) -> None:
        time, byte = (a.ravel() for a in np.broadcast_arrays(time, byte))
        np.minimum.at(self.first_write, byte, time)
        np.maximum.at(self.last_write, byte, time)

    def done(self) -> AccessOrder:
        if (self.last_write == NEVER).any():
            raise AssertionError("kernel model leaves output bytes unwritten")
        return AccessOrder(self.last_read, self.first_write, self.last_write)


def _windows(g: dict[str, int]) -> np.ndarray:
    """Input pixel index (within the whole tensor) under each window tap of each output pixel, -1 if padding.

    Shape (N*OH*OW, KH*KW); output pixels in raster order (batch, row, column).
    """
    oy, ox = np.divmod(np.arange(g["oh"] * g["ow"]), g["ow"])
    ky, kx = np.divmod(np.arange(g["kh"] * g["kw"]), g["kw"])
    iy = oy[:, None] * g["sh"] - g["ph"] + ky[None, :] * g["dh"]
    ix = ox[:, None] * g["sw"] - g["pw"] + kx[None, :] * g["dw"]
    valid = (iy >= 0) & (iy < g["h"]) & (ix >= 0) & (ix < g["w"])
    one = np.where(valid, iy * g["w"] + ix, -1)
    batches = [np.where(one >= 0, one + b * g["h"] * g["w"], -1) for b in range(g["n"])]
    return np.concatenate(batches)


def _pixel_bytes(pixels: np.ndarray, channels: int, select: np.ndarray | None = None) -> np.ndarray:
    """Byte indices of `pixels` (any shape) times the channel indices `select` (default all): shape + (len,)."""
    chans = np.arange(channels) if select is None else select
    return np.where(pixels[..., None] >= 0, pixels[..., None] * channels + chans, -1)


def _sizes(g: dict[str, int]) -> tuple[int, int, int]:
    pixels = g["n"] * g["oh"] * g["ow"]
    return g["n"] * g["h"] * g["w"] * g["c"], pixels * g["oc"], pixels


def _pixel_groups(g: dict[str, int], size: int) -> np.ndarray:
    """Group number of each output pixel when a kernel takes `size` pixels at a time, restarting per batch."""
    per_batch = g["oh"] * g["ow"]
    groups = -(-per_batch // size)
    p = np.arange(g["n"] * per_batch)
    return (p // per_batch) * groups + (p % per_batch) // size


def _conv_s8(g: dict[str, int], path: str) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_convolve_s8.c.

    Output pixels in raster order, two at a time on C/DSP (im2col of both
    columns, then arm_nn_mat_mult_kernel_s8_s16 writes both pixels, every
    channel), four at a time on MVE (arm_nn_mat_mult_nt_t_s8 on four rows); an
    odd tail forms its own group. Reads of a group come before its writes.
    """
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    group = _pixel_groups(g, 4 if path == "mve" else 2)
    win = _windows(g)
    t.read(2 * group[:, None, None], _pixel_bytes(win, g["c"]))
    t.write(2 * group[:, None] + 1, _pixel_bytes(np.arange(pixels), g["oc"]))
    return t.done()


def _conv_1x1_strided(g: dict[str, int], path: str) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_convolve_1x1_s8.c: one arm_nn_mat_mult_nt_t_s8 call per output row.

    Within a call the C/DSP matrix product loops over output channel pairs
    outside the pixels, so writes and re-reads interleave; the model takes every
    write of row r before every read of that call (a safe superset).
    """
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    row = np.arange(pixels) // g["ow"]  # global output row (batch-major)
    win = _windows(g)[:, 0]  # 1x1, no padding: the one input pixel
    t.write(3 * row[:, None] + 1, _pixel_bytes(np.arange(pixels), g["oc"]))
    t.read(3 * row[:, None] + 2, _pixel_bytes(win, g["c"]))
    return t.done()


def _depthwise_blocks(g: dict[str, int], block: int, tail_single: bool) -> list[np.ndarray]:
    """Channel blocks of `block` channels; the remainder as one block or (tail_single) one channel each."""
    full = g["c"] // block * block
    blocks = [np.arange(s, s + block) for s in range(0, full, block)]
    rest = np.arange(full, g["c"])
    if rest.size:
        blocks += [rest[i : i + 1] for i in range(rest.size)] if tail_single else [rest]
    return blocks


def _depthwise_per_pixel_blocks(g: dict[str, int], blocks: list[np.ndarray]) -> AccessOrder:
    """Pixel-major, then channel blocks: each (pixel, block) reads its window's channels, then writes them."""
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    win = _windows(g)
    for k, chans in enumerate(blocks):
        unit = np.arange(pixels) * len(blocks) + k
        t.read(2 * unit[:, None, None], _pixel_bytes(win, g["c"], chans))
        t.write(2 * unit[:, None] + 1, _pixel_bytes(np.arange(pixels), g["oc"], chans))
    return t.done()


def _depthwise_3x3(g: dict[str, int]) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_3x3_s8.c: per output pixel, four channels at a time, then single channels."""
    return _depthwise_per_pixel_blocks(g, _depthwise_blocks(g, 4, tail_single=True))


def _depthwise_opt_dsp(g: dict[str, int]) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_s8_opt.c (DSP): im2col of a pixel's whole window, then all its channels."""
    return _depthwise_per_pixel_blocks(g, [np.arange(g["c"])])


def _depthwise_opt_mve(g: dict[str, int]) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_s8_opt.c (MVE).

    Channel blocks of CH_IN_BLOCK_MVE outside the pixels; inside a block,
    im2col of four pixels, then those four pixels' block channels are written.
    """
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    win = _windows(g)
    group = _pixel_groups(g, 4)
    groups = int(group.max()) + 1
    for b, chans in enumerate(_depthwise_blocks(g, CH_IN_BLOCK_MVE, tail_single=False)):
        unit = b * groups + group
        t.read(2 * unit[:, None, None], _pixel_bytes(win, g["c"], chans))
        t.write(2 * unit[:, None] + 1, _pixel_bytes(np.arange(pixels), g["oc"], chans))
    return t.done()


def _depthwise_generic(g: dict[str, int]) -> AccessOrder:
    """Source/ConvolutionFunctions/arm_depthwise_conv_s8.c.

    Per output pixel, per input channel, per output of its ch_mult: the
    channel's window is read, then that one output is written. (With
    ch_mult % 4 == 0, one batch and no dilation, CMSIS-NN reads the window once
    per four outputs; this per-output order is stricter, so it covers both.)
    """
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    win = _windows(g)
    mult = g["oc"] // g["c"]
    for ch in range(g["c"]):
        for m in range(mult):
            unit = (np.arange(pixels) * g["c"] + ch) * mult + m
            t.read(2 * unit[:, None, None], _pixel_bytes(win, g["c"], np.array([ch])))
            t.write(2 * unit[:, None] + 1, _pixel_bytes(np.arange(pixels), g["oc"], np.array([ch * mult + m])))
    return t.done()


def pool_geometry(op: cmsis.MaxPoolOp | cmsis.AvgPoolOp) -> dict[str, int]:
    n, h, w, c = shape_of(op.input)
    _, oh, ow, _ = shape_of(op.output)
    (kh, kw), (sh, sw), (ph, pw) = ints(op.kernel), ints(op.stride), ints(op.padding)
    return dict(n=n, h=h, w=w, c=c, oh=oh, ow=ow, oc=c, kh=kh, kw=kw, sh=sh, sw=sw, ph=ph, pw=pw, dh=1, dw=1)


def _pool_pixel_conservative(g: dict[str, int]) -> AccessOrder:
    """Output pixels in raster order; each pixel's writes are taken to precede its window's reads.

    Source/PoolingFunctions/arm_max_pool_s8.c copies the first tap into the
    output (memcpy, in whatever order the C library copies) and compares the
    other taps into it, then clamps the whole output; the MVE builds of max and
    average pooling work on channel chunks of a pixel. Taking every write of a
    pixel first is a safe superset of all of these orders.
    """
    in_size, out_size, pixels = _sizes(g)
    t = _Trace(in_size, out_size)
    p = np.arange(pixels)
    t.write(3 * p[:, None] + 1, _pixel_bytes(p, g["c"]))
    t.read(3 * p[:, None, None] + 2, _pixel_bytes(_windows(g), g["c"]))
    return t.done()


def _avgpool_c(g: dict[str, int]) -> AccessOrder:
    """Source/PoolingFunctions/arm_avgpool_s8.c (C): per output pixel, per channel: sum the window, write."""
    return _depthwise_per_pixel_blocks(g, [np.array([c]) for c in range(g["c"])])


def _avgpool_dsp(g: dict[str, int]) -> AccessOrder:
    """Source/PoolingFunctions/arm_avgpool_s8.c (DSP): per output pixel, the window summed into scratch, then written."""
    return _depthwise_per_pixel_blocks(g, [np.arange(g["c"])])


def _elementwise(size: int) -> AccessOrder:
    """Element i is read (every input) before element i is written, in increasing order.

    Source/BasicMathFunctions/arm_elementwise_add_s8.c / _mul_s8.c (1, 4 or
    16 elements at a time, reads first) and SoftmaxFunctions/arm_softmax_s8.c
    (per row: two passes reading the row, then a pass reading element i and
    writing output i): the last read of byte i precedes the write of byte i
    and follows every write of bytes before it.
    """
    t = _Trace(size, size)
    i = np.arange(size)
    t.read(2 * i, i)
    t.write(2 * i + 1, i)
    return t.done()


NO_OVERLAP = {
    "arm_convolve_1x1_s8_fast": "re-reads the whole input for every pair of output channels (gcc build, C/DSP)",
    "arm_fully_connected_s8": "re-reads the whole input for every output row",
    "arm_pad_s8": "not modelled",
    "arm_concatenation_s8_x": "the output must not overlap the input (documented)",
    "arm_concatenation_s8_y": "the output must not overlap the input (documented)",
    "arm_concatenation_s8_z": "the output must not overlap the input (documented)",
    "arm_concatenation_s8_w": "the output must not overlap the input (documented)",
}
"""Kernels whose output may never share bytes with their input, and why."""

UNDOCUMENTED = {"arm_max_pool_s8": "the header says the output must not overlap the input"}
"""Kernels where the read/write order allows overlap but the API forbids it."""


def access_order(op: Operation, path: str, operand: int = 0) -> AccessOrder | None:
    """The access order of `op`'s kernel on `path` relative to input `operand`, or None where not modelled."""
    function = kernel_function(op, target_of_path(path))
    if function in NO_OVERLAP:
        return None
    if isinstance(op, cmsis.ConvOp):
        g = conv_geometry(op)
        if function == "arm_convolve_1x1_s8":
            return _conv_1x1_strided(g, path)
        if function == "arm_convolve_1_x_n_s8" and path == "mve":
            return None  # its own MVE kernel: not modelled
        return _conv_s8(g, path)  # 1xN on C/DSP is arm_convolve_s8
    if isinstance(op, cmsis.DepthwiseConvOp):
        g = conv_geometry(op)
        if function == "arm_depthwise_conv_3x3_s8":
            return _depthwise_3x3(g)
        if function == "arm_depthwise_conv_s8_opt" and path == "dsp":
            return _depthwise_opt_dsp(g)
        if function == "arm_depthwise_conv_s8_opt" and path == "mve":
            return _depthwise_opt_mve(g)
        return _depthwise_generic(g)  # the C build of the opt kernel calls the generic one
    if isinstance(op, cmsis.MaxPoolOp):
        g = pool_geometry(op)
        return _pool_pixel_conservative(g)
    if isinstance(op, cmsis.AvgPoolOp):
        g = pool_geometry(op)
        return {"c": _avgpool_c, "dsp": _avgpool_dsp, "mve": _pool_pixel_conservative}[path](g)
    if isinstance(op, (cmsis.AddOp, cmsis.MulOp, cmsis.SoftmaxOp)):
        return _elementwise(num_elements(shape_of(op.output)))
    return None


def safe_delta(order: AccessOrder) -> int | None:
    """The largest d such that the output at input offset + d' is safe for every d' <= d; None if no overlap is.

    Placing output byte j on input byte j + d is unsafe when that input byte is
    last read no earlier than output byte j is first written. For each j the
    first such input byte is found on the running maximum of `last_read`.
    """
    in_size, out_size = order.last_read.size, order.first_write.size
    running = np.maximum.accumulate(order.last_read)
    first_unsafe = np.searchsorted(running, order.first_write, side="left")
    hit = first_unsafe < in_size
    if not hit.any():
        return in_size - 1
    smallest_unsafe = int((first_unsafe[hit] - np.nonzero(hit)[0]).min())
    best = smallest_unsafe - 1
    return None if best <= -out_size else best


def path_delta(op: Operation, path: str, operand: int = 0, allow_undocumented: bool = False) -> int | None:
    """max safe delta of `op` on one build path."""
    function = kernel_function(op, target_of_path(path))
    if function in UNDOCUMENTED and not allow_undocumented:
        return None
    order = access_order(op, path, operand)
    return None if order is None else safe_delta(order)


def max_safe_delta(op: Operation, target: str, allow_undocumented: bool = False, operand: int = 0) -> int | None:
    """How far past its input's start `op`'s output may begin (bytes, usually negative), or None: no overlap.

    The minimum over the target's path and the portable C path, which the host
    runtime follows.
    """
    paths = {kernel_path(target), "c"}
    deltas = [path_delta(op, path, operand, allow_undocumented) for path in sorted(paths)]
    if any(d is None for d in deltas):
        return None
    return min(deltas)  # type: ignore[type-var]
