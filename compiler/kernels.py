"""Models of the CMSIS-NN kernels: which function runs, how much scratch it needs.

Follows CMSIS-NN as vendored by TensorFlow Lite Micro in 2024 (the API of
CMSIS-NN v6/v7, ARM-software/CMSIS-NN), per build path:

- "c":   pure C (cortex-m0),
- "dsp": ARM_MATH_DSP (cortex-m4, cortex-m7, cortex-m33),
- "mve": ARM_MATH_MVEI (cortex-m55).

Built with gcc: `arm_convolve_1x1_s8_fast` then needs no scratch (the armclang
build of the DSP path asks for 2 * C_IN int16 values).
"""

from __future__ import annotations

from xdsl.ir import Operation

from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.utils import ints, shape_of
from cmsis_opt.errors import CompileError

PATHS = {"cortex-m0": "c", "cortex-m4": "dsp", "cortex-m7": "dsp", "cortex-m33": "dsp", "cortex-m55": "mve"}
TARGETS = tuple(PATHS)
CH_IN_BLOCK_MVE = 124
"""Channels per block of `arm_depthwise_conv_s8_opt` on MVE (arm_nnsupportfunctions.h)."""

CONCAT_FUNCTIONS = {3: "arm_concatenation_s8_x", 2: "arm_concatenation_s8_y", 1: "arm_concatenation_s8_z", 0: "arm_concatenation_s8_w"}
"""NHWC axis -> CMSIS-NN concatenation (x is the innermost dimension)."""


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
