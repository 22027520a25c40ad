"""User-facing errors: every tool prints them as one `error:` line and exits non-zero."""

from __future__ import annotations

import sys


class CompileError(Exception):
    """A problem with the user's input or options, worded for the user.

    `where` is the place it is about (`file:line:col`, an ONNX node, a pass);
    `context` is optional extra text (such as the offending source line).
    """

    def __init__(self, message: str, where: str | None = None, context: str | None = None, status: int = 1):
        super().__init__(message)
        self.message = message
        self.where = where
        self.context = context
        self.status = status

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(CompileError):
    """Wrong command-line usage (exit status 2)."""

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message, where, status=2)


def report(error: CompileError, tool: str | None = None) -> int:
    print(f"error: {error}", file=sys.stderr)
    if error.context:
        print(error.context.rstrip("\n"), file=sys.stderr)
    return error.status
