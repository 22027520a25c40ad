"""The memory plan of a function: the analysis every memory pass, the C backend and the report share.

    plan = memory_plan(func)                  # computed on demand, cached until a pass changes the IR
    plan.buffers                              # graph inputs, kernel results, kernel scratch
    b.name, b.kind, b.size, b.first, b.last   # bytes, live operator steps [first, last]
    b.offset, b.aliases                       # once placed: offset in the arena, licensed overlaps
    plan.buffer(value)                        # the buffer holding any SSA value (views resolved)
    plan.arena_size, plan.overlap_bound(), plan.no_overlap_bound  # the arena and two bounds

Derived from the IR and the kernel interface:
- the operator steps: the `KernelOp`s of the function body, in order;
- one buffer per graph input and per kernel result (a view's value shares its
  source's), sized by its tensor type; one scratch buffer per kernel whose
  `planned_scratch` (the target's path and the host's C path) is not zero;
- live intervals: a buffer lives from the step that writes it (graph inputs:
  0) to the last step that reads it, through views (graph outputs: the last
  step); scratch lives at its op's step only;
- bounds, each with one meaning: `no_overlap_bound` is the largest sum of
  live bytes over the steps (with scratch; `activation_no_overlap_bound`
  without): no plan without overlap beats it, an in-place plan may;
  `overlap_bound()` is the lower bound with the recorded alias licences:
  no plan, in-place or not, beats it.

Recorded in the IR and read back: buffer names and sizes where
`arena.buffer`/`arena.scratch` ops exist (`--bufferize` wrote them, or a
person did), offsets (`--arena-alloc`), `arena.alias` licences, and the
`#arena.plan` / `#arena.inplace` attributes. `write_buffers` records the plan
in the IR's buffer form.

Caching: while a pass runs (`analysis_scope`, entered by every pass of
this project), `memory_plan` keeps its result per function until the pass
calls `invalidate` after changing the IR; the scope drops everything when
the pass ends. Outside a pass nothing is cached, so code that edits the IR by
hand always reads a fresh plan.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, BlockArgument, Operation, SSAValue

from cmsis_opt import targets
from cmsis_opt.allocators import Alias, Block, Problem, aligned_lower_bound
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.kernel import KernelOp, forget_kernel_facts, is_view, kernel_facts_scope, view_source
from cmsis_opt.dialects.utils import element_bytes, i64_attr, num_elements
from cmsis_opt.errors import CompileError
from cmsis_opt.targets import BuildPath

KINDS = ("input", "output", "activation", "scratch")


# -- facts about a function ------------------------------------------------


def the_function(module: ModuleOp | FuncOp, where: str = "memory plan") -> FuncOp:
    """The one `func.func` of a model module (or the function itself).

    Raises CompileError located at `where` (the file, or the stage that needs the model) when the module
    holds no function or several: valid IR, but no model to plan or run.
    """
    if isinstance(module, FuncOp):
        return module
    funcs = [op for op in module.ops if isinstance(op, FuncOp)]
    if len(funcs) != 1:
        found = "no func.func" if not funcs else f"{len(funcs)} func.func ops"
        raise CompileError(f"the module holds {found}: a model is one func.func (`cmsis-import` writes one "
                           "from a model file)", where)
    return funcs[0]


def kernel_steps(func: FuncOp) -> list[KernelOp]:
    """The ops that call a kernel, in order: the operator steps 0, 1, ..."""
    return [op for op in func.body.block.ops if isinstance(op, KernelOp)]


def returned_values(func: FuncOp) -> list[SSAValue]:
    ret = func.body.block.last_op
    return list(ret.operands) if isinstance(ret, ReturnOp) else []


def byte_size(type_: Attribute) -> int:
    """Bytes of a tensor: element count times the storage width (`element_bytes`: int8 one, int16 two)."""
    assert isinstance(type_, TensorType), type_
    return num_elements(type_.get_shape()) * element_bytes(type_)


def streamed_inputs(func: FuncOp) -> set[SSAValue]:
    """Graph inputs a `cmsis.patch_stage` with `stream_input` reads: the application gives them row by row, so
    the arena holds none of their bytes (their buffer is 0 bytes)."""
    return {arg for arg in func.body.block.args for reader in readers(arg)
            if isinstance(reader, cmsis.PatchStageOp) and reader.streams()}


def layer_of(op: Operation) -> str | None:
    attr = op.attributes.get("layer")
    return attr.data if isinstance(attr, StringAttr) else None


def target_of(op: Operation) -> cmsis.TargetAttr:
    """The module's target, or the default core's when none is recorded."""
    return cmsis.target_of(op) or cmsis.TargetAttr(targets.DEFAULT_CORE)


def readers(value: SSAValue) -> list[Operation]:
    """Ops that read `value`'s bytes: its users, seen through views (arena ops read nothing)."""
    found: list[Operation] = []
    for use in value.uses:
        user = use.operation
        if is_view(user):
            found.extend(readers(user.results[0]))
        elif not isinstance(user, (arena.BufferOp, arena.ScratchOp, arena.AliasOp)):
            found.append(user)
    return found


