"""runtime/: pooling, softmax, element-wise, pad and concatenation kernels, and the scratch sizes.

As in test_runtime.py: a sanitized driver runs each kernel; results are
checked exactly against hand-computed values and the project's interpreter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt.ir import parse_ir
from cmsis_opt.quantmath import add_params, mul_multiplier, softmax_params

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
from kernel_cases import (  # noqa: E402
    Arena,
    add_line,
    i64_array,
    ints_text,
    mul_line,
    out_size,
    output_before_input,
    pool_line,
    qtype,
    random_activation,
    reference,
    run_case,
    run_cases,
    run_raw,
    separate,
    softmax_line,
)

SUCCESS = 0
I8 = np.int8
HALF = 1 << 30


# -- pooling ---------------------------------------------------------------------------------

def test_max_pool_by_hand():
    x = np.array([[1, -5], [7, 3]], I8).reshape(1, 2, 2, 1)
    assert run_case(pool_line("max_pool", x, (2, 2), (1, 1), (0, 0), (1, 1, 1, 1))).output.tolist() == [7]
    clamped = pool_line("max_pool", x, (2, 2), (1, 1), (0, 0), (1, 1, 1, 1), act=(-128, 5))
    assert run_case(clamped).output.tolist() == [5]


def test_avg_pool_rounds_half_away_from_zero_and_skips_padding():
    x = np.array([[1, 2], [3, 5]], I8).reshape(1, 2, 2, 1)
    assert run_case(pool_line("avg_pool", x, (2, 2), (1, 1), (0, 0), (1, 1, 1, 1))).output.tolist() == [3]  # 11/4
    assert run_case(pool_line("avg_pool", -x, (2, 2), (1, 1), (0, 0), (1, 1, 1, 1))).output.tolist() == [-3]
    # 3x3 window, padding 1 on a 2x2 input: every window holds the 4 pixels (mean 2.75), never padding
    padded = pool_line("avg_pool", x, (3, 3), (1, 1), (1, 1), (1, 2, 2, 1))
    assert run_case(padded).output.tolist() == [3, 3, 3, 3]


def random_pool(rng, kind: str):
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 8)), int(rng.integers(1, 8)), int(rng.integers(1, 6))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    same = bool(rng.integers(2)) or kh > h or kw > w
    (oh, ph), (ow, pw) = out_size(h, kh, sh, 1, same), out_size(w, kw, sw, 1, same)
    x = rng.integers(-128, 128, size=(n, h, w, c)).astype(I8)
    zp = int(rng.integers(-128, 128))
    act = random_activation(rng, zp)
    out_shape = (n, oh, ow, c)
    props = (f"kernel = {i64_array((kh, kw))}, stride = {i64_array((sh, sw))}, padding = {i64_array((ph, pw))}, "
             f"act_min = {act[0]} : i32, act_max = {act[1]} : i32")
    expected = reference(f"cmsis.{kind}", props, [(x, qtype(x.shape, zp))], qtype(out_shape, zp))
    return pool_line(kind, x, (kh, kw), (sh, sw), (ph, pw), out_shape, act), expected


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
def test_pools_match_the_interpreter_on_random_cases(kind):
    rng = np.random.default_rng(len(kind))
    cases = [random_pool(rng, kind) for _ in range(30)]
    for (line, expected), result in zip(cases, run_cases([line for line, _ in cases])):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(expected.shape), expected)


def test_avg_pool_output_may_trail_its_input_by_the_window_reach():
    rng = np.random.default_rng(4)
    x = rng.integers(-128, 128, size=(1, 5, 6, 3)).astype(I8)
    args = ((3, 3), (1, 1), (1, 1), x.shape)
    expected = run_case(pool_line("avg_pool", x, *args)).output
    safe = (1 * 6 + 1) * 3
    for delta in (safe, safe + 2):
        out = run_case(pool_line("avg_pool", x, *args, arena=output_before_input(x, x.size, delta))).output
        np.testing.assert_array_equal(out, expected)


def test_max_pool_without_padding_happens_to_work_in_place():
    """CMSIS-NN forbids it, but its C order reads each 2x2 window before writing that window's first pixel."""
    rng = np.random.default_rng(6)
    x = rng.integers(-128, 128, size=(1, 4, 6, 3)).astype(I8)
    args = ((2, 2), (2, 2), (0, 0), (1, 2, 3, 3))
    expected = run_case(pool_line("max_pool", x, *args)).output
    in_place = run_case(pool_line("max_pool", x, *args, arena=output_before_input(x, 18, 0))).output
    np.testing.assert_array_equal(in_place, expected)


