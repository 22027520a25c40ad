"""--bufferize and --liveness on small graphs, and the memory plan (the analysis they record)."""

from __future__ import annotations

import pytest
from test_memory_ir import Graph, chain, module_of

from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.ir import parse_ir, print_ir
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.passes.bufferize import BufferizePass
from cmsis_opt.passes.liveness import LivenessPass, min_memory_order
from cmsis_opt.passes.attach_target import AttachTargetPass
from cmsis_opt.plan import memory_plan, the_function

CONV = (
    '%y = cmsis.conv %x {filter = dense<1> : tensor<2x3x3x3xi8>, bias = dense<[1, 2]> : tensor<2xi32>, '
    "multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, -1>, input_offset = 128 : i32, "
    "output_offset = -128 : i32, act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>, "
    'padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, layer = "conv1"} '
    ": (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>"
)
CONV_FUNC = (
    "func.func @f(%x: tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>> {\n"
    f"  {CONV}\n  func.return %y : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>\n}}\n"
)


def run(text: str, *passes):
    module = module_of(text)
    for p in passes:
        p.apply(make_context(), module)
    return module


def test_bufferize_names_inputs_and_layers_and_sizes_them_in_bytes():
    g = Graph().input("x", 10).input("z", 10).fc("a", "x", 30).fc("b", "a", 20, layer="a").add("c", "b", "b").output("c")
    plan = memory_plan(run(g.text(), BufferizePass()))
    assert [(b.name, b.kind, b.size) for b in plan.buffers] == [
        ("input", "input", 10), ("input_1", "input", 10), ("a", "activation", 30), ("a_1", "activation", 20), ("c", "output", 20),
    ]
    assert plan.target == "cortex-m4"


def test_bufferize_names_a_layerless_op_by_kind_and_step():
    g = Graph().input("x", 10).fc("a", "x", 4).fc("b", "a", 4, layer=False).output("b")
    assert [b.name for b in memory_plan(run(g.text(), BufferizePass())).buffers] == ["input", "a", "fully_connected_1"]


def test_views_get_no_buffer_and_resolve_to_their_source():
    g = Graph().input("x", 8).fc("a", "x", 16).reshape("r", "a").output("r")
    module = run(g.text(), BufferizePass())
    plan = memory_plan(module)
    assert [b.name for b in plan.buffers] == ["input", "a"]
    reshape_result = the_function(module).body.block.last_op.operands[0]
    assert plan.buffer(reshape_result).name == "a" and plan.buffer(reshape_result).kind == "output"


def test_bufferize_adds_the_kernel_scratch_per_target():
    m4 = memory_plan(run(CONV_FUNC, AttachTargetPass(core="cortex-m4"), BufferizePass()))
    m55 = memory_plan(run(CONV_FUNC, AttachTargetPass(core="cortex-m55"), BufferizePass()))
    # arm_convolve_s8 im2col: DSP 2 * align4(3*3*3) * 2 bytes; MVE 4 * ceil16(27)
    assert m4.by_name("conv1.scratch").size == 2 * 28 * 2
    assert m55.by_name("conv1.scratch").size == 4 * 32
    assert m4.by_name("conv1.scratch").kind == "scratch" and m55.target == "cortex-m55"


def test_bufferize_is_idempotent_and_retargets_scratch():
    once = run(CONV_FUNC, BufferizePass())
    text = print_ir(once)
    BufferizePass().apply(make_context(), once)
    assert print_ir(once) == text
    AttachTargetPass(core="cortex-m55").apply(make_context(), once)
    BufferizePass().apply(make_context(), once)
    assert memory_plan(once).by_name("conv1.scratch").size == 128
    assert once.attributes["cmsis.target"].core == "cortex-m55"


def test_bufferize_records_the_default_core_when_none_is_attached():
    module = run(CONV_FUNC, BufferizePass())
    assert module.attributes["cmsis.target"].core == "cortex-m4"


def test_attach_target_rejects_an_unknown_core_and_a_planned_module():
    with pytest.raises(UsageError, match="option 'core' must be one of .*; got 'cortex-a53'"):
        AttachTargetPass(core="cortex-a53")
    planned = run(CONV_FUNC, ArenaAllocPass())
    with pytest.raises(CompileError, match="already planned for cortex-m4"):
        AttachTargetPass(core="cortex-m55").apply(make_context(), planned)
    AttachTargetPass(core="cortex-m4").apply(make_context(), planned)  # the same core: nothing changes


