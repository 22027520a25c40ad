"""One op's verification by a short path: what xDSL's `Operation.verify` checks, for the common op shapes.

xDSL 0.74's generic IRDL check (`OpDef.verify`) re-derives, for every op,
how its operands, results, regions and successors group into the
definition's fields (variadic sizes, segment attributes) before it checks a
single constraint; for the ops of a compiled model that is most of their
verification time. `verify_op` checks an op whose definition has at most
one variadic (or optional) operand field and one result field, no regions,
no successors and no segment-size option, with the same constraints in the
same order (`irdl_op_verify_arg_list`, the property, attribute and trait
loops of `OpDef.verify`), then runs the op's own `verify_` body.

It never words an error itself: when anything fails, or the op has another
shape, `Operation.verify` runs as always, so every message (and the op it
names) is xDSL's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from xdsl.ir import ErasedSSAValue, Operation
from xdsl.irdl import IRDLOperation, OpDef, OptionalDef, VariadicDef
from xdsl.irdl.constraints import VerificationContext
from xdsl.irdl.operations import AttrSizedSegments, OptAttributeDef, OptPropertyDef


@functools.cache
def _shape(cls: type[Operation]) -> tuple[OpDef, Callable[[Any], None] | None] | None:
    """The op definition and own verify_ body of an op class the short path can check, else None.

    `irdl_op_definition` replaces a class's `verify_` by a function calling
    `op_def.verify(op)` then the class's own body; both are read from it.
    """
    generated = cls.__dict__.get("verify_") if issubclass(cls, IRDLOperation) else None
    code = getattr(generated, "__code__", None)
    if code is None or code.co_freevars not in (("custom_verify", "op_def"), ("op_def",)):
        return None
    assert generated is not None
    cells: dict[str, Any] = {name: cell.cell_contents
                             for name, cell in zip(code.co_freevars, generated.__closure__ or (), strict=True)}
    op_def: OpDef = cells["op_def"]
    if len(op_def.regions) or len(op_def.successors):
        return None
    if any(isinstance(option, AttrSizedSegments) for option in op_def.options):
        return None
    for defs in (op_def.operands, op_def.results):
        if sum(isinstance(d, VariadicDef) for _, d in defs) > 1:
            return None
    return op_def, cells.get("custom_verify")


@functools.cache
def _group_sizes(cls: type[Operation], results: bool, count: int) -> tuple[int, ...] | None:
    """How many of `count` operands (or results) each field of the class's definition holds, as xDSL groups them
    (one variadic field at most); None if none fit. Every op of a class with that many values groups alike."""
    shape = _shape(cls)
    assert shape is not None
    defs = shape[0].results if results else shape[0].operands
    extra = count - len(defs)
    variadic = [d for _, d in defs if isinstance(d, VariadicDef)]
    if not variadic:
        if extra:
            return None
    elif extra < -1 or (isinstance(variadic[0], OptionalDef) and extra > 0):
        return None
    return tuple(extra + 1 if isinstance(d, VariadicDef) else 1 for _, d in defs)


def _groups(cls: type[Operation], results: bool, values: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
    """The types each operand (or result) field holds, as xDSL groups them; None if none fit."""
    sizes = _group_sizes(cls, results, len(values))
    if sizes is None:
        return None
    groups, at = [], 0
    for size in sizes:
        groups.append(tuple(v.type for v in values[at:at + size]))
        at += size
    return groups


def _short_path(op: Operation) -> bool:
    shape = _shape(type(op))
    if shape is None or op.regions or op.successors:
        return False
    block = op.parent
    if block is not None and block.last_op is op:  # the terminator rules of Operation.verify apply
        return False
    if ErasedSSAValue in map(type, op._operands):  # exact classes: isinstance on xDSL's ABCs costs more
        return False
    op_def, custom_verify = shape
    context = VerificationContext()
    for results, values, defs in ((False, op.operands, op_def.operands), (True, op.results, op_def.results)):
        groups = _groups(type(op), results, tuple(values))
        if groups is None:
            return False
        for (_, arg_def), types in zip(defs, groups, strict=True):
            arg_def.constr.verify(types, context)
    for name, prop_def in op_def.properties.items():
        if name not in op.properties:
            if isinstance(prop_def, OptPropertyDef):
                continue
            return False
        prop_def.constr.verify(op.properties[name], context)
    if any(name not in op_def.properties for name in op.properties):
        return False
    for name, attr_def in op_def.attributes.items():
        if name not in op.attributes:
            if isinstance(attr_def, OptAttributeDef):
                continue
            return False
        attr_def.constr.verify(op.attributes[name], context)
    for trait in op_def.traits:
        trait.verify(op)
    if custom_verify is not None:
        custom_verify(op)
    return True


def verify_op(op: Operation) -> None:
    """`op.verify(verify_nested_ops=False)`, by the short path where it applies; raises what that raises."""
    try:
        if _short_path(op):
            return
    except Exception:  # xDSL's own verify below raises the error, worded as always
        pass
    op.verify(verify_nested_ops=False)
