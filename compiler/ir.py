"""Reading, verifying and writing textual IR, with locations for every error."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import cast

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
    UnitAttr,
)
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute, Operation, OpResult
from xdsl.parser import Parser
from xdsl.parser.generic_parser import ParserState
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.utils.lexer import Input, Span, Token
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRTokenKind, StringLiteral

from cmsis_opt.context import make_context
from cmsis_opt.dialects.arena import check_function_attributes
from cmsis_opt.dialects.cmsis import TARGET_ATTR, TargetAttr
from cmsis_opt.dialects.nn import FLOAT_IO_ATTR, LAYOUT_ATTR, LAYOUTS, RANGE_ATTR, RangeAttr
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.errors import CompileError
from cmsis_opt.opverify import verify_op

MAX_INTEGER_WIDTH = (1 << 24) - 1
"""The widest integer type MLIR has (`IntegerType::kMaxWidth`, mlir/IR/BuiltinTypes.h): xDSL takes any width and
derives the type's value range, 2**width, when a constant of it is read, which for i7106297016 takes gigabytes."""
_INTEGER_TYPE = re.compile(r"[su]?i([0-9]+)")

MAX_ELEMENTS = (1 << 31) - 1
"""Largest element count of a tensor type (CMSIS-NN sizes are int32)."""

MAX_CONSTANT_ELEMENTS = 1 << 24
"""Largest dense constant: 16 Mi values, far beyond any microcontroller's flash."""

MAX_CONTEXT = 120
"""Characters of the offending source line shown under an error."""

AnySpan = Span[str] | Span[bytes]
"""A place in the source: xDSL's errors type it either way."""


class _LinearLexer(MLIRLexer):
    """xDSL 0.74's string pattern nests quantifiers and backtracks exponentially on an
    unterminated string followed by a long line; this one accepts the same strings in linear time."""

    _unescaped_characters_regex = re.compile(r'"(?:[^"\\\n\v\f]++|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*+"')

    def _lex_string_literal(self, start_pos):
        """Escapes that spell UTF-8 text (a non-ASCII layer name) make a string, not bytes,
        so it parses back as printed."""
        token = super()._lex_string_literal(start_pos)
        if token.kind is MLIRTokenKind.BYTES_LIT:
            assert isinstance(token.span, StringLiteral)  # the span of a string token is its literal
            try:
                token.span.bytes_contents.decode("utf-8")
            except UnicodeDecodeError:
                return token
            return Token(MLIRTokenKind.STRING_LIT, token.span)
        return token


