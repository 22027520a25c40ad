"""`--inplace-alias`: let each op's output overlap its dying input as far as the kernel's read/write order allows.

For every kernel op whose input buffer dies at that op (its last step is the
op's step and it is not a graph output; a view's buffer is its source's), adds

    arena.alias %out onto %in {max_delta = d}

with d = `KernelOp.max_safe_delta` on the module target's path (no alias
where it is None), and records `#arena.inplace<...>` on the function.

`kernel-switch` decides about 1x1 convolutions that the wrapper sends to
`arm_convolve_1x1_s8_fast` (which allows no overlap): `always` lowers every one
whose input dies there to the generic `arm_convolve_s8` (`kernel = "generic"`,
which needs an im2col scratch but lets the output trail the input); `peak` only
those whose switch lowers the estimated arena (the largest per-step footprint,
counting the overlap each alias permits); `never` keeps the wrapper's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation, SSAValue

from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.kernel import KernelOp
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.attach_target import ensure_target
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import Plan, invalidate, memory_plan, the_function, write_buffers
from cmsis_opt.targets import BuildPath

FAST_1X1 = "arm_convolve_1x1_s8_fast"


def dying_inputs(op: Operation, step: int, plan: Plan) -> list[SSAValue]:
    """Operands of `op` whose buffer's last step is `step` and that are not graph outputs (one per buffer)."""
    found: list[SSAValue] = []
    seen: set[str] = set()
    for operand in op.operands:
        try:
            buf = plan.buffer(operand)
        except KeyError:
            continue
        if buf.name in seen or buf.returned or buf.last != step:
            continue
        seen.add(buf.name)
        found.append(operand)
    return found


def alias_saving(in_size: int, out_size: int, delta: int) -> int:
    """The most bytes the output may share with its input when it starts at most `delta` bytes after it.

    With the input at 0 and the output at d, they share the overlap of
    [0, in_size) and [d, d + out_size); it is largest for d up to
    max(0, in_size - out_size), so the best allowed d is the smaller of that and delta.
    """
    d = min(delta, max(0, in_size - out_size))
    return max(0, min(in_size, d + out_size) - max(0, d))


class _Deltas:
    """`max_safe_delta` per (op, kernel choice, operand): access orders cost time, so each is computed once."""

    def __init__(self, path: BuildPath, allow_undocumented: bool):
        self.path: BuildPath = path
        self.allow_undocumented = allow_undocumented
        self.cache: dict[tuple[int, str, int], int | None] = {}

    def __call__(self, op: KernelOp, operand: int) -> int | None:
        key = (id(op), op.kernel_function(self.path), operand)
        if key not in self.cache:
            self.cache[key] = op.max_safe_delta(self.path, self.allow_undocumented, operand)
        return self.cache[key]

    def footprint(self, plan: Plan) -> list[int]:
        """Estimated arena per step: the live bytes minus what the best alias at that step lets overlap."""
        load = plan.live_bytes()
        for step, op in enumerate(plan.steps):
            best = 0
            out = plan.buffer(op.results[0])
            for operand in dying_inputs(op, step, plan):
                delta = self(op, list(op.operands).index(operand))
                if delta is not None:
                    best = max(best, alias_saving(plan.buffer(operand).size, out.size, delta))
            load[step] -= best
        return load


def set_generic(op: cmsis.ConvOp, generic: bool) -> None:
    if generic:
        op.properties["kernel"] = StringAttr("generic")
    elif "kernel" in op.properties:
        del op.properties["kernel"]


def switch_candidates(func: FuncOp, path: BuildPath) -> list[cmsis.ConvOp]:
    """1x1 convs the wrapper sends to the fast kernel whose input dies at them."""
    plan = memory_plan(func)
    return [op for step, op in enumerate(plan.steps)
            if isinstance(op, cmsis.ConvOp) and op.kernel_function(path) == FAST_1X1 and dying_inputs(op, step, plan)]


