"""Give every activation and kernel scratch buffer a name and a byte size (arena.buffer / arena.scratch)."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class BufferizePass(ModulePass):
    """Give every activation and kernel scratch buffer a name and a byte size (arena.buffer / arena.scratch)."""

    name: ClassVar[str] = "bufferize"
    target: str = "cortex-m4"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
