"""Let each op's output overlap its dying input as far as the kernel's read/write order allows.

For every kernel op whose input buffer dies at that op (its last step is the
op's step and it is not a graph output; a view's buffer is its source's), adds

    arena.alias %out onto %in {max_delta = d}

with d = `cmsis_opt.kernels.max_safe_delta` (no alias where it is None).

`kernel-switch` decides about 1x1 convolutions that the wrapper sends to
`arm_convolve_1x1_s8_fast` (which allows no overlap): `always` lowers every one
whose input dies there to the generic `arm_convolve_s8` (`kernel = "generic"`,
which needs an im2col scratch but lets the output trail the input); `peak` only
those whose switch lowers the estimated arena (the largest per-step footprint,
counting the overlap each alias permits), one at a time, re-checking after each;
`never` keeps the wrapper's choice. Sets `arena.inplace = true` on the function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.errors import CompileError
from cmsis_opt.kernels import kernel_function, kernel_path, max_safe_delta
from cmsis_opt.plan import Plan, kernel_steps, read_plan, the_function, view_source

WHERE = "inplace-alias"
SWITCH_MODES = ("peak", "never", "always")
INPLACE_ATTR = "arena.inplace"
FAST_1X1 = "arm_convolve_1x1_s8_fast"


def _bufferize(func: FuncOp, target: str) -> None:
    """Add missing buffers and bring scratch sizes up to date for `target`, then (re)compute live intervals."""
    from cmsis_opt.passes.bufferize import bufferize_function
    from cmsis_opt.passes.liveness import annotate_function

    bufferize_function(func, target)
    annotate_function(func)


def dying_inputs(op: Operation, step: int, plan: Plan) -> list[SSAValue]:
    """Operands of `op` whose buffer's last step is `step` and that are not graph outputs (one per buffer)."""
    found: list[SSAValue] = []
    seen: set[str] = set()
    for operand in op.operands:
        try:
            buf = plan.buffer(operand)
        except KeyError:
            continue
        if buf.name in seen or buf.kind == "output" or buf.last != step:
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


class _Footprint:
    """Estimated arena: per step, the live bytes minus what the alias at that step lets overlap."""

    def __init__(self, func: FuncOp, target: str, allow_undocumented: bool):
        self.func, self.target, self.allow_undocumented = func, target, allow_undocumented
        self.deltas: dict[tuple[int, str | None], dict[int, int | None]] = {}

    def operand_deltas(self, op: Operation) -> dict[int, int | None]:
        """max_safe_delta per operand index of `op`, cached per op and kernel choice."""
        key = (id(op), kernel_function(op, self.target))
        if key not in self.deltas:
            self.deltas[key] = {
                i: max_safe_delta(op, self.target, self.allow_undocumented, operand=i) for i in range(len(op.operands))
            }
        return self.deltas[key]

    def steps(self, plan: Plan) -> list[int]:
        load = plan.live_bytes()
        for step, op in enumerate(plan.steps):
            best = 0
            out = plan.buffer(op.results[0])
            for operand in dying_inputs(op, step, plan):
                delta = self.operand_deltas(op)[list(op.operands).index(operand)]
                if delta is not None:
                    best = max(best, alias_saving(plan.buffer(operand).size, out.size, delta))
            load[step] -= best
        return load


def _set_generic(op: cmsis.ConvOp, generic: bool) -> None:
    if generic:
        op.properties["kernel"] = StringAttr("generic")
    elif "kernel" in op.properties:
        del op.properties["kernel"]


def switch_candidates(func: FuncOp, target: str) -> list[cmsis.ConvOp]:
    """1x1 convs the wrapper sends to the fast kernel whose input dies at them."""
    plan = read_plan(func)
    found = []
    for step, op in enumerate(plan.steps):
        if isinstance(op, cmsis.ConvOp) and kernel_function(op, target) == FAST_1X1 and dying_inputs(op, step, plan):
            found.append(op)
    return found


def choose_switches(func: FuncOp, target: str, allow_undocumented: bool) -> list[cmsis.ConvOp]:
    """`peak`: switch exactly the 1x1 convs whose step stays above the lowest reachable peak otherwise.

    A switch changes only its own step's footprint (its scratch, live at that
    step alone, and the overlap its alias permits): every lifetime stays the
    same. So two analyses (no candidate switched, every candidate switched)
    give each step's footprint both ways; the lowest reachable peak is the
    largest per-step minimum, and a conv is switched only if its step would
    otherwise stay above it. Linear in the number of ops.
    """
    candidates = switch_candidates(func, target)
    if not candidates:
        return []
    model = _Footprint(func, target, allow_undocumented)
    _bufferize(func, target)
    unswitched = model.steps(read_plan(func))
    for op in candidates:
        _set_generic(op, True)
    _bufferize(func, target)
    switched = model.steps(read_plan(func))
    peak = max(min(a, b) for a, b in zip(unswitched, switched))
    step_of = {op: step for step, op in enumerate(kernel_steps(func))}
    chosen = [op for op in candidates if unswitched[step_of[op]] > peak]
    for op in candidates:
        _set_generic(op, op in chosen)
    _bufferize(func, target)
    return chosen


def add_aliases(func: FuncOp, target: str, allow_undocumented: bool) -> int:
    """Replace the function's arena.alias ops by one per dying input that may be overlapped; returns how many."""
    block = func.body.block
    for op in [op for op in block.ops if isinstance(op, arena.AliasOp)]:
        op.detach()
        op.erase()
    plan = read_plan(func)
    count = 0
    for step, op in enumerate(kernel_steps(func)):
        anchor: Operation = plan.buffer(op.results[0]).op
        while isinstance(anchor.next_op, (arena.BufferOp, arena.ScratchOp)) and anchor.next_op.value is op.results[0]:
            anchor = anchor.next_op
        for operand in dying_inputs(op, step, plan):
            delta = max_safe_delta(op, target, allow_undocumented, operand=list(op.operands).index(operand))
            if delta is None:
                continue
            alias = arena.AliasOp(op.results[0], operand, delta)
            block.insert_op_after(alias, anchor)
            anchor = alias
            count += 1
    return count


@dataclass(frozen=True)
class InplaceAliasPass(ModulePass):
    """Let each op's output overlap its dying input as far as the kernel's read/write order allows."""

    name: ClassVar[str] = "inplace-alias"
    target: str = "cortex-m4"
    kernel_switch: str = "peak"
    allow_undocumented: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.kernel_switch not in SWITCH_MODES:
            raise CompileError(f"unknown kernel-switch '{self.kernel_switch}' (known: {', '.join(SWITCH_MODES)})", WHERE)
        try:
            kernel_path(self.target)
        except CompileError as error:
            raise CompileError(error.message, WHERE) from None
        func = the_function(op)
        _bufferize(func, self.target)
        if self.kernel_switch == "always":
            for conv in switch_candidates(func, self.target):
                _set_generic(conv, True)
            _bufferize(func, self.target)
        elif self.kernel_switch == "peak":
            choose_switches(func, self.target, self.allow_undocumented)
        add_aliases(func, self.target, self.allow_undocumented)
        func.attributes[INPLACE_ATTR] = IntegerAttr(1, IntegerType(1))


__all__ = ["InplaceAliasPass", "alias_saving", "dying_inputs", "view_source"]
