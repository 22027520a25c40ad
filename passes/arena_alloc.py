"""Place every buffer at an offset in one arena, honouring alias constraints."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class ArenaAllocPass(ModulePass):
    """Place every buffer at an offset in one arena, honouring alias constraints."""

    name: ClassVar[str] = "arena-alloc"
    strategy: str = "auto"
    alignment: int = 16
    max_size: int = 0
    time_limit: float = 5.0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
