"""Annotate every buffer with its live interval in operator steps and the module with the liveness lower bound."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class LivenessPass(ModulePass):
    """Annotate every buffer with its live interval in operator steps and the module with the liveness lower bound."""

    name: ClassVar[str] = "liveness"
    order: str = "given"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
