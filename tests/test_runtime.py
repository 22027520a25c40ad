"""runtime/: the portable C99 CMSIS-NN subset, convolution, depthwise and fully connected kernels.

Every kernel runs in a sanitized driver (tests/runtime/kernel_driver.c) and is
checked exactly: on small cases computed by hand, and on random cases against
the project's numpy interpreter (cmsis_opt.interpreter) running the same op.
Outputs placed over their own inputs, at offsets the kernel's order allows,
must give the same bytes as separate buffers.

Multipliers are Q31 mantissas: 2^30 is 0.5, so (2^30, shift 1) multiplies by 1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
from kernel_cases import (  # noqa: E402
    RUNTIME,
    ConvCase,
    FcCase,
    compile_strict,
    conv_reference,
    depthwise_reference,
    fc_reference,
    output_before_input,
    random_activation,
    random_conv,
    random_requant,
    run_case,
    run_cases,
    run_raw,
    runtime_sources,
)

HALF = 1 << 30
SUCCESS, ARG_ERROR = 0, -1
I8 = np.int8


def unit_requant(channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply by exactly 1 on every channel."""
    return np.full(channels, HALF), np.full(channels, 1)


# -- code quality ------------------------------------------------------------------

@pytest.mark.parametrize("source", runtime_sources(), ids=lambda p: p.name)
def test_runtime_source_compiles_as_strict_c99_without_warnings(source, tmp_path):
    result = compile_strict(source, tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_runtime_sources_use_no_restrict_no_allocation_and_no_globals():
    for source in runtime_sources():
        text = source.read_text()
        for word in ("restrict", "malloc", "calloc", "free("):
            assert word not in text, f"{source.name} uses {word}"
        # file-scope state would be a line starting with a type and ending in ';' outside functions;
        # the only static data allowed is const tables
        for line in text.splitlines():
            if line.startswith("static") and line.rstrip().endswith(";") and "(" not in line:
                assert "const" in line, f"{source.name}: mutable static data: {line}"


def test_every_declared_function_is_defined(tmp_path):
    """A program taking the address of every function arm_nnfunctions.h declares links against the runtime."""
    header = (RUNTIME / "include" / "arm_nnfunctions.h").read_text()
    names = sorted(set(re.findall(r"^(?:arm_cmsis_nn_status|int32_t|void)\s+(arm_\w+)\(", header, re.M)))
    assert len(names) >= 30
    program = tmp_path / "all.c"
    program.write_text('#include "arm_nnfunctions.h"\n#include <stdio.h>\nint main(void)\n{\n'
                       + "".join(f'    printf("%p\\n", (void *)(size_t)&{n});\n' for n in names)
                       + "    return 0;\n}\n")
    result = subprocess.run(["gcc", "-std=c99", f"-I{RUNTIME / 'include'}", str(program),
                             *map(str, runtime_sources()), "-o", str(tmp_path / "all")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- convolution: hand-computed ---------------------------------------------------------

def ones_conv_3x3() -> ConvCase:
    """A 3x3 ones filter with padding 1 on a 3x3 image of ones counts each pixel's valid neighbours."""
    mult, shift = unit_requant(1)
    return ConvCase(x=np.ones((1, 3, 3, 1), I8), filter=np.ones((1, 3, 3, 1), I8), bias=None, multiplier=mult,
                    shift=shift, out_shape=(1, 3, 3, 1), padding=(1, 1))


@pytest.mark.parametrize("kernel", ["conv_wrapper", "conv_s8"])
def test_conv_padding_counts_only_valid_pixels(kernel):
    result = run_case(ones_conv_3x3().line(kernel))
    assert result.status == SUCCESS
    assert result.output.reshape(3, 3).tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]


@pytest.mark.parametrize("kernel", ["conv_wrapper", "conv_1x1_fast", "conv_s8"])
def test_conv_requantization_rounds_twice_as_tflite_does(kernel):
    """Scale 1/4 as (0.5, shift -1): the doubling high multiply rounds x/2 (halves up), then the shift
    rounds again (halves away from zero): 5 -> 3 -> 2 although 5/4 is 1.25."""
    x = np.array([5, 6, -6, -5, 2, -2, 7], I8).reshape(1, 1, 7, 1)
    case = ConvCase(x=x, filter=np.ones((1, 1, 1, 1), I8), bias=None, multiplier=np.array([HALF]),
                    shift=np.array([-1]), out_shape=(1, 1, 7, 1))
    # x/2 rounded: 3, 3, -3, -2, 1, -1, 4; then /2 rounded: 2, 2, -2, -1, 1, -1, 2
    assert run_case(case.line(kernel)).output.tolist() == [2, 2, -2, -1, 1, -1, 2]


def test_conv_left_shift_offsets_and_activation_clamp():
    # times 2 (shift 2 on 0.5), input offset 1, bias 1, output offset 10, clamped to [0, 17]
    x = np.array([2, -8, 3, -1], I8).reshape(1, 1, 4, 1)
    case = ConvCase(x=x, filter=np.ones((1, 1, 1, 1), I8), bias=np.array([1]), multiplier=np.array([HALF]),
                    shift=np.array([2]), out_shape=(1, 1, 4, 1), input_offset=1, output_offset=10, act=(0, 17))
    # (x + 1 + 1) * 2 + 10 = 18, -2, 20, 12 -> clamped
    assert run_case(case.line("conv_wrapper")).output.tolist() == [17, 0, 17, 12]


def test_conv_per_channel_multipliers_and_bias():
    # two output channels of one 1x1 input: weights 3 and -2, biases 10 and 0, scales 1 and 0.25
    x = np.array([[[[4]]]], I8)
    case = ConvCase(x=x, filter=np.array([3, -2], I8).reshape(2, 1, 1, 1), bias=np.array([10, 0]),
                    multiplier=np.array([HALF, HALF]), shift=np.array([1, -1]), out_shape=(1, 1, 1, 2))
    assert run_case(case.line("conv_wrapper")).output.tolist() == [22, -2]


# -- convolution: random, against the interpreter -------------------------------------------

CONV_KERNEL_GEOMETRY = {
    # kernel name -> geometry its preconditions need
    "conv_wrapper": {},
    "conv_s8": {},
    "conv_1x1_fast": dict(kh=1, kw=1, sh=1, sw=1, dh=1, dw=1, same=False),
    "conv_1x1": dict(kh=1, kw=1, dh=1, dw=1, same=False),
    "conv_1_x_n": dict(h=1, kh=1, dw=1, c=4, n=1),
}


@pytest.mark.parametrize("kernel", sorted(CONV_KERNEL_GEOMETRY))
def test_conv_kernels_match_the_interpreter_on_random_cases(kernel):
    rng = np.random.default_rng(sum(map(ord, kernel)))
    cases = [random_conv(rng, **CONV_KERNEL_GEOMETRY[kernel]) for _ in range(25)]
    results = run_cases([c.line(kernel) for c in cases])
    for case, result in zip(cases, results):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(case.out_shape), conv_reference(case))


def test_conv_wrapper_covers_every_dispatch_branch():
    """1x1 stride 1, 1x1 strided, 1xN and general shapes all agree with the interpreter through the wrapper."""
    rng = np.random.default_rng(7)
    shapes = [dict(kh=1, kw=1, sh=1, sw=1, dh=1, dw=1, same=False, h=4, w=5, c=3),
              dict(kh=1, kw=1, sh=2, sw=2, dh=1, dw=1, same=False, h=5, w=5, c=2),
              dict(h=1, kh=1, kw=3, dw=1, c=4, sw=1, n=1, w=7),
              dict(h=5, w=5, kh=3, kw=3, c=3, oc=4)]
    cases = [random_conv(rng, **shape) for shape in shapes for _ in range(3)]
    for case, result in zip(cases, run_cases([c.line("conv_wrapper") for c in cases])):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(case.out_shape), conv_reference(case))


