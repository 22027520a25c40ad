"""Let each op's output overlap its dying input as far as the kernel's read/write order allows."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class InplaceAliasPass(ModulePass):
    """Let each op's output overlap its dying input as far as the kernel's read/write order allows."""

    name: ClassVar[str] = "inplace-alias"
    target: str = "cortex-m4"
    kernel_switch: str = "peak"
    allow_undocumented: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
