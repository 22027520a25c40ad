"""The memory plan as plain Python objects, read from the `arena` ops of a module.

    plan = read_plan(module)
    plan.arena_size, plan.lower_bound, plan.strategy
    for b in plan.buffers: b.name, b.kind, b.offset, b.size, b.first, b.last
    plan.buffer(value).offset      # the bytes holding any SSA value (views resolved)

Also the function-level facts the memory passes share: the operator steps
(`kernel_steps`), the source of a view (`view_source`), the graph outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, TensorType
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, BlockArgument, Operation, SSAValue

from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.errors import CompileError

KINDS = ("input", "output", "activation", "scratch")


# -- facts about a function ------------------------------------------------


def the_function(module: ModuleOp | FuncOp) -> FuncOp:
    """The one `func.func` of a model module (or the function itself)."""
    if isinstance(module, FuncOp):
        return module
    funcs = [op for op in module.ops if isinstance(op, FuncOp)]
    if len(funcs) != 1:
        raise CompileError(f"expected one func.func in the module, found {len(funcs)}", "memory plan")
    return funcs[0]


def kernel_steps(func: FuncOp) -> list[Operation]:
    """The ops that call a kernel, in order: the operator steps 0, 1, ..."""
    return [op for op in func.body.block.ops if isinstance(op, cmsis.KERNEL_OPS)]


def view_source(value: SSAValue) -> SSAValue:
    """The value whose bytes `value` shares (itself unless it is a `cmsis.reshape` result)."""
    while isinstance(value.owner, cmsis.ReshapeOp):
        value = value.owner.input
    return value


def returned_values(func: FuncOp) -> list[SSAValue]:
    ret = func.body.block.last_op
    return list(ret.operands) if isinstance(ret, ReturnOp) else []


def byte_size(type_: Attribute) -> int:
    """Bytes of a tensor: element count times the storage width (int8: one byte each)."""
    assert isinstance(type_, TensorType), type_
    count = 1
    for dim in type_.get_shape():
        count *= dim
    element = type_.element_type
    if isinstance(element, UniformQuantizedType):
        element = element.storage_type
    width = getattr(getattr(element, "width", None), "data", 8)
    return count * max(1, width // 8)


def layer_of(op: Operation) -> str | None:
    attr = op.attributes.get("layer")
    return attr.data if isinstance(attr, StringAttr) else None


def func_int(func: FuncOp, key: str) -> int | None:
    attr = func.attributes.get(key)
    return attr.value.data if isinstance(attr, IntegerAttr) else None


def func_str(func: FuncOp, key: str) -> str | None:
    attr = func.attributes.get(key)
    return attr.data if isinstance(attr, StringAttr) else None


def func_bool(func: FuncOp, key: str) -> bool:
    attr = func.attributes.get(key)
    return isinstance(attr, IntegerAttr) and bool(attr.value.data)


# -- the plan --------------------------------------------------------------


@dataclass
class Buffer:
    """One region of the arena: a graph input/output, an activation or an op's scratch."""

    name: str
    kind: str
    size: int
    offset: int | None
    first: int | None
    last: int | None
    alias_of: str | None
    max_delta: int | None
    shape: tuple[int, ...]
    value: SSAValue
    op: arena.BufferOp | arena.ScratchOp
    aliases: list[tuple[str, int]] = field(default_factory=list)
    """Every (source buffer name, max_delta) this buffer may overlap; alias_of/max_delta is the first."""
    layer: str | None = None
    step: int | None = None
    """Step of the op that writes it (None for graph inputs)."""
    returned: bool = False
    """A graph output (also true for a graph input returned as it is)."""

    @property
    def end(self) -> int | None:
        return None if self.offset is None else self.offset + self.size

    def live_at(self, step: int) -> bool:
        return self.first is not None and self.last is not None and self.first <= step <= self.last