def test_grouped_conv_is_one_conv_per_channel_group():
    rng = np.random.default_rng(11)
    groups, kc, per_group = 3, 2, 2
    x = rng.integers(-128, 128, size=(1, 5, 4, groups * kc)).astype(I8)
    filt = rng.integers(-127, 128, size=(groups * per_group, 3, 3, kc)).astype(I8)
    mult, shift = random_requant(rng, groups * per_group, 9 * kc)
    case = ConvCase(x=x, filter=filt, bias=rng.integers(-500, 500, size=groups * per_group), multiplier=mult,
                    shift=shift, out_shape=(1, 5, 4, groups * per_group), input_offset=7, output_offset=-3,
                    padding=(1, 1))
    result = run_case(case.line("conv_s8"))
    assert result.status == SUCCESS
    out = result.output.reshape(case.out_shape)
    for g in range(groups):
        sl = slice(g * per_group, (g + 1) * per_group)
        part = ConvCase(x=x[..., g * kc:(g + 1) * kc], filter=filt[sl], bias=case.bias[sl], multiplier=mult[sl],
                        shift=shift[sl], out_shape=(1, 5, 4, per_group), input_offset=7, output_offset=-3,
                        padding=(1, 1))
        np.testing.assert_array_equal(out[..., sl], conv_reference(part))