# -- the plan --------------------------------------------------------------


@dataclass(eq=False)
class Buffer:
    """One region of the arena: a graph input/output, an activation or an op's scratch."""

    name: str
    kind: str
    size: int
    value: SSAValue
    """The value it holds (for scratch: the result of the op it belongs to)."""
    first: int
    last: int
    op: arena.BufferOp | arena.ScratchOp | None = None
    """The IR op recording it, if any."""
    offset: int | None = None
    shape: tuple[int, ...] = ()
    """The tensor's dimensions (elements); () for scratch, which is bytes with no shape of its own."""
    aliases: list[tuple[str, int]] = field(default_factory=list)
    """Every (source buffer name, max_delta) this buffer may overlap."""
    layer: str | None = None
    step: int | None = None
    """Step of the op that writes it (None for graph inputs)."""
    returned: bool = False
    """A graph output (also true for a graph input returned as it is)."""

    @property
    def alias_of(self) -> str | None:
        return self.aliases[0][0] if self.aliases else None

    @property
    def max_delta(self) -> int | None:
        return self.aliases[0][1] if self.aliases else None

    @property
    def end(self) -> int | None:
        return None if self.offset is None else self.offset + self.size

    def live_at(self, step: int) -> bool:
        return self.first <= step <= self.last


@dataclass(eq=False)
class Plan:
    """Every buffer of a function, in IR order (inputs, then each step's result and scratch)."""

    function: str
    buffers: list[Buffer]
    steps: list[KernelOp]
    target: str
    path: BuildPath
    cmsis_nn: str = ""
    """The CMSIS-NN release the module's target assumes."""
    arena_size: int | None = None
    alignment: int | None = None
    strategy: str | None = None
    inplace: bool = False
    _by_value: dict[SSAValue, Buffer] = field(default_factory=dict, repr=False)
    _scratch: dict[Operation, Buffer] = field(default_factory=dict, repr=False)
    _overlap_bounds: dict[tuple, int] = field(default_factory=dict, repr=False)
    _names: dict[str, Buffer] = field(default_factory=dict, repr=False)

    def buffer(self, value: SSAValue) -> Buffer:
        """The buffer holding `value` (a view's is its source's). Raises KeyError if it has none."""
        found = self._by_value.get(view_source(value))
        if found is None:
            raise KeyError(f"no buffer for {value}")
        return found

    def scratch(self, op: Operation) -> Buffer | None:
        """The scratch buffer of a kernel op, if it has one."""
        return self._scratch.get(op)

    def by_name(self, name: str) -> Buffer:
        """The buffer named `name` (KeyError if none): a dict lookup, the dict rebuilt when it does not fit."""
        found = self._names.get(name)
        if found is None or found.name != name or len(self._names) != len(self.buffers):
            self._names = {b.name: b for b in self.buffers}
            found = self._names.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def of_kind(self, kind: str) -> list[Buffer]:
        return [b for b in self.buffers if b.kind == kind]

    @property
    def placed(self) -> bool:
        """Every buffer has an offset and the arena size is recorded."""
        return self.arena_size is not None and all(b.offset is not None for b in self.buffers)

    @property
    def scratch_bytes(self) -> int:
        """The largest scratch any one step needs."""
        return max((b.size for b in self.of_kind("scratch")), default=0)

    def live_at(self, step: int) -> list[Buffer]:
        return [b for b in self.buffers if b.live_at(step)]

    def live_bytes(self, activations_only: bool = False) -> list[int]:
        """Bytes live at each step (no overlap counted): the liveness load."""
        load = [0] * max(len(self.steps), 1)
        for b in self.buffers:
            if activations_only and b.kind == "scratch":
                continue
            for t in range(b.first, min(b.last, len(load) - 1) + 1):
                load[t] += b.size
        return load

    @property
    def no_overlap_bound(self) -> int:
        """The most bytes live at one step, scratch included (bytes).

        A bound for plans where no buffer overlaps another (in-place off): none
        of them is smaller. An in-place plan may well be smaller, so this is
        the baseline in-place saving is measured against, not a lower bound
        of the arena.
        """
        return max(self.live_bytes())

    def aligned_no_overlap_bound(self, alignment: int | None = None) -> int:
        """`no_overlap_bound` for offsets that are multiples of `alignment` (default: the plan's, else 1), the
        arena rounded up to it (`allocators.aligned_lower_bound` without alias pairs): no plan without overlap
        is smaller (bytes)."""
        alignment = alignment or self.alignment or 1
        blocks = [Block(b.size, b.first, b.last, b.name) for b in self.buffers]
        return max(aligned_lower_bound(Problem(blocks, [], alignment)), self.no_overlap_bound)

    @property
    def activation_no_overlap_bound(self) -> int:
        """`no_overlap_bound` without scratch (bytes)."""
        return max(self.live_bytes(activations_only=True))

    def problem(self, alignment: int) -> Problem:
        """The placement problem of the plan: its buffers, their live steps and alias licences, `alignment`."""
        index = {b.name: i for i, b in enumerate(self.buffers)}
        blocks = [Block(b.size, b.first, b.last, b.name) for b in self.buffers]
        # a graph output is never overwritten, whatever an alias says
        aliases = [Alias(i, index[src], delta) for i, b in enumerate(self.buffers) for src, delta in b.aliases
                   if not self.buffers[index[src]].returned]
        return Problem(blocks, aliases, alignment)

    def overlap_bound(self, alignment: int | None = None) -> int:
        """No arena for these buffers, with the overlaps their `arena.alias` licences allow, is smaller (bytes).

        `allocators.aligned_lower_bound` of `problem(alignment)`: the busiest
        step's live bytes less what its alias pairs may share, the drift of
        alias chains, offsets aligned (default: the plan's alignment, else 1).
        Without aliases it is `no_overlap_bound` rounded up to the alignment.
        """
        alignment = alignment or self.alignment or 1
        # kept per (alignment, sizes, intervals, aliases): the report asks several times, a pass may edit buffers
        key = (alignment, tuple((b.size, b.first, b.last, tuple(b.aliases)) for b in self.buffers))
        if key not in self._overlap_bounds:
            self._overlap_bounds[key] = aligned_lower_bound(self.problem(alignment))
        return self._overlap_bounds[key]

    def step_name(self, step: int) -> str:
        op = self.steps[step]
        layer = layer_of(op)
        return f"step {step} ('{layer}', {op.name})" if layer else f"step {step} ({op.name})"


