"""The error a registered pass gives while it is still being built."""

from cmsis_opt.errors import CompileError


def not_implemented(name: str) -> CompileError:
    return CompileError(f"pass '{name}' is not implemented yet", "cmsis-opt")