def test_conv_upscale_reads_the_input_with_zeros_between_pixels():
    """upscale_dims 2x2: the stored 3x3 input acts as a 6x6 input whose odd rows and columns are zero points."""
    rng = np.random.default_rng(5)
    stored = rng.integers(-128, 128, size=(1, 3, 3, 2)).astype(I8)
    input_offset = 20  # zero point -20
    upscaled = np.full((1, 6, 6, 2), -input_offset, I8)
    upscaled[:, ::2, ::2, :] = stored
    mult, shift = random_requant(rng, 3, 18)
    filt = rng.integers(-127, 128, size=(3, 3, 3, 2)).astype(I8)
    common = dict(filter=filt, bias=np.array([5, -5, 100]), multiplier=mult, shift=shift, out_shape=(1, 6, 6, 3),
                  input_offset=input_offset, output_offset=4, padding=(1, 1))
    upscale_case = ConvCase(x=stored, upscale=(2, 2), **common)
    # the driver passes the upscaled dims while the arena holds only the stored pixels
    line = upscale_case.line("conv_s8").replace(" 1 3 3 2 ", " 1 6 6 2 ", 1)
    result = run_case(line)
    assert result.status == SUCCESS
    np.testing.assert_array_equal(result.output.reshape(1, 6, 6, 3), conv_reference(ConvCase(x=upscaled, **common)))


def test_conv_argument_errors_match_cmsis_nn():
    case = ones_conv_3x3()
    case.force_null_scratch = True
    assert run_case(case.line("conv_s8")).status == ARG_ERROR  # im2col needs its scratch
    assert run_case(case.line("conv_wrapper")).status == ARG_ERROR
    padded_1x1 = ConvCase(x=np.ones((1, 2, 2, 1), I8), filter=np.ones((1, 1, 1, 1), I8), bias=None,
                          multiplier=np.array([HALF]), shift=np.array([1]), out_shape=(1, 4, 4, 1), padding=(1, 1))
    assert run_case(padded_1x1.line("conv_1x1_fast")).status == ARG_ERROR
    assert run_case(padded_1x1.line("conv_1x1")).status == ARG_ERROR
    two_rows = random_conv(np.random.default_rng(1), h=2, kh=1, c=4)
    assert run_case(two_rows.line("conv_1_x_n")).status == ARG_ERROR
    # a 1x1 convolution needs no scratch, so a NULL buffer is fine through the wrapper
    unit = random_conv(np.random.default_rng(2), kh=1, kw=1, sh=1, sw=1, dh=1, dw=1, same=False)
    unit.force_null_scratch = True
    assert run_case(unit.line("conv_wrapper")).status == SUCCESS


# -- depthwise ---------------------------------------------------------------------------------

def test_depthwise_channel_multiplier_by_hand():
    # one input channel, multiplier 2, a 1x2 window over [1, 2]: weights (1, 2) and (10, 20), biases 1 and -1
    x = np.array([1, 2], I8).reshape(1, 1, 2, 1)
    filt = np.array([[1, 10], [2, 20]], I8).reshape(1, 1, 2, 2)
    mult, shift = unit_requant(2)
    case = ConvCase(x=x, filter=filt, bias=np.array([1, -1]), multiplier=mult, shift=shift, out_shape=(1, 1, 1, 2),
                    ch_mult=2)
    for kernel in ("dw_wrapper", "dw_s8"):
        assert run_case(case.line(kernel)).output.tolist() == [6, 49]