# -- softmax -----------------------------------------------------------------------------------

def test_softmax_of_equal_values_splits_evenly():
    mult, shift, diff_min = softmax_params(0.1)
    x = np.array([[5, 5, 5, 5], [-100, -100, 20, 20]], I8)
    out = run_case(softmax_line(x, mult, shift, diff_min)).output.reshape(2, 4)
    # 1/4 is 64/256 -> code 64 - 128; the second row puts 1/2 on each large value (e^-12 rounds to nothing)
    assert out[0].tolist() == [-64, -64, -64, -64]
    assert out[1].tolist() == [-128, -128, 0, 0]


def softmax_reference(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    mult, shift, diff_min = softmax_params(scale)
    props = f"input_multiplier = {mult} : i32, input_left_shift = {shift} : i32, diff_min = {diff_min} : i32"
    return reference("cmsis.softmax", props, [(x, qtype(x.shape, zp, scale))], qtype(x.shape, -128, 1.0 / 256.0))


def test_softmax_matches_the_interpreter_on_random_cases():
    rng = np.random.default_rng(12)
    lines, expected = [], []
    for _ in range(30):
        rows, row_size = int(rng.integers(1, 5)), int(rng.integers(1, 25))
        scale = float(rng.choice([0.01, 0.05, 0.1, 0.25, 0.5, 1.0]))
        x = rng.integers(-128, 128, size=(rows, row_size)).astype(I8)
        mult, shift, diff_min = softmax_params(scale)
        lines.append(softmax_line(x, mult, shift, diff_min))
        expected.append(softmax_reference(x, scale, 0))
    for want, result in zip(expected, run_cases(lines)):
        np.testing.assert_array_equal(result.output.reshape(want.shape), want)


def test_softmax_in_place_equals_separate_buffers():
    rng = np.random.default_rng(13)
    x = rng.integers(-128, 128, size=(3, 17)).astype(I8)
    mult, shift, diff_min = softmax_params(0.2)
    expected = run_case(softmax_line(x, mult, shift, diff_min)).output
    for delta in (0, 5):
        arena = output_before_input(x, x.size, delta)
        np.testing.assert_array_equal(run_case(softmax_line(x, mult, shift, diff_min, arena)).output, expected)


# -- element-wise ------------------------------------------------------------------------------

def test_add_by_hand():
    # (1 + 128) and (2 + 128), each times 2^20 * 0.25, summed, then times 0.25 / 2^18: 259 / 4 -> 65, - 128
    p = dict(input1_offset=128, input1_multiplier=HALF, input1_shift=-1, input2_offset=128, input2_multiplier=HALF,
             input2_shift=-1, left_shift=20, output_offset=-128, output_multiplier=HALF, output_shift=-19,
             act_min=-128, act_max=127)
    a, b = np.array([1, -128], I8), np.array([2, -128], I8)
    assert run_case(add_line(a, b, p)).output.tolist() == [-63, -128]


def test_mul_by_hand():
    p = dict(input1_offset=1, input2_offset=-2, output_offset=-3, output_multiplier=HALF, output_shift=1,
             act_min=-128, act_max=127)
    a, b = np.array([3, -1, 100], I8), np.array([4, 2, 127], I8)
    # (3+1)(4-2) = 8 -> 5; (0)(0) = 0 -> -3; 101 * 125 saturates at 127
    assert run_case(mul_line(a, b, p)).output.tolist() == [5, -3, 127]


def random_elementwise(rng, kind: str):
    shape = (1, int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 6)))
    a = rng.integers(-128, 128, size=shape).astype(I8)
    b = rng.integers(-128, 128, size=shape).astype(I8)
    s1, s2, so = (float(v) for v in rng.choice([0.01, 0.02, 0.05, 0.1, 0.3], size=3))
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, size=3))
    act = random_activation(rng, zo)
    p = dict(input1_offset=-z1, input2_offset=-z2, output_offset=zo, act_min=act[0], act_max=act[1])
    if kind == "add":
        p.update(add_params(s1, s2, so))
    else:
        p["output_multiplier"], p["output_shift"] = mul_multiplier(s1, s2, so)
    props = ", ".join(f"{k} = {v} : i32" for k, v in p.items())
    expected = reference(f"cmsis.{kind}", props, [(a, qtype(shape, z1, s1)), (b, qtype(shape, z2, s2))],
                         qtype(shape, zo, so))
    return a, b, p, expected


