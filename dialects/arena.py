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
A view (`cmsis.reshape`) result has no buffer of its own: it shares its source's.

What the passes record on the function, as declared attributes:

    arena.bounds = #arena.bounds<no_overlap = 40960, activations = 40960>       --liveness (bytes)
    arena.inplace = #arena.inplace<kernel_switch = "peak", allow_undocumented = false>   --inplace-alias
    arena.plan = #arena.plan<size = 33216, alignment = 16, strategy = "auto (best-fit)">  --arena-alloc
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import IntAttr, IntegerAttr, IntegerType, StringAttr, TensorType
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute, BlockArgument, Data, Dialect, Operation, ParametrizedAttribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from .accessors import fast_field_access
from .utils import fail, i64_attr

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
            properties={"name": StringAttr(name), "size": i64_attr(size)},
        )

    def set(self, field: str, value: int) -> None:
        self.properties[field] = i64_attr(value)

    def get(self, field: str) -> int | None:
        attr = self.properties.get(field)
        return attr.value.data if isinstance(attr, IntegerAttr) else None

    def verify_(self) -> None:
        if not self.buffer_name.data:
            fail(self, "name", "must not be empty")
        size = self.size.value.data
        if size < 0 or (size == 0 and not isinstance(self.value, BlockArgument)):  # 0: a streamed graph input
            fail(self, "size", f"must be positive{' (0 only for a graph input)' if size == 0 else ''}, got {size}")
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
        super().__init__(operands=[result, source], properties={"max_delta": i64_attr(max_delta)})

    def verify_(self) -> None:
        owner = self.result.owner
        if not isinstance(owner, Operation):
            fail(self, "result", "is a block argument (a graph input): only an op's result can overlap the op's input")
        if self.source not in owner.operands:
            fail(self, "source", "must be an operand of the op that defines the aliased result")


# -- the function attributes ----------------------------------------------------------------
# xDSL 0.74 has no declarative syntax for attributes, so the three records share one
# `<key = value, ...>` reader and printer; each declares its keys, their kinds and defaults.


class _Record(ParametrizedAttribute):
    """A record of named ints, strings and booleans: `#arena.NAME<key = value, ...>`."""

    FIELDS: ClassVar[tuple[tuple[str, type], ...]] = ()

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        values: dict[str, Attribute] = {}
        kinds = dict(cls.FIELDS)
        with parser.in_angle_brackets():
            while True:
                at = parser.pos
                key = parser.parse_identifier()
                if key not in kinds:
                    parser.raise_error(f"{cls.name}: unknown field '{key}' (known: {', '.join(kinds)})", at, parser.pos)
                if key in values:
                    parser.raise_error(f"{cls.name}: field '{key}' given twice", at, parser.pos)
                parser.parse_punctuation("=")
                kind = kinds[key]
                if kind is int:
                    values[key] = IntAttr(parser.parse_integer(allow_boolean=False))
                elif kind is bool:
                    values[key] = IntAttr(int(parser.parse_boolean()))
                else:
                    values[key] = StringAttr(parser.parse_str_literal())
                if parser.parse_optional_punctuation(",") is None:
                    break
        missing = [k for k in kinds if k not in values]
        if missing:
            parser.raise_error(f"{cls.name}: missing field(s) {', '.join(missing)}")
        return [values[k] for k in kinds]

    def print_parameters(self, printer: Printer) -> None:
        parts = []
        for (key, kind), value in zip(self.FIELDS, self.parameters, strict=True):
            if kind is int:
                assert isinstance(value, IntAttr)
                parts.append(f"{key} = {value.data}")
            elif kind is bool:
                assert isinstance(value, IntAttr)
                parts.append(f"{key} = {'true' if value.data else 'false'}")
            else:
                assert isinstance(value, StringAttr)
                parts.append(f'{key} = "{value.data}"')
        printer.print_string(f"<{', '.join(parts)}>")

    def _field(self, key: str) -> Data:
        index = [k for k, _ in self.FIELDS].index(key)
        value = self.parameters[index]
        assert isinstance(value, Data)
        return value


