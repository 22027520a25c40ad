"""Each `cmsis` op of the reference interpreter on tiny examples computed by hand.

Multipliers are Q31 mantissas: 2^30 is 0.5, so (2^30, shift 1) multiplies by 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from cmsis_opt.errors import CompileError
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir

HALF = 1 << 30
I8 = np.int8
NO_ACT = "act_min = -128 : i32, act_max = 127 : i32"


# -- building one-op functions as text ---------------------------------------

def qtype(shape: Sequence[int], scale: float = 1.0, zp: int = 0) -> str:
    """An int8 per-tensor quantized tensor type."""
    dims = "".join(f"{d}x" for d in shape)
    return f"tensor<{dims}!quant.uniform<i8:f32, {float(scale)!r}:{zp}>>"


def dense(array, element: str) -> str:
    """A `dense<...> : tensor<...>` literal."""
    array = np.asarray(array)
    dims = "".join(f"{d}x" for d in array.shape)
    return f"dense<{array.tolist()}> : tensor<{dims}{element}>"


def one_op_function(op: str, props: str, operand_types: Sequence[str], result_type: str) -> str:
    """`func.func @f(%a0, ...) { %r = op %a0, ... {props}; func.return %r }` as text."""
    args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(operand_types))
    operands = ", ".join(f"%a{i}" for i in range(len(operand_types)))
    attrs = f" {{{props}}}" if props else ""
    return (
        f"func.func @f({args}) -> {result_type} {{\n"
        f"  %r = {op} {operands}{attrs} : ({', '.join(operand_types)}) -> {result_type}\n"
        f"  func.return %r : {result_type}\n"
        "}\n"
    )


def run_one_op(op: str, props: str, operands: Sequence[tuple[np.ndarray, str]], result_type: str) -> np.ndarray:
    """Run one op on (array, type) operands and return its result."""
    text = one_op_function(op, props, [t for _, t in operands], result_type)
    (result,) = run_function(parse_ir(text).module, [a for a, _ in operands])
    return result


def nhwc(rows) -> np.ndarray:
    """A 1xHxWx1 int8 tensor from a 2-D list."""
    return np.array(rows, I8)[None, :, :, None]


# -- convolution ---------------------------------------------------------------

def test_conv_per_channel_requantization_and_rounding():
    x = nhwc([[-1, 0, 1], [2, 3, 4], [5, 6, 7]])  # zero point -1: real values 0..8
    filters = np.array([[[1, 2], [3, 4]], [[-1, 0], [0, 1]]], I8)[..., None]  # OHWI 2x2x2x1
    props = (f"filter = {dense(filters, 'i8')}, bias = {dense([10, -5], 'i32')}, "
             f"multiplier = array<i32: {HALF}, {HALF}>, shift = array<i32: 1, 0>, "
             f"input_offset = 1 : i32, output_offset = 3 : i32, {NO_ACT}, "
             "stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>")
    out = run_one_op("cmsis.conv", props, [(x, qtype([1, 3, 3, 1], 0.5, -1))], qtype([1, 2, 2, 2], 0.25, 3))
    # channel 0: window sums 27, 37, 57, 67 plus bias 10, times 1, plus 3
    assert out[0, :, :, 0].tolist() == [[40, 50], [70, 80]]
    # channel 1: x[i+1][j+1] - x[i][j] = 4, minus 5 = -1, times 0.5 = -0.5 rounds up to 0, plus 3
    assert out[0, :, :, 1].tolist() == [[3, 3], [3, 3]]
    assert out.dtype == np.int8


def test_conv_padding_contributes_nothing():
    """Padded positions act as the zero point: a 3x3 ones filter counts the valid inputs."""
    x = np.full((1, 3, 3, 1), -127, I8)  # zero point -128: every input is real 1
    props = (f"filter = {dense(np.ones((1, 3, 3, 1), I8), 'i8')}, "
             f"multiplier = array<i32: {HALF}>, shift = array<i32: 1>, "
             f"input_offset = 128 : i32, output_offset = -128 : i32, {NO_ACT}, "
             "stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>")
    out = run_one_op("cmsis.conv", props, [(x, qtype([1, 3, 3, 1], 1.0, -128))], qtype([1, 3, 3, 1], 1.0, -128))
    assert (out[0, :, :, 0].astype(int) + 128).tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]


def test_conv_stride_and_activation_range():
    x = nhwc([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]])
    props = (f"filter = {dense(np.ones((1, 1, 1, 1), I8) * 20, 'i8')}, "
             f"multiplier = array<i32: {HALF}>, shift = array<i32: 1>, "
             "input_offset = 0 : i32, output_offset = 0 : i32, act_min = 0 : i32, act_max = 100 : i32, "
             "stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>")
    out = run_one_op("cmsis.conv", props, [(x, qtype([1, 3, 5, 1]))], qtype([1, 2, 3, 1]))
    # x * 20 on rows 0, 2 and columns 0, 2, 4, clamped to [0, 100]
    assert out[0, :, :, 0].tolist() == [[20, 60, 100], [100, 100, 100]]


def test_depthwise_channel_multiplier_and_dilation():
    x = np.zeros((1, 3, 3, 2), I8)
    x[0, :, :, 0] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    x[0, :, :, 1] = 10
    # 1HWC filter, 2x2 with dilation 2 reads the four corners; output channels 0,1 read input 0, 2,3 read input 1
    w = np.zeros((1, 2, 2, 4), I8)
    w[0, :, :, 0] = 1  # sum of corners of input 0: 1 + 3 + 7 + 9 = 20
    w[0, :, :, 1] = [[1, 0], [0, -1]]  # 1 - 9 = -8
    w[0, :, :, 2] = 2  # 4 corners of 10, times 2 = 80
    w[0, :, :, 3] = [[0, 0], [0, 1]]  # 10
    props = (f"filter = {dense(w, 'i8')}, bias = {dense([0, 0, 1, -1], 'i32')}, "
             f"multiplier = array<i32: {HALF}, {HALF}, {HALF}, {HALF}>, shift = array<i32: 1, 1, 0, 1>, "
             f"input_offset = 0 : i32, output_offset = 0 : i32, {NO_ACT}, "
             "stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 2, 2>")
    out = run_one_op("cmsis.depthwise_conv", props, [(x, qtype([1, 3, 3, 2]))], qtype([1, 1, 1, 4]))
    assert out.ravel().tolist() == [20, -8, 41, 9]  # channel 2: (80 + 1) * 0.5 = 40.5 -> 41


def test_depthwise_padding_at_the_top_left_and_implied_bottom_right():
    x = np.full((1, 2, 2, 1), 3, I8)  # zero point 1: real 2
    props = (f"filter = {dense(np.ones((1, 3, 3, 1), I8), 'i8')}, "
             f"multiplier = array<i32: {HALF}>, shift = array<i32: 1>, "
             f"input_offset = -1 : i32, output_offset = 1 : i32, {NO_ACT}, "
             "stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>")
    out = run_one_op("cmsis.depthwise_conv", props, [(x, qtype([1, 2, 2, 1], 1.0, 1))], qtype([1, 2, 2, 1], 1.0, 1))
    assert out.ravel().tolist() == [9, 9, 9, 9]  # every window sees all 4 inputs: 4 * 2 + 1


# -- fully connected -----------------------------------------------------------

def test_fully_connected():
    x = np.array([[1, 2, 3]], I8)
    w = np.array([[1, 1, 1], [1, -2, 3], [-1, -1, -1]], I8)
    props = (f"filter = {dense(w, 'i8')}, bias = {dense([0, 1, -200], 'i32')}, "
             f"multiplier = {HALF} : i32, shift = 0 : i32, input_offset = -1 : i32, output_offset = -10 : i32, {NO_ACT}")
    out = run_one_op("cmsis.fully_connected", props, [(x, qtype([1, 3], 1.0, 1))], qtype([1, 3], 1.0, -10))
    # x - 1 = [0, 1, 2]; sums 3, 4 + 1, -3 - 200; times 0.5 -> 1.5 -> 2, 2.5 -> 3, -101.5 -> -101 (ties up), then - 10
    assert out.tolist() == [[-8, -7, -111]]


def test_fully_connected_saturates_to_the_activation_range():
    x = np.array([[100, -100]], I8)
    w = np.array([[127, 0], [0, 127]], I8)
    props = (f"filter = {dense(w, 'i8')}, multiplier = {HALF} : i32, shift = 1 : i32, "
             "input_offset = 0 : i32, output_offset = 0 : i32, act_min = -50 : i32, act_max = 60 : i32")
    out = run_one_op("cmsis.fully_connected", props, [(x, qtype([1, 2]))], qtype([1, 2]))
    assert out.tolist() == [[60, -50]]


# -- pooling -------------------------------------------------------------------

def _pool(op: str, x: np.ndarray, out_hw, kernel, stride, padding, act=NO_ACT) -> np.ndarray:
    props = (f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, stride = array<i64: {stride[0]}, {stride[1]}>, "
             f"padding = array<i64: {padding[0]}, {padding[1]}>, {act}")
    n, h, w, c = x.shape
    return run_one_op(op, props, [(x, qtype([n, h, w, c]))], qtype([n, *out_hw, c]))


def test_max_pool_skips_padding():
    x = nhwc([[-5, -6, -7], [-8, -9, -10], [-11, -12, -13]])  # all negative: a zero pad would win
    out = _pool("cmsis.max_pool", x, (2, 2), (2, 2), (2, 2), (1, 1))
    assert out[0, :, :, 0].tolist() == [[-5, -6], [-8, -9]]


def test_max_pool_clamps_to_the_activation_range():
    x = nhwc([[1, 50], [-70, 3]])
    out = _pool("cmsis.max_pool", x, (1, 1), (2, 2), (1, 1), (0, 0), "act_min = -128 : i32, act_max = 20 : i32")
    assert out.ravel().tolist() == [20]


def test_avg_pool_divides_by_valid_count_and_rounds_half_away_from_zero():
    x = nhwc([[1, 2], [-1, -2]])
    # 1x2 windows, stride 1, left padding 1: [pad, 1], [1, 2], [pad, -1], [-1, -2]
    out = _pool("cmsis.avg_pool", x, (2, 2), (1, 2), (1, 1), (0, 1))
    assert out[0, :, :, 0].tolist() == [[1, 2], [-1, -2]]  # 1/1, 3/2 = 1.5 -> 2, -1/1, -3/2 = -1.5 -> -2


def test_avg_pool_rounding_of_thirds():
    x = nhwc([[1, 0, 0, -1, 0, 0, 2, 2, 1]])
    out = _pool("cmsis.avg_pool", x, (1, 3), (1, 3), (1, 3), (0, 0))
    assert out.ravel().tolist() == [0, 0, 2]  # 1/3 -> 0, -1/3 -> 0, 5/3 -> 2


# -- softmax -------------------------------------------------------------------

def _softmax(x: np.ndarray, multiplier: int, left_shift: int, diff_min: int) -> np.ndarray:
    props = f"input_multiplier = {multiplier} : i32, input_left_shift = {left_shift} : i32, diff_min = {diff_min} : i32"
    return run_one_op("cmsis.softmax", props, [(x, qtype(x.shape, 0.1, 0))], qtype(x.shape, 1 / 256, -128))


def test_softmax_of_equal_inputs_is_uniform():
    x = np.array([[5, 5, 5, 5], [-3, -3, -3, -3]], I8)
    out = _softmax(x, 1 << 30, 24, -248)
    assert out.tolist() == [[-64] * 4, [-64] * 4]  # 1/4 = 64/256, minus 128


def test_softmax_inputs_below_diff_min_get_probability_zero():
    x = np.array([[127, -128, 120]], I8)
    out = _softmax(x, 1 << 30, 24, -100)
    # differences 0, -255, -7; -255 < diff_min is dropped; -7 * 2^24 * 0.5 in Q5.26 is -0.875:
    # probabilities 1 / (1 + e^-0.875) = 0.7058 and 0.2942, i.e. 180.7 and 75.3 of 256 (far from a tie)
    assert out.tolist() == [[181 - 128, -128, 75 - 128]]


def test_softmax_dominant_input_clamps_to_127():
    x = np.array([[127, -128]], I8)
    out = _softmax(x, 1 << 30, 24, -100)
    assert out.tolist() == [[127, -128]]  # probability 1 would be 256 - 128 = 128: clamped


# -- element-wise ----------------------------------------------------------------

def _add_props(act=NO_ACT) -> str:
    # inputs scale 0.5, output scale 1: twice_max = 1, input multipliers 0.5, output multiplier 2^-20
    return (f"input1_offset = 0 : i32, input1_multiplier = {HALF} : i32, input1_shift = 0 : i32, "
            f"input2_offset = 0 : i32, input2_multiplier = {HALF} : i32, input2_shift = 0 : i32, "
            f"left_shift = 20 : i32, output_offset = 0 : i32, output_multiplier = {HALF} : i32, "
            f"output_shift = -19 : i32, {act}")


def test_add_rescales_both_inputs_and_rounds_half_away_from_zero():
    a = np.array([[3, -3, 100, 0]], I8)
    b = np.array([[4, -4, 100, 1]], I8)
    t = qtype([1, 4], 0.5, 0)
    out = run_one_op("cmsis.add", _add_props(), [(a, t), (b, t)], qtype([1, 4], 1.0, 0))
    assert out.tolist() == [[4, -4, 100, 1]]  # 3.5 -> 4, -3.5 -> -4, 100, 0.5 -> 1


def test_add_offsets_and_activation():
    a = np.array([[10, 20]], I8)
    b = np.array([[10, 20]], I8)
    t = qtype([1, 2], 0.5, 10)
    props = _add_props("act_min = -128 : i32, act_max = 12 : i32")
    props = props.replace("input1_offset = 0", "input1_offset = -10").replace("input2_offset = 0", "input2_offset = -10")
    props = props.replace("output_offset = 0", "output_offset = 2")
    out = run_one_op("cmsis.add", props, [(a, t), (b, t)], qtype([1, 2], 1.0, 2))
    assert out.tolist() == [[2, 12]]  # 0 + 2; (5 + 5) + 2 = 12, at act_max


def test_mul():
    a = np.array([[3, -1, 1]], I8)
    b = np.array([[5, 5, -7]], I8)
    props = (f"input1_offset = -1 : i32, input2_offset = 0 : i32, output_offset = 7 : i32, "
             f"output_multiplier = {HALF} : i32, output_shift = -1 : i32, {NO_ACT}")
    out = run_one_op("cmsis.mul", props, [(a, qtype([1, 3], 1.0, 1)), (b, qtype([1, 3]))], qtype([1, 3], 1.0, 7))
    # (a - 1) * b = 10, -10, 0; times 0.25 = 2.5 -> 3, -2.5 -> -3 (double rounding: -5 then -2.5 -> -3), 0
    assert out.tolist() == [[10, 4, 7]]


# -- data movement -----------------------------------------------------------------

def test_pad_fills_with_the_zero_point():
    x = np.full((1, 1, 2, 1), 9, I8)
    props = "pre_pad = array<i64: 0, 1, 0, 0>, post_pad = array<i64: 0, 0, 1, 1>"
    out = run_one_op("cmsis.pad", props, [(x, qtype([1, 1, 2, 1], 0.5, -3))], qtype([1, 2, 3, 2], 0.5, -3))
    assert out[0, :, :, 0].tolist() == [[-3, -3, -3], [9, 9, -3]]
    assert out[0, :, :, 1].tolist() == [[-3, -3, -3], [-3, -3, -3]]


def test_concat_along_channels():
    a = np.array([1, 2], I8).reshape(1, 1, 2, 1)
    b = np.array([3, 4, 5, 6], I8).reshape(1, 1, 2, 2)
    out = run_one_op("cmsis.concat", "axis = 3 : i32", [(a, qtype([1, 1, 2, 1])), (b, qtype([1, 1, 2, 2]))],
                     qtype([1, 1, 2, 3]))
    assert out[0, 0].tolist() == [[1, 3, 4], [2, 5, 6]]


def test_reshape_is_row_major():
    x = np.arange(6, dtype=I8).reshape(1, 1, 2, 3)
    out = run_one_op("cmsis.reshape", "", [(x, qtype([1, 1, 2, 3]))], qtype([1, 6]))
    assert out.tolist() == [[0, 1, 2, 3, 4, 5]]


# -- the function as a whole -------------------------------------------------------

CHAIN = f"""
func.func @chain(%x: {qtype([1, 2, 2, 1], 0.5, 0)}) -> {qtype([1, 4], 0.5, 0)} {{
  %p = cmsis.max_pool %x {{layer = "pool", kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>,
        padding = array<i64: 0, 0>, {NO_ACT}}} : ({qtype([1, 2, 2, 1], 0.5, 0)}) -> {qtype([1, 2, 2, 1], 0.5, 0)}
  arena.buffer %p {{name = "pool", size = 4 : i64}} : {qtype([1, 2, 2, 1], 0.5, 0)}
  %r = cmsis.reshape %p : ({qtype([1, 2, 2, 1], 0.5, 0)}) -> {qtype([1, 4], 0.5, 0)}
  func.return %r : {qtype([1, 4], 0.5, 0)}
}}
"""


def test_arena_ops_are_skipped_and_observe_sees_every_value():
    module = parse_ir(CHAIN).module
    seen = []
    (out,) = run_function(module, [np.array([1, -2, 3, -4], I8).reshape(1, 2, 2, 1)],
                          observe=lambda value, array: seen.append(array.shape))
    assert out.tolist() == [[1, -2, 3, -4]]
    assert seen == [(1, 2, 2, 1), (1, 2, 2, 1), (1, 4)]  # the argument, the pool, the reshape


def test_float_input_for_a_quantized_argument_is_quantized():
    module = parse_ir(CHAIN).module
    (out,) = run_function(module, [np.array([0.25, -0.75, 1.0, 100.0], np.float32).reshape(1, 2, 2, 1)])
    assert out.tolist() == [[0, -2, 2, 127]]  # 0.5 and -1.5 round to even; 200 saturates


@pytest.mark.parametrize(
    "inputs, message",
    [
        ([np.zeros((1, 4), I8)], "input #0: expected shape 1x2x2x1, got 1x4"),
        ([np.zeros((1, 2, 2, 1), np.int32)], "input #0: expected int8 values (or floats to quantize), got int32"),
        ([], "inputs: the function takes 1 input, got 0"),
        ([np.full((1, 2, 2, 1), np.nan, np.float32)], "input #0: cannot quantize NaN or infinite values"),
    ],
)
def test_input_mismatches_are_user_errors(inputs, message):
    with pytest.raises(CompileError) as error:
        run_function(parse_ir(CHAIN).module, inputs)
    assert str(error.value) == message


def test_every_nn_and_cmsis_op_has_a_kernel():
    from cmsis_opt.dialects.cmsis import CMSIS
    from cmsis_opt.dialects.nn import NN
    from cmsis_opt.interpreter import CmsisFunctions, NNFunctions

    from xdsl.traits import IsTerminator

    implemented = {op_type for functions in (NNFunctions, CmsisFunctions) for op_type, _ in functions._impls()}
    # a region terminator (cmsis.yield) computes nothing: the op holding the region takes its operands
    ops = [op for op in [*NN.operations, *CMSIS.operations] if not op.has_trait(IsTerminator)]
    assert "cmsis.patch_stage" in [op.name for op in ops]
    missing = [op.name for op in ops if op not in implemented]
    assert missing == []


def test_an_op_without_a_kernel_is_named_in_the_error():
    text = """
    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
      %y = "test.unknown"(%x) {layer = "odd"} : (tensor<2xf32>) -> tensor<2xf32>
      func.return %y : tensor<2xf32>
    }
    """
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.parser import Parser

    ctx = Context(allow_unregistered=True)
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    module = Parser(ctx, text).parse_module()
    with pytest.raises(CompileError, match=r"cannot run 'test.unknown' \(layer 'odd'\)"):
        run_function(module, [np.zeros(2, np.float32)])
