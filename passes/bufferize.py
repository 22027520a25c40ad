"""Give every activation and kernel scratch buffer a name and a byte size (arena.buffer / arena.scratch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from cmsis_opt.dialects import arena
from cmsis_opt.plan import byte_size, kernel_steps, layer_of, the_function

TARGET_ATTR = "arena.target"


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


def _kind(op: Operation) -> str:
    return op.name.split(".", 1)[-1]


def _existing(block: Block) -> tuple[dict[SSAValue, arena.BufferOp], dict[Operation, arena.ScratchOp]]:
    buffers: dict[SSAValue, arena.BufferOp] = {}
    scratch: dict[Operation, arena.ScratchOp] = {}
    for op in block.ops:
        if isinstance(op, arena.BufferOp):
            buffers[op.value] = op
        elif isinstance(op, arena.ScratchOp) and isinstance(op.value.owner, Operation):
            scratch[op.value.owner] = op
    return buffers, scratch


def _check_target(target: str) -> None:
    from cmsis_opt.kernels import kernel_path

    kernel_path(target)


def _scratch_bytes(op: Operation, target: str) -> int:
    from cmsis_opt.kernels import scratch_bytes

    return scratch_bytes(op, target)


def bufferize_function(func: FuncOp, target: str = "cortex-m4", scratch_too: bool = True) -> None:
    """Add the missing buffers of `func` and (unless told not to) bring scratch sizes up to date for `target`."""
    _check_target(target)
    block = func.body.block
    buffers, scratch = _existing(block)
    names = _Names({op.buffer_name.data for op in [*buffers.values(), *scratch.values()]})
    anchor: Operation | None = None
    for i, arg in enumerate(block.args):
        if arg in buffers:
            anchor = buffers[arg]
            continue
        new = arena.BufferOp(arg, names.fresh("input"), byte_size(arg.type))
        if anchor is None:
            block.insert_op_before(new, block.first_op) if block.first_op else block.add_op(new)
        else:
            block.insert_op_after(new, anchor)
        anchor = new
    for step, op in enumerate(kernel_steps(func)):
        base = layer_of(op) or f"{_kind(op)}_{step}"
        value = op.results[0]
        buf = buffers.get(value)
        if buf is None:
            buf = arena.BufferOp(value, names.fresh(base), byte_size(value.type))
            block.insert_op_after(buf, op)
        if scratch_too:
            _update_scratch(op, buf, scratch.get(op), target, names)
    if scratch_too:
        func.attributes[TARGET_ATTR] = StringAttr(target)


def _update_scratch(op: Operation, buf: arena.BufferOp, old: arena.ScratchOp | None, target: str, names: _Names) -> None:
    size = _scratch_bytes(op, target)
    if old is not None:
        if size == 0:
            old.detach()
            old.erase()
        elif old.size.value.data != size:
            old.set("size", size)
            for stale in ("offset", "first", "last"):  # liveness and the plan must run again
                old.properties.pop(stale, None)
        return
    if size > 0:
        new = arena.ScratchOp(op.results[0], names.fresh(f"{buf.buffer_name.data}.scratch"), size)
        buf.parent_block().insert_op_after(new, buf)


def bufferize_module(module: ModuleOp | FuncOp, target: str = "cortex-m4", scratch_too: bool = True) -> None:
    bufferize_function(the_function(module), target, scratch_too)


def has_buffers(module: ModuleOp | FuncOp) -> bool:
    func = the_function(module)
    return any(isinstance(op, arena.BufferOp) for op in func.body.block.ops)


def target_of(module: ModuleOp | FuncOp, default: str = "cortex-m4") -> str:
    attr = the_function(module).attributes.get(TARGET_ATTR)
    return attr.data if isinstance(attr, StringAttr) else default


@dataclass(frozen=True)
class BufferizePass(ModulePass):
    """Give every activation and kernel scratch buffer a name and a byte size (arena.buffer / arena.scratch)."""

    name: ClassVar[str] = "bufferize"
    target: str = "cortex-m4"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        bufferize_module(op, self.target)


