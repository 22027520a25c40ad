"""Output formats for `cmsis-opt -t NAME`: each maps a module to the text written to `-o`."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.ir import print_ir

def _print_c(module: ModuleOp) -> str:
    from cmsis_opt.backend.c import print_c

    return print_c(module)


TARGETS: dict[str, Callable[[ModuleOp], str]] = {
    "mlir": print_ir,
    "c": _print_c,
}
