"""What every cmsis-opt pass shares: the stage it needs, analysis invalidation, option checking.

A pass declares the dialect its input must be in (`STAGE`): "nn" for
`--quantize`, "cmsis" for the memory passes. On IR at another stage it fails
with one line naming the pass to run first, instead of doing something
meaningless (a memory plan of float ops).

A pass runs in an analysis scope (`cmsis_opt.plan.analysis_scope`): what it
asks of the memory plan is computed once and kept until it changes the IR;
the next pass computes what it needs from the IR as it is then.

`build_pass` turns a pipeline element (`arena-alloc{strategy=optimal}`) into a
pass with checked options: an unknown pass or option, or a value outside an
option's `Literal[...]` choices, is a UsageError that names the kebab-case
option, what it accepts and the closest match.
"""

from __future__ import annotations

import abc
import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args, get_origin, get_type_hints

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec
from xdsl.utils.hints import isa

from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.plan import analysis_scope, the_function
from cmsis_opt.targets import did_you_mean

Stage = Literal["nn", "cmsis", "any"]


def stage_of(module: ModuleOp) -> str:
    """"nn" while any nn op is left, "cmsis" once every op is lowered (an empty model counts as lowered)."""
    return "nn" if any(op.name.startswith("nn.") for op in module.walk()) else "cmsis"


def require_stage(module: ModuleOp, pass_name: str, stage: Stage) -> None:
    """Fail with one line naming what to run first when `module` is not at `stage`."""
    if stage == "any":
        return
    current = stage_of(module)
    if current == stage:
        return
    if stage == "cmsis":
        raise CompileError(f"{pass_name} needs the cmsis dialect: run --quantize first")
    raise CompileError(
        f"{pass_name} needs the nn dialect: the IR is already lowered to cmsis ops, there is nothing to quantize")


@dataclass(frozen=True)
class CmsisPass(ModulePass, abc.ABC):
    """A pass of this project: checks its input's stage, then runs in an analysis scope of its own."""

    STAGE: ClassVar[Stage] = "cmsis"
    # the func.func ops the pass works on: "one" (a model: the memory passes), "some" (each function on its own,
    # at least one), "any" (the module itself); a module that has not what the pass needs fails before the
    # dialect is looked at
    FUNCTIONS: ClassVar[Literal["one", "some", "any"]] = "one"

    def __post_init__(self) -> None:
        """Options limited to `Literal[...]` choices hold one of them, however the pass was made."""
        for field in dataclasses.fields(self):
            choices = option_choices(type(self), field.name)
            value = getattr(self, field.name)
            if choices is not None and value not in choices and value is not None:
                raise UsageError(
                    f"option '{kebab(field.name)}' must be one of {', '.join(map(str, choices))}; got "
                    f"'{value}'{did_you_mean(str(value), [str(c) for c in choices])}",
                    f"pass '{self.name}'")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.FUNCTIONS == "one" or (self.FUNCTIONS == "some" and not any(isinstance(o, FuncOp) for o in op.ops)):
            the_function(op, self.name)
        require_stage(op, self.name, self.STAGE)
        with analysis_scope():
            self.run(op)

    @abc.abstractmethod
    def run(self, module: ModuleOp) -> None:
        """Transform `module` in place."""


# -- options -----------------------------------------------------------------------------


def kebab(name: str) -> str:
    return name.replace("_", "-")


def option_choices(cls: type[ModulePass], field: str) -> tuple | None:
    """The values a `Literal[...]` option accepts (None for other types)."""
    hint = get_type_hints(cls)[field]
    if get_origin(hint) is Literal:
        return get_args(hint)
    if get_origin(hint) in (typing.Union, types.UnionType):
        for arg in get_args(hint):
            if get_origin(arg) is Literal:
                return get_args(arg)
    return None


def describe_options(cls: type[ModulePass]) -> list[str]:
    """`name=default` for each option (with its choices where it has them)."""
    options = []
    for field in dataclasses.fields(cls):
        default = field.default
        if isinstance(default, bool):
            default = str(default).lower()
        choices = option_choices(cls, field.name)
        text = f"{kebab(field.name)}={default}"
        if choices:
            text += f" ({'|'.join(str(c) for c in choices)})"
        options.append(text)
    return options


def _type_name(cls: type[ModulePass], field: str) -> str:
    hint = get_type_hints(cls)[field]
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    if set(get_args(hint)) == {int, float}:
        return "a number"
    return str(hint)


def build_pass(spec: ArgSpec, registry: Mapping[str, Callable[[], type[ModulePass]]]) -> ModulePass:
    """The pass `spec` names, with its options checked.

    Raises UsageError for an unknown pass, an unknown option or a bad value.
    """
    if spec.name not in registry:
        raise UsageError(f"unknown pass '{spec.name}'{did_you_mean(spec.name, tuple(registry))} "
                         f"(cmsis-opt --help lists the passes)", "cmsis-opt")
    cls = registry[spec.name]()
    fields = {f.name: f for f in dataclasses.fields(cls)}
    where = f"pass '{spec.name}'"
    for raw, values in spec.parameters.items():
        field = raw.replace("-", "_")
        if field not in fields:
            known = ", ".join(kebab(f) for f in fields) or "none"
            hint = did_you_mean(kebab(raw), [kebab(f) for f in fields])
            if raw == "target":
                hint = "; the target is set once, with --attach-target=\"core=NAME\" (or cmsis-compile --target)"
            raise UsageError(f"no option '{raw}'{hint}; its options: {known}", where)
        value = values[0] if len(values) == 1 else values
        choices = option_choices(cls, field)
        if choices is not None:
            if value not in choices:
                raise UsageError(f"option '{kebab(field)}' must be one of {', '.join(map(str, choices))}; got "
                                 f"'{value}'{did_you_mean(str(value), [str(c) for c in choices])}", where)
        elif not (len(values) == 1 and isa(values[0], get_type_hints(cls)[field])):
            shown = "nothing" if not values else repr(value)
            raise UsageError(f"option '{kebab(field)}' takes {_type_name(cls, field)}; got {shown}", where)
    try:
        return cls.from_spec(spec)
    except ValueError as error:  # anything the checks above let through
        raise UsageError(f"bad options: {error}", where) from None
