"""Check independently that no two live buffers share a byte unless an alias constraint allows it.

This checker trusts nothing the other memory passes recorded except the
offsets and sizes under test: it numbers the operator steps itself, works out
every lifetime again from the uses in the IR (graph inputs from step 0,
graph outputs to the last step, views through `cmsis.reshape` counted for
their source, scratch at its own op only) and shares no code with the
liveness pass or the allocator. It proves:

- every graph input and kernel result has one buffer, as large as its tensor
  (a streamed graph input, read only by `cmsis.patch_stage`s with
  `stream_input`, which ask the application for its rows: any size, even 0),
  and no view has a buffer of its own;
- every buffer has an offset (aligned to the plan's alignment) and ends
  within the arena size (`#arena.plan`);
- two buffers live at a common step share no byte, unless an `arena.alias`
  of the op at that step licenses the pair, its input is read there for the
  last time, and offset(out) - offset(in) <= max_delta.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NoReturn, TypeGuard

from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, TensorType
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from cmsis_opt.dialects import arena
from cmsis_opt.dialects.kernel import IsView, KernelOp
from cmsis_opt.dialects.utils import element_bytes, num_elements
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.common import CmsisPass

WHERE = "verify-arena"


_Licences = dict[tuple[int, int, int], int]
"""max_delta of each alias that licenses an overlap, by (id of the output's region, id of the input's, step)."""


@dataclass
class _Region:
    name: str
    lo: int
    hi: int
    first: int
    last: int


def _fail(message: str) -> NoReturn:
    raise CompileError(message, WHERE)


def _tensor_bytes(value: SSAValue) -> int:
    type_ = value.type
    if not isinstance(type_, TensorType):
        return 0
    return num_elements(type_.get_shape()) * element_bytes(type_)


_VIEWS: dict[type, bool] = {}


def _is_view(op: object) -> TypeGuard[Operation]:
    cls = type(op)  # traits belong to the op class
    if cls not in _VIEWS:
        _VIEWS[cls] = issubclass(cls, Operation) and cls.has_trait(IsView)
    return _VIEWS[cls]


def _root(value: SSAValue) -> SSAValue:
    while _is_view(value.owner):
        value = value.owner.operands[0]
    return value


def _last_read(value: SSAValue, position: dict[Operation, int], final: int) -> int:
    last = -1
    pending = [value]
    while pending:
        current = pending.pop()
        for use in current.uses:
            user = use.operation
            if _is_view(user):
                pending.append(user.results[0])
            elif isinstance(user, ReturnOp):
                last = max(last, final)
            elif user in position:
                last = max(last, position[user])
    return last


def _label(step: int, ops: Sequence[Operation]) -> str:
    op = ops[step]
    layer = op.attributes.get("layer")
    return f"step {step} ('{layer.data}', {op.name})" if isinstance(layer, StringAttr) else f"step {step} ({op.name})"


def _streamed(value: SSAValue) -> bool:
    """A graph input whose only readers are patch stages that stream it (no kernel reads its bytes)."""
    readers = [u.operation for u in value.uses
               if not isinstance(u.operation, (arena.BufferOp, arena.ScratchOp, arena.AliasOp))]
    return isinstance(value, BlockArgument) and bool(readers) and all(
        op.name == "cmsis.patch_stage" and "stream_input" in op.properties for op in readers)


def verify_function(func: FuncOp) -> None:
    """Raise a CompileError at the first rule the arena plan of `func` breaks."""
    block = func.body.block
    ops = [op for op in block.ops if isinstance(op, KernelOp)]
    position: dict[Operation, int] = {op: i for i, op in enumerate(ops)}
    final = max(len(ops) - 1, 0)
    plan = func.attributes.get("arena.plan")
    if not isinstance(plan, arena.PlanAttr):
        _fail("the function has no #arena.plan: run --arena-alloc first")
    assert isinstance(plan, arena.PlanAttr)
    total, alignment = plan.size, plan.alignment

    regions: list[_Region] = []
    holder: dict[SSAValue, _Region] = {}
    scratch_of: dict[Operation, _Region] = {}
    for op in block.ops:
        if not isinstance(op, (arena.BufferOp, arena.ScratchOp)):
            continue
        name, size, offset = op.buffer_name.data, op.size.value.data, op.properties.get("offset")
        value = op.value
        if _is_view(value.owner):
            _fail(f"buffer '{name}' is on a {value.owner.name} view: "
                  "a view shares its source's buffer, it has no bytes of its own")
        if not isinstance(offset, IntegerAttr):
            _fail(f"buffer '{name}' has no offset")
        lo = offset.value.data
        if lo % alignment:
            _fail(f"buffer '{name}' at offset {lo} is not aligned to {alignment} bytes")
        if lo < 0 or lo + size > total:
            _fail(f"buffer '{name}' [{lo}, {lo + size}) does not fit in the arena of {total} bytes")
        if isinstance(op, arena.ScratchOp):
            owner = value.owner
            if not isinstance(owner, Operation) or owner not in position:
                _fail(f"scratch '{name}' does not belong to a kernel op")
            if owner in scratch_of:
                _fail(f"op at {_label(position[owner], ops)} has two scratch buffers")
            region = _Region(name, lo, lo + size, position[owner], position[owner])
            scratch_of[owner] = region
        else:
            if value in holder:
                _fail(f"buffers '{holder[value].name}' and '{name}' both hold the same value")
            need = 0 if _streamed(value) else _tensor_bytes(value)
            if size < need:
                _fail(f"buffer '{name}' has {size} bytes, its tensor needs {need}")
            if isinstance(value, BlockArgument):
                first = 0
            elif isinstance(value.owner, Operation) and value.owner in position:
                first = position[value.owner]
            else:
                _fail(f"buffer '{name}' is on a value that is neither a graph input nor a kernel result")
            region = _Region(name, lo, lo + size, first, max(first, _last_read(value, position, final)))
            holder[value] = region
        regions.append(region)

    for arg in block.args:
        if arg not in holder:
            _fail(f"graph input #{arg.index} has no buffer")
    for op in ops:
        if op.results[0] not in holder:
            _fail(f"the result of {_label(position[op], ops)} has no buffer")

    ret = block.last_op
    returned = {id(holder[_root(v)]) for v in (ret.operands if isinstance(ret, ReturnOp) else ()) if _root(v) in holder}
    licences: _Licences = {}
    for op in block.ops:
        if isinstance(op, arena.AliasOp):
            out, src = holder.get(_root(op.result)), holder.get(_root(op.source))
            writer = _root(op.result).owner
            if out is None or src is None or not isinstance(writer, Operation) or writer not in position:
                _fail("an arena.alias names a value without a buffer")
            if src.last != position[writer] or id(src) in returned:
                continue  # the input is read again later, or is a graph output: overwriting it is never allowed
            key = (id(out), id(src), position[writer])
            licences[key] = max(licences.get(key, op.max_delta.value.data), op.max_delta.value.data)

    _check_overlaps(regions, licences, len(ops), ops)


def _check_overlaps(regions: list[_Region], licences: _Licences, steps: int, ops: Sequence[Operation]) -> None:
    starting: list[list[_Region]] = [[] for _ in range(max(steps, 1))]
    for r in regions:
        starting[min(r.first, len(starting) - 1)].append(r)
    live: list[_Region] = []
    for step in range(len(starting)):
        live = [r for r in live if r.last >= step] + starting[step]
        by_offset = sorted(live, key=lambda r: r.lo)
        open_: list[_Region] = []
        for r in by_offset:
            open_ = [o for o in open_ if o.hi > r.lo]
            for o in open_:
                _check_pair(o, r, step, licences, ops)
            open_.append(r)


def _check_pair(a: _Region, b: _Region, step: int, licences: _Licences, ops: Sequence[Operation]) -> None:
    for out, src in ((a, b), (b, a)):
        delta = licences.get((id(out), id(src), step))
        if delta is not None and out.lo - src.lo <= delta:
            return
    shared = f"[{max(a.lo, b.lo)}, {min(a.hi, b.hi)})"
    detail = ""
    for out, src in ((a, b), (b, a)):
        delta = licences.get((id(out), id(src), step))
        if delta is not None:
            detail = f"; the alias allows offset('{out.name}') - offset('{src.name}') <= {delta}, got {out.lo - src.lo}"
    where = _label(step, ops) if ops else f"step {step}"
    _fail(f"buffers '{a.name}' [{a.lo}, {a.hi}) and '{b.name}' [{b.lo}, {b.hi}) "
          f"share bytes {shared} at {where}{detail}")


def verify_module(module: ModuleOp) -> None:
    for op in module.ops:
        if isinstance(op, FuncOp):
            verify_function(op)


@dataclass(frozen=True)
class VerifyArenaPass(CmsisPass):
    """Check independently that no two live buffers share a byte unless an alias constraint allows it."""

    name: ClassVar[str] = "verify-arena"

    def run(self, module: ModuleOp) -> None:
        verify_module(module)
