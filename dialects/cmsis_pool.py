"""Pooling: `cmsis.max_pool` (`arm_max_pool_s8`) and `cmsis.avg_pool` (`arm_avgpool_s8`).

Sources (CMSIS-NN v7.0.0): `Source/PoolingFunctions/arm_max_pool_s8.c`,
`arm_avgpool_s8.c`, `arm_avgpool_get_buffer_sizes_s8.c`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, IntegerType, TensorType, i64
from xdsl.irdl import irdl_op_definition, operand_def, prop_def, result_def

from cmsis_opt.targets import BuildPath

from .cmsis_conv import check_window, per_pixel_blocks_order
from .kernel import (
    AccessOrder,
    CEmitter,
    CmsisOp,
    KernelOp,
    NoOverlap,
    Trace,
    Window,
    c_activation,
    c_tile,
    int_of,
    kernel_fact,
    storage_dtype,
)
from .utils import check_len, element_bytes, fail, ints, shape_of, window_patches

_I32 = IntegerAttr[IntegerType]
_I64_ARRAY = DenseArrayBase.constr(i64)


def _pixel_conservative_order(g: Window) -> AccessOrder:
    """Output pixels in raster order; each pixel's writes are taken to precede its window's reads.

    Source/PoolingFunctions/arm_max_pool_s8.c copies the first tap into the
    output (memcpy, in whatever order the C library copies) and compares the
    other taps into it, then clamps the whole output; the MVE builds of max and
    average pooling work on channel chunks of a pixel. Taking every write of a
    pixel first is a safe superset of all of these orders.
    """
    in_size, out_size, pixels = g.sizes
    t = Trace(in_size, out_size)
    p = np.arange(pixels)
    t.write(3 * p[:, None] + 1, g.out_bytes(p))
    t.read(3 * p[:, None, None] + 2, g.in_bytes(g.taps()))
    return t.done()


class PoolOp(CmsisOp, KernelOp):
    """A window op over NHWC [N, H, W, C] with the input's quantization and an activation range."""

    FUNCTION: ClassVar[str]

    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(_I64_ARRAY)
    stride = prop_def(_I64_ARRAY)
    padding = prop_def(_I64_ARRAY)
    act_min = prop_def(_I32)
    act_max = prop_def(_I32)

    def verify_(self) -> None:
        n, h, w, c = self.check_rank(self.input, "input", 4)
        on, oh, ow, oc = self.check_rank(self.output, "result", 4)
        if (on, oc) != (n, c):
            fail(self, "result", f"batch and channels {on}, {oc} differ from the input's {n}, {c}")
        kernel = ints(self.kernel)
        check_len(self, "kernel", kernel, 2)
        if any(k < 1 for k in kernel):
            fail(self, "kernel", f"values must be >= 1, got {list(kernel)}")
        check_window(self, (h, w), (oh, ow), kernel)
        self.check_same_quant(self.input, self.output)
        self.check_activation()

    @property
    def window(self) -> Window:
        """Shapes and window parameters (kept within a pass: `kernel_fact`)."""
        return kernel_fact(self, ("window",), self._window)

    def _window(self) -> Window:
        n, h, w, c = shape_of(self.input)
        _, oh, ow, _ = shape_of(self.output)
        (kh, kw), (sh, sw), (ph, pw) = ints(self.kernel), ints(self.stride), ints(self.padding)
        return Window(n, h, w, c, oh, ow, c, kh, kw, sh, sw, ph, pw, 1, 1, element_bytes(self.input),
                      element_bytes(self.output))

    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8, 16)

    def kernel_function(self, path: BuildPath) -> str:
        """`FUNCTION`, or its `_s16` twin on int16 tensors (the same loop nest on 2-byte elements)."""
        return self.FUNCTION.replace("_s8", "_s16") if self.is_s16() else self.FUNCTION

    def _patches(self, x: np.ndarray, fill: int) -> np.ndarray:
        out_hw = shape_of(self.output)[1:3]
        return window_patches(x, ints(self.kernel), ints(self.stride), ints(self.padding), (1, 1), out_hw, fill)

    def _clamp(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, int_of(self.act_min), int_of(self.act_max)).astype(storage_dtype(self.output))

    def emit_c(self, c: CEmitter) -> None:
        params = c.struct("params", "cmsis_nn_pool_params",
                          f"{{.stride = {c_tile(ints(self.stride))}, .padding = {c_tile(ints(self.padding))}, "
                          f".activation = {c_activation(self)}}}")
        kh, kw = ints(self.kernel)
        dims = {k: c.dims(f"{k}_dims", v) for k, v in
                (("input", shape_of(self.input)), ("filter", (1, kh, kw, 1)), ("output", shape_of(self.output)))}
        ctx = c.context()
        self._query_scratch(c)
        c.call(self.kernel_function(c.path), [f"&{ctx}", f"&{params}", f"&{dims['input']}", c.ptr(self.input),
                                              f"&{dims['filter']}", f"&{dims['output']}", c.ptr(self.output)])

    def _query_scratch(self, c: CEmitter) -> None:
        """The scratch the call needs, where the kernel needs any."""


@irdl_op_definition
class MaxPoolOp(PoolOp):
    """`arm_max_pool_s8`: NHWC; padded positions are skipped."""

    name = "cmsis.max_pool"
    FUNCTION: ClassVar[str] = "arm_max_pool_s8"
    OVERLAP_FORBIDDEN_BY_API: ClassVar[str | None] = "the header says the output must not overlap the input"

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        return _pixel_conservative_order(self.window)

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The largest valid input of each window; padding never wins."""
        (x,) = inputs
        patches = self._patches(x.astype(np.int64), int(np.iinfo(np.int64).min))
        return self._clamp(patches.max(axis=(3, 4)))


@irdl_op_definition
class AvgPoolOp(PoolOp):
    """`arm_avgpool_s8`: NHWC; the mean over the valid (unpadded) positions, rounded half away from zero."""

    name = "cmsis.avg_pool"
    FUNCTION: ClassVar[str] = "arm_avgpool_s8"

    def scratch_bytes(self, path: BuildPath) -> int:
        """`arm_avgpool_s8_get_buffer_size` (and `arm_avgpool_s16`'s): one int32 sum per channel on DSP only."""
        return 4 * shape_of(self.input)[3] if path == "dsp" else 0

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        g = self.window
        if path == "c":  # per output pixel, per channel: sum the window, write
            return per_pixel_blocks_order(g, [np.array([ch]) for ch in range(g.c)])
        if path == "dsp":  # per output pixel, the window summed into scratch, then written
            return per_pixel_blocks_order(g, [np.arange(g.c)])
        return _pixel_conservative_order(g)

    def _query_scratch(self, c: CEmitter) -> None:
        out = shape_of(self.output)
        c.scratch_query(f"{self.kernel_function(c.path)}_get_buffer_size({out[2]}, {out[3]})")

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """Sum of the valid inputs / their count, rounded half away from zero."""
        (x,) = inputs
        total = self._patches(x.astype(np.int64), 0).sum(axis=(3, 4))
        count = self._patches(np.ones(x.shape, np.int64), 0).sum(axis=(3, 4))
        half = count // 2
        mean = np.where(total > 0, (total + half) // count, -((half - total) // count))
        return self._clamp(mean)
