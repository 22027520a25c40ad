"""--patch-split: a stage run tile by tile gives the unsplit model's bytes (interpreter, host C), and plans verify.

Random chains of convs, depthwise convs and pools (TFLite SAME / VALID
padding, strides 1-2, dilation 1-2) with random stage ends and grids.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import BIN, host_programs, run_tool
from conftest import ir_dense as dense
from conftest import ir_ints as ints

from cmsis_opt.backend.c import emit_c
from cmsis_opt.context import make_context
from cmsis_opt.dialects import cmsis
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import RUNTIME_DIR, HostModel, compiler_command, runtime_sources
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir, print_ir
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.passes.patch_split import Candidate, choose, row_bands, search, split_function, stage_chain, stage_ends
from cmsis_opt.plan import memory_plan, the_function

Q = "!quant.uniform<i8:f32, 0.5:-3>"
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror"]


def t(shape) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{Q}>"


def same_or_valid(rng, size: int, window: int, stride: int) -> tuple[int, int] | None:
    """(output size, padding before) of TFLite's SAME or VALID padding; None when the window does not fit."""
    if rng.random() < 0.6:
        out = -(-size // stride)
        return out, max((out - 1) * stride + window - size, 0) // 2
    return ((size - window) // stride + 1, 0) if size >= window else None


def random_chain(rng, length: int) -> str | None:
    """A function: `length` window ops in a chain on a random NHWC input, then a 1x1 conv after the chain."""
    h, w, c = int(rng.integers(6, 17)), int(rng.integers(6, 17)), int(rng.integers(1, 5))
    shape = (1, h, w, c)
    lines, prev = [], "%x"
    for i in range(length + 1):
        kind = "conv" if i == length else str(rng.choice(["conv", "depthwise_conv", "max_pool", "avg_pool"]))
        k = [1, 1] if i == length else [int(rng.choice([1, 2, 3, 3, 5])) for _ in range(2)]
        s = [1, 1] if i == length else [int(rng.choice([1, 1, 2])) for _ in range(2)]
        d = [int(rng.choice([1, 1, 1, 2])) if "conv" in kind and i < length else 1 for _ in range(2)]
        geometry = [same_or_valid(rng, shape[1 + a], (k[a] - 1) * d[a] + 1, s[a]) for a in range(2)]
        if any(g is None for g in geometry):
            return None
        out_hw = [g[0] for g in geometry if g is not None]
        pad = [g[1] for g in geometry if g is not None]
        if "pool" in kind:
            out = (1, *out_hw, shape[3])
            act_min = int(rng.choice([-128, -3]))
            text = (f"cmsis.{kind} {prev} {{kernel = array<i64: {ints(k)}>, stride = array<i64: {ints(s)}>, "
                    f"padding = array<i64: {ints(pad)}>, act_min = {act_min} : i32, act_max = 127 : i32}}")
        else:
            oc = shape[3] * int(rng.integers(1, 3)) if kind == "depthwise_conv" else int(rng.integers(1, 9))
            filt = (oc, *k, shape[3]) if kind == "conv" else (1, *k, oc)
            out = (1, *out_hw, oc)
            text = (f"cmsis.{kind} {prev} {{filter = {dense(rng.integers(-127, 128, size=filt), 'i8')}, "
                    f"bias = {dense(rng.integers(-2000, 2000, oc), 'i32')}, "
                    f"multiplier = array<i32: {ints(rng.integers(1 << 29, 1 << 30, oc))}>, "
                    f"shift = array<i32: {ints(rng.integers(-9, -5, oc))}>, input_offset = 3 : i32, "
                    f"output_offset = -3 : i32, act_min = -128 : i32, act_max = 127 : i32, "
                    f"stride = array<i64: {ints(s)}>, padding = array<i64: {ints(pad)}>, "
                    f"dilation = array<i64: {ints(d)}>}}")
        if min(out[1:3]) < 1:
            return None
        lines.append(f"    %v{i} = {text} : ({t(shape)}) -> {t(out)}")
        prev, shape = f"%v{i}", out
    return (f"builtin.module {{\n  func.func @f(%x : {t((1, h, w, c))}) -> {t(shape)} {{\n" + "\n".join(lines)
            + f"\n    func.return {prev} : {t(shape)}\n  }}\n}}\n")


def cases(count: int, seed: int):
    """(IR text, stage ops, grid) of `count` random chains with a stage end and a grid that fits."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        text = random_chain(rng, int(rng.integers(1, 5)))
        if text is None:
            continue
        module = parse_ir(text).module
        chain = stage_chain(the_function(module))
        ops = int(rng.integers(0, len(chain) + 1))
        _, h, w, _ = chain[(ops or len(chain)) - 1].output.type.get_shape()
        grid = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
        found.append((text, ops, grid))
    return found


def conv_text(rng, kind: str, prev: str, shape, oc: int, k: int, pad: int, dilation: int = 1) -> tuple[str, tuple]:
    """A stride-1 conv or depthwise conv (k x k, padding `pad` before and the rest after) on `prev` of `shape`:
    (IR line without its result name, output shape)."""
    filt = (oc, k, k, shape[3]) if kind == "conv" else (1, k, k, oc)
    span = (k - 1) * dilation + 1
    out = (1, shape[1] + 2 * pad - span + 1, shape[2] + 2 * pad - span + 1, oc)
    text = (f"cmsis.{kind} {prev} {{filter = {dense(rng.integers(-127, 128, size=filt), 'i8')}, "
            f"bias = {dense(rng.integers(-2000, 2000, oc), 'i32')}, "
            f"multiplier = array<i32: {ints(rng.integers(1 << 29, 1 << 30, oc))}>, "
            f"shift = array<i32: {ints(rng.integers(-9, -5, oc))}>, input_offset = 3 : i32, "
            f"output_offset = -3 : i32, act_min = {int(rng.choice([-128, -3]))} : i32, act_max = 127 : i32, "
            f"stride = array<i64: 1, 1>, padding = array<i64: {pad}, {pad}>, "
            f"dilation = array<i64: {dilation}, {dilation}>}} : ({t(shape)}) -> {t(out)}")
    return text, out


def add_text(rng, lhs: str, rhs: str, shape) -> str:
    """arm_elementwise_add_s8 of two values of `shape` (both and the result quantized as Q)."""
    return (f"cmsis.add {lhs}, {rhs} {{act_min = {int(rng.choice([-128, -3]))} : i32, act_max = 127 : i32, "
            f"input1_offset = 3 : i32, input1_multiplier = {int(rng.integers(1 << 29, 1 << 30))} : i32, "
            f"input1_shift = 0 : i32, input2_offset = 3 : i32, "
            f"input2_multiplier = {int(rng.integers(1 << 29, 1 << 30))} : i32, input2_shift = -1 : i32, "
            f"left_shift = 20 : i32, output_offset = -3 : i32, "
            f"output_multiplier = {int(rng.integers(1 << 29, 1 << 30))} : i32, output_shift = -19 : i32}} : "
            f"({t(shape)}, {t(shape)}) -> {t(shape)}")


def random_residual(rng) -> str:
    """A function with residual blocks: an optional 3x3 conv stem, then 1-2 blocks x -> 1x1 conv (expand) ->
    depthwise k x k (SAME, dilation 1-2) -> 1x1 conv (project) -> add(x, .) (MobileNetV2's inverted residual),
    some with a depthwise 3x3 on the shortcut too (its reader needs fewer columns than the expansion: a crop),
    operands in either order; then a 1x1 conv."""
    h, w, c = int(rng.integers(6, 17)), int(rng.integers(6, 17)), int(rng.integers(1, 5))
    shape = (1, h, w, c)
    lines: list[str] = []
    prev = "%x"

    def emit(text: str, out) -> None:
        nonlocal prev, shape
        name = f"%v{len(lines)}"
        lines.append(f"    {name} = {text}")
        prev, shape = name, out

    if rng.random() < 0.5:
        emit(*conv_text(rng, "conv", prev, shape, int(rng.integers(1, 6)), 3, 1))
    for _ in range(int(rng.integers(1, 3))):
        x, xshape = prev, shape
        emit(*conv_text(rng, "conv", prev, shape, xshape[3] * int(rng.integers(1, 4)), 1, 0))
        k, d = int(rng.choice([3, 3, 5])), int(rng.choice([1, 1, 2]))
        emit(*conv_text(rng, "depthwise_conv", prev, shape, shape[3], k, (k - 1) * d // 2, d))
        emit(*conv_text(rng, "conv", prev, shape, xshape[3], 1, 0))
        main = prev
        if rng.random() < 0.3:
            emit(*conv_text(rng, "depthwise_conv", x, xshape, xshape[3], 3, 1))
            x = prev
        pair = (x, main) if rng.random() < 0.5 else (main, x)
        emit(add_text(rng, *pair, xshape), xshape)
    emit(*conv_text(rng, "conv", prev, shape, int(rng.integers(1, 9)), 1, 0))
    return (f"builtin.module {{\n  func.func @f(%x : {t((1, h, w, c))}) -> {t(shape)} {{\n" + "\n".join(lines)
            + f"\n    func.return {prev} : {t(shape)}\n  }}\n}}\n")


def residual_cases(count: int, seed: int):
    """(IR text, stage ops, grid) of `count` random residual networks (`random_residual`): a random stage end
    past at least one add, and a grid that fits."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        text = random_residual(rng)
        func = the_function(parse_ir(text).module)
        chain, ends = stage_chain(func), stage_ends(func)
        first_add = next(i for i, op in enumerate(chain) if isinstance(op, cmsis.AddOp))
        ops = int(rng.choice([e for e in ends if e > first_add]))
        _, h, w, _ = chain[ops - 1].results[0].type.get_shape()
        grid = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
        found.append((text, ops, grid))
    return found


@pytest.mark.parametrize("kind", ["chains", "residual"])
def test_tiles_give_the_whole_ops_bytes_and_plans_verify(kind):
    """80 random chains, 40 random residual networks: the stage's tile loop gives the unsplit bytes, and the
    planned function verifies."""
    rng = np.random.default_rng(5)
    halo = 0
    for text, ops, grid in cases(80, 11) if kind == "chains" else residual_cases(40, 13):
        module = parse_ir(text).module
        x = rng.integers(-128, 128, size=the_function(module).body.block.args[0].type.get_shape(), dtype=np.int8)
        (expected,) = run_function(module, [x])
        stage = split_function(the_function(module), ops, grid)
        tiled, whole = stage.macs()  # tiled may be fewer: rows a VALID window never reads are not computed
        halo += tiled > whole
        again = parse_ir(print_ir(module)).module  # the stage prints and parses back
        (got,) = run_function(again, [x])
        assert np.array_equal(got, expected), (text, ops, grid)
        DefaultPipeline().apply(make_context(), again)  # planned, and verify-arena proves the plan
        (planned,) = run_function(again, [x])
        assert np.array_equal(planned, expected)
        assert memory_plan(again).scratch(next(op for op in the_function(again).body.block.ops
                                               if isinstance(op, cmsis.PatchStageOp))) is not None
    assert halo > (20 if kind == "chains" else 10)  # most draws recompute a halo: the tile windows overlap


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Host programs of 30 patched random chains and 12 random residual networks (stages past an add): with
    runtime/ and, when the tree is there, the real CMSIS-NN. Every other one streams its input (the host program
    answers NAME_read_input_rows from stdin's bytes). Then 16 more chains stream their input into their first op
    alone, run in R x 1 bands of rows (what --stream-input without --patch makes): whole-row windows that keep the
    previous window's rows."""
    tmp = tmp_path_factory.mktemp("patch")
    sources, models, inputs = [], [], []
    rng = np.random.default_rng(8)
    drawn = cases(30, 21) + residual_cases(12, 23)
    banded = len(drawn)
    for text, _, _ in cases(16, 41):
        height = stage_chain(the_function(parse_ir(text).module))[0].output.type.get_shape()[1]
        drawn.append((text, 1, (int(rng.choice(row_bands(height))), 1)))
    for index, (text, ops, grid) in enumerate(drawn):
        module = parse_ir(text).module
        x = rng.integers(-128, 128, size=the_function(module).body.block.args[0].type.get_shape(), dtype=np.int8)
        (expected,) = run_function(module, [x])
        stream = index % 2 == 1 or index >= banded
        DefaultPipeline(patch=f"{grid[0]}x{grid[1]}", patch_ops=ops, stream_input=stream).apply(make_context(), module)
        assert (memory_plan(module).buffers[0].size == 0) == stream  # a streamed input has no bytes in the arena
        (planned,) = run_function(module, [x])  # the interpreter's tile loop on the planned function
        assert np.array_equal(planned, expected), (text, ops, grid)
        name = f"p{index}"
        header, source = emit_c(module, name)
        (tmp / f"{name}.h").write_text(header)
        (tmp / f"{name}.c").write_text(source)
        sources.append(tmp / f"{name}.c")
        models.append(HostModel(name, [x.size], [expected.size], x.shape[1] if stream else 0))
        inputs.append((name, x, expected))
    return host_programs(sources, models, tmp), inputs


@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
def test_patched_c_gives_the_unsplit_bytes(programs, library):
    built, inputs = programs
    if library not in built:
        pytest.skip("no CMSIS-NN tree at ../shared/cmsis-nn (or $CMSIS_NN)")
    for name, x, expected in inputs:
        run = subprocess.run([str(built[library]), name], input=x.tobytes(), capture_output=True, timeout=60)
        assert run.returncode == 0, (name, run.stderr)
        assert run.stdout == expected.tobytes(), name


def test_what_cannot_be_split_is_an_error():
    text, _, _ = cases(1, 3)[0]
    module = parse_ir(text).module
    chain = stage_chain(the_function(module))
    with pytest.raises(CompileError, match="ops, not"):
        split_function(the_function(module), len(chain) + 1, (1, 1))
    with pytest.raises(CompileError, match="does not fit"):
        split_function(the_function(module), 0, (100, 1))
    DefaultPipeline().apply(make_context(), module)
    with pytest.raises(CompileError, match="already planned"):
        split_function(the_function(module), 0, (1, 1))


STAGE = Path(__file__).parent / "lit" / "patch-split" / "stage.mlir"


def test_cmsis_compile_patch_options(tmp_path):
    off = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "off"), "--quiet")
    assert off.returncode == 0, off.stderr
    grid = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "grid"), "--patch", "2x2", "--patch-ops", "2")
    assert grid.returncode == 0, grid.stderr
    assert "patch stage at step 0: 2 ops run as 2x2 tiles" in grid.stdout
    stage = json.loads((tmp_path / "grid" / "memory.json").read_text())["patch_stages"]
    assert [(s["grid"], len(s["layers"])) for s in stage] == [("2x2", 2)]
    auto = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "auto"), "--patch", "auto",
                    "--patch-max-overhead", "100")
    assert auto.returncode == 0, auto.stderr
    plans = {d: json.loads((tmp_path / d / "memory.json").read_text()) for d in ("off", "grid", "auto")}
    assert plans["auto"]["arena_bytes"] <= min(plans["off"]["arena_bytes"], plans["grid"]["arena_bytes"])
    source = (tmp_path / "grid" / "stage.c").read_text()
    for strict in ([], ["-DCMSIS_OPT_CHECK_SCRATCH"]):
        build = subprocess.run([*compiler_command(), *STRICT, *strict, "-fsyntax-only",
                                f"-I{tmp_path / 'grid'}", f"-I{RUNTIME_DIR / 'include'}", str(tmp_path / "grid" / "stage.c")],
                               capture_output=True, text=True)
        assert build.returncode == 0, build.stderr
    assert "tile 3: output rows 2-3, columns 2-3" in source