def test_liveness_intervals_follow_readers_views_and_outputs():
    # step: 0 a=fc(x)  1 b=fc(x)  2 c=add(a,b)  3 d=fc(v), v a view of c  4 e=fc(d); outputs a and e
    g = (Graph().input("x", 8).fc("a", "x", 16).fc("b", "x", 16).add("c", "a", "b")
         .reshape("v", "c").fc("d", "v", 4).fc("e", "d", 2).output("a", "e"))
    plan = memory_plan(run(g.text(), LivenessPass()))
    intervals = {b.name: (b.first, b.last) for b in plan.buffers}
    assert intervals == {"input": (0, 1), "a": (0, 4), "b": (1, 2), "c": (2, 3), "d": (3, 4), "e": (4, 4)}
    assert plan.live_bytes() == [8 + 16, 8 + 16 + 16, 16 * 3, 16 + 16 + 4, 16 + 4 + 2]
    assert plan.no_overlap_bound == plan.activation_no_overlap_bound == 48


def test_scratch_counts_in_the_lower_bound_at_its_step_only():
    plan = memory_plan(run(CONV_FUNC, LivenessPass()))
    scratch = plan.by_name("conv1.scratch")
    assert (scratch.first, scratch.last) == (0, 0)
    assert plan.activation_no_overlap_bound == 192 + 128
    assert plan.no_overlap_bound == 192 + 128 + scratch.size


def test_liveness_records_the_buffers_when_there_are_none():
    plan = memory_plan(run(chain(10, 20, 30).text(), LivenessPass()))
    assert [b.name for b in plan.buffers] == ["input", "l0", "l1"] and plan.no_overlap_bound == 50


def test_unknown_order_is_a_usage_error():
    with pytest.raises(UsageError, match="option 'order' must be one of given, min-memory; got 'fastest'"):
        run(chain(4, 4).text(), LivenessPass(order="fastest"))


def _two_branches() -> Graph:
    # Branch B is one layer whose 1000-byte result waits for the join; branch A passes through 2000 bytes.
    # Given order runs B first, so its result is live through all of A.
    return (Graph().input("x", 16)
            .fc("b1", "x", 1000)
            .fc("a1", "x", 2000).fc("a2", "a1", 1000)
            .add("j", "a2", "b1").output("j"))


def test_min_memory_order_runs_the_big_branch_first_and_keeps_the_ir_valid():
    given = memory_plan(run(_two_branches().text(), LivenessPass()))
    module = run(_two_branches().text(), LivenessPass(order="min-memory"))
    better = memory_plan(module)
    assert given.no_overlap_bound == 1000 + 2000 + 1000  # b1, a1, a2 at step 2
    assert better.no_overlap_bound == 16 + 2000 + 1000  # x, a1, a2: b1 is not made yet
    assert [s.attributes["layer"].data for s in better.steps] == ["a1", "a2", "b1", "j"]
    again = parse_ir(print_ir(module), "reordered.mlir")  # verifies: every value defined before use
    assert print_ir(again.module) == print_ir(module)


def test_min_memory_order_keeps_an_already_best_order():
    module = module_of(chain(8, 16, 8, 4).text())
    BufferizePass().apply(make_context(), module)
    order, exact = min_memory_order(the_function(module))
    assert order == [0, 1, 2] and exact


def test_plan_reads_aliases_as_alias_of_and_max_delta():
    text = CONV_FUNC.replace(
        "  func.return",
        "  arena.alias %y onto %x {max_delta = -24 : i64} : tensor<1x8x8x2x!quant.uniform<i8:f32, 0.5:-128>>, "
        "tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>\n  func.return",
    )
    plan = memory_plan(run(text, LivenessPass()))
    out = plan.by_name("conv1")
    assert (out.alias_of, out.max_delta, out.aliases) == ("input", -24, [("input", -24)])
    assert out.step == 0 and out.layer == "conv1" and out.shape == (1, 8, 8, 2)
