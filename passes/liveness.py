"""`--liveness`: give every buffer its live interval in operator steps, and the function its lower bounds.

Step s is the s-th kernel op (`KernelOp`) of the function body. A buffer
lives from the step that writes it (graph inputs: 0) to the last step that
reads it, through any views of it (graph outputs: the last step). A scratch
buffer lives at its op's step only. The lower bounds are the largest sums of
live bytes over the steps, with and without scratch: no plan without overlap
beats them. The pass records the memory plan (`cmsis_opt.plan`) with its
intervals in the IR and `#arena.bounds<no_overlap = N, activations = M>` on
the function.

`order=min-memory` first moves the kernel ops into the topological order with
the smallest such peak (see `min_memory_order`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Operation, SSAValue

from cmsis_opt.dialects import arena
from cmsis_opt.dialects.kernel import view_source
from cmsis_opt.passes.attach_target import ensure_target
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import invalidate, kernel_steps, memory_plan, readers, the_function, write_buffers

BEAM_WORK = 1_000_000
"""Budget of the ordering search: it keeps at most BEAM_WORK / n^2 states per level (n kernel ops, 32 to 4096)."""


# -- reordering --------------------------------------------------------------


@dataclass
class _Graph:
    """The kernel ops as a dependency graph with the bytes each one makes live."""

    preds: list[int]  # bit mask of the kernel ops each op reads from
    out_size: list[int]
    out_kept: list[bool]  # the output outlives its step (it has readers or is a graph output)
    scratch: list[int]
    frees: list[list[tuple[int, int]]]  # per op: (readers mask, size) of each buffer it reads
    inputs_live: int  # bytes of graph inputs (live from step 0)
    dead_inputs: int  # bytes of graph inputs nobody reads (live at step 0 only)


def _graph(func: FuncOp) -> _Graph:
    plan = memory_plan(func)
    steps = plan.steps
    index: dict[Operation, int] = {op: i for i, op in enumerate(steps)}
    size: dict[SSAValue, int] = {b.value: b.size for b in plan.buffers if b.kind != "scratch"}
    scratch = [0] * len(steps)
    for op, buf in plan._scratch.items():
        scratch[index[op]] += buf.size

    def readers_mask(value: SSAValue) -> tuple[int, bool]:
        mask, returned = 0, False
        for reader in readers(value):
            if isinstance(reader, ReturnOp):
                returned = True
            elif reader in index:
                mask |= 1 << index[reader]
        return mask, returned

    g = _Graph([0] * len(steps), [0] * len(steps), [False] * len(steps), scratch, [[] for _ in steps], 0, 0)
    for value in func.body.block.args:
        mask, returned = readers_mask(value)
        if returned or mask:
            g.inputs_live += size.get(value, 0)
        else:
            g.dead_inputs += size.get(value, 0)
    for i, op in enumerate(steps):
        out = op.results[0]
        mask, returned = readers_mask(out)
        g.out_size[i] = size.get(out, 0)
        g.out_kept[i] = returned or bool(mask)
        seen: set[SSAValue] = set()
        for operand in op.operands:
            src = view_source(operand)
            if src in seen:
                continue
            seen.add(src)
            owner = src.owner  # an op, or the function's block for a graph input
            if isinstance(owner, Operation) and owner in index:
                g.preds[i] |= 1 << index[owner]
        # buffers this op may free: read here, not a graph output
        for src in seen:
            mask_src, returned_src = readers_mask(src)
            if not returned_src:
                g.frees[i].append((mask_src, size.get(src, 0)))
    return g


def _peak_of(g: _Graph, order: list[int]) -> int:
    done, resident, peak = 0, g.inputs_live, 0
    for position, k in enumerate(order):
        cost = resident + g.out_size[k] + g.scratch[k] + (g.dead_inputs if position == 0 else 0)
        peak = max(peak, cost)
        done |= 1 << k
        resident += g.out_size[k] if g.out_kept[k] else 0
        resident -= sum(s for mask, s in g.frees[k] if mask & ~done == 0)
    return peak


def min_memory_order(func: FuncOp, beam_width: int | None = None) -> tuple[list[int], bool]:
    """A topological order of the kernel ops with the smallest peak of live bytes; and whether it is proven optimal.

    Dynamic programming over the sets of ops already run (each state keeps the
    best peak that reaches it). Chains and graphs with few branches have few
    such sets, so the search is exact; beyond `beam_width` states per level it
    keeps the most promising ones and becomes a heuristic.
    """
    g = _graph(func)
    n = len(g.preds)
    if beam_width is None:
        beam_width = min(4096, max(32, BEAM_WORK // max(1, n * n)))
    # state: done mask -> (peak, resident, order)
    level: dict[int, tuple[int, int, tuple[int, ...]]] = {0: (0, g.inputs_live, ())}
    exact = True
    for _ in range(n):
        nxt: dict[int, tuple[int, int, tuple[int, ...]]] = {}
        for done, (peak, resident, order) in level.items():
            for k in range(n):
                bit = 1 << k
                if done & bit or g.preds[k] & ~done:
                    continue
                cost = resident + g.out_size[k] + g.scratch[k] + (g.dead_inputs if not done else 0)
                new_done = done | bit
                new_resident = resident + (g.out_size[k] if g.out_kept[k] else 0)
                new_resident -= sum(s for mask, s in g.frees[k] if mask & ~new_done == 0)
                state = (max(peak, cost), new_resident, order + (k,))
                old = nxt.get(new_done)
                if old is None or state[:2] < old[:2]:
                    nxt[new_done] = state
        if len(nxt) > beam_width:
            exact = False
            nxt = dict(sorted(nxt.items(), key=lambda item: item[1][:2])[:beam_width])
        level = nxt
    best = min(level.values(), key=lambda s: s[:2]) if level else (0, 0, ())
    given = list(range(n))
    if _peak_of(g, given) <= best[0]:
        return given, exact
    return list(best[2]), exact


def reorder_function(func: FuncOp, order: list[int]) -> None:
    """Move the kernel ops into `order`; every other op follows the last kernel op it depends on."""
    block = func.body.block
    steps = kernel_steps(func)
    if order == list(range(len(steps))):
        return
    new_pos: dict[Operation, int] = {steps[k]: i for i, k in enumerate(order)}
    anchor: dict[Operation, int] = {}
    groups: list[list[Operation]] = [[] for _ in range(len(steps) + 1)]  # groups[0]: before any kernel op
    ops = list(block.ops)
    terminator = ops.pop() if isinstance(block.last_op, ReturnOp) else None
    for op in ops:
        if op in new_pos:
            continue
        pos = -1
        for operand in op.operands:
            owner = operand.owner
            if isinstance(owner, Operation):
                pos = max(pos, new_pos[owner] if owner in new_pos else anchor.get(owner, -1))
        anchor[op] = pos
        groups[pos + 1].append(op)
    for op in ops:
        op.detach()
    if terminator is not None:
        terminator.detach()
    for op in groups[0]:
        block.add_op(op)
    for i, k in enumerate(order):
        block.add_op(steps[k])
        for op in groups[i + 1]:
            block.add_op(op)
    if terminator is not None:
        block.add_op(terminator)


def record_bounds(func: FuncOp) -> arena.BoundsAttr:
    """Write the plan's intervals into the IR and `#arena.bounds` on the function; returns the bounds."""
    write_buffers(func, intervals=True)
    plan = memory_plan(func)
    bounds = arena.BoundsAttr(plan.no_overlap_bound, plan.activation_no_overlap_bound)
    arena.set_function_attr(func, bounds)
    return bounds


@dataclass(frozen=True)
class LivenessPass(CmsisPass):
    """Annotate every buffer with its live interval in operator steps and the function with its lower bounds."""

    name: ClassVar[str] = "liveness"
    order: Literal["given", "min-memory"] = "given"

    def run(self, module: ModuleOp) -> None:
        ensure_target(module)
        func = the_function(module)
        if self.order == "min-memory":
            order, _ = min_memory_order(func)
            reorder_function(func, order)
            invalidate(module)
        record_bounds(func)