RESIDUAL = Path(__file__).parent / "lit" / "patch-split" / "residual.mlir"


def test_residual_stage_c_is_strict_c99(tmp_path):
    """The C of a stage with a residual block (row-by-row adds) and of one whose shortcut reads fewer columns than
    its window holds (a crop copy) is clean C99 under -pedantic -Wconversion -Werror, scratch checks on and off."""
    run = run_tool("cmsis-compile", str(RESIDUAL), "-o", str(tmp_path / "block"), "--patch", "2x2")
    assert run.returncode == 0, run.stderr
    assert "patch stage at step 0: 4 ops run as 2x2 tiles" in run.stdout
    sources = [tmp_path / "block" / "residual.c"]
    for text, ops, grid in residual_cases(40, 13):
        module = parse_ir(text).module
        if not any(split_function(the_function(module), ops, grid).crops()):
            continue
        DefaultPipeline().apply(make_context(), module)
        header, source = emit_c(module, "cropped")
        (tmp_path / "cropped.h").write_text(header)
        (tmp_path / "cropped.c").write_text(source)
        assert "reads part of its input's window: copy that part, row by row" in source
        sources.append(tmp_path / "cropped.c")
        break
    assert len(sources) == 2
    for path in sources:
        for strict in ([], ["-DCMSIS_OPT_CHECK_SCRATCH"]):
            build = subprocess.run([*compiler_command(), *STRICT, *strict, "-fsyntax-only", f"-I{path.parent}",
                                    f"-I{RUNTIME_DIR / 'include'}", str(path)], capture_output=True, text=True)
            assert build.returncode == 0, build.stderr