class _Names:
    """Unique buffer names: 'conv1', then 'conv1_1', 'conv1_2', ..."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


def _compute(func: FuncOp) -> Plan:
    block = func.body.block
    target = target_of(func)
    path = target.path
    steps = kernel_steps(func)
    step_of: dict[Operation, int] = {op: i for i, op in enumerate(steps)}
    last_step = max(len(steps) - 1, 0)
    returned = {view_source(v) for v in returned_values(func)}
    recorded: dict[SSAValue, arena.BufferOp] = {}
    recorded_scratch: dict[Operation, arena.ScratchOp] = {}
    for op in block.ops:
        if isinstance(op, arena.BufferOp):
            owner = op.value.owner
            if isinstance(owner, Operation) and owner.has_trait(cmsis.IsView):
                raise CompileError(
                    f"buffer '{op.buffer_name.data}' is on a view: views share their source's bytes", "memory plan")
            if op.value in recorded:
                raise CompileError(f"buffers '{recorded[op.value].buffer_name.data}' and '{op.buffer_name.data}' "
                                   "hold the same value", "memory plan")
            recorded[op.value] = op
        elif isinstance(op, arena.ScratchOp):
            owner = op.value.owner
            if not isinstance(owner, Operation) or owner not in step_of:
                raise CompileError(f"scratch '{op.buffer_name.data}' does not belong to a kernel op", "memory plan")
            recorded_scratch[owner] = op
    for value, op in recorded.items():
        if not isinstance(value, BlockArgument) and value.owner not in step_of:
            raise CompileError(
                f"buffer '{op.buffer_name.data}' is not on a graph input or a kernel op result", "memory plan")
    names = _Names({op.buffer_name.data for op in [*recorded.values(), *recorded_scratch.values()]})

    def interval(value: SSAValue) -> tuple[int, int]:
        owner = value.owner
        first = step_of[owner] if isinstance(owner, Operation) else 0  # a graph input is live from the start
        last = first
        for reader in readers(value):
            if isinstance(reader, ReturnOp):
                last = max(last, last_step)
            elif reader in step_of:
                last = max(last, step_of[reader])
        return first, last

    streamed = streamed_inputs(func)

    def activation(value: SSAValue, base: str, kind: str, step: int | None, layer: str | None) -> Buffer:
        op = recorded.get(value)
        size = 0 if value in streamed else byte_size(value.type)
        if op is not None:
            if op.size.value.data < size:
                raise CompileError(f"buffer '{op.buffer_name.data}' has {op.size.value.data} bytes, "
                                   f"its tensor needs {size}", "memory plan")
            name, size = op.buffer_name.data, op.size.value.data
        else:
            name = names.fresh(base)
        first, last = interval(value)
        kind = "output" if value in returned and kind != "input" else kind
        return Buffer(name, kind, size, value, first, last, op, op.get("offset") if op else None,
                      tuple(value.type.get_shape()) if isinstance(value.type, TensorType) else (),
                      layer=layer, step=step, returned=value in returned)

    buffers: list[Buffer] = []
    by_value: dict[SSAValue, Buffer] = {}
    scratch_of: dict[Operation, Buffer] = {}
    for arg in block.args:
        buf = activation(arg, "input", "input", None, None)
        buffers.append(buf)
        by_value[arg] = buf
    for step, op in enumerate(steps):
        layer = layer_of(op)
        value = op.results[0]
        buf = activation(value, layer or f"{op.name.split('.', 1)[-1]}_{step}", "activation", step, layer)
        buffers.append(buf)
        by_value[value] = buf
        size = op.planned_scratch(path)
        if size:
            old = recorded_scratch.get(op)
            name = old.buffer_name.data if old is not None else names.fresh(f"{buf.name}.scratch")
            offset = old.get("offset") if old is not None and old.size.value.data == size else None
            scratch = Buffer(name, "scratch", size, value, step, step, old, offset, layer=layer, step=step)
            buffers.append(scratch)
            scratch_of[op] = scratch
    for op in block.ops:
        if isinstance(op, arena.AliasOp):
            out, src = by_value.get(view_source(op.result)), by_value.get(view_source(op.source))
            if out is not None and src is not None:
                out.aliases.append((src.name, op.max_delta.value.data))
    placed = arena.function_attr(func, arena.PlanAttr)
    inplace = arena.function_attr(func, arena.InplaceAttr)
    plan = Plan(func.sym_name.data, buffers, steps, target.core, path, target.cmsis_nn,
                arena_size=placed.size if isinstance(placed, arena.PlanAttr) else None,
                alignment=placed.alignment if isinstance(placed, arena.PlanAttr) else None,
                strategy=placed.strategy if isinstance(placed, arena.PlanAttr) else None,
                inplace=inplace is not None)
    plan._by_value, plan._scratch = by_value, scratch_of
    return plan


_PLANS: ContextVar[weakref.WeakKeyDictionary[FuncOp, Plan] | None] = ContextVar("memory_plans", default=None)


@contextmanager
def analysis_scope() -> Iterator[None]:
    """Within the block (a pass), analyses are cached until `invalidate`; after it, none is kept."""
    token = _PLANS.set(weakref.WeakKeyDictionary())
    try:
        with kernel_facts_scope():
            yield
    finally:
        _PLANS.reset(token)


def memory_plan(module: ModuleOp | FuncOp) -> Plan:
    """The memory plan of the module's function, computed on demand (cached within a pass until `invalidate`).

    Raises CompileError where recorded arena ops contradict the IR (a buffer
    on a view, two buffers for one value, a buffer too small for its tensor).
    """
    func = the_function(module)
    cache = _PLANS.get()
    plan = cache.get(func) if cache is not None else None
    if plan is None:
        plan = _compute(func)
        if cache is not None:
            cache[func] = plan
    return plan


def invalidate(module: Operation) -> None:
    """Forget the analyses of every function in `module` (a pass calls it after changing the IR)."""
    forget_kernel_facts()
    cache = _PLANS.get()
    if cache is None:
        return
    funcs = [module] if isinstance(module, FuncOp) else [op for op in module.walk() if isinstance(op, FuncOp)]
    for func in funcs:
        cache.pop(func, None)


def write_buffers(func: FuncOp, intervals: bool = False, offsets: bool = False) -> None:
    """Record the plan in the IR: an `arena.buffer` per buffer and an `arena.scratch` per scratch.

    Missing ops are added (a buffer right after the op writing its value, graph
    inputs' first); existing ones keep their names and get the plan's size; a
    scratch op whose kernel needs no scratch any more is removed. With
    `intervals`, first/last are written; with `offsets`, the placed offsets
    (others lose a stale offset).
    """
    plan = memory_plan(func)
    block = func.body.block
    anchor: Operation | None = None
    for buf in plan.buffers:
        op = buf.op
        fields = {"size": buf.size}
        if intervals:
            fields["first"], fields["last"] = buf.first, buf.last
        if offsets and buf.offset is not None:
            fields["offset"] = buf.offset
        if op is None:
            # built with every property at once (what the op's __init__ and set() would leave, in that order)
            properties: dict[str, Attribute] = {"name": StringAttr(buf.name)}
            properties.update((key, i64_attr(value)) for key, value in fields.items())
            if buf.kind == "scratch":
                op = arena.ScratchOp.create(operands=[buf.value], properties=properties)
                where = plan.buffer(buf.value).op
            else:
                op = arena.BufferOp.create(operands=[buf.value], properties=properties)
                owner = buf.value.owner
                # after the op that writes the value; a graph input's after the previous input's
                where = owner if isinstance(owner, Operation) else anchor
            if where is None:
                block.insert_op_before(op, block.first_op) if block.first_op else block.add_op(op)
            else:
                block.insert_op_after(op, where)
            buf.op = op
        else:
            for key, value in fields.items():
                if op.get(key) != value:  # an attribute is rebuilt only where the plan changed it
                    op.set(key, value)
            if offsets and buf.offset is None:
                op.properties.pop("offset", None)
        if isinstance(buf.value, BlockArgument):
            anchor = op
    live_scratch = {id(b.op) for b in plan.of_kind("scratch")}
    for op in list(block.ops):
        if isinstance(op, arena.ScratchOp) and id(op) not in live_scratch:
            op.detach()
            op.erase()
