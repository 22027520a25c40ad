"""Output formats for `cmsis-opt -t NAME`, as xDSL targets: `mlir` (xDSL's printer) and `c`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target


@dataclass(frozen=True)
class CTarget(Target):
    """The header and the source of the planned model, in one stream (`cmsis_opt.backend.c.print_c`)."""

    name = "c"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        from cmsis_opt.backend.c import print_c  # the C backend loads only when -t c asks for it

        output.write(print_c(module))


def _mlir() -> type[Target]:
    from xdsl.targets.mlir import MLIRTarget

    return MLIRTarget


TARGETS: dict[str, Callable[[], type[Target]]] = {"mlir": _mlir, "c": lambda: CTarget}
"""Target name -> a function returning the target class (xDSL's registry form)."""