@pytest.mark.parametrize("options, message, status", [
    (["--patch", "9x9"], "error: patch-split: a 9x9 grid does not fit the stage output of 4x4; use a coarser grid", 1),
    (["--patch", "2by2"], "error: cmsis-compile: --patch: grid '2by2' is not ROWSxCOLUMNS (e.g. 2x2); or auto, or off",
     2),
    (["--patch", "0x3"], "error: cmsis-compile: --patch: grid '0x3' is not ROWSxCOLUMNS", 2),
    (["--patch", "2x2", "--patch-ops", "7"], "error: patch-split: the stage chain has 3 ops, not 7", 1),
    (["--patch", "2x2", "--patch-ops", "-1"],
     "error: cmsis-compile: --patch-ops must be >= 0 (0: the whole chain), got -1", 2),
    (["--patch-ops", "2"], "error: cmsis-compile: --patch-ops takes a grid: give --patch RxC too (--patch off chooses "
     "no op count from it)", 2),
    (["--patch", "auto", "--patch-ops", "2"], "error: cmsis-compile: --patch-ops takes a grid: give --patch RxC too "
     "(--patch auto chooses no op count from it)", 2),
    (["--patch", "auto", "--patch-max-overhead", "nan"],
     "error: cmsis-compile: --patch-max-overhead must be a finite percentage >= 0, got nan", 2),
    (["--patch", "auto", "--patch-max-overhead", "-5"],
     "error: cmsis-compile: --patch-max-overhead must be a finite percentage >= 0, got -5", 2),
    (["--patch-max-overhead", "20"],
     "error: cmsis-compile: --patch-max-overhead is the budget of --patch auto: give --patch auto too", 2),
])
def test_bad_patch_options_are_one_error_line(tmp_path, options, message, status):
    """A grid that is no grid is a usage error (2); one the model cannot take is an error about the model (1)."""
    result = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "out"), *options)
    assert result.returncode == status
    assert result.stderr.strip().splitlines() == [message] or message in result.stderr, result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options", [["--patch", "2x2", "--patch-ops", "1"], ["--stream-input"],
                                     ["--patch", "auto", "--stream-input"]])
