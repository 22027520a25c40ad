"""--arena-alloc on IR: offsets and function attributes, options, the max-size error, the remark."""

from __future__ import annotations

import pytest
from conftest import run_tool
from test_memory_ir import Graph, chain, module_of

from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.passes.liveness import LivenessPass
from cmsis_opt.plan import memory_plan


def allocate(text: str, **options):
    module = module_of(text)
    ArenaAllocPass(**options).apply(make_context(), module)
    return memory_plan(module)


def test_offsets_size_strategy_and_alignment_are_recorded():
    plan = allocate(chain(100, 30, 100).text(), strategy="greedy-by-size")
    assert {b.name: b.offset for b in plan.buffers} == {"input": 0, "l0": 112, "l1": 0}
    assert (plan.arena_size, plan.strategy, plan.alignment) == (144, "greedy-by-size", 16)
    assert plan.no_overlap_bound == 130  # the liveness analysis of the same plan


def test_the_printed_no_overlap_bound_counts_the_alignment_padding():
    """130 bytes are live at the peak, but with offsets aligned to 16 no plan without overlap is below 144 (the
    100-byte buffer's end is padded to 112 before the 30-byte one, the arena rounded up): the bound the report
    prints is never below an arena without overlap, and says what alignment added."""
    from cmsis_opt.report import bounds_lines

    plan = allocate(chain(100, 30, 100).text(), strategy="greedy-by-size")
    assert plan.no_overlap_bound == 130 and plan.aligned_no_overlap_bound() == 144 == plan.arena_size
    line = bounds_lines(plan)[-1]
    assert line.startswith("no-overlap bound 144 bytes (activations 130; 130 live, offsets aligned to 16)"), line
    assert allocate(chain(100, 30, 100).text(), alignment=1).aligned_no_overlap_bound() == 130


def test_auto_reaches_the_lower_bound_and_says_which_heuristic_won():
    plan = allocate(chain(64, 32, 64, 32).text(), alignment=1)
    assert plan.arena_size == plan.no_overlap_bound == 96
    assert plan.strategy.startswith("auto (")


def test_an_alias_in_the_ir_is_exploited_exactly():
    g = Graph().input("x", 100).fc("a", "x", 100).output("a")
    text = g.text().replace("  func.return", "  arena.alias %a onto %x {max_delta = -24 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, "
                            "tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>\n  func.return")
    plan = allocate(text, alignment=4)
    assert plan.by_name("a").offset - plan.by_name("input").offset == -24
    assert plan.arena_size == 124 < plan.no_overlap_bound == 200


def test_max_size_names_the_peak_operator_and_the_bytes_needed():
    # step 0 holds x and wide (416 bytes), step 1 wide and narrow (432): the peak
    g = Graph().input("x", 16).fc("wide", "x", 400).fc("narrow", "wide", 32).output("narrow")
    with pytest.raises(CompileError) as error:
        allocate(g.text(), max_size=256)
    message = str(error.value)
    assert message.startswith("arena-alloc: the arena needs 432 bytes, more than max-size=256")
    assert "step 1 ('narrow', cmsis.fully_connected), where 432 bytes are live" in message
    assert allocate(g.text(), max_size=432).arena_size == 432


@pytest.mark.parametrize("options, message", [
    ({"strategy": "random"}, "option 'strategy' must be one of auto, naive, greedy-by-size, best-fit, optimal; got 'random'"),
    ({"alignment": 0}, "option 'alignment' must be a power of two, got 0"),
    ({"alignment": 12}, "option 'alignment' must be a power of two, got 12"),
    ({"alignment": 1 << 30}, "option 'alignment' must be at most 16777216"),
    ({"max_size": -1}, "option 'max-size' must be >= 0"),
    ({"time_limit": -1.0}, "option 'time-limit' must be >= 0"),
    ({"search_nodes": -1}, "option 'search-nodes' must be >= 0"),
])
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message) as error:
        allocate(chain(8, 8).text(), **options)
    assert error.value.status == 2 and error.value.where == "pass 'arena-alloc'"


def test_an_arena_past_the_32_bit_address_space_is_an_error(monkeypatch):
    """A Cortex-M addresses 2^32 bytes; a bound of 255 stands in for it (a real 4 GB arena takes 4 GB of tensors
    or an alignment of 2^24, the largest, with 256 buffers live at once)."""
    from cmsis_opt.passes import arena_alloc

    assert arena_alloc.MAX_ARENA_BYTES == 2**32 - 1
    monkeypatch.setattr(arena_alloc, "MAX_ARENA_BYTES", 255)
    with pytest.raises(CompileError, match=r"^arena-alloc: the arena needs 256 bytes, more than a Cortex-M's 32-bit "
                       r"address space holds \(255\); choose a smaller alignment$"):
        allocate(chain(8, 8).text(), alignment=128)
    assert allocate(chain(8, 8).text(), alignment=16).arena_size <= 255


def test_rerunning_replaces_the_plan():
    module = module_of(chain(100, 30, 100).text())
    ArenaAllocPass(strategy="naive").apply(make_context(), module)
    assert memory_plan(module).arena_size == 256
    ArenaAllocPass().apply(make_context(), module)
    assert memory_plan(module).arena_size == 144


def test_min_memory_order_then_allocation_is_valid(tmp_path):
    g = Graph().input("x", 16).fc("b1", "x", 1000).fc("a1", "x", 2000).fc("a2", "a1", 1000).add("j", "a2", "b1").output("j")
    module = module_of(g.text())
    LivenessPass(order="min-memory").apply(make_context(), module)
    ArenaAllocPass(alignment=1).apply(make_context(), module)
    assert memory_plan(module).arena_size == 3016


def test_the_cli_prints_one_error_line_for_max_size(tmp_path):
    source = tmp_path / "chain.mlir"
    source.write_text(chain(100, 300, 100).text())
    out = tmp_path / "out.mlir"
    proc = run_tool("cmsis-opt", str(source), "--arena-alloc=max-size=100", "-o", str(out))
    assert proc.returncode == 1 and not out.exists()
    # 100 bytes take 112 when the next buffer must start 16-aligned: 112 + 300, rounded up
    assert proc.stderr.startswith("error: arena-alloc: the arena needs 416 bytes") and proc.stderr.count("\n") == 1


def test_the_cli_remarks_when_the_time_limit_cuts_the_search(tmp_path):
    import random

    rng = random.Random(13)  # a graph whose plan the search cannot prove minimal in 0.2 s
    g = Graph().input("x", 4)
    names = ["x"]
    for i in range(30):
        g.fc(f"l{i}", rng.choice(names[-4:]), rng.randrange(1, 200))
        names.append(f"l{i}")
    g.output(names[-1])
    source = tmp_path / "g.mlir"
    source.write_text(g.text())
    proc = run_tool("cmsis-opt", str(source), "--liveness", "--arena-alloc=strategy=optimal time-limit=0.2 alignment=4")
    assert proc.returncode == 0, proc.stderr
    plan = memory_plan(module_of(proc.stdout))
    assert plan.strategy == "optimal (time limit: best found)" and plan.arena_size > plan.no_overlap_bound
    assert proc.stderr.startswith("remark: arena-alloc: time limit 0.2 s reached") and "not proven minimal" in proc.stderr
