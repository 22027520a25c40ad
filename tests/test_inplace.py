"""--inplace-alias: which outputs may overlap which inputs, and the 1x1 kernel switch."""

from __future__ import annotations

import pytest
from conftest import run_tool

from cmsis_opt.context import make_context
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.ir import parse_ir, print_ir
from cmsis_opt.passes.inplace_alias import InplaceAliasPass, alias_saving
from cmsis_opt.plan import memory_plan

Q = "!quant.uniform<i8:f32, 0.5:-128>"


def t(*shape: int) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{Q}>"


def conv(arg: str, shape_in, oc: int, k: int, pad: int, layer: str, stride: int = 1) -> tuple[str, tuple]:
    """A conv op line and its output shape (SAME-style when pad = k // 2)."""
    n, h, w, c = shape_in
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    ones, zeros = ", ".join(["1073741824"] * oc), ", ".join(["0"] * oc)
    text = (f'cmsis.conv {arg} {{layer = "{layer}", filter = dense<1> : tensor<{oc}x{k}x{k}x{c}xi8>, '
            f"multiplier = array<i32: {ones}>, shift = array<i32: {zeros}>, input_offset = 128 : i32, output_offset = -128 : i32, "
            f"act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: {stride}, {stride}>, padding = array<i64: {pad}, {pad}>, "
            f"dilation = array<i64: 1, 1>}} : ({t(*shape_in)}) -> {t(n, oh, ow, oc)}")
    return text, (n, oh, ow, oc)


ADD_PROPS = ("input1_offset = 128 : i32, input1_multiplier = 1073741824 : i32, input1_shift = 0 : i32, input2_offset = 128 : i32, "
             "input2_multiplier = 1073741824 : i32, input2_shift = 0 : i32, left_shift = 20 : i32, output_offset = -128 : i32, "
             "output_multiplier = 1073741824 : i32, output_shift = 0 : i32, act_min = -128 : i32, act_max = 127 : i32")


def module(args: str, body: list[str], results: str) -> str:
    lines = "\n".join(f"    {line}" for line in body)
    return f"builtin.module {{\n  func.func @net({args}) -> {results} {{\n{lines}\n  }}\n}}\n"


def run(text: str, **options):
    source = parse_ir(text)
    InplaceAliasPass(**options).apply(make_context(), source.module)
    source.verify(stage="inplace-alias")
    return source.module


def aliases(mod) -> list[tuple[str, str, int]]:
    """(output buffer, input buffer, max_delta) of every arena.alias, by buffer name."""
    plan = memory_plan(mod)
    return [(plan.buffer(op.result).name, plan.buffer(op.source).name, op.max_delta.value.data)
            for op in mod.walk() if isinstance(op, arena.AliasOp)]


def residual_block() -> str:
    c1, s1 = conv("%x", (1, 8, 8, 4), 4, 3, 1, "conv1")
    return module(f"%x : {t(1, 8, 8, 4)}", [
        f"%y = {c1}",
        f'%z = cmsis.add %y, %x {{layer = "add", {ADD_PROPS}}} : ({t(*s1)}, {t(*s1)}) -> {t(*s1)}',
        f"func.return %z : {t(*s1)}",
    ], t(*s1))


def test_an_input_still_needed_later_is_never_overlapped():
    mod = run(residual_block())
    # x is read again by the add: conv1 may not write over it; both inputs of the add die there
    assert aliases(mod) == [("add", "conv1", 0), ("add", "input", 0)]
    assert memory_plan(mod).inplace


def test_a_graph_output_is_never_overwritten():
    c1, s1 = conv("%x", (1, 8, 8, 4), 4, 3, 1, "conv1")
    c2, s2 = conv("%y", s1, 4, 3, 1, "conv2")
    text = module(f"%x : {t(1, 8, 8, 4)}", [f"%y = {c1}", f"%z = {c2}", f"func.return %y, %z : {t(*s1)}, {t(*s2)}"],
                  f"({t(*s1)}, {t(*s2)})")
    assert aliases(run(text)) == [("conv1", "input", -(8 + 1) * 4)]


def test_running_twice_gives_the_same_ir():
    once = run(residual_block())
    twice = parse_ir(print_ir(once))
    InplaceAliasPass().apply(make_context(), twice.module)
    assert print_ir(twice.module) == print_ir(once)