@pytest.mark.parametrize("kind", ["add", "mul"])
def test_elementwise_matches_the_interpreter_on_random_cases(kind):
    rng = np.random.default_rng(len(kind) * 7)
    make_line = add_line if kind == "add" else mul_line
    cases = [random_elementwise(rng, kind) for _ in range(30)]
    for (a, b, p, expected), result in zip(cases, run_cases([make_line(a, b, p) for a, b, p, _ in cases])):
        np.testing.assert_array_equal(result.output.reshape(expected.shape), expected)


@pytest.mark.parametrize("kind", ["add", "mul"])
def test_elementwise_output_may_sit_exactly_on_either_input(kind):
    rng = np.random.default_rng(31)
    a, b, p, expected = random_elementwise(rng, kind)
    make_line = add_line if kind == "add" else mul_line
    size = a.size
    on_first = Arena([a, b], [8, 8 + size + 4], 8, size, 2 * size + 20)
    on_second = Arena([a, b], [8, 8 + size + 4], 8 + size + 4, size, 2 * size + 20)
    for arena in (on_first, on_second):
        np.testing.assert_array_equal(run_case(make_line(a, b, p, arena)).output.reshape(expected.shape), expected)


# -- pad and concatenation --------------------------------------------------------------------

def pad_line(x, value, pre, post, arena=None) -> str:
    out_len = int(np.prod([d + a + b for d, a, b in zip(x.shape, pre, post)]))
    arena = arena or separate([x], out_len)
    return f"pad {value} {ints_text(x.shape)} {ints_text(pre)} {ints_text(post)} {arena.text()}"


def test_pad_by_hand():
    x = np.array([1, 2], I8).reshape(1, 1, 2, 1)
    # one row on top, one column and one channel after: 1x2x3x2 filled with -7
    out = run_case(pad_line(x, -7, (0, 1, 0, 0), (0, 0, 1, 1))).output.reshape(2, 3, 2)
    assert out.tolist() == [[[-7, -7], [-7, -7], [-7, -7]], [[1, -7], [2, -7], [-7, -7]]]


def test_pad_matches_the_interpreter_on_random_cases():
    rng = np.random.default_rng(41)
    lines, expected = [], []
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(1, 4, size=4))
        pre = tuple(int(v) for v in rng.integers(0, 3, size=4))
        post = tuple(int(v) for v in rng.integers(0, 3, size=4))
        zp = int(rng.integers(-128, 128))
        x = rng.integers(-128, 128, size=shape).astype(I8)
        out_shape = tuple(d + a + b for d, a, b in zip(shape, pre, post))
        props = f"pre_pad = {i64_array(pre)}, post_pad = {i64_array(post)}"
        expected.append(reference("cmsis.pad", props, [(x, qtype(shape, zp))], qtype(out_shape, zp)))
        lines.append(pad_line(x, zp, pre, post))
    for want, result in zip(expected, run_cases(lines)):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(want.shape), want)


LETTERS = {3: "x", 2: "y", 1: "z", 0: "w"}  # NHWC axis -> CMSIS-NN axis (x innermost)


@pytest.mark.parametrize("axis", [0, 1, 2, 3])
def test_concatenation_along_each_axis_matches_the_interpreter(axis):
    rng = np.random.default_rng(axis)
    base = [2, 3, 2, 4]
    parts = []
    for size in (1, 3, 2):
        shape = list(base)
        shape[axis] = size
        parts.append(rng.integers(-128, 128, size=shape).astype(I8))
    out_shape = list(base)
    out_shape[axis] = sum(p.shape[axis] for p in parts)
    zp = 3
    props = f"axis = {axis} : i32"
    expected = reference("cmsis.concat", props, [(p, qtype(p.shape, zp)) for p in parts], qtype(out_shape, zp))
    out_len = int(np.prod(out_shape))
    size = 2 * out_len + 32  # the output at 8, each input after it
    background = np.full(size, 99, I8)
    offset = 0
    for part in parts:
        n, h, w, c = part.shape
        arena = Arena([part], [out_len + 16], 8, out_len, size, background=background)
        line = f"concat_{LETTERS[axis]} {c} {w} {h} {n} {out_shape[axis]} {offset} {arena.text()}"
        written = run_case(line).output
        background = background.copy()
        background[8:8 + out_len] = written
        offset += part.shape[axis]
    np.testing.assert_array_equal(background[8:8 + out_len].reshape(out_shape), expected)


# -- scratch sizes -------------------------------------------------------------------------------

def sizes(kind: str, geometry: dict) -> tuple[int, ...]:
    """(portable, DSP, Helium) scratch bytes of the conv or depthwise wrapper for this geometry."""
    g = geometry
    line = (f"{kind} {g.get('ch_mult', 1)} {g['sw']} {g['sh']} {g['pw']} {g['ph']} 1 1 "
            f"{ints_text(g['input'])} {ints_text(g['filter'])} {ints_text(g['output'])}")
    (answer,) = run_raw([line])
    return tuple(int(v) for v in answer.split())


