"""The `arena` dialect: the buffer form that the memory passes read and write.

Ops here describe memory; they compute nothing and are not operator steps.

    arena.buffer %1 {name = "conv1", size = 32768 : i64}          after --bufferize
        ... first = 1 : i64, last = 2 : i64                       after --liveness
        ... offset = 8192 : i64                                   after --arena-alloc
    arena.scratch %1 {name = "conv1.scratch", size = 3200 : i64}  scratch of the op defining %1
    arena.alias %2 onto %1 {max_delta = -2112 : i64}             after --inplace-alias

`arena.alias %out onto %in` licenses the output of the op defining %out to
share bytes with its input %in, provided offset(out) - offset(in) <= max_delta:
the kernel then writes every shared byte only after reading it for the last time.
A `cmsis.reshape` result has no buffer of its own: it is a view of its source.
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, IntegerType, StringAttr, TensorType, i64
from xdsl.ir import Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
)

from .utils import fail

_I64 = IntegerAttr[IntegerType]


class _BufferOp(IRDLOperation):
    assembly_format = "$value attr-dict `:` type($value)"
    irdl_options = (ParsePropInAttrDict(),)

    value = operand_def(TensorType)
    buffer_name = prop_def(StringAttr, prop_name="name")
    size = prop_def(_I64)
    first = opt_prop_def(_I64)
    last = opt_prop_def(_I64)
    offset = opt_prop_def(_I64)

    def __init__(self, value: SSAValue, name: str, size: int):
        super().__init__(
            operands=[value],
            properties={"name": StringAttr(name), "size": IntegerAttr(size, i64)},
        )

    def set(self, field: str, value: int) -> None:
        self.properties[field] = IntegerAttr(int(value), i64)

    def get(self, field: str) -> int | None:
        attr = self.properties.get(field)
        return None if attr is None else attr.value.data  # type: ignore[union-attr]

    def verify_(self) -> None:
        if not self.buffer_name.data:
            fail(self, "name", "must not be empty")
        if self.size.value.data <= 0:
            fail(self, "size", f"must be positive, got {self.size.value.data}")
        if self.offset is not None and self.offset.value.data < 0:
            fail(self, "offset", f"must be >= 0, got {self.offset.value.data}")
        if (self.first is None) != (self.last is None):
            fail(self, "first", "first and last are set together")
        if self.first is not None and self.last is not None:
            if not 0 <= self.first.value.data <= self.last.value.data:
                fail(self, "first", f"interval [{self.first.value.data}, {self.last.value.data}] is empty or negative")


@irdl_op_definition
class BufferOp(_BufferOp):
    """The bytes holding an activation tensor (a graph input, an op result)."""

    name = "arena.buffer"


@irdl_op_definition
class ScratchOp(_BufferOp):
    """The scratch memory (`cmsis_nn_context.buf`) of the op defining `value`, live during that op only."""

    name = "arena.scratch"

    def verify_(self) -> None:
        super().verify_()
        if self.first is not None and self.last is not None and self.first.value.data != self.last.value.data:
            fail(self, "last", "a scratch buffer lives during exactly one operator step")


@irdl_op_definition
class AliasOp(IRDLOperation):
    """The output `result` of an op may overlap its input `source` if offset(result) - offset(source) <= max_delta."""

    name = "arena.alias"
    assembly_format = "$result `onto` $source attr-dict `:` type($result) `,` type($source)"
    irdl_options = (ParsePropInAttrDict(),)

    result = operand_def(TensorType)
    source = operand_def(TensorType)
    max_delta = prop_def(_I64)

    def __init__(self, result: SSAValue, source: SSAValue, max_delta: int):
        super().__init__(operands=[result, source], properties={"max_delta": IntegerAttr(int(max_delta), i64)})

    def verify_(self) -> None:
        owner = self.result.owner
        if not isinstance(owner, Operation):
            fail(self, "result", "is a block argument (a graph input): only an op's result can overlap the op's input")
        if self.source not in owner.operands:
            fail(self, "source", "must be an operand of the op that defines the aliased result")


ARENA = Dialect("arena", [BufferOp, ScratchOp, AliasOp])
