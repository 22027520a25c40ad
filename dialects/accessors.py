"""Named operand and result fields of our ops, read in one step.

xDSL 0.74's generated field accessors (`BaseAccessor.__get__` in
`xdsl/irdl/operations.py`) build an `OpOperands` view and dispatch on the
construct kind on every read: about 1.5 us for `op.input`, read some hundred
thousand times in a compile of a thousand layers (verifiers, the lowering,
the planner and the C backend all read fields by name). `fast_field_access`
replaces, on our dialects' op classes, the accessors of the shapes that need
no segment sizes with descriptors that index the op's operand tuple or result
list directly, with the same result:

- a field before any variadic one: the value at its index;
- a field after the one variadic field: the value at its index from the end;
- an optional field, where every optional field of the op is present or none is
  (xDSL's `SameOptionalAccessor`): the value, or None when they are absent.

Any other accessor (variadic fields, attribute-sized segments) is left as
xDSL made it. Writing a field stays an error, as in xDSL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.ir import Dialect, Operation
from xdsl.irdl.operations import (
    AfterVariadicSingleAccessor,
    BaseAccessor,
    BeforeVariadicSingleAccessor,
    SameOptionalAccessor,
    VarIRConstruct,
)

# Each class keeps xDSL's `index` (the declarative assembly format's parser calls it on the accessors it finds on
# the class) and reads a field in one step. The operand tuple is the op's private `_operands`, which
# OpOperands.__getitem__ reads too: building that public view is most of what a read cost.


@dataclass(frozen=True)
class _OperandBefore(BeforeVariadicSingleAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        return op._operands[self.idx]


@dataclass(frozen=True)
class _ResultBefore(BeforeVariadicSingleAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        return op.results[self.idx]


@dataclass(frozen=True)
class _OperandAfter(AfterVariadicSingleAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        return op._operands[self.idx - self.num_defs]


@dataclass(frozen=True)
class _ResultAfter(AfterVariadicSingleAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        return op.results[self.idx - self.num_defs]


@dataclass(frozen=True)
class _OperandOptional(SameOptionalAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        operands = op._operands
        return operands[self.idx] if len(operands) == self.num_defs else None


@dataclass(frozen=True)
class _ResultOptional(SameOptionalAccessor):
    def __get__(self, op: Operation, objtype: Any = None) -> Any:
        results = op.results
        return results[self.idx] if len(results) == self.num_defs else None


_FAST: dict[tuple[type, object], type[BaseAccessor]] = {
    (BeforeVariadicSingleAccessor, VarIRConstruct.OPERAND): _OperandBefore,
    (BeforeVariadicSingleAccessor, VarIRConstruct.RESULT): _ResultBefore,
    (AfterVariadicSingleAccessor, VarIRConstruct.OPERAND): _OperandAfter,
    (AfterVariadicSingleAccessor, VarIRConstruct.RESULT): _ResultAfter,
    (SameOptionalAccessor, VarIRConstruct.OPERAND): _OperandOptional,
    (SameOptionalAccessor, VarIRConstruct.RESULT): _ResultOptional,
}


def fast_field_access(dialect: Dialect) -> Dialect:
    """Give the dialect's op classes one-step operand and result field accessors (see the module docstring)."""
    for cls in dialect.operations:
        for name, accessor in list(vars(cls).items()):
            fast = _FAST.get((type(accessor), getattr(accessor, "construct", None)))  # exact xDSL classes only
            if fast is not None:
                setattr(cls, name, fast(**{f: getattr(accessor, f) for f in accessor.__dataclass_fields__}))
    return dialect