def test_a_planned_function_keeps_its_overlaps_or_is_refused():
    """Its offsets rely on the overlaps and kernels chosen before: the same options choose them again; other
    options, or a plan made without inplace-alias, are refused before the IR changes."""
    from cmsis_opt.passes.arena_alloc import ArenaAllocPass
    from cmsis_opt.passes.verify_arena import VerifyArenaPass

    planned = run(pointwise_chain(), allow_undocumented=True)
    ArenaAllocPass().apply(make_context(), planned)
    text = print_ir(planned)
    again = parse_ir(text).module
    InplaceAliasPass(allow_undocumented=True).apply(make_context(), again)
    VerifyArenaPass().apply(make_context(), again)
    assert print_ir(again) == text
    for options in ({}, {"kernel_switch": "never", "allow_undocumented": True}):
        other = parse_ir(text).module
        with pytest.raises(CompileError, match=r"already planned, and its offsets rely on the overlaps "
                           r"inplace-alias\{kernel-switch=peak allow-undocumented=true\} chose: give those options, "
                           r"or run --inplace-alias before --arena-alloc"):
            InplaceAliasPass(**options).apply(make_context(), other)
        assert print_ir(other) == text
    unaliased = parse_ir(pointwise_chain()).module
    ArenaAllocPass().apply(make_context(), unaliased)
    with pytest.raises(CompileError, match="already planned without in-place overlaps: run --inplace-alias before "
                                           "--arena-alloc"):
        InplaceAliasPass().apply(make_context(), unaliased)


def test_the_tool_refuses_to_change_the_overlaps_of_a_planned_file(tmp_path):
    (tmp_path / "m.mlir").write_text(pointwise_chain())
    first = run_tool("cmsis-opt", "m.mlir", "--inplace-alias=allow-undocumented=true", "--arena-alloc", "-o", "p.mlir",
                     cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_tool("cmsis-opt", "p.mlir", "--inplace-alias", "-o", "q.mlir", cwd=tmp_path)
    assert second.returncode == 1
    assert second.stderr.startswith("error: inplace-alias: the function is already planned"), second.stderr
    assert not (tmp_path / "q.mlir").exists()


def pointwise_chain() -> str:
    """16x16x8 -(1x1)-> 16x16x16 -(avg 4x4/4)-> 4x4x16 -(1x1)-> 4x4x16: the peak is the first 1x1 conv."""
    pw1, s1 = conv("%x", (1, 16, 16, 8), 16, 1, 0, "pw1")
    pw2, s2 = conv("%p", (1, 4, 4, 16), 16, 1, 0, "pw2")
    pool = (f'cmsis.avg_pool %y {{layer = "pool", kernel = array<i64: 4, 4>, stride = array<i64: 4, 4>, padding = array<i64: 0, 0>, '
            f"act_min = -128 : i32, act_max = 127 : i32}} : ({t(*s1)}) -> {t(1, 4, 4, 16)}")
    return module(f"%x : {t(1, 16, 16, 8)}", [f"%y = {pw1}", f"%p = {pool}", f"%z = {pw2}", f"func.return %z : {t(*s2)}"], t(*s2))


def switched(mod) -> list[str]:
    return [op.attributes["layer"].data for op in mod.walk()
            if isinstance(op, cmsis.ConvOp) and op.kernel is not None and op.kernel.data == "generic"]


def test_peak_switches_only_the_pointwise_conv_that_sets_the_peak():
    mod = run(pointwise_chain())
    assert switched(mod) == ["pw1"]
    plan = memory_plan(mod)
    assert plan.scratch(next(op for op in mod.walk() if isinstance(op, cmsis.ConvOp))).size == 2 * 8 * 2
    assert ("pw1", "input", -2032) in aliases(mod)
    assert not any(out == "pw2" for out, _, _ in aliases(mod))


def test_always_and_never():
    assert switched(run(pointwise_chain(), kernel_switch="always")) == ["pw1", "pw2"]
    never = run(pointwise_chain(), kernel_switch="never")
    assert switched(never) == []
    assert [a for a in aliases(never) if a[0].startswith("pw")] == []
    assert [b.name for b in memory_plan(never).of_kind("scratch")] == ["pool.scratch"]


def test_every_switched_conv_gets_its_im2col_scratch():
    plan = memory_plan(run(pointwise_chain(), kernel_switch="always"))
    assert [(b.name, b.size) for b in plan.of_kind("scratch")] == [("pw1.scratch", 32), ("pool.scratch", 64), ("pw2.scratch", 64)]


def test_saving_of_an_overlap():
    assert alias_saving(100, 100, 0) == 100
    assert alias_saving(100, 50, -20) == 30
    assert alias_saving(100, 50, -50) == 0
    assert alias_saving(100, 50, 80) == 50  # placed at 50 instead, the output lies inside the input
    assert alias_saving(50, 100, 10) == 50


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="option 'kernel-switch' must be one of peak, never, always; got 'sometimes'"):
        run(residual_block(), kernel_switch="sometimes")
    with pytest.raises(TypeError):  # the target is the module's, not a pass option
        run(residual_block(), target="cortex-m3")


def test_the_tool_reports_bad_options_on_one_line(tmp_path):
    source = tmp_path / "net.mlir"
    source.write_text(residual_block())
    result = run_tool("cmsis-opt", str(source), "-p", "inplace-alias{kernel-switch=sometimes}")
    assert result.returncode != 0
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert "kernel-switch" in result.stderr and "Traceback" not in result.stderr
