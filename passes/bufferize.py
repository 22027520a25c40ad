"""`--bufferize`: give every activation and kernel scratch buffer a name and a byte size in the IR.

Records the memory plan's buffers (`cmsis_opt.plan`) as `arena.buffer` /
`arena.scratch` ops: one per graph input and kernel result, right after the
op that writes it, and one per kernel that needs scratch on the module
target's CMSIS-NN path, right after its op's buffer. Existing ops keep their
names; scratch sizes follow the target (a scratch op whose kernel needs none
is removed). The target is recorded on the module if it was not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.passes.attach_target import ensure_target
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import the_function, write_buffers


@dataclass(frozen=True)
class BufferizePass(CmsisPass):
    """Give every activation and kernel scratch buffer a name and a byte size (arena.buffer / arena.scratch)."""

    name: ClassVar[str] = "bufferize"

    def run(self, module: ModuleOp) -> None:
        ensure_target(module)
        write_buffers(the_function(module))