def test_int16_activations_take_no_stage(tmp_path, options):
    """The tile loop's copies, offsets and region are in int8 elements: an int16 model (TFLite's 16x8 scheme) gets
    no stage and no streamed input, one error line saying so; --patch auto alone compiles it unpatched."""
    model = Path(__file__).parent / "data" / "tflite" / "conv.int16.tflite"
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"), *options)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("error:") == 1 and "Traceback" not in result.stderr
    assert "the function's input is int16; patch stages and streamed inputs run int8 activations only" in \
        result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
    auto = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "auto"), "--patch", "auto")
    plain = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "plain"))
    assert auto.returncode == 0 and plain.returncode == 0, auto.stderr + plain.stderr
    assert (tmp_path / "auto" / "conv.c").read_text() == (tmp_path / "plain" / "conv.c").read_text()


def test_stream_input_falls_back_to_row_bands_when_auto_finds_no_stage(tmp_path):
    """On this small stage no grid lowers the arena: --patch auto would keep the input whole, but --stream-input,
    whose C API needs a stage, is never dropped. The input is streamed into row bands of the first layer, the plan
    --stream-input alone makes, and a remark says why."""
    auto = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "auto"), "--patch", "auto", "--stream-input")
    assert auto.returncode == 0, auto.stderr
    assert "none of its" in auto.stderr and "row bands of the first layer instead" in auto.stderr, auto.stderr
    alone = run_tool("cmsis-compile", str(STAGE), "-o", str(tmp_path / "alone"), "--stream-input")
    assert alone.returncode == 0, alone.stderr
    plans = {d: json.loads((tmp_path / d / "memory.json").read_text()) for d in ("auto", "alone")}
    assert plans["auto"]["arena_bytes"] == plans["alone"]["arena_bytes"]
    stages = [[(s["grid"], len(s["layers"])) for s in plans[d]["patch_stages"]] for d in ("auto", "alone")]
    assert stages[0] == stages[1] and len(stages[0]) == 1 and stages[0][0][0].endswith("x1"), stages
    assert stages[0][0][1] == 1
    assert "read_input_rows" in (tmp_path / "auto" / "stage.h").read_text()


def wide_stage() -> str:
    """The lit test's 3-op stage (depthwise 3x3, conv 3x3 stride 2 SAME, conv 1x1) on a 32x32x2 input: a 16x16x4
    output, room for grids up to 16x16."""
    text = STAGE.read_text()
    body = text[text.index("builtin.module"):]
    return (body.replace("1x8x8x2x", "1x32x32x2x").replace("1x4x4x4x", "1x16x16x4x")
            .replace("-> tensor<1x8x8x2x", "-> tensor<1x32x32x2x"))


def test_tile_loop_code_does_not_grow_with_tiles(tmp_path):
    """The stage is one loop over a tile table: 8x8 tiles give the C of 2x2 tiles plus 60 table rows, one call per
    body op, and both run exactly like the unsplit function (host C, runtime/)."""
    rng = np.random.default_rng(3)
    sources, models, runs, lines = [], [], [], {}
    for grid in ("2x2", "8x8"):
        module = parse_ir(wide_stage()).module
        x = rng.integers(-128, 128, size=the_function(module).body.block.args[0].type.get_shape(), dtype=np.int8)
        (expected,) = run_function(module, [x])
        DefaultPipeline(patch=grid).apply(make_context(), module)
        name = f"g{grid}"
        header, source = emit_c(module, name)
        (tmp_path / f"{name}.h").write_text(header)
        (tmp_path / f"{name}.c").write_text(source)
        invoke = source[source.index(f"int {name}_invoke(void)"):source.index(f"int {name}_run(")]
        assert invoke.count("status = arm_") == 3, grid  # the three body ops, once each
        assert invoke.count("for (tile_index = 0;") == 1
        rows = [line for line in source.splitlines() if re.match(r"^    \{[-0-9, ]+\}, /\* tile \d+: output rows", line)]
        assert len(rows) == int(grid[0]) * int(grid[2])
        lines[grid] = (len(source.splitlines()) - len(rows), len(invoke.splitlines()))
        sources.append(tmp_path / f"{name}.c")
        models.append(HostModel(name, [x.size], [expected.size]))
        runs.append((name, x, expected))
    # what differs: table rows, and a struct field constant in one grid may vary in the other (a line moves)
    assert abs(lines["2x2"][0] - lines["8x8"][0]) <= 8, lines
    assert abs(lines["2x2"][1] - lines["8x8"][1]) <= 4, lines
    built = host_programs(sources, models, tmp_path)
    for name, x, expected in runs:
        run = subprocess.run([str(built["runtime"]), name], input=x.tobytes(), capture_output=True, timeout=60)
        assert run.returncode == 0, (name, run.stderr)
        assert run.stdout == expected.tobytes(), name
        for strict in ([], ["-DCMSIS_OPT_CHECK_SCRATCH"]):
            build = subprocess.run([*compiler_command(), *STRICT, *strict, "-fsyntax-only", f"-I{tmp_path}",
                                    f"-I{RUNTIME_DIR / 'include'}", str(tmp_path / f"{name}.c")],
                                   capture_output=True, text=True)
            assert build.returncode == 0, build.stderr


FAILING_READER = """
#include <stdio.h>
#include "s.h"
static int asked = 0;
int s_read_input_rows(int first_row, int rows, int8_t *dst)
{
    int k;
    for (k = 0; k < rows * 16; ++k) {  /* 8 x 2 bytes a row */
        dst[k] = (int8_t)(first_row + k);
    }
    asked += rows;
    return asked > 20 ? 7 : 0;
}
int main(void)
{
    int status = s_invoke();
    printf("%d %d %d\\n", status, S_INPUT_READ_FAILED, asked);
    return 0;
}
"""