class _LocatingParser(Parser):
    """A parser that remembers where each operation starts in the text,
    and refuses shapes too large to hold before it allocates them."""

    def __init__(self, ctx, text: str, name: str):
        super().__init__(ctx, "", name)
        self.name = name
        self.spans: dict[int, Span] = {}
        self.first_uses: dict[str, Span] = {}
        self.start(text)

    def start(self, text: str) -> None:
        """Read `text` from its beginning."""
        self._parser_state = ParserState(_LinearLexer(Input(text, self.name)))

    def resolve_operand(self, operand, type):
        """Remember where each value is first used before it is defined: xDSL reports an undefined value at
        the end of the input, and `parse_ir` points at that first use instead."""
        if operand.operand_name not in self.ssa_values:
            self.first_uses.setdefault(operand.operand_name, operand.span)
        return super().resolve_operand(operand, type)

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        op = super().parse_operation()
        self.spans[id(op)] = start
        return op

    def _parse_dialect_type_or_attribute_body(self, attr_name, is_type, *args):
        """Point a type's or attribute's verifier error at the type (`!quant.uniform<...`), not past it."""
        body_start = self._current_token.span.start
        try:
            return super()._parse_dialect_type_or_attribute_body(attr_name, is_type, *args)
        except VerifyException as error:
            start = max(self.lexer.input.content.rfind("!" if is_type else "#", 0, body_start), 0)
            self.raise_error(_first_line(error), start, self.pos)

    def _parse_optional_integer_or_float_type(self):
        """Refuse an integer type wider than MLIR allows before xDSL builds it (`MAX_INTEGER_WIDTH`)."""
        token = self._current_token
        if token.kind == MLIRTokenKind.BARE_IDENT and (match := _INTEGER_TYPE.fullmatch(token.text)) is not None:
            width = int(match.group(1))
            if width > MAX_INTEGER_WIDTH:
                self.raise_error(f"integer type '{token.text}' is wider than MLIR's limit of {MAX_INTEGER_WIDTH:,} "
                                 "bits", token.span.start, token.span.end)
        return super()._parse_optional_integer_or_float_type()

    def parse_ranked_shape(self):
        start = self._current_token.span.start
        dims, element = super().parse_ranked_shape()
        count = _product(dims)
        if count > MAX_ELEMENTS:
            self.raise_error(f"a shape of {count} elements is too large (at most {MAX_ELEMENTS})", start, self.pos)
        return dims, element

    def parse_dense_int_or_fp_elements_attr(self, type_):
        """`dense<scalar> : tensor<...>` without building a Python list of every element."""
        if type_ is None:
            start = self._current_token.span.start
            splat = self._parse_splat()
            if splat is not None:
                return splat
            self._resume_from(start)
        return super().parse_dense_int_or_fp_elements_attr(type_)

    def _parse_splat(self) -> DenseIntOrFPElementsAttr | None:
        """A decimal splat of a signed integer or f32 tensor, or None (the caller re-parses)."""
        if self.parse_optional_punctuation("<") is None:
            return None
        negative = self._parse_optional_token(MLIRTokenKind.MINUS) is not None
        token = self._current_token
        if token.kind not in (MLIRTokenKind.INTEGER_LIT, MLIRTokenKind.FLOAT_LIT) or token.text[:2].lower() == "0x":
            return None
        self._consume_token()
        if self.parse_optional_punctuation(">") is None or self.parse_optional_punctuation(":") is None:
            return None
        type_ = self._parse_dense_literal_type()
        element = type_.get_element_type()
        magnitude = int(token.text) if token.kind == MLIRTokenKind.INTEGER_LIT else float(token.text)
        value = (-1 if negative else 1) * magnitude
        if isinstance(element, Float32Type):
            if not abs(value) <= _F32_MAX:
                self.raise_error(f"{'-' if negative else ''}{token.text} is out of range for f32", token.span)
            dtype = np.dtype("<f4")
        elif (isinstance(element, IntegerType) and isinstance(value, int) and element.width.data in (8, 16, 32, 64)
              and element.signedness.data != Signedness.UNSIGNED
              and -(1 << (element.width.data - 1)) <= value < (1 << (element.width.data - 1))):
            dtype = np.dtype(f"<i{element.width.data // 8}")
        else:
            return None
        data = np.full(math.prod(type_.get_shape()), value, dtype=dtype).tobytes()
        return DenseIntOrFPElementsAttr(type_, BytesAttr(data))

    def _parse_dense_literal_type(self):
        start = self._current_token.span.start
        type_ = super()._parse_dense_literal_type()
        count = _product(type_.get_shape())
        if count > MAX_CONSTANT_ELEMENTS:
            self.raise_error(
                f"a constant of {count} elements is too large (at most {MAX_CONSTANT_ELEMENTS})", start, self.pos)
        return type_


_F32_MAX = float(np.finfo(np.float32).max)


def _product(dims) -> int:
    count = 1
    for d in dims:
        count *= max(d, 1)
    return count


