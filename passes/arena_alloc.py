"""`--arena-alloc`: place every buffer at an offset in one arena, honouring the alias licences.

Places the memory plan's buffers (`cmsis_opt.plan`: sizes and live steps
from the IR, overlaps licensed by `arena.alias`) with a strategy of
`cmsis_opt.allocators`, then records the whole plan in the IR: every buffer
with its name, size, interval and offset, and `#arena.plan<size, alignment,
strategy>` on the function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from cmsis_opt.allocators import SEARCH_NODES, Placement, Problem, aligned_lower_bound, place
from cmsis_opt.diagnostics import remark
from cmsis_opt.dialects import arena
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.passes.attach_target import ensure_target
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import Plan, invalidate, memory_plan, the_function, write_buffers

WHERE = "arena-alloc"
Strategy = Literal["auto", "naive", "greedy-by-size", "best-fit", "optimal"]


def problem_of(plan: Plan, alignment: int) -> Problem:
    """The placement problem of a plan (`Plan.problem`)."""
    return plan.problem(alignment)


def peak_step(plan: Plan, offsets: list[int]) -> tuple[int, int]:
    """The step whose live buffers reach highest in the arena, and the bytes live there."""
    top = [0] * max(len(plan.steps), 1)
    live = [0] * len(top)
    for b, x in zip(plan.buffers, offsets, strict=True):
        for t in range(b.first, min(b.last, len(top) - 1) + 1):
            top[t] = max(top[t], x + b.size)
            live[t] += b.size
    step = max(range(len(top)), key=lambda t: (top[t], live[t]))
    return step, live[step]


MAX_ALIGNMENT = 1 << 24
"""The largest `alignment` (bytes), 16 MiB: more than any Cortex-M's SRAM. Each buffer's offset is a multiple of it,
so the arena grows with it; from 2^27 on the host linker cannot place the arena (x86-64's +-2 GiB relocations)."""

MAX_ARENA_BYTES = (1 << 32) - 1
"""The largest arena a Cortex-M can address: its address space is 32 bits."""


def check_alignment(alignment: int) -> str | None:
    """Why `alignment` cannot align the arena's buffers (None if it can): a power of two up to MAX_ALIGNMENT."""
    if alignment < 1 or alignment & (alignment - 1):
        return f"must be a power of two, got {alignment}"
    if alignment > MAX_ALIGNMENT:
        return f"must be at most {MAX_ALIGNMENT} (2^24, 16 MiB: more than a Cortex-M's SRAM), got {alignment}"
    return None


def allocate_function(func: FuncOp, strategy: str = "auto", alignment: int = 16, max_size: int = 0,
                      time_limit: float = 60.0, search_nodes: int = SEARCH_NODES) -> Placement:
    """Place the buffers of `func` and record the plan on it; returns the placement.

    Raises CompileError when the arena would exceed `max_size` (0: no limit),
    naming the peak step and what is live there, or a Cortex-M's 32-bit
    address space (MAX_ARENA_BYTES).
    """
    plan = memory_plan(func)
    problem = problem_of(plan, alignment)
    placement = place(problem, strategy, time_limit, search_nodes)
    if max_size and placement.size > max_size:
        step, live = peak_step(plan, placement.offsets)
        where = plan.step_name(step) if plan.steps else "the graph inputs"
        bound = (f"{live} bytes are live before overlaps (lower bound {aligned_lower_bound(problem)} bytes with them)"
                 if problem.has_aliases else f"{live} bytes are live (lower bound {plan.no_overlap_bound} bytes)")
        raise CompileError(
            f"the arena needs {placement.size} bytes, more than max-size={max_size}: the peak is at {where}, "
            f"where {bound}", WHERE)
    if placement.size > MAX_ARENA_BYTES:
        raise CompileError(
            f"the arena needs {placement.size} bytes, more than a Cortex-M's 32-bit address space holds "
            f"({MAX_ARENA_BYTES}){'; choose a smaller alignment' if alignment > 16 else ''}", WHERE)
    for b, x in zip(plan.buffers, placement.offsets, strict=True):
        b.offset = x
    write_buffers(func, intervals=True, offsets=True)
    arena.set_function_attr(func, arena.PlanAttr(placement.size, alignment, placement.strategy))
    invalidate(func)
    if strategy in ("optimal", "auto") and not placement.exact:
        bound = aligned_lower_bound(problem)
        remark(f"{placement.note}; arena {placement.size} bytes, lower bound {bound}"
               f"{' with the aliases' if problem.has_aliases else ''}", WHERE)
    return placement


@dataclass(frozen=True)
class ArenaAllocPass(CmsisPass):
    """Place every buffer at an offset in one arena, honouring alias constraints."""

    name: ClassVar[str] = "arena-alloc"
    strategy: Strategy = "auto"
    alignment: int = 16
    max_size: int = 0
    search_nodes: int = SEARCH_NODES
    time_limit: float | int = 60.0

    def __post_init__(self) -> None:
        super().__post_init__()
        where = f"pass '{self.name}'"
        if (problem := check_alignment(self.alignment)) is not None:
            raise UsageError(f"option 'alignment' {problem}", where)
        if self.max_size < 0:
            raise UsageError(f"option 'max-size' must be >= 0 (0: no limit), got {self.max_size}", where)
        if self.search_nodes < 0:
            raise UsageError(f"option 'search-nodes' must be >= 0 (0: no budget), got {self.search_nodes}", where)
        if self.time_limit < 0:
            raise UsageError(f"option 'time-limit' must be >= 0 seconds, got {self.time_limit}", where)

    def run(self, module: ModuleOp) -> None:
        ensure_target(module)
        allocate_function(the_function(module), self.strategy, self.alignment, self.max_size, float(self.time_limit),
                          self.search_nodes)
