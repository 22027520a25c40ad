"""Reading, verifying and writing textual IR, with locations for every error."""

from __future__ import annotations

import re

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.utils.lexer import Span

from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError


class _LocatingParser(Parser):
    """A parser that remembers where each operation starts in the text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spans: dict[int, Span] = {}

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        op = super().parse_operation()
        self.spans[id(op)] = start
        return op


def _context_line(span: Span) -> str:
    text = span.input.content
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    begin = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.start)
    line = text[begin : len(text) if end < 0 else end]
    return f"{line}\n{' ' * (span.start - begin)}^"


def _where(span: Span) -> str:
    return str(span.get_location())


class SourceModule:
    """A parsed module plus the source location of each of its original ops."""

    def __init__(self, module: ModuleOp, spans: dict[int, Span], name: str):
        self.module = module
        self.spans = spans
        self.name = name

    def where(self, op: Operation | None) -> tuple[str | None, str | None]:
        span = self.spans.get(id(op)) if op is not None else None
        if span is None:
            return (self.name if op is None else f"{self.name}: '{op.name}'"), None
        return _where(span), _context_line(span)

    def verify(self, stage: str | None = None) -> None:
        """Verify op by op, innermost first, and name the first failing op's location."""
        for op in self.module.walk(reverse=False):
            try:
                op.verify(verify_nested_ops=False)
            except (VerifyException, DiagnosticException, ValueError) as error:
                where, context = self.where(op)
                message = _first_line(error)
                if stage:
                    message += f" (after {stage})"
                raise CompileError(message, where, context) from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _better_span(error: ParseError, text: str) -> Span:
    """xDSL points an unregistered op at the token after it; point at the op's name instead."""
    match = re.match(r"Operation (\S+) is not registered", error.msg)
    if match:
        found = re.search(r"(?<![\w.])" + re.escape(match.group(1)) + r"(?![\w.])", text)
        if found:
            return Span(found.start(), found.end(), error.span.input)
    return error.span


def parse_ir(text: str, name: str = "<stdin>", verify: bool = True) -> SourceModule:
    if not text.strip():
        raise CompileError("the input is empty: expected a module of textual IR", name)
    parser = _LocatingParser(make_context(), text, name)
    try:
        module = parser.parse_module()
    except ParseError as error:
        span = _better_span(error, text)
        raise CompileError(error.msg, _where(span), _context_line(span)) from None
    except (VerifyException, DiagnosticException) as error:
        # attribute verifiers run while parsing
        span = parser._current_token.span
        raise CompileError(_first_line(error), _where(span), _context_line(span)) from None
    source = SourceModule(module, parser.spans, name)
    if verify:
        source.verify()
    return source


def print_ir(module: ModuleOp) -> str:
    from io import StringIO

    out = StringIO()
    Printer(stream=out).print_op(module)
    out.write("\n")
    return out.getvalue()