def _context_line(span: AnySpan) -> str:
    text = span.input.content
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    begin = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.start)
    end = len(text) if end < 0 else end
    column = span.start - begin
    if end - begin > MAX_CONTEXT:  # show a window of a very long line around the column
        left = max(column - MAX_CONTEXT // 2, 0)
        begin, end, column = begin + left, min(begin + left + MAX_CONTEXT, end), column - left
    line = text[begin:end].replace("\t", " ")
    return f"{line}\n{' ' * column}^"


def _where(span: AnySpan) -> str:
    return str(span.get_location())


class SourceModule:
    """A parsed module plus the source location of each of its original ops."""

    def __init__(self, module: ModuleOp, spans: dict[int, Span], name: str):
        self.module = module
        self.spans = spans
        self.name = name

    def model_function(self) -> FuncOp:
        """The module's one `func.func`, the model; raises CompileError naming the file if it holds none or several.

        A module with no function is valid IR for `cmsis-opt`, but nothing the compiler, `cmsis-run` or
        `cmsis-calibrate` can plan or run.
        """
        from cmsis_opt.plan import the_function  # the plan module loads the kernels' facts: only when needed

        return the_function(self.module, self.name)

    def where(self, op: Operation | None) -> tuple[str | None, str | None]:
        span = self.spans.get(id(op)) if op is not None else None
        if span is None:
            return (self.name if op is None else f"{self.name}: '{op.name}'"), None
        return _where(span), _context_line(span)

    def verify(self, stage: str | None = None) -> None:
        """Verify op by op, innermost first, and name the first failing op's location."""
        checked: set[int] = set()  # types are shared between values: each one is looked at once
        seen: set[int] = set()  # ops walked so far, in the order of the text: a value's definer comes first
        for op in self.module.walk(reverse=False):
            for index, operand in enumerate(op._operands):  # an op's own results are not yet defined for it
                if isinstance(operand, OpResult) and id(operand.op) not in seen:
                    where, context = self.where(op)
                    defined, _ = self.where(operand.op)
                    name = f"%{operand.name_hint} " if operand.name_hint else ""
                    message = (f"operand #{index} {name}is the op's own result: an op cannot read what it writes"
                               if operand.op is op else
                               f"operand #{index} {name}is used before it is defined (by '{operand.op.name}' at "
                               f"{defined})") + (f" (after {stage})" if stage else "")
                    raise CompileError(message, where, context)
            seen.add(id(op))
            try:
                check_types(op, checked)
                verify_op(op)
            except (VerifyException, DiagnosticException, ValueError) as error:
                where, context = self.where(op)
                message = _first_line(error)
                if stage:
                    message += f" (after {stage})"
                raise CompileError(message, where, context) from None


def _type_problem(type_: Attribute) -> str | None:
    """Why a tensor type cannot describe a model tensor (None if it can)."""
    if not isinstance(type_, TensorType):
        return None
    shape = type_.get_shape()
    if any(d < 0 for d in shape):
        return f"dynamic dimensions are not supported: {type_}"
    element = type_.get_element_type()
    if isinstance(element, IntegerType) and element.width.data == 0:
        return f"an integer element type of 0 bits holds no values: {type_}"
    q = quant_of(type_)
    if q is not None and 0 in shape:  # a quantized activation or constant is bytes in the arena or flash
        return f"a quantized tensor with no elements (a dimension of 0) is not supported: {type_}"
    if q is not None and q.per_axis:
        axis = q.axis_attr.data
        if axis >= len(shape):
            return f"per-axis quantization on axis {axis} of a rank-{len(shape)} tensor"
        if shape[axis] != len(q.scales):
            return f"per-axis quantization on axis {axis} needs {shape[axis]} scales, got {len(q.scales)}"
    return None


def check_types(op: Operation, checked: set[int] | None = None) -> None:
    """Tensor types the compiler can hold (static shapes, per-axis scales matching their axis), and a string `layer`.

    `checked` holds the ids of type objects already found good (the caller keeps them alive); they are skipped.
    """
    args = [(a.index, a) for region in op.regions for block in region.blocks for a in block.args]
    for place, values in (("operand", enumerate(op.operands)), ("result", enumerate(op.results)), ("argument", args)):
        for index, value in values:  # the place is worded only for a problem (most types are seen before)
            type_ = value.type
            if checked is not None and id(type_) in checked:
                continue
            problem = _type_problem(type_)
            if problem:
                raise VerifyException(f"'{op.name}' {place} #{index}: {problem}")
            if checked is not None:
                checked.add(id(type_))
    layer = op.attributes.get("layer")
    if layer is not None and not isinstance(layer, StringAttr):
        raise VerifyException(f"'{op.name}' layer: expected the source layer's name as a string, got {layer}")
    check_dialect_attributes(op)


def check_dialect_attributes(op: Operation) -> None:
    """The discardable attributes our dialects give meaning to sit where they belong, with their declared types.

    xDSL 0.74 has no dialect hook for verifying attributes that other ops
    carry (MLIR's verifyOperationAttribute), so the IR verifier checks them:
    `cmsis.target` on the module, `arena.*` on functions, `nn.range` on ops
    and function arguments.
    """
    for key, value in op.attributes.items():
        if key == TARGET_ATTR:
            if not isinstance(op, ModuleOp):
                raise VerifyException(f"'{op.name}' {key}: the target belongs on the builtin.module")
            if not isinstance(value, TargetAttr):
                raise VerifyException(f"'{op.name}' {key}: expected #cmsis.target<...>, got {value}")
        elif key == RANGE_ATTR and not isinstance(value, RangeAttr):
            raise VerifyException(f"'{op.name}' {key}: expected #nn.range<low, high>, got {value}")
        elif key.startswith("arena.") and not isinstance(op, FuncOp):
            raise VerifyException(f"'{op.name}' {key}: arena attributes belong on the func.func")
    if isinstance(op, FuncOp):
        check_function_attributes(op)
        for kind in ("arg", "res"):
            stored = op.arg_attrs if kind == "arg" else op.res_attrs
            for attrs in stored.data if stored is not None else ():
                _check_io_attributes(op, kind, attrs.data)


def _check_io_attributes(op: FuncOp, kind: str, attrs: Mapping[str, Attribute]) -> None:
    where = "argument" if kind == "arg" else "result"
    value = attrs.get(RANGE_ATTR)
    if value is not None and (kind != "arg" or not isinstance(value, RangeAttr)):
        raise VerifyException(
            f"'{op.name}' {where} {RANGE_ATTR}: expected #nn.range<low, high> on an argument, got {value}"
        )
    layout = attrs.get(LAYOUT_ATTR)
    if layout is not None and not (isinstance(layout, StringAttr) and layout.data in LAYOUTS):
        raise VerifyException(f"'{op.name}' {where} {LAYOUT_ATTR}: expected one of {', '.join(LAYOUTS)}, got {layout}")
    flag = attrs.get(FLOAT_IO_ATTR)
    if flag is not None and not isinstance(flag, UnitAttr):
        raise VerifyException(f"'{op.name}' {where} {FLOAT_IO_ATTR}: expected a unit attribute, got {flag}")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _better_span(error: ParseError, text: str) -> AnySpan:
    """xDSL points an unregistered op at the token after it; point at the op's name instead."""
    match = re.match(r"Operation (\S+) is not registered", error.msg)
    if match:  # the last mention before the error, outside comments
        pattern = re.compile(r"^(?!\s*//).*?(?<![\w.])(" + re.escape(match.group(1)) + r")(?![\w.])", re.MULTILINE)
        mentions = list(pattern.finditer(text, 0, error.span.end))
        if mentions:
            source = cast(Input[str], error.span.input)  # parse_ir lexes `text`, a str
            return Span(mentions[-1].start(1), mentions[-1].end(1), source)
    return error.span


_COMMENT_LINE = re.compile(r"^\s*//.*$", re.MULTILINE)


def parse_ir(text: str, name: str = "<stdin>", verify: bool = True, allow_unregistered: bool = False) -> SourceModule:
    """Parse textual IR into a verified module that remembers where each op was written.

    Raises CompileError at the first parse or verifier error, located at
    `name:line:col` with the offending source line.
    """
    if not _COMMENT_LINE.sub("", text).strip():
        raise CompileError("the input is empty: expected a module of textual IR", name)
    ctx = make_context()
    ctx.allow_unregistered = allow_unregistered
    parser = _LocatingParser(ctx, "", name)
    try:
        parser.start(text)  # lexes the first token, which may already be malformed
        module = parser.parse_module()
    except ParseError as error:
        if parser.forward_ssa_references and error.msg.startswith("values used but not defined"):
            names = list(parser.forward_ssa_references)
            span = parser.first_uses.get(names[0], error.span)
            others = f" (nor {', '.join('%' + n for n in names[1:])})" if names[1:] else ""
            raise CompileError(f"%{names[0]} is used here but never defined{others}", _where(span),
                               _context_line(span)) from None
        span = _better_span(error, text)
        raise CompileError(error.msg, _where(span), _context_line(span)) from None
    except (VerifyException, DiagnosticException) as error:
        # attribute verifiers run while parsing
        span = parser._current_token.span
        raise CompileError(_first_line(error), _where(span), _context_line(span)) from None
    except RecursionError:
        span = parser._current_token.span
        raise CompileError("the input is nested too deeply to parse", _where(span), _context_line(span)) from None
    except MemoryError:
        raise CompileError("the input is too large to parse in the available memory", name) from None
    except NotImplementedError as error:  # xDSL has no storage format for it (array<i7106297016: 1>)
        span = parser._current_token.span
        raise CompileError(f"not supported: {_first_line(error)}", _where(span), _context_line(span)) from None
    except (OverflowError, ValueError) as error:  # xDSL's own checks of literal values
        span = parser._current_token.span
        raise CompileError(f"value out of range: {_first_line(error)}", _where(span), _context_line(span)) from None
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
