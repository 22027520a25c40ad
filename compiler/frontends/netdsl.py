"""`.net`: a few lines of text describing a quantized network, for memory experiments.

    # the CMSIS-NN CIFAR-10 example
    seed 1
    input x: 1x32x32x3, scale=0.0078125, zp=-128
    c1 = conv(x, filters=32, kernel=5, pad=2, act=relu)
    p1 = maxpool(c1, kernel=3, stride=2, ceil=true)
    ...
    f = fc(p3, units=10)
    s = softmax(f)
    output s

Shapes are NHWC, as CMSIS-NN sees them. Layers: conv, dwconv (depthwise),
fc, maxpool, avgpool, globalavgpool, add, mul, concat, pad, softmax; each
names its inputs first, then `key=value` options. Weights are seeded random
int8 (per-channel scales for conv/dwconv); every activation is quantized
like the first input unless a layer says `scale=` / `zp=` (softmax output is
always 1/256, -128). Branches are just names used twice.

The result is the `nn` dialect in pre-quantized (QDQ) form, exactly what an
ONNX QDQ model imports to, so `--quantize` and everything after treat both
alike. Errors point at line and column.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.builder import Builder
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType, f32, i32
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import VerifyException

from cmsis_opt.dialects import nn
from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import (
    conv_out_size,
    dense,
    i64_array,
    int_type,
    shape_of,
    tensor_type,
    window_expressible,
)
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.graph import mark_layouts

GRAMMAR = r"""
start: (_stmt? _NL)* _stmt?
_stmt: seed | input | layer | output
seed: "seed" INT
input: "input" NAME ":" SHAPE ("," kwarg)*
layer: NAME "=" NAME "(" [_arg ("," _arg)*] ")"
output: "output" NAME ("," NAME)*
_arg: kwarg | ref
ref: NAME
kwarg: NAME "=" value
value: SIGNED_NUMBER | NAME | SHAPE
SHAPE.2: /[0-9]+(x[0-9]+)+/
NAME: /[A-Za-z_][A-Za-z0-9_.]*/
COMMENT: /#[^\n]*/
_NL: /(\r?\n[\t ]*)+/
%import common.INT
%import common.SIGNED_NUMBER
%import common.WS_INLINE
%ignore WS_INLINE
%ignore COMMENT
"""



@functools.cache
def _lark_parser():
    """The LALR parser of GRAMMAR, built on first use (lark loads only for a text the line reader declines)."""
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr", propagate_positions=True)


@dataclass(frozen=True)
class _Word:
    """A token of a statement: its text and where it starts (1-based line and column, as lark counts them)."""

    text: str
    line: int
    column: int


@dataclass(frozen=True)
class _Stmt:
    """One statement. `words`: seed [INT]; input [NAME, SHAPE]; layer [NAME, KIND]; output [NAME, ...].

    `args` are a layer's or input's arguments in order: (None, ref) for a name, (key, value) for key=value;
    `places` holds, for each argument, where it starts (its name or key).
    """

    kind: str
    line: int
    column: int
    words: tuple[_Word, ...]
    args: tuple[tuple[str | None, str], ...] = ()
    places: tuple[_Word, ...] = ()


# The line reader: one statement per line, in GRAMMAR's tokens. Every line it accepts reads as GRAMMAR reads
# it (tests/test_netdsl.py compares the two on every .net file of the repository); anything else (a keyword
# prefix, '\r', an empty argument list, a token it does not know) sends the whole text to lark, which also
# words every syntax error.
_TOKEN = re.compile(
    r"(?P<ws>[ \t]+)"
    r"|(?P<SHAPE>[0-9]+(?:x[0-9]+)+)"
    r"|(?P<SIGNED_NUMBER>[+-]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+))"
    r"|(?P<NAME>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<punct>[=(),:])"
)
_KEYWORDS = ("seed", "input", "output")


def _tokens(line: str, number: int) -> list[tuple[str, _Word]] | None:
    """The (type, word) tokens of one line without its comment; None where a character starts no token."""
    found, at = [], 0
    while at < len(line):
        match = _TOKEN.match(line, at)
        if match is None:
            return None
        kind = match.lastgroup
        assert kind is not None
        if kind != "ws":
            found.append((match.group() if kind == "punct" else kind, _Word(match.group(), number, at + 1)))
        at = match.end()
    return found


_Args = tuple[tuple[tuple[str | None, str], ...], tuple[_Word, ...]]


def _arguments(tokens: list[tuple[str, _Word]], close: str | None) -> _Args | None:
    """`arg ("," arg)*` up to `close` (or the line's end): a NAME, or NAME "=" value; the args and their places."""
    args: list[tuple[str | None, str]] = []
    places: list[_Word] = []
    at = 0
    while True:
        kinds = [kind for kind, _ in tokens[at:at + 4]]
        if kinds[:1] != ["NAME"]:
            return None
        places.append(tokens[at][1])
        if kinds[1:2] == ["="]:
            if len(kinds) < 3 or kinds[2] not in ("SIGNED_NUMBER", "NAME", "SHAPE"):
                return None
            args.append((tokens[at][1].text, tokens[at + 2][1].text))
            at += 3
        else:
            args.append((None, tokens[at][1].text))
            at += 1
        rest = [kind for kind, _ in tokens[at:]]
        if rest == ([close] if close else []):
            return tuple(args), tuple(places)
        if rest[:1] != [","]:
            return None
        at += 1


def _statement(tokens: list[tuple[str, _Word]]) -> _Stmt | None:
    """The statement a line's tokens spell, or None."""
    kinds = [kind for kind, _ in tokens]
    words = [word for _, word in tokens]
    first = words[0]
    if kinds[0] != "NAME":
        return None
    if first.text.startswith(_KEYWORDS):  # lark's lexer decides keyword-or-name there
        if first.text == "seed" and kinds[1:] == ["SIGNED_NUMBER"] and words[1].text.isdigit():
            return _Stmt("seed", first.line, first.column, (words[1],))
        if first.text == "input" and kinds[1:4] == ["NAME", ":", "SHAPE"]:
            if len(tokens) == 4:
                return _Stmt("input", first.line, first.column, (words[1], words[3]))
            found = _arguments(tokens[5:], None) if kinds[4] == "," else None
            if found is None or any(key is None for key, _ in found[0]):
                return None
            return _Stmt("input", first.line, first.column, (words[1], words[3]), *found)
        if first.text == "output" and kinds[1::2] == ["NAME"] * len(kinds[1::2]) and len(kinds) % 2 == 0 \
                and kinds[2::2] == [","] * len(kinds[2::2]):
            return _Stmt("output", first.line, first.column, tuple(words[1::2]))
        return None
    if kinds[1:4] != ["=", "NAME", "("]:
        return None
    found = _arguments(tokens[4:], ")")
    if found is None:
        return None
    return _Stmt("layer", first.line, first.column, (first, words[2]), *found)


def _read_lines(text: str) -> list[_Stmt] | None:
    """The statements of a text of one-statement lines, without lark; None for any other text."""
    if "\r" in text:
        return None
    statements = []
    for number, line in enumerate(text.split("\n"), 1):
        tokens = _tokens(line.split("#", 1)[0], number)
        if tokens is None:
            return None
        if not tokens:
            continue
        statement = _statement(tokens)
        if statement is None:
            return None
        statements.append(statement)
    return statements


def _read_lark(text: str, path: str) -> list[_Stmt]:
    """The statements as GRAMMAR parses them; a syntax error is a CompileError at its line and column."""
    from lark import Token, Tree, UnexpectedInput

    try:
        tree = _lark_parser().parse(text)
    except UnexpectedInput as error:
        found = getattr(error, "token", None) or getattr(error, "char", "")
        found = "end of line" if str(found).strip() == "" else f"'{found}'"
        raise CompileError(f"syntax error at {found}", f"{path}:{error.line}:{error.column}",
                           error.get_context(text).rstrip()) from None

    def word(token) -> _Word:
        assert isinstance(token, Token)
        return _Word(str(token), token.line or 0, token.column or 0)

    def argument(node) -> tuple[str | None, str]:
        assert isinstance(node, Tree)
        if node.data == "ref":
            return None, str(node.children[0])
        name, value = node.children  # kwarg: NAME "=" value, where value holds one token
        assert isinstance(value, Tree)
        return str(name), str(value.children[0])

    statements = []
    for stmt in tree.children:
        if not isinstance(stmt, Tree):
            continue
        tokens = [word(c) for c in stmt.children if isinstance(c, Token)]
        trees = [c for c in stmt.children if isinstance(c, Tree)]
        args = tuple(argument(c) for c in trees)
        places = tuple(word(c.children[0]) for c in trees)  # a ref's NAME, a kwarg's key
        statements.append(_Stmt(str(stmt.data), stmt.meta.line, stmt.meta.column, tuple(tokens), args, places))
    return statements


def read_statements(text: str, path: str = "<net>") -> list[_Stmt]:
    """The statements of a `.net` text: by the line reader where it applies, else by lark (GRAMMAR)."""
    found = _read_lines(text)
    return found if found is not None else _read_lark(text, path)

ACTIVATIONS = ("none", "relu", "relu6")
MAX_WEIGHTS = 1 << 24  # elements of one layer's weights, as the IR parser allows; beyond any Cortex-M flash


@functools.lru_cache(maxsize=1024)
def _activation_type(shape: tuple[int, ...], scale: float, zp: int) -> TensorType:
    """An int8 activation's tensor type, built once for the layers that share it (most of a network's)."""
    return tensor_type(UniformQuantizedType(scale, zp), shape)


@dataclass
class _Tensor:
    """A layer output: its int8 value (nn QDQ form), NHWC shape and quantization."""

    quantized: SSAValue  # the nn.quantize result / the graph input
    nhwc: tuple[int, ...]
    scale: float
    zp: int
    float_nchw: SSAValue | None = None  # the dequantized (and transposed) float value
    stored_nchw: bool = False  # `quantized` has the NCHW shape of the nn op that made it


class _Builder:
    def __init__(self, path: str):
        self.path = path
        self.block = Block()
        self.builder = Builder(InsertPoint.at_end(self.block))
        self.tensors: dict[str, _Tensor] = {}
        self.inputs: list[_Tensor] = []
        self.outputs: list[str] = []
        self.rng = np.random.default_rng(0)
        self.where = path

    # -- helpers ---------------------------------------------------------
    def error(self, message: str) -> CompileError:
        return CompileError(message, self.where)

    def add(self, op: Operation, layer: str | None = None) -> Operation:
        if layer is not None:
            op.attributes["layer"] = StringAttr(layer)
        self.builder.insert(op)
        return op

    def qtype(self, shape, scale, zp) -> TensorType:
        try:
            return _activation_type(tuple(shape), scale, zp)
        except VerifyException as error:  # scale <= 0, zp outside int8...
            raise self.error(str(error)) from None

    def float_of(self, t: _Tensor) -> SSAValue:
        """The tensor as float NCHW (rank 4) or as is (rank 2), dequantized once."""
        if t.float_nchw is None:
            deq = self.add(nn.DequantizeOp(t.quantized)).results[0]
            if len(t.nhwc) == 4:
                deq = self.add(nn.TransposeOp(deq, [0, 3, 1, 2])).results[0]
            t.float_nchw = deq
        return t.float_nchw

    def quantize(self, value: SSAValue, name: str, scale: float, zp: int) -> _Tensor:
        """Quantize a float NCHW/2-D result; the stored tensor is NHWC like every cmsis value."""
        shape = shape_of(value)
        nhwc = (shape[0], shape[2], shape[3], shape[1]) if len(shape) == 4 else shape
        q = self.add(nn.QuantizeOp(value, self.qtype(shape, scale, zp)), name).results[0]
        # consumers see it dequantized again, in NCHW (the QDQ sandwich)
        return _Tensor(q, nhwc, scale, zp, self.add(nn.DequantizeOp(q)).results[0], len(shape) == 4)

    def constant(self, array: np.ndarray, qtype) -> SSAValue:
        const = self.add(nn.ConstantOp(dense(array), tensor_type(qtype, array.shape))).results[0]
        return self.add(nn.DequantizeOp(const)).results[0]

    def weights(self, shape, fan_in: int, s_in: float, s_out: float, axis_channels: int):
        if math.prod(shape) > MAX_WEIGHTS:
            raise self.error(f"weights of shape {list(shape)} are too large (at most {MAX_WEIGHTS} elements)")
        """Random int8 weights [-127, 127] with per-channel scales keeping outputs in range."""
        w = self.rng.integers(-127, 128, size=shape, dtype=np.int32).astype(np.int8)
        base = 0.0074 / math.sqrt(fan_in) * s_out / s_in * 127 / 74
        scales = (base * self.rng.uniform(0.5, 1.5, axis_channels)).astype(np.float32)
        return w, scales

    def bias(self, count: int, s_in: float, w_scales: np.ndarray) -> SSAValue:
        b = self.rng.integers(-2000, 2000, size=count, dtype=np.int64).astype(np.int32)
        bscales = (np.float64(s_in) * w_scales.astype(np.float64)).astype(np.float32)
        qt = UniformQuantizedType(list(map(float, bscales)), 0, axis=0, storage_type=int_type(32))
        return self.constant(b, qt)

    def activation(self, value: SSAValue, act: str, name: str) -> SSAValue:
        if act == "relu":
            return self.add(nn.ReluOp.create(operands=[value], result_types=[value.type]), name).results[0]
        if act == "relu6":
            return self.add(nn.ClipOp(value, 0.0, 6.0), name).results[0]
        return value


class _Options:
    """`key=value` options of one statement, each consumed once; leftovers are errors.

    A key given twice is an error at its second place (the statement's `places` give each argument's).
    """

    def __init__(self, stmt: _Stmt, owner: _Builder, what: str):
        self.kwargs: dict[str, str] = {}
        self.places: dict[str, _Word] = {}
        self.owner = owner
        self.what = what
        for (key, value), place in zip(stmt.args, stmt.places, strict=True):
            if key is None:
                continue
            if key in self.kwargs:
                raise self.error_at(key, f"{what}: '{key}' given twice (at {self.places[key].line}:"
                                         f"{self.places[key].column} and here); give it once", place)
            self.kwargs[key] = value
            self.places[key] = place

    def error_at(self, key: str, message: str, place: _Word | None = None) -> CompileError:
        """An error at the place of option `key` (or `place`), else at the statement."""
        place = place or self.places.get(key)
        if place is None:
            return self.owner.error(message)
        return CompileError(message, f"{self.owner.path}:{place.line}:{place.column}")

    def int(self, key: str, default: int | None = None, minimum: int | None = None) -> int:
        raw = self.kwargs.pop(key, None)
        if raw is None:
            if default is None:
                raise self.owner.error(f"{self.what} needs {key}=")
            return default
        if not re.fullmatch(r"-?\d+", raw):
            raise self.error_at(key, f"{self.what}: {key} must be an integer, got '{raw}'")
        if abs(int(raw)) > MAX_WEIGHTS:
            raise self.error_at(key, f"{self.what}: {key}={raw} is out of range")
        if minimum is not None and int(raw) < minimum:
            raise self.error_at(key, f"{self.what}: {key} must be at least {minimum}, got {raw}")
        return int(raw)

    def float(self, key: str, default: float) -> float:
        raw = self.kwargs.pop(key, None)
        try:
            return default if raw is None else float(raw)
        except ValueError:
            raise self.error_at(key, f"{self.what}: {key} must be a number, got '{raw}'") from None

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        raw = self.kwargs.pop(key, default)
        if raw not in choices:
            raise self.error_at(key, f"{self.what}: {key} must be one of {', '.join(choices)}, got '{raw}'")
        return raw

    def flag(self, key: str) -> bool:
        return self.choice(key, ("true", "false"), "false") == "true"

    def done(self) -> None:
        if self.kwargs:
            first = min(self.kwargs, key=lambda k: (self.places[k].line, self.places[k].column) if k in self.places
                        else (0, 0))
            raise self.error_at(first, f"{self.what}: unknown option {', '.join(sorted(self.kwargs))}=")


def _pads(in_hw, kernel, stride, pad, ceil):
    """ONNX pads [top, left, bottom, right] for symmetric `pad`, or 'same', with ceil mode."""
    pads = []
    outs = []
    for size, k, s in zip(in_hw, kernel, stride, strict=True):
        if pad == "same":
            out = -(-size // s)
            total = max((out - 1) * s + k - size, 0)
            begin, end = total // 2, total - total // 2
        else:
            begin = end = int(pad)
            out = conv_out_size(size, k, s, begin, end)
            if ceil:
                out = -(-(size + 2 * begin - k) // s) + 1
                end = max((out - 1) * s + k - size - begin, begin)
        pads.append((begin, end))
        outs.append(out)
    return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]], outs


def _check_pad(o: _Options, name: str, pad: str, kernel: tuple[int, int], dilation: int = 1) -> None:
    """An explicit `pad` must be smaller than the (dilated) window on both axes, as CMSIS-NN (and TFLite) need.

    The rule of `check_window` in dialects/cmsis_conv.py: padding < (kernel - 1) * dilation + 1, per axis.
    """
    if pad == "same":
        return  # SAME pads less than the window on its own
    span = tuple((k - 1) * dilation + 1 for k in kernel)
    if int(pad) < min(span):
        return

    def dims(hw):
        return str(hw[0]) if hw[0] == hw[1] else f"{hw[0]}x{hw[1]}"
    window = f"kernel {dims(kernel)}" if dilation == 1 else \
        f"the dilated kernel {dims(span)} (kernel {dims(kernel)}, dilation {dilation})"
    raise o.error_at("pad", f"layer '{name}': pad {int(pad)} must be smaller than {window}: CMSIS-NN needs padding "
                            f"smaller than the window; use pad={min(span) - 1}{' or less' if min(span) > 1 else ''}")


def _layer(b: _Builder, name: str, kind: str, refs: list[str], o: _Options) -> _Tensor:
    inputs = []
    for ref in refs:
        if ref not in b.tensors:
            raise b.error(f"layer '{name}': unknown input '{ref}'")
        inputs.append(b.tensors[ref])
    arity = {"add": 2, "mul": 2, "concat": None}.get(kind, 1)
    if arity is not None and len(inputs) != arity:
        raise b.error(f"layer '{name}': {kind} takes {arity} input{'s' if arity > 1 else ''}, got {len(inputs)}")
    if kind == "concat" and not inputs:
        raise b.error(f"layer '{name}': concat needs inputs")
    x = inputs[0]
    scale = o.float("scale", x.scale if kind != "softmax" else 1 / 256)
    zp = o.int("zp", x.zp if kind != "softmax" else -128)
    if not (math.isfinite(scale) and scale > 0) or not -128 <= zp <= 127:
        raise b.error(
            f"layer '{name}': scale must be positive and finite and zp in [-128, 127], got scale={scale}, zp={zp}")

    if kind in ("conv", "dwconv"):
        if len(x.nhwc) != 4:
            raise b.error(f"layer '{name}': {kind} needs an NHWC input, got {list(x.nhwc)}")
        _, h, w, c = x.nhwc
        k = o.int("kernel", 3, minimum=1)
        kh, kw = o.int("kh", k, minimum=1), o.int("kw", k, minimum=1)
        s = o.int("stride", 1, minimum=1)
        pad = o.kwargs.pop("pad", "0")
        dil = o.int("dilation", 1, minimum=1)
        act = o.choice("act", ACTIVATIONS, "none")
        if kind == "conv":
            cout, group = o.int("filters", minimum=1), 1
            wshape = (cout, c, kh, kw)
            fan_in = c * kh * kw
        else:
            mult = o.int("mult", 1, minimum=1)
            cout, group = c * mult, c
            wshape = (cout, 1, kh, kw)
            fan_in = kh * kw
        o.done()
        if pad != "same" and not (re.fullmatch(r"\d{1,9}", pad)):
            raise b.error(f"layer '{name}': pad must be an integer or 'same', got '{pad}'")
        _check_pad(o, name, pad, (kh, kw), dil)
        eff = ((kh - 1) * dil + 1, (kw - 1) * dil + 1)
        pads, outs = _pads((h, w), eff, (s, s), pad, False)
        if min(outs) < 1:
            raise b.error(f"layer '{name}': input {h}x{w} is smaller than the {eff[0]}x{eff[1]} window")
        wq, wscales = b.weights(wshape, fan_in, x.scale, scale, cout)
        wt = b.constant(wq, UniformQuantizedType(list(map(float, wscales)), 0, axis=0, storage_min=-127))
        bias = b.bias(cout, x.scale, wscales)
        rt = tensor_type(f32, [1, cout, outs[0], outs[1]])
        y = b.add(nn.Conv2DOp(b.float_of(x), wt, bias, rt, [s, s], pads, [dil, dil], group), name).results[0]
        return b.quantize(b.activation(y, act, name), name, scale, zp)

    if kind == "fc":
        units = o.int("units", minimum=1)
        act = o.choice("act", ACTIVATIONS, "none")
        o.done()
        k = int(np.prod(x.nhwc))
        flat = b.float_of(x)
        if len(x.nhwc) == 4:  # flatten in NHWC order, as CMSIS-NN stores it
            flat = b.add(nn.TransposeOp(flat, [0, 2, 3, 1])).results[0]
        if shape_of(flat) != (1, k):
            flat = b.add(nn.ReshapeOp(flat, tensor_type(f32, [1, k])), f"{name}.flatten").results[0]
        wq, wscales = b.weights((units, k), k, x.scale, scale, 1)
        wt = b.constant(wq, UniformQuantizedType(float(wscales[0]), 0, storage_min=-127))
        bias = b.bias(units, x.scale, np.repeat(wscales[:1], units))
        y = b.add(nn.FullyConnectedOp(flat, wt, bias, tensor_type(f32, [1, units])), name).results[0]
        return b.quantize(b.activation(y, act, name), name, scale, zp)

    if kind in ("maxpool", "avgpool"):
        if len(x.nhwc) != 4:
            raise b.error(f"layer '{name}': {kind} needs an NHWC input, got {list(x.nhwc)}")
        k = o.int("kernel", 2, minimum=1)
        s = o.int("stride", k, minimum=1)
        pad = o.kwargs.pop("pad", "0")
        ceil = o.flag("ceil")
        o.done()
        if (scale, zp) != (x.scale, x.zp):
            raise b.error(f"layer '{name}': pooling keeps its input's quantization; drop scale=/zp=")
        if pad != "same" and not re.fullmatch(r"\d{1,9}", pad):
            raise b.error(f"layer '{name}': pad must be an integer or 'same', got '{pad}'")
        _check_pad(o, name, pad, (k, k))
        _, h, w, c = x.nhwc
        pads, outs = _pads((h, w), (k, k), (s, s), pad, ceil)
        if min(outs) < 1:
            raise b.error(f"layer '{name}': input {h}x{w} is smaller than the {k}x{k} window")
        for axis, size in enumerate((h, w)):
            if pads[axis + 2] >= k or not window_expressible(size, outs[axis], k, s, pads[axis]):
                # only ceil=true pads the far edge beyond the near one
                raise o.error_at("ceil", f"layer '{name}': ceil=true on input {h}x{w} with kernel {k}, stride {s} "
                                         f"needs a far-edge pad of {pads[axis + 2]}; CMSIS-NN pools pad the far edge "
                                         f"by at most pad + 1 ({pads[axis] + 1}) and less than the kernel; use "
                                         "ceil=false or a stride and pad whose windows end inside the input")
        cls = nn.MaxPoolOp if kind == "maxpool" else nn.AvgPoolOp
        y = b.add(cls(b.float_of(x), tensor_type(f32, [1, c, outs[0], outs[1]]), [k, k], [s, s], pads), name)
        return b.quantize(y.results[0], name, scale, zp)

    if kind == "globalavgpool":
        o.done()
        _, h, w, c = x.nhwc
        y = b.add(nn.GlobalAvgPoolOp(operands=[b.float_of(x)], result_types=[tensor_type(f32, [1, c, 1, 1])]), name)
        return b.quantize(y.results[0], name, scale, zp)

    if kind in ("add", "mul"):
        act = o.choice("act", ACTIVATIONS, "none")
        o.done()
        if x.nhwc != inputs[1].nhwc:
            raise b.error(f"layer '{name}': {kind} needs equal shapes, got {list(x.nhwc)} and {list(inputs[1].nhwc)}")
        cls = nn.AddOp if kind == "add" else nn.MulOp
        a, c2 = b.float_of(x), b.float_of(inputs[1])
        y = b.add(cls(operands=[a, c2], result_types=[a.type]), name).results[0]
        return b.quantize(b.activation(y, act, name), name, scale, zp)

    if kind == "concat":
        axis_name = o.choice("axis", ("h", "w", "c"), "c")
        o.done()
        for t in inputs:
            if (t.scale, t.zp) != (x.scale, x.zp) or len(t.nhwc) != 4:
                raise b.error(f"layer '{name}': concat inputs must be NHWC and quantized alike")
        axis = {"h": 2, "w": 3, "c": 1}[axis_name]
        vals = [b.float_of(t) for t in inputs]
        shape = list(shape_of(vals[0]))
        shape[axis] = sum(shape_of(v)[axis] for v in vals)
        for t in inputs:
            if any(a != c2 for i, (a, c2) in enumerate(zip(shape_of(b.float_of(t)), shape, strict=True)) if i != axis):
                raise b.error(f"layer '{name}': concat inputs differ outside axis {axis_name}")
        y = b.add(nn.ConcatOp(operands=[vals], result_types=[tensor_type(f32, shape)],
                              properties={"axis": nn.IntegerAttr(axis, nn.i64)}), name)
        return b.quantize(y.results[0], name, x.scale, x.zp)

    if kind == "pad":
        p = o.int("pad", 1, minimum=0)
        o.done()
        v = b.float_of(x)
        shape = shape_of(v)
        pads = [0, 0, p, p, 0, 0, p, p]
        rt = tensor_type(f32, [shape[0], shape[1], shape[2] + 2 * p, shape[3] + 2 * p])
        y = b.add(nn.PadOp(operands=[v], result_types=[rt], properties={"pads": i64_array(pads)}), name)
        return b.quantize(y.results[0], name, x.scale, x.zp)

    if kind == "softmax":
        o.done()
        v = b.float_of(x)
        if len(x.nhwc) == 4:
            v = b.add(nn.TransposeOp(v, [0, 2, 3, 1])).results[0]
        y = b.add(nn.SoftmaxOp(v, axis=-1), name).results[0]
        t = b.quantize(y, name, 1 / 256, -128)
        t.nhwc, t.stored_nchw = shape_of(y), False
        if len(t.nhwc) == 4:  # softmax ran on NHWC already: later consumers see NCHW
            t.float_nchw = b.add(nn.TransposeOp(t.float_nchw, [0, 3, 1, 2])).results[0]
        return t

    raise b.error(
        f"layer '{name}': unknown layer kind '{kind}' (known: conv, dwconv, fc, maxpool, avgpool, "
        "globalavgpool, add, mul, concat, pad, softmax)"
    )


def _pos(path: str, where: _Stmt | _Word) -> str:
    return f"{path}:{where.line}:{where.column}"


def parse_net(text: str, path: str = "<net>", name: str | None = None) -> ModuleOp:
    """The `nn` module (QDQ form) described by a `.net` text."""
    statements = read_statements(text, path)
    b = _Builder(path)
    func_name = re.sub(r"\W", "_", name or Path(path).stem or "net")
    if func_name[0].isdigit():
        func_name = "net_" + func_name
    for stmt in statements:
        b.where = _pos(path, stmt)
        if stmt.kind == "seed":
            b.rng = np.random.default_rng(int(stmt.words[0].text))
        elif stmt.kind == "input":
            tname, shape_tok = (w.text for w in stmt.words)
            opts = _Options(stmt, b, f"input '{tname}'")
            shape = tuple(int(d) for d in shape_tok.split("x"))
            scale, zp = opts.float("scale", 1 / 128), opts.int("zp", 0)
            opts.done()
            if len(shape) not in (2, 4) or shape[0] != 1 or min(shape) < 1:
                raise b.error(
                    f"input '{tname}': shape must be 1xHxWxC or 1xN with positive sizes, got {shape_tok}")
            if math.prod(shape) > MAX_WEIGHTS:
                raise b.error(f"input '{tname}': {math.prod(shape)} elements are too many (at most {MAX_WEIGHTS})")
            if not math.isfinite(scale):
                raise b.error(f"input '{tname}': scale must be finite")
            if not (scale > 0 and -128 <= zp <= 127):
                raise b.error(f"input '{tname}': scale must be > 0 and zp in [-128, 127]")
            if tname in b.tensors:
                raise b.error(f"'{tname}' is defined twice")
            arg = b.block.insert_arg(b.qtype(shape, scale, zp), len(b.block.args))
            arg.name_hint = tname
            t = _Tensor(arg, shape, scale, zp)
            b.tensors[tname] = t
            b.inputs.append(t)
        elif stmt.kind == "layer":
            lname, kind = (w.text for w in stmt.words)
            refs = [value for key, value in stmt.args if key is None]
            if lname in b.tensors:
                raise b.error(f"'{lname}' is defined twice")
            opts = _Options(stmt, b, f"layer '{lname}'")
            b.tensors[lname] = _layer(b, lname, kind, refs, opts)
        elif stmt.kind == "output":
            for tok in stmt.words:
                if tok.text not in b.tensors or b.tensors[tok.text] in b.inputs:
                    b.where = _pos(path, tok)
                    raise b.error(f"output '{tok.text}' is not a layer")
                b.outputs.append(tok.text)
    b.where = path
    if not b.inputs:
        raise b.error("the network has no input (write: input x: 1x32x32x3, scale=..., zp=...)")
    if not b.outputs:
        raise b.error("the network has no output (write: output NAME)")
    results = []
    for out in b.outputs:
        t = b.tensors[out]
        value = t.quantized
        if t.stored_nchw:
            nhwc = b.add(nn.TransposeOp(b.float_of(t), [0, 2, 3, 1])).results[0]
            value = b.add(nn.QuantizeOp(nhwc, b.qtype(t.nhwc, t.scale, t.zp))).results[0]
        results.append(value)
    b.add(ReturnOp(*results))
    func = FuncOp(func_name, ([a.type for a in b.block.args], [r.type for r in results]), Region(b.block))
    mark_layouts(func, "NHWC")
    _drop_unused(func)
    module = ModuleOp([func])
    return module


def _drop_unused(func: FuncOp) -> None:
    """Remove dequantize/transpose ops whose results nobody reads (the builder makes them eagerly)."""
    changed = True
    while changed:
        changed = False
        for op in list(func.body.block.ops):
            if isinstance(op, nn.DequantizeOp | nn.TransposeOp | nn.ConstantOp) and not op.results[0].uses:
                op.detach()
                op.erase()
                changed = True


def import_net(path: str, name: str | None = None) -> ModuleOp:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a byte order mark some editors write is no token
    except (OSError, UnicodeDecodeError) as error:
        raise CompileError(f"cannot read '{path}': {error}", path) from None
    return parse_net(text, path, name)


__all__ = ["parse_net", "import_net", "i32"]