@irdl_attr_definition
class PlanAttr(_Record):
    """The placed arena (--arena-alloc): its size and alignment in bytes, the strategy that placed it."""

    name = "arena.plan"
    FIELDS = (("size", int), ("alignment", int), ("strategy", str))

    size_attr: IntAttr
    alignment_attr: IntAttr
    strategy_attr: StringAttr

    def __init__(self, size: int, alignment: int, strategy: str):
        super().__init__(IntAttr(size), IntAttr(alignment), StringAttr(strategy))

    @property
    def size(self) -> int:
        return self.size_attr.data

    @property
    def alignment(self) -> int:
        return self.alignment_attr.data

    @property
    def strategy(self) -> str:
        return self.strategy_attr.data

    def verify(self) -> None:
        if self.size < 1:
            raise VerifyException(f"arena.plan: size must be at least 1 byte, got {self.size}")
        if self.alignment < 1 or self.alignment & (self.alignment - 1):
            raise VerifyException(f"arena.plan: alignment must be a power of two, got {self.alignment}")


@irdl_attr_definition
class BoundsAttr(_Record):
    """Bytes live together at the busiest step without any overlap (--liveness): every buffer, and activations only."""

    name = "arena.bounds"
    FIELDS = (("no_overlap", int), ("activations", int))

    no_overlap_attr: IntAttr
    activations_attr: IntAttr

    def __init__(self, no_overlap: int, activations: int):
        super().__init__(IntAttr(no_overlap), IntAttr(activations))

    @property
    def no_overlap(self) -> int:
        return self.no_overlap_attr.data

    @property
    def activations(self) -> int:
        return self.activations_attr.data

    def verify(self) -> None:
        if not 0 <= self.activations <= self.no_overlap:
            raise VerifyException(
                f"arena.bounds: need 0 <= activations <= no_overlap, got {self.activations} and {self.no_overlap}")


@irdl_attr_definition
class InplaceAttr(_Record):
    """Outputs may overlap their inputs (--inplace-alias), with the options that chose the overlaps."""

    name = "arena.inplace"
    FIELDS = (("kernel_switch", str), ("allow_undocumented", bool))

    kernel_switch_attr: StringAttr
    allow_undocumented_attr: IntAttr

    def __init__(self, kernel_switch: str, allow_undocumented: bool):
        super().__init__(StringAttr(kernel_switch), IntAttr(int(allow_undocumented)))

    @property
    def kernel_switch(self) -> str:
        return self.kernel_switch_attr.data

    @property
    def allow_undocumented(self) -> bool:
        return bool(self.allow_undocumented_attr.data)

    def verify(self) -> None:
        if self.kernel_switch not in ("peak", "never", "always"):
            raise VerifyException(
                f"arena.inplace: kernel_switch must be peak, never or always, got '{self.kernel_switch}'")


FUNCTION_ATTRS: dict[str, type[Attribute]] = {
    "arena.plan": PlanAttr,
    "arena.bounds": BoundsAttr,
    "arena.inplace": InplaceAttr,
}
"""The `arena.*` attributes a function may carry, and their types."""


def check_function_attributes(func: FuncOp) -> None:
    """Every `arena.*` attribute of `func` is one of FUNCTION_ATTRS with its declared type.

    xDSL 0.74 lets a dialect declare ops and attributes but has no hook to
    verify the discardable attributes other ops carry (MLIR's
    verifyOperationAttribute), so the IR verifier calls this for every function.
    Raises VerifyException.
    """
    for key, value in func.attributes.items():
        if not key.startswith("arena."):
            continue
        kind = FUNCTION_ATTRS.get(key)
        if kind is None:
            raise VerifyException(f"'func.func' {key}: unknown arena attribute (known: {', '.join(FUNCTION_ATTRS)})")
        if not isinstance(value, kind):
            raise VerifyException(f"'func.func' {key}: expected #{kind.name}<...>, got {value}")


def function_attr(func: FuncOp, kind: type[Attribute]) -> Attribute | None:
    """The attribute of type `kind` recorded on `func`, if any."""
    for key, attr_kind in FUNCTION_ATTRS.items():
        if attr_kind is kind:
            value = func.attributes.get(key)
            return value if isinstance(value, kind) else None
    raise KeyError(kind)


def set_function_attr(func: FuncOp, value: PlanAttr | BoundsAttr | InplaceAttr) -> None:
    func.attributes[value.name] = value


ARENA = fast_field_access(Dialect("arena", [BufferOp, ScratchOp, AliasOp], [PlanAttr, BoundsAttr, InplaceAttr]))