@dataclass
class Plan:
    """Every buffer of a function and the arena facts recorded on it."""

    function: str
    buffers: list[Buffer]
    steps: list[Operation]
    arena_size: int | None = None
    lower_bound: int | None = None
    activation_lower_bound: int | None = None
    strategy: str | None = None
    target: str | None = None
    alignment: int | None = None
    inplace: bool = False
    _by_value: dict[SSAValue, Buffer] = field(default_factory=dict, repr=False)
    _scratch: dict[Operation, Buffer] = field(default_factory=dict, repr=False)

    def buffer(self, value: SSAValue) -> Buffer:
        """The buffer holding `value` (a view's is its source's)."""
        found = self._by_value.get(view_source(value))
        if found is None:
            raise KeyError(f"no arena.buffer for {value}")
        return found

    def scratch(self, op: Operation) -> Buffer | None:
        """The scratch buffer of a kernel op, if it has one."""
        return self._scratch.get(op)

    def by_name(self, name: str) -> Buffer:
        for b in self.buffers:
            if b.name == name:
                return b
        raise KeyError(name)

    def of_kind(self, kind: str) -> list[Buffer]:
        return [b for b in self.buffers if b.kind == kind]

    @property
    def scratch_bytes(self) -> int:
        """The largest scratch any one step needs."""
        return max((b.size for b in self.of_kind("scratch")), default=0)

    def live_at(self, step: int) -> list[Buffer]:
        return [b for b in self.buffers if b.live_at(step)]

    def live_bytes(self) -> list[int]:
        """Bytes live at each step (no overlap counted): the liveness load."""
        load = [0] * len(self.steps)
        for b in self.buffers:
            if b.first is not None and b.last is not None:
                for t in range(b.first, min(b.last, len(load) - 1) + 1):
                    load[t] += b.size
        return load

    def step_name(self, step: int) -> str:
        op = self.steps[step]
        layer = layer_of(op)
        return f"step {step} ('{layer}', {op.name})" if layer else f"step {step} ({op.name})"


def read_plan(module: ModuleOp | FuncOp) -> Plan:
    """The plan recorded in the IR by --bufferize / --liveness / --arena-alloc (whatever has run)."""
    func = the_function(module)
    steps = kernel_steps(func)
    step_of = {op: i for i, op in enumerate(steps)}
    args = set(func.body.block.args)
    outputs = {view_source(v) for v in returned_values(func)}
    buffers: list[Buffer] = []
    by_value: dict[SSAValue, Buffer] = {}
    scratch: dict[Operation, Buffer] = {}
    aliases: list[arena.AliasOp] = []
    for op in func.body.block.ops:
        if isinstance(op, arena.AliasOp):
            aliases.append(op)
        if not isinstance(op, (arena.BufferOp, arena.ScratchOp)):
            continue
        value = op.value
        owner = value.owner
        is_scratch = isinstance(op, arena.ScratchOp)
        if is_scratch:
            kind = "scratch"
        elif value in args:
            kind = "input"
        elif value in outputs:
            kind = "output"
        else:
            kind = "activation"
        defining = None if isinstance(value, BlockArgument) else owner
        buf = Buffer(
            name=op.buffer_name.data,
            kind=kind,
            size=op.size.value.data,
            offset=op.get("offset"),
            first=op.get("first"),
            last=op.get("last"),
            alias_of=None,
            max_delta=None,
            shape=tuple(value.type.get_shape()) if isinstance(value.type, TensorType) else (),
            value=value,
            op=op,
            layer=layer_of(defining) if isinstance(defining, Operation) else None,
            step=step_of.get(defining) if isinstance(defining, Operation) else None,
            returned=not is_scratch and value in outputs,
        )
        buffers.append(buf)
        if is_scratch:
            if isinstance(defining, Operation):
                scratch[defining] = buf
        else:
            by_value[value] = buf
    for alias in aliases:
        out, src = by_value.get(view_source(alias.result)), by_value.get(view_source(alias.source))
        if out is None or src is None:
            continue
        delta = alias.max_delta.value.data
        out.aliases.append((src.name, delta))
        if out.alias_of is None:
            out.alias_of, out.max_delta = src.name, delta
    plan = Plan(
        function=func.sym_name.data,
        buffers=buffers,
        steps=steps,
        arena_size=func_int(func, "arena.size"),
        lower_bound=func_int(func, "arena.lower_bound"),
        activation_lower_bound=func_int(func, "arena.activation_lower_bound"),
        strategy=func_str(func, "arena.strategy"),
        target=func_str(func, "arena.target"),
        alignment=func_int(func, "arena.alignment"),
        inplace=func_bool(func, "arena.inplace"),
    )
    plan._by_value, plan._scratch = by_value, scratch
    return plan