def test_conv_scratch_sizes_by_build():
    # 3x3x3 filter: 27 values -> two int16 columns of 28 (C, DSP); four int8 columns of 32 (MVE)
    general = dict(sw=1, sh=1, pw=1, ph=1, input=(1, 8, 8, 3), filter=(4, 3, 3, 3), output=(1, 8, 8, 4))
    assert sizes("conv_sizes", general) == (112, 112, 128)
    pointwise = dict(sw=1, sh=1, pw=0, ph=0, input=(1, 8, 8, 16), filter=(8, 1, 1, 16), output=(1, 8, 8, 8))
    assert sizes("conv_sizes", pointwise) == (0, 0, 0)
    # 1xN, no padding: Helium holds one window of 5 * 4 values
    one_by_n = dict(sw=1, sh=1, pw=0, ph=0, input=(1, 1, 12, 4), filter=(2, 1, 5, 4), output=(1, 1, 8, 2))
    assert sizes("conv_sizes", one_by_n) == (80, 80, 20)


def test_depthwise_scratch_sizes_by_build():
    three = dict(sw=1, sh=1, pw=1, ph=1, input=(1, 8, 8, 16), filter=(1, 3, 3, 16), output=(1, 8, 8, 16))
    assert sizes("dw_sizes", three) == (0, 0, 4 * 124 * 9)  # 3x3 kernel off Helium, opt on Helium
    five = dict(sw=1, sh=1, pw=2, ph=2, input=(1, 8, 8, 16), filter=(1, 5, 5, 16), output=(1, 8, 8, 16))
    assert sizes("dw_sizes", five) == (0, 16 * 25 * 2, 4 * 124 * 25)
    doubled = dict(ch_mult=2, sw=1, sh=1, pw=1, ph=1, input=(1, 8, 8, 4), filter=(1, 3, 3, 8), output=(1, 8, 8, 8))
    assert sizes("dw_sizes", doubled) == (0, 0, 0)  # generic kernel


CONV_GEOMETRIES = [
    ((1, 9, 9, 3), (4, 3, 3, 3), (1, 9, 9, 4), (1, 1), (1, 1)),
    ((1, 8, 8, 16), (8, 1, 1, 16), (1, 8, 8, 8), (1, 1), (0, 0)),
    ((1, 8, 8, 16), (8, 1, 1, 16), (1, 4, 4, 8), (2, 2), (0, 0)),
    ((1, 1, 12, 4), (2, 1, 5, 4), (1, 1, 8, 2), (1, 1), (0, 0)),
    ((1, 1, 12, 3), (2, 1, 5, 3), (1, 1, 8, 2), (1, 1), (0, 0)),
    ((1, 10, 10, 5), (3, 5, 5, 5), (1, 5, 5, 3), (2, 2), (1, 1)),
]


@pytest.mark.parametrize("geometry", CONV_GEOMETRIES, ids=lambda g: "x".join(map(str, g[0] + g[1])))
def test_conv_scratch_sizes_agree_with_the_compilers_kernel_model(geometry):
    in_shape, f_shape, out_shape, stride, pad = geometry
    oc = f_shape[0]
    text = (f"func.func @f(%x: {qtype(in_shape, 0)}) -> {qtype(out_shape, 0)} {{\n"
            f"  %y = cmsis.conv %x {{filter = dense<1> : tensor<{'x'.join(map(str, f_shape))}xi8>, "
            f"multiplier = array<i32: {', '.join([str(HALF)] * oc)}>, shift = array<i32: {', '.join(['0'] * oc)}>, "
            f"input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, "
            f"stride = {i64_array(stride)}, padding = {i64_array(pad)}, dilation = array<i64: 1, 1>}} "
            f": ({qtype(in_shape, 0)}) -> {qtype(out_shape, 0)}\n  func.return %y : {qtype(out_shape, 0)}\n}}\n")
    module = parse_ir(text).module
    op = next(o for o in module.walk() if o.name == "cmsis.conv")
    geometry_dict = dict(sw=stride[1], sh=stride[0], pw=pad[1], ph=pad[0], input=in_shape, filter=f_shape,
                         output=out_shape)
    ours = sizes("conv_sizes", geometry_dict)
    model = tuple(op.scratch_bytes(path) for path in ("c", "dsp", "mve"))
    assert ours == model  # Helium 1xN included: one padded window of the output column
