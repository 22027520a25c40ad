"""Place every buffer at an offset in one arena, honouring alias constraints.

Reads the buffers and intervals from the IR (running --liveness first if an
interval is missing), places them with a strategy of `cmsis_opt.allocators`
and writes `offset` on every buffer plus `arena.size`, `arena.strategy` and
`arena.alignment` on the function.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass

from cmsis_opt.allocators import STRATEGIES, Alias, Block, Placement, Problem, aligned_lower_bound, place
from cmsis_opt.errors import CompileError
from cmsis_opt.plan import Plan, read_plan, the_function

WHERE = "arena-alloc"


def problem_of(plan: Plan, alignment: int) -> Problem:
    """The placement problem of a plan whose intervals are known."""
    index = {b.name: i for i, b in enumerate(plan.buffers)}
    blocks = [Block(b.size, b.first, b.last, b.name) for b in plan.buffers]  # type: ignore[arg-type]
    # a graph output is never overwritten, whatever an alias says
    aliases = [Alias(i, index[src], delta) for i, b in enumerate(plan.buffers) for src, delta in b.aliases
               if not plan.buffers[index[src]].returned]
    return Problem(blocks, aliases, alignment)


def _needs_liveness(plan: Plan) -> bool:
    return not plan.buffers or any(b.first is None or b.last is None for b in plan.buffers) or plan.lower_bound is None


def peak_step(plan: Plan, offsets: list[int]) -> tuple[int, int]:
    """The step whose live buffers reach highest in the arena, and the bytes live there."""
    top = [0] * max(len(plan.steps), 1)
    live = [0] * len(top)
    for b, x in zip(plan.buffers, offsets):
        for t in range(b.first, min(b.last, len(top) - 1) + 1):  # type: ignore[arg-type]
            top[t] = max(top[t], x + b.size)
            live[t] += b.size
    step = max(range(len(top)), key=lambda t: (top[t], live[t]))
    return step, live[step]


def allocate_function(func: FuncOp, strategy: str = "auto", alignment: int = 16, max_size: int = 0,
                      time_limit: float = 5.0) -> Placement:
    """Place the buffers of `func` and record the plan on it; returns the placement."""
    plan = read_plan(func)
    if _needs_liveness(plan):
        from cmsis_opt.passes.liveness import annotate_function, ensure_buffers

        ensure_buffers(func)
        annotate_function(func)
        plan = read_plan(func)
    problem = problem_of(plan, alignment)
    placement = place(problem, strategy, time_limit)
    if max_size and placement.size > max_size:
        step, live = peak_step(plan, placement.offsets)
        where = plan.step_name(step) if plan.steps else "the graph inputs"
        bound = (f"{live} bytes are live before overlaps (lower bound {aligned_lower_bound(problem)} bytes with them)"
                 if problem.has_aliases else f"{live} bytes are live (lower bound {plan.lower_bound} bytes)")
        raise CompileError(
            f"the arena needs {placement.size} bytes, more than max-size={max_size}: the peak is at {where}, "
            f"where {bound}", WHERE)
    for b, x in zip(plan.buffers, placement.offsets):
        b.op.set("offset", x)
    func.attributes["arena.size"] = IntegerAttr(placement.size, i64)
    func.attributes["arena.strategy"] = StringAttr(placement.strategy)
    func.attributes["arena.alignment"] = IntegerAttr(alignment, i64)
    if strategy in ("optimal", "auto") and not placement.exact:
        bound = aligned_lower_bound(problem)
        print(f"remark: {WHERE}: {placement.note}; arena {placement.size} bytes, lower bound {bound}"
              f"{' with the aliases' if problem.has_aliases else ''}", file=sys.stderr)
    return placement


def check_options(strategy: str, alignment: int, max_size: int, time_limit: float) -> None:
    if strategy not in STRATEGIES:
        raise CompileError(f"unknown strategy '{strategy}' (known: {', '.join(STRATEGIES)})", WHERE)
    if alignment < 1:
        raise CompileError(f"alignment must be a positive number of bytes, got {alignment}", WHERE)
    if alignment & (alignment - 1):
        raise CompileError(f"alignment must be a power of two, got {alignment}", WHERE)
    if max_size < 0:
        raise CompileError(f"max-size must be >= 0 (0: no limit), got {max_size}", WHERE)
    if time_limit < 0:
        raise CompileError(f"time-limit must be >= 0 seconds, got {time_limit}", WHERE)


@dataclass(frozen=True)
class ArenaAllocPass(ModulePass):
    """Place every buffer at an offset in one arena, honouring alias constraints."""

    name: ClassVar[str] = "arena-alloc"
    strategy: str = "auto"
    alignment: int = 16
    max_size: int = 0
    time_limit: float = 5.0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_options(self.strategy, self.alignment, self.max_size, self.time_limit)
        allocate_function(the_function(op), self.strategy, self.alignment, self.max_size, self.time_limit)