def test_depthwise_3x3_by_hand():
    # ones filter, padding 1: each output counts the valid neighbours, per channel scaled by the input
    x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))], axis=-1).astype(I8)[None]
    mult, shift = unit_requant(2)
    case = ConvCase(x=x, filter=np.ones((1, 3, 3, 2), I8), bias=None, multiplier=mult, shift=shift,
                    out_shape=(1, 3, 3, 2), padding=(1, 1))
    for kernel in ("dw_wrapper", "dw_3x3"):
        out = run_case(case.line(kernel)).output.reshape(3, 3, 2)
        assert out[..., 0].tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
        assert out[..., 1].tolist() == [[8, 12, 8], [12, 18, 12], [8, 12, 8]]


DW_KERNEL_GEOMETRY = {
    "dw_wrapper": {},
    "dw_s8": {},
    "dw_opt": dict(ch_mult=1),
    "dw_3x3": dict(kh=3, kw=3, ch_mult=1, n=1, dh=1, dw=1, same=True, c=6),
}


@pytest.mark.parametrize("kernel", sorted(DW_KERNEL_GEOMETRY))
def test_depthwise_kernels_match_the_interpreter_on_random_cases(kernel):
    rng = np.random.default_rng(100 + sum(map(ord, kernel)))
    cases = [random_conv(rng, depthwise=True, **DW_KERNEL_GEOMETRY[kernel]) for _ in range(25)]
    results = run_cases([c.line(kernel) for c in cases])
    for case, result in zip(cases, results):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(case.out_shape), depthwise_reference(case))


def test_depthwise_argument_errors_match_cmsis_nn():
    rng = np.random.default_rng(3)
    doubled = random_conv(rng, depthwise=True, ch_mult=2)
    assert run_case(doubled.line("dw_opt")).status == ARG_ERROR  # opt needs multiplier 1
    assert run_case(doubled.line("dw_3x3")).status == ARG_ERROR
    wide_pad = random_conv(rng, depthwise=True, ch_mult=1, kh=3, kw=3, w=4)
    wide_pad.padding = (0, 2)
    wide_pad.out_shape = (wide_pad.out_shape[0], wide_pad.out_shape[1], 6, wide_pad.out_shape[3])
    assert run_case(wide_pad.line("dw_3x3")).status == ARG_ERROR
    # no depthwise kernel needs scratch on the portable path
    plain = random_conv(rng, depthwise=True, ch_mult=1, kh=2, kw=2)
    plain.force_null_scratch = True
    assert run_case(plain.line("dw_wrapper")).status == SUCCESS


# -- fully connected ---------------------------------------------------------------------------

def test_fully_connected_by_hand():
    # x + 1 = (2, 3, 4); four rows (a group of three, then one); bias on the last
    case = FcCase(x=np.array([[1, 2, 3]], I8), filter=np.array([[1, 1, 1], [1, -1, 0], [0, 0, 2], [3, 0, 0]], I8),
                  bias=np.array([0, 0, 0, 1]), multiplier=HALF, shift=1, input_offset=1)
    assert run_case(case.line()).output.tolist() == [9, -1, 8, 7]


def test_fully_connected_filter_offset_is_added_to_every_weight():
    # (1 + 0) * (1 + 1) + (2 + 0) * (1 + 1) = 6; a second row (-1 + 1) contributes nothing
    case = FcCase(x=np.array([[1, 2]], I8), filter=np.array([[1, 1], [-1, -1]], I8), bias=None, multiplier=HALF,
                  shift=1, filter_offset=1)
    assert run_case(case.line()).output.tolist() == [6, 0]


def test_fully_connected_matches_the_interpreter_on_random_cases():
    rng = np.random.default_rng(21)
    cases = []
    for _ in range(30):
        batches, depth, rows = int(rng.integers(1, 4)), int(rng.integers(1, 40)), int(rng.integers(1, 11))
        mult, shift = random_requant(rng, 1, depth)
        output_offset = int(rng.integers(-128, 128))
        cases.append(FcCase(x=rng.integers(-128, 128, size=(batches, depth)).astype(I8),
                            filter=rng.integers(-127, 128, size=(rows, depth)).astype(I8),
                            bias=rng.integers(-2000, 2000, size=rows) if rng.random() < 0.8 else None,
                            multiplier=int(mult[0]), shift=int(shift[0]), input_offset=int(rng.integers(-127, 129)),
                            output_offset=output_offset, act=random_activation(rng, output_offset)))
    for case, result in zip(cases, run_cases([c.line() for c in cases])):
        assert result.status == SUCCESS
        np.testing.assert_array_equal(result.output.reshape(case.x.shape[0], -1), fc_reference(case))