def test_streamed_input_takes_no_arena_bytes_and_a_failed_read_stops_the_run(tmp_path):
    """--stream-input: the arena shrinks by the input's bytes, the header declares NAME_read_input_rows, and the
    first nonzero answer makes NAME_invoke() return NAME_INPUT_READ_FAILED, asking no further row."""
    plans = {}
    for stream in (False, True):
        out = tmp_path / f"s{int(stream)}"
        result = run_tool("cmsis-compile", str(STAGE), "-o", str(out), "--patch", "2x2", "--name", "s", "--quiet",
                          *(["--stream-input"] if stream else []))
        assert result.returncode == 0, result.stderr
        plans[stream] = json.loads((out / "memory.json").read_text())
    header = (tmp_path / "s1" / "s.h").read_text()
    assert "int s_read_input_rows(int first_row, int rows, int8_t *dst);" in header
    assert "s_input(void)" not in header and "int s_run(int8_t *output);" in header
    assert plans[True]["arena_bytes"] < plans[False]["arena_bytes"]
    strict = subprocess.run([*compiler_command(), *STRICT, "-fsyntax-only", f"-I{tmp_path / 's1'}",
                             f"-I{RUNTIME_DIR / 'include'}", str(tmp_path / "s1" / "s.c")], capture_output=True, text=True)
    assert strict.returncode == 0, strict.stderr
    (tmp_path / "main.c").write_text(FAILING_READER)
    program = tmp_path / "failing"
    build = subprocess.run([*compiler_command(), f"-I{tmp_path / 's1'}", f"-I{RUNTIME_DIR / 'include'}",
                            str(tmp_path / "s1" / "s.c"), str(tmp_path / "main.c"), *map(str, runtime_sources()),
                            "-o", str(program), "-lm"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    status, failed, asked = subprocess.run([str(program)], capture_output=True, text=True).stdout.split()
    assert status == failed == "-100" and asked == "21"


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="the Arm toolchain and QEMU are not installed (make arm-tools)")
def test_streamed_stage_on_qemu_m4_gives_the_unsplit_bytes(tmp_path):
    """target-check's harness serves a --stream-input model's rows on QEMU's Cortex-M4: the outputs equal the
    interpreter's on the unsplit stage byte for byte, the harness defines the callback (no NAME_input()), and the
    model's RAM is its arena alone (the harness's copy of the input, the camera's stand-in, is not the model's)."""
    from cmsis_opt.cmsis_nn import build_library, locate
    from cmsis_opt.tools.target_check import Case, check

    try:
        library = build_library("cortex-m4", locate(None))
    except CompileError:
        library = None  # runtime/ then, as target-check links without a tree
    module = parse_ir(STAGE.read_text()).module
    rng = np.random.default_rng(31)
    shape = the_function(module).body.block.args[0].type.get_shape()
    xs = rng.integers(-128, 128, size=(3, *shape), dtype=np.int8)
    expected = np.stack([run_function(module, [x])[0] for x in xs])
    case = Case("s", STAGE, xs, expected, ("--patch", "2x2", "--stream-input"))
    row = check(case, "cortex-m4", tmp_path, library)
    assert row.exact == "3/3"
    assert row.library.endswith("(streamed)")
    harness = (tmp_path / "s-cortex-m4" / "c" / "harness_model.h").read_text()
    assert "#define NET_READ_INPUT_ROWS s_read_input_rows" in harness and "s_input" not in harness
    plan = json.loads((tmp_path / "s-cortex-m4" / "c" / "memory.json").read_text())
    assert row.arena == plan["arena_bytes"] == row.bss_data


ROWS = Path(__file__).parent / "lit" / "patch-split" / "rows.mlir"

COUNTING_READER = """
#include <stdio.h>
#include "s.h"
static int asked[8];
static int next_row = 0;
int s_read_input_rows(int first_row, int rows, int8_t *dst)
{
    int k;
    if (first_row != next_row) {  /* rows must come in order, each once */
        return 9;
    }
    for (k = 0; k < rows * 16; ++k) {  /* 8 x 2 bytes a row */
        dst[k] = (int8_t)((first_row * 16 + k) * 37 % 256 - 128);
    }
    for (k = 0; k < rows; ++k) {
        asked[first_row + k] += 1;
    }
    next_row = first_row + rows;
    return 0;
}
int main(void)
{
    int8_t output[S_OUTPUT_SIZE];
    int k;
    int status = s_run(output);
    printf("%d", status);
    for (k = 0; k < 8; ++k) {
        printf(" %d", asked[k]);
    }
    printf("\\n");
    fwrite(output, 1, sizeof output, stdout);
    return 0;
}
"""


def test_stream_input_without_patch_runs_the_first_layer_in_row_bands(tmp_path):
    """--stream-input alone: the first layer becomes a one-op stage of R x 1 row bands, R the band count with the
    smallest arena (then the fewest bands); the input has no bytes; each input row is asked for once, in order
    (the rows a window shares with the previous one are kept); the outputs are the unsplit layer's."""
    out = tmp_path / "out"
    result = run_tool("cmsis-compile", str(ROWS), "-o", str(out), "--stream-input", "--name", "s")
    assert result.returncode == 0, result.stderr
    assert "--stream-input: the first layer runs in 8 bands of rows" in result.stderr + result.stdout
    plan = json.loads((out / "memory.json").read_text())
    (stage,) = plan["patch_stages"]
    assert (stage["grid"], len(stage["layers"]), stage["overhead_percent"]) == ("8x1", 1, 0.0)
    assert plan["buffers"][0]["size"] == 0
    # the arena: the output (8 x 8 x 4) and the tile region: the largest window (3 rows of 8 x 2: 48 bytes) and
    # arm_convolve_s8's im2col buffer (2 x 3 x 3 x 2 int16: 72, rounded to 80); each band is written straight
    # into the output, so the region holds no band of it
    assert stage["tile_region_bytes"] == 48 + 80 and plan["arena_bytes"] == 8 * 8 * 4 + 48 + 80
    # held whole, this input is overlapped in place by the output, so streaming it costs more here: said so
    assert "352 with the input held whole (without --stream-input)" in result.stderr
    strict = subprocess.run([*compiler_command(), *STRICT, "-fsyntax-only", f"-I{out}", f"-I{RUNTIME_DIR / 'include'}",
                             str(out / "s.c")], capture_output=True, text=True)
    assert strict.returncode == 0, strict.stderr
    (tmp_path / "main.c").write_text(COUNTING_READER)
    program = tmp_path / "counting"
    build = subprocess.run([*compiler_command(), f"-I{out}", f"-I{RUNTIME_DIR / 'include'}", str(out / "s.c"),
                            str(tmp_path / "main.c"), *map(str, runtime_sources()), "-o", str(program), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(program)], capture_output=True)
    line, output = run.stdout.split(b"\n", 1)
    assert line.decode().split() == ["0"] + ["1"] * 8  # status 0, every row asked for once
    x = ((np.arange(128) * 37) % 256 - 128).astype(np.int8).reshape(1, 8, 8, 2)
    (expected,) = run_function(parse_ir(ROWS.read_text()).module, [x])
    assert output == expected.tobytes()
    # a nonzero answer stops the run at once: here the read of the second band's new rows (from row 2) fails
    (tmp_path / "main.c").write_text(COUNTING_READER.replace("return 0;\n}\nint main", "return first_row >= 2;\n}\n"
                                                             "int main"))
    build = subprocess.run([*compiler_command(), f"-I{out}", f"-I{RUNTIME_DIR / 'include'}", str(out / "s.c"),
                            str(tmp_path / "main.c"), *map(str, runtime_sources()), "-o", str(program), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    line = subprocess.run([str(program)], capture_output=True).stdout.split(b"\n", 1)[0]
    assert line.decode().split() == ["-100", "1", "1", "1", "0", "0", "0", "0", "0"]


def test_row_bands_choice_is_the_exhaustive_one():
    """The row-band search (bounds pruning) chooses what planning every band count chooses: the smallest arena,
    then the fewest bands; it never keeps the input whole."""
    assert row_bands(8) == [2, 3, 4, 8] and row_bands(1) == [1] and row_bands(48)[:3] == [2, 3, 4]
    base = DefaultPipeline(stream_input=True)
    for text in chains_with_a_tail(6, 43):
        module = parse_ir(text).module
        every = search(module, base, 0.0, prune=False, rows_only=True)
        pruned = search(module, base, 0.0, rows_only=True)
        height = stage_chain(the_function(module))[0].output.type.get_shape()[1]
        assert {c.grid for c in every.planned} == {f"{r}x1" for r in row_bands(height)}
        assert pruned.choice == every.choice == choose(every.planned)
        assert all(c.ops == 1 and c.extra_macs == 0 and c.bound <= c.arena for c in every.planned)


FULLY_CONNECTED = """
func.func @fc(%x: tensor<2x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>> {
  %y = cmsis.fully_connected %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 128 : i32, output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<2x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>>
  func.return %y : tensor<2x2x!quant.uniform<i8:f32, 0.5:-128>>
}
"""  # noqa: E501


def test_stream_input_without_a_stream_able_first_layer_is_one_error(tmp_path):
    """A first layer that is no conv, depthwise conv or pool (here a fully connected model) cannot take rows."""
    model = tmp_path / "fc.mlir"
    model.write_text(FULLY_CONNECTED)
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"), "--stream-input")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cmsis-compile: --stream-input: the input cannot be streamed in rows: no stage: the function's input "
        "is not read by a conv, depthwise conv or pool alone (batch 1, NHWC)"], result.stderr
    assert not (tmp_path / "out").exists()


def test_tile_loop_refuses_tiles_that_need_other_text():
    """The emitter's tile loop turns numbers that differ into table columns, and stops with an internal error when
    two tiles would need other text (here another function), rather than emit a loop that is wrong for one."""
    from cmsis_opt.backend.c import _Emitter

    module = parse_ir(STAGE.read_text()).module
    DefaultPipeline().apply(make_context(), module)
    func = the_function(module)
    emitter = _Emitter(func, "m", memory_plan(func))
    emitter.ident = "stage"
    emitter.tile_loop(3, lambda k: emitter.call("f", [f"&{emitter.dims('dims', (1, 5, 4 + k, 2))}", "7"]),
                      ["a", "b", "c"])
    text = "\n".join(emitter.body + emitter.consts)
    assert "static const int32_t m_stage_tiles[3][1] = {" in text and "{5}, /* b */" in text
    assert "const cmsis_nn_dims m_stage_dims = {.n = 1, .h = 5, .w = tile[0], .c = 2};" in text
    assert "status = f(&m_stage_dims, 7);" in text
    with pytest.raises(CompileError, match="internal error: the tiles of layer .* need different C text"):
        emitter.tile_loop(2, lambda k: emitter.call("f" if k == 0 else "g", ["1"]), ["a", "b"])


def chains_with_a_tail(count: int, seed: int) -> list[str]:
    """Random chains (`random_chain`) of 2-4 window ops, at least 8x8 pixels after the first: room for grids."""
    rng = np.random.default_rng(seed)
    found: list[str] = []
    while len(found) < count:
        text = random_chain(rng, int(rng.integers(2, 5)))
        if text is None:
            continue
        chain = stage_chain(the_function(parse_ir(text).module))
        if min(chain[0].output.type.get_shape()[1:3]) >= 8:
            found.append(text)
    return found


def assert_pruned_is_exhaustive(module, base: DefaultPipeline, budget: float) -> tuple[int, int]:
    """The pruned search chooses what planning every candidate chooses, and no bound exceeds its real arena.

    Returns (candidates planned by the pruned search, candidates in all)."""
    every = search(module, base, budget, prune=False)
    pruned = search(module, base, budget)
    assert not every.skipped
    assert pruned.choice == every.choice == choose(every.planned)
    for c in every.planned:
        assert c.bound <= c.arena, c  # the bound is a lower bound: never above the real plan's arena
    by_place = {(c.ops, c.grid): c for c in every.planned}
    for c in pruned.planned:
        assert c == by_place[(c.ops, c.grid)]
    for ops, grid, bound in pruned.skipped:  # skipped ones: their bound already loses to the choice
        real = by_place[(ops, grid)]
        assert bound == real.bound and real.key > pruned.choice.key
    assert len(pruned.planned) + len(pruned.skipped) == len(every.planned)
    return len(pruned.planned), len(every.planned)


def test_pruned_patch_choice_is_the_exhaustive_one_on_random_chains():
    planned = total = 0
    bases = (DefaultPipeline(), DefaultPipeline(inplace=False), DefaultPipeline(kernel_switch="always"),
             DefaultPipeline(stream_input=True))
    for index, text in enumerate(chains_with_a_tail(12, 31)):
        p, t = assert_pruned_is_exhaustive(parse_ir(text).module, bases[index % 4], 100.0)
        planned, total = planned + p, total + t
    assert planned < total  # the bounds do skip candidates


def test_pruned_patch_choice_is_the_exhaustive_one_on_random_residual_networks():
    """Stage ends past residual adds: their bounds hold the stage's inner values inside the tile region."""
    planned = total = 0
    bases = (DefaultPipeline(), DefaultPipeline(inplace=False), DefaultPipeline(kernel_switch="always"),
             DefaultPipeline(stream_input=True))
    rng = np.random.default_rng(41)
    residual = 0
    for index in range(8):
        text = random_residual(rng)
        residual += any(isinstance(op, cmsis.AddOp) for op in stage_chain(the_function(parse_ir(text).module)))
        p, t = assert_pruned_is_exhaustive(parse_ir(text).module, bases[index % 4], 100.0)
        planned, total = planned + p, total + t
    assert residual == 8 and planned < total


# kws_dscnn in make test; the larger two (two minutes of planning every candidate) in make stress
@pytest.mark.parametrize("model, budget", [("kws_dscnn", 100.0),
                                           pytest.param("ic_resnet8", 100.0, marks=pytest.mark.slow),
                                           pytest.param("vww_mobilenetv1", 2.0, marks=pytest.mark.slow)])
def test_pruned_patch_choice_is_the_exhaustive_one_on_models(models_dir, model, budget):
    from cmsis_opt.api import load_module

    module = load_module(models_dir / f"{model}.int8.tflite")
    planned, total = assert_pruned_is_exhaustive(module, DefaultPipeline(core="cortex-m4"), budget)
    assert planned <= total


def test_equal_arenas_choose_fewer_macs_then_the_coarser_grid():
    def c(ops, grid, arena, extra):
        return Candidate(ops, grid, arena, extra, 1000)

    assert choose([c(2, "4x4", 900, 10), c(3, "2x2", 900, 12)]).grid == "4x4"  # fewer extra MACs first
    assert choose([c(2, "4x4", 900, 10), c(3, "2x2", 900, 10)]).grid == "2x2"  # then the coarser grid
    assert choose([c(0, "off", 900, 0), c(1, "2x2", 900, 0)]).grid == "off"  # no stage at equal cost
    assert choose([c(2, "2x2", 900, 0), c(1, "2x2", 900, 0)]).ops == 1  # then the shorter stage
    assert choose([c(0, "off", 901, 0), c(4, "8x8", 900, 500)]).grid == "8x8"  # the arena comes first


def test_stress_patched_networks(tmp_path):
    """`make stress --patched` in small: 10 seeded random networks with patching on (random stage ends and grids),
    host C and the interpreter's tile loop against the unpatched network."""
    import stress

    from cmsis_opt.hostbuild import build_runtime

    draws = stress.patched_draws(10, 20261201)
    assert sum(ops > 1 for _, ops, _ in draws) >= 3 and all(r * c > 1 for _, _, (r, c) in draws)
    runtime = build_runtime(tmp_path)
    counts = stress.run_patched_batch(20261201, draws, runtime, str(tmp_path))
    assert counts["failures"] == [] and counts["mismatches"] == []
    assert counts["networks"] == 10


ROW_READER = """\
#include "t.h"

static int8_t t_out[T_OUTPUT_SIZE];

int8_t *t_output(void) { return t_out; }
int t_check(void) { return 0; }
const char *t_layer_name(int layer) { return layer == 0 ? "none" : "t"; }

/* The callback's answers to ranges out of and within the input's 4 rows, then rows 3 and 1 as served. */
int t_invoke(void)
{
    int8_t row[6] = {0, 0, 0, 0, 0, 0};
    t_out[0] = (int8_t)t_read_input_rows(-1, 1, row);
    t_out[1] = (int8_t)t_read_input_rows(0, 5, row);
    t_out[2] = (int8_t)t_read_input_rows(3, 2, row);
    t_out[3] = (int8_t)t_read_input_rows(0, -1, row);
    t_out[4] = (int8_t)t_read_input_rows(1, 2147483647, row);
    t_out[5] = (int8_t)t_read_input_rows(5, 0, row);
    t_out[6] = (int8_t)t_read_input_rows(4, 0, row);
    t_out[7] = (int8_t)t_read_input_rows(3, 1, row);
    for (int i = 0; i < 6; i++) {
        t_out[8 + i] = row[i];
    }
    t_out[14] = (int8_t)t_read_input_rows(1, 1, row);
    for (int i = 0; i < 6; i++) {
        t_out[15 + i] = row[i];
    }
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="the Arm toolchain and QEMU are not installed (make arm-tools)")
def test_qemu_harness_row_callback_refuses_ranges_outside_the_input(tmp_path):
    """runtime/qemu/harness.c's NAME_read_input_rows for a 1x4x2x3 streamed input: 1 for a negative first row or
    count, a range past row 4 (also one that overflows int), a first row past the end; 0 and the file's bytes for
    rows within it (an empty range at the end included)."""
    from cmsis_opt.tools.target_check import Case, _gcc_build, _harness_header, run_on_board

    c_dir = tmp_path / "c"
    c_dir.mkdir()
    (c_dir / "t.h").write_text("#include <stdint.h>\n#define T_INPUT_SHAPE {1, 4, 2, 3}\n#define T_INPUT_SIZE 24\n"
                               "#define T_OUTPUT_SIZE 21\nint t_read_input_rows(int first_row, int rows, int8_t *dst);\n"
                               "int t_invoke(void);\nint8_t *t_output(void);\nint t_check(void);\n"
                               "const char *t_layer_name(int layer);\n")
    (c_dir / "t.c").write_text(ROW_READER)
    _harness_header(c_dir, "t")
    x = np.arange(-12, 12, dtype=np.int8).reshape(1, 4, 2, 3)
    elf, _ = _gcc_build(Case("t", c_dir / "t.c", x[None], None), "cortex-m4", c_dir, tmp_path, None)
    x.tofile(tmp_path / "input_000.bin")
    console = run_on_board(elf, "cortex-m4", tmp_path)
    assert "inputs_run=1" in console, console
    got = np.fromfile(tmp_path / "output_000.bin", dtype=np.int8)
    assert got[:8].tolist() == [1, 1, 1, 1, 1, 1, 0, 0]
    assert got[8:14].tolist() == x[0, 3].reshape(-1).tolist()
    assert got[14] == 0 and got[15:].tolist() == x[0, 1].reshape(-1).tolist()


def test_stream_input_bands_with_quiet_match_the_plain_run(tmp_path):
    """--stream-input without --patch plans its row bands on the unplanned module with --quiet too (which drops only
    the remarks): the written files are those of the run without --quiet."""
    outputs = []
    for options in ([], ["--quiet"]):
        out = tmp_path / f"out{len(options)}"
        result = run_tool("cmsis-compile", str(STAGE), "-o", str(out), "--stream-input", *options)
        assert result.returncode == 0 and "error:" not in result.stderr, result.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] and "memory.json" in outputs[0]


POOL_FIRST = """seed 6
input x: 1x15x11x8, scale=0.02, zp=1
p = maxpool(x, kernel=3, stride=2, ceil=true)
c = dwconv(p, kernel=3, pad=1, act=relu)
a = avgpool(c, kernel=3, stride=2, pad=1)
c2 = conv(a, filters=4, kernel=1)
output c2
"""


def test_auto_stream_input_is_never_larger_than_row_bands(tmp_path):
    """--patch auto --stream-input keeps the smaller of its best stage and the first layer's row bands (which
    --stream-input alone plans): on this net the row bands win (560 bytes against a 3x2 stage's 864)."""
    net = tmp_path / "pool_first.net"
    net.write_text(POOL_FIRST)
    arenas, stderr = {}, {}
    for tag, options in (("auto", ["--patch", "auto", "--stream-input"]), ("alone", ["--stream-input"])):
        result = run_tool("cmsis-compile", str(net), "-o", str(tmp_path / tag), *options)
        assert result.returncode == 0, result.stderr
        arenas[tag] = json.loads((tmp_path / tag / "memory.json").read_text())["arena_bytes"]
        stderr[tag] = result.stderr
    assert arenas == {"auto": 560, "alone": 560}, arenas
    assert "row bands of the first layer (560 bytes) beat the best stage (864 bytes)" in stderr["auto"], stderr


def test_a_grid_too_fine_for_the_whole_chain_names_the_stage_ends_it_fits(tmp_path):
    """The default stage is the whole chain, which may end at a 1x1 global pool: the error lists the shorter
    stages (their --patch-ops) whose output takes the grid."""
    net = tmp_path / "gap.net"
    net.write_text("seed 1\ninput x: 1x8x8x2, scale=0.02, zp=1\nc = conv(x, filters=4, kernel=3, pad=1, act=relu)\n"
                   "g = globalavgpool(c)\noutput g\n")
    result = run_tool("cmsis-compile", str(net), "-o", str(tmp_path / "out"), "--patch", "3x2")
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == ("error: patch-split: a 3x2 grid does not fit the stage output of 1x1; a shorter "
                                     "stage fits it: ops (--patch-ops) 1"), result.stderr


@pytest.mark.parametrize("net, message", [
    ("seed 5\ninput x: 1x16x12x4, scale=0.02, zp=1\nc1 = conv(x, filters=4, kernel=3, pad=1, act=relu)\n"
     "a = add(x, c1, scale=0.03, zp=0)\nc2 = conv(a, filters=8, kernel=3, stride=2, pad=1)\noutput c2\n",
     "the input is read by more than the first op (a residual block starts at the input): no first layer alone "
     "takes its rows; --patch auto --stream-input (or --patch RxC --patch-ops N --stream-input, stage ends 2, 3) "
     "streams it through a stage"),
    ("input x: 1x8x8x2, scale=0.05, zp=0\ninput z: 1x8x8x2, scale=0.05, zp=0\na = add(x, z)\n"
     "c = conv(a, filters=3, kernel=3, pad=1)\noutput c\n",
     "a stage and a streamed input take a model with one input, this one has 2"),
])
def test_stream_input_alone_says_why_and_what_to_do(tmp_path, net, message):
    path = tmp_path / "m.net"
    path.write_text(net)
    result = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "out"), "--stream-input")
    assert result.returncode == 1 and result.stderr.count("error:") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_patch_auto_reports_progress_while_it_plans_and_clears_it():
    """Each planned candidate is announced (`diagnostics.progress`), and the report ends with None, which
    clears the terminal's status line; the tools print nothing of it to a log or with --quiet."""
    from cmsis_opt.diagnostics import progress_to

    reports: list[str | None] = []
    with progress_to(reports.append):
        found = search(parse_ir(RESIDUAL.read_text()).module, DefaultPipeline(), 100.0)
    assert len(found.planned) > 1 and reports[-1] is None and all(isinstance(r, str) for r in reports[:-1])
    messages = [r for r in reports if r is not None]
    assert len(messages) == len(found.planned) - 1  # the unpatched plan is planned before the candidates
    total = len(found.planned) - 1 + len(found.skipped)
    assert messages[0] == f"--patch auto: planning 1 of at most {total} candidate stages; smallest arena so far " \
                          f"{found.planned[0].arena:,} bytes"


def test_progress_reaches_a_terminal_only(tmp_path):
    if shutil.which("script") is None:
        pytest.skip("no `script` (util-linux) to run cmsis-compile on a pseudo-terminal")
    command = f"{BIN / 'cmsis-compile'} {RESIDUAL} -o {tmp_path / 'out'} --patch auto --patch-max-overhead 100"
    tty = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, timeout=300)
    shown = tty.stdout.decode()  # bytes: text mode would turn the carriage returns into newlines
    assert tty.returncode == 0, shown
    assert "\r\x1b[K--patch auto: planning 1 of at most" in shown and "\r\x1b[K" in shown.split("planning")[-1]
    log = run_tool("cmsis-compile", str(RESIDUAL), "-o", str(tmp_path / "log"), "--patch", "auto",
                   "--patch-max-overhead", "100")
    assert log.returncode == 0 and "planning" not in log.stderr and "\x1b" not in log.stderr + log.stdout
