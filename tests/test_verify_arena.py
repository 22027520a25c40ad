"""--verify-arena catches every kind of broken plan, and passes every plan the allocator makes."""

from __future__ import annotations

import random

import pytest
from test_memory_ir import Graph, module_of

from cmsis_opt.context import make_context
from cmsis_opt.dialects import arena
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.passes.verify_arena import VerifyArenaPass
from cmsis_opt.plan import memory_plan, the_function

ALIAS = "arena.alias %{out} onto %{src} {{max_delta = {d} : i64}} : tensor<1x{n}x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x{m}x!quant.uniform<i8:f32, 0.5:0>>"


def planned(g: Graph, aliases=(), **options):
    """Plan `g` (aliases: (out, src, max_delta) lines added to the IR) with --arena-alloc."""
    text = g.text()
    for out, src, d in aliases:
        line = ALIAS.format(out=out, src=src, d=d, n=g.sizes[out], m=g.sizes[src])
        text = text.replace("  func.return", f"  {line}\n  func.return")
    module = module_of(text)
    ArenaAllocPass(**options).apply(make_context(), module)
    return module


def verify(module) -> None:
    VerifyArenaPass().apply(make_context(), module)


def chain_with_alias():
    # x (100) -> a (100) written over x at most 20 bytes below it -> b (50)
    g = Graph().input("x", 100).fc("a", "x", 100).fc("b", "a", 50).output("b")
    return planned(g, [("a", "x", -20)], alignment=4)


def buffer_op(module, name: str):
    return next(op for op in the_function(module).body.block.ops
                if isinstance(op, (arena.BufferOp, arena.ScratchOp)) and op.buffer_name.data == name)


def test_a_planned_module_passes():
    module = chain_with_alias()
    verify(module)
    plan = memory_plan(module)
    assert plan.by_name("a").offset - plan.by_name("input").offset == -20


def test_shifting_one_offset_is_caught_with_both_names_the_step_and_the_bytes():
    module = chain_with_alias()
    plan = memory_plan(module)
    b, a = plan.by_name("b"), plan.by_name("a")
    buffer_op(module, "b").set("offset", a.offset)  # b now sits on a, which it reads
    with pytest.raises(CompileError) as error:
        verify(module)
    message = str(error.value)
    assert "'a'" in message and "'b'" in message and "step 1 ('b', cmsis.fully_connected)" in message
    assert f"share bytes [{a.offset}, {a.offset + b.size})" in message


def test_shrinking_the_arena_is_caught():
    module = chain_with_alias()
    size = memory_plan(module).arena_size
    old = the_function(module).attributes["arena.plan"]
    the_function(module).attributes["arena.plan"] = arena.PlanAttr(size - 4, old.alignment, old.strategy)
    with pytest.raises(CompileError, match=f"does not fit in the arena of {size - 4} bytes"):
        verify(module)


def test_violating_the_alias_delta_is_caught():
    module = chain_with_alias()
    x = memory_plan(module).by_name("input")
    buffer_op(module, "a").set("offset", x.offset - 16)  # the kernel allows -20 at most
    with pytest.raises(CompileError, match=r"the alias allows offset\('a'\) - offset\('input'\) <= -20, got -16"):
        verify(module)


def test_dropping_the_alias_is_caught():
    module = chain_with_alias()
    alias = next(op for op in the_function(module).body.block.ops if isinstance(op, arena.AliasOp))
    alias.detach()
    alias.erase()
    with pytest.raises(CompileError, match=r"buffers 'a' \[0, 100\) and 'input' \[20, 120\) share bytes \[20, 100\) at step 0"):
        verify(module)


def test_an_alias_licenses_nothing_when_its_input_is_read_later():
    # b would be written over a, but the add at step 2 still reads a
    g = Graph().input("x", 64).fc("a", "x", 64).fc("b", "a", 64).add("c", "a", "b").output("c")
    module = planned(g, [("b", "a", 0)], alignment=1)
    verify(module)
    plan = memory_plan(module)
    assert plan.by_name("b").offset != plan.by_name("a").offset  # the allocator kept them apart
    buffer_op(module, "b").set("offset", plan.by_name("a").offset)
    with pytest.raises(CompileError, match="'a' .* and 'b' .* share bytes .* at step 1"):
        verify(module)