def test_vector_sum_gives_the_helium_kernel_sums():
    # rows (1, 2, 3) and (-4, 0, 4): lhs_offset * (row sum + 3 * rhs_offset) + bias
    (line,) = run_raw(["vector_sum 3 2 5 1 1 1 2 3 -4 0 4 100 -100"])
    assert [int(v) for v in line.split()] == [0, 100 + 5 * (6 + 3), -100 + 5 * (0 + 3)]
    (line,) = run_raw(["vector_sum 2 1 -3 0 0 7 8"])
    assert [int(v) for v in line.split()] == [0, -45]


# -- outputs over their own inputs ----------------------------------------------------------------

def same_shape_case(rng, kernel_size: int, channels: int, depthwise: bool, h: int = 6, w: int = 7) -> ConvCase:
    return random_conv(rng, depthwise=depthwise, n=1, h=h, w=w, c=channels, oc=channels, kh=kernel_size,
                       kw=kernel_size, sh=1, sw=1, dh=1, dw=1, same=True, ch_mult=1)


def overlap_run(case: ConvCase, kernel: str, delta: int) -> np.ndarray:
    arena = output_before_input(case.x, case.output_len, delta)
    result = run_case(case.line(kernel, arena))
    assert result.status == SUCCESS
    return result.output


@pytest.mark.parametrize("kernel,depthwise,kernel_size", [
    ("conv_s8", False, 3), ("conv_wrapper", False, 5), ("conv_s8", False, 1),
    ("dw_wrapper", True, 3), ("dw_s8", True, 3), ("dw_wrapper", True, 5)])
def test_output_trailing_the_input_by_the_window_reach_is_exact(kernel, depthwise, kernel_size):
    """Output start = input start - (pad * W + pad) * C: every byte is written after its last reader ran."""
    rng = np.random.default_rng(kernel_size * 10 + depthwise)
    for channels in (1, 3, 4):
        case = same_shape_case(rng, kernel_size, channels, depthwise)
        pad = case.padding[0]
        safe = (pad * case.x.shape[2] + pad) * channels
        expected = run_case(case.line(kernel)).output
        for delta in (safe, safe + 1, safe + channels, safe + 3 * channels + 2):
            np.testing.assert_array_equal(overlap_run(case, kernel, delta), expected, err_msg=f"delta {delta}")


def test_output_too_close_to_the_input_changes_the_result():
    """The overlap tests really share memory: an output right on a padded conv's input clobbers it."""
    rng = np.random.default_rng(9)
    case = same_shape_case(rng, 3, 4, depthwise=False)
    expected = run_case(case.line("conv_s8")).output
    assert not np.array_equal(overlap_run(case, "conv_s8", 0), expected)


def test_host_builds_link_one_cached_runtime_archive_per_compiler_and_flags(tmp_path, monkeypatch):
    """cmsis-compile --host compiles runtime/ once per compiler, flags and sources; later builds link the archive."""
    import shutil

    from cmsis_opt.hostbuild import RUNTIME_ARCHIVE, runtime_archive

    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc)")
    monkeypatch.setenv("CMSIS_OPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CFLAGS", raising=False)
    first = runtime_archive()
    assert first.name == RUNTIME_ARCHIVE and first.parent.parent == tmp_path / "cache" / "runtime"
    built = first.stat().st_mtime_ns
    assert runtime_archive() == first and first.stat().st_mtime_ns == built  # found, not rebuilt
    assert list(first.parent.iterdir()) == [first]  # the objects are not left beside it
    monkeypatch.setenv("CFLAGS", "-DCMSIS_OPT_UNUSED_FLAG=1")
    other = runtime_archive()
    assert other != first and other.is_file()  # other flags: another build
    symbols = subprocess.run(["nm", str(other)], capture_output=True, text=True).stdout
    assert " T arm_convolve_s8" in symbols
