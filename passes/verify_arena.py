"""Check independently that no two live buffers share a byte unless an alias constraint allows it."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class VerifyArenaPass(ModulePass):
    """Check independently that no two live buffers share a byte unless an alias constraint allows it."""

    name: ClassVar[str] = "verify-arena"


    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