def test_a_view_with_bytes_of_its_own_is_caught():
    g = Graph().input("x", 16).fc("a", "x", 16).reshape("v", "a").output("v")
    module = planned(g)
    view = the_function(module).body.block.last_op.operands[0]
    the_function(module).body.block.insert_op_before(arena.BufferOp(view, "v", 16), the_function(module).body.block.last_op)
    bad = the_function(module).body.block.last_op.prev_op
    bad.set("offset", 0)
    with pytest.raises(CompileError, match="a view shares its source's buffer"):
        verify(module)


@pytest.mark.parametrize("field, value, message", [
    ("offset", None, "has no offset"),
    ("offset", 2, "is not aligned to 4 bytes"),
    ("size", 10, "has 10 bytes, its tensor needs 100"),
])
def test_missing_unaligned_or_short_buffers_are_caught(field, value, message):
    module = chain_with_alias()
    op = buffer_op(module, "a")
    if value is None:
        del op.properties[field]
    else:
        op.set(field, value)
    with pytest.raises(CompileError, match=message):
        verify(module)


def test_an_unplanned_module_is_refused():
    with pytest.raises(CompileError, match="no #arena.plan"):
        verify(module_of(Graph().input("x", 4).fc("a", "x", 4).output("a").text()))


def _owners_by_byte(module) -> str | None:
    """A second opinion: paint every byte at every step; licensed alias pairs may share."""
    plan = memory_plan(module)
    steps = len(plan.steps)
    licences = {(b.name, src): d for b in plan.buffers for src, d in b.aliases}
    for t in range(steps):
        owner: dict[int, str] = {}
        for b in plan.buffers:
            if not b.first <= t <= b.last:
                continue
            for byte in range(b.offset, b.offset + b.size):
                other = owner.get(byte)
                if other is not None:
                    ok = any(
                        (o, s) in licences and plan.by_name(o).offset - plan.by_name(s).offset <= licences[(o, s)]
                        and plan.by_name(o).step == t and plan.by_name(s).last == t
                        for o, s in ((b.name, other), (other, b.name))
                    )
                    if not ok:
                        return f"{other}/{b.name} at step {t}"
                owner[byte] = b.name
    return None


def test_the_checker_agrees_with_a_byte_by_byte_painter_on_random_plans():
    rng = random.Random(5)
    caught = 0
    for trial in range(40):
        g = Graph().input("x", rng.randrange(1, 40))
        names = ["x"]
        for i in range(rng.randrange(2, 7)):
            src = rng.choice(names[-2:])
            g.fc(f"l{i}", src, rng.randrange(1, 40))
            names.append(f"l{i}")
        g.output(names[-1])
        aliases = [(names[i + 1], names[i], rng.randrange(-8, 2)) for i in range(len(names) - 1) if rng.random() < 0.5
                   and g.lines[i].split(" ")[3] == f"%{names[i]}"]
        module = planned(g, aliases, alignment=rng.choice([1, 4]))
        verify(module)
        assert _owners_by_byte(module) is None
        victim = rng.choice(memory_plan(module).buffers)
        moved = max(0, victim.offset + rng.choice([-8, -4, -1, 1, 4, 8]))
        buffer_op(module, victim.name).set("offset", moved)
        old = the_function(module).attributes["arena.plan"]
        the_function(module).attributes["arena.plan"] = arena.PlanAttr(old.size, 1, old.strategy)
        expected = _owners_by_byte(module) is not None or moved + victim.size > memory_plan(module).arena_size
        try:
            verify(module)
            rejected = False
        except CompileError:
            rejected = True
        assert rejected == expected, (trial, victim.name, moved)
        caught += rejected
    assert caught > 5


def test_an_alias_never_licenses_overwriting_a_graph_output():
    # the last op would write b over a, but a is returned too
    g = Graph().input("x", 64).fc("a", "x", 64).fc("b", "a", 64).output("a", "b")
    module = planned(g, [("b", "a", 0)], alignment=1)
    verify(module)
    plan = memory_plan(module)
    assert plan.by_name("b").offset != plan.by_name("a").offset
    buffer_op(module, "b").set("offset", plan.by_name("a").offset)
    with pytest.raises(CompileError, match="'a' .* and 'b' .* share bytes .* at step 1"):
        verify(module)