def choose_switches(func: FuncOp, deltas: _Deltas) -> list[cmsis.ConvOp]:
    """`peak`: switch exactly the 1x1 convs whose step stays above the lowest reachable peak otherwise.

    A switch changes only its own step's footprint (its scratch, live at that
    step alone, and the overlap its alias permits): every lifetime stays the
    same. So two analyses (no candidate switched, every candidate switched)
    give each step's footprint both ways; the lowest reachable peak is the
    largest per-step minimum, and a conv is switched only if its step would
    otherwise stay above it. Linear in the number of ops.
    """
    candidates = switch_candidates(func, deltas.path)
    if not candidates:
        return []
    unswitched = deltas.footprint(memory_plan(func))
    for op in candidates:
        set_generic(op, True)
    invalidate(func)
    switched = deltas.footprint(memory_plan(func))
    peak = max(min(a, b) for a, b in zip(unswitched, switched, strict=True))
    step_of = {op: step for step, op in enumerate(memory_plan(func).steps)}
    chosen = [op for op in candidates if unswitched[step_of[op]] > peak]
    for op in candidates:
        set_generic(op, op in chosen)
    invalidate(func)
    return chosen


def add_aliases(func: FuncOp, deltas: _Deltas) -> int:
    """Replace the function's arena.alias ops by one per dying input that may be overlapped; returns how many."""
    block = func.body.block
    for op in [op for op in block.ops if isinstance(op, arena.AliasOp)]:
        op.detach()
        op.erase()
    plan = memory_plan(func)
    count = 0
    for step, op in enumerate(plan.steps):
        anchor: Operation = op
        while isinstance(anchor.next_op, (arena.BufferOp, arena.ScratchOp)) and anchor.next_op.value is op.results[0]:
            anchor = anchor.next_op
        for operand in dying_inputs(op, step, plan):
            delta = deltas(op, list(op.operands).index(operand))
            if delta is None:
                continue
            alias = arena.AliasOp(op.results[0], operand, delta)
            block.insert_op_after(alias, anchor)
            anchor = alias
            count += 1
    return count


def refuse_replanning(func: FuncOp, kernel_switch: str, allow_undocumented: bool) -> None:
    """A planned function's offsets rely on its overlaps and kernel choices: only the options that chose them
    may run again (they choose the same); CompileError otherwise, before anything changes."""
    if arena.function_attr(func, arena.PlanAttr) is None:
        return
    old = arena.function_attr(func, arena.InplaceAttr)
    if old is None:
        raise CompileError("the function is already planned without in-place overlaps: run --inplace-alias before "
                           "--arena-alloc (on the IR before it was planned)", InplaceAliasPass.name)
    assert isinstance(old, arena.InplaceAttr)
    if (old.kernel_switch, old.allow_undocumented) != (kernel_switch, allow_undocumented):
        was = f"kernel-switch={old.kernel_switch} allow-undocumented={str(old.allow_undocumented).lower()}"
        raise CompileError(f"the function is already planned, and its offsets rely on the overlaps "
                           f"inplace-alias{{{was}}} chose: give those options, or run --inplace-alias before "
                           "--arena-alloc (on the IR before it was planned)", InplaceAliasPass.name)


@dataclass(frozen=True)
class InplaceAliasPass(CmsisPass):
    """Let each op's output overlap its dying input as far as the kernel's read/write order allows."""

    name: ClassVar[str] = "inplace-alias"
    kernel_switch: Literal["peak", "never", "always"] = "peak"
    allow_undocumented: bool = False

    def run(self, module: ModuleOp) -> None:
        path = ensure_target(module).path
        func = the_function(module)
        refuse_replanning(func, self.kernel_switch, self.allow_undocumented)
        had = [op for op in func.body.block.ops if isinstance(op, (arena.BufferOp, arena.ScratchOp))]
        deltas = _Deltas(path, self.allow_undocumented)
        if self.kernel_switch == "always":
            for conv in switch_candidates(func, path):
                set_generic(conv, True)
            invalidate(func)
        elif self.kernel_switch == "peak":
            choose_switches(func, deltas)
        add_aliases(func, deltas)
        arena.set_function_attr(func, arena.InplaceAttr(self.kernel_switch, self.allow_undocumented))
        if had:  # the IR already holds buffers: keep their scratch in step with the kernels chosen here
            write_buffers(func, intervals=any(op.first is not None for op in had))


__all__ = ["InplaceAliasPass", "alias_saving", "dying_inputs"]
