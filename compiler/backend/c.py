"""C99 emission: an arena-planned `cmsis` function becomes NAME.h / NAME.c calling CMSIS-NN.

    header, source = emit_c(module, "kws")

The generated code holds one static, aligned `int8_t` arena of exactly the
planned size (activations, graph inputs and outputs, kernel scratch, each at
its planned offset), `static const` weights and parameters (flash), and no
other state. Entry points: `NAME_input()` / `NAME_output()` (zero-copy
pointers into the arena; `_K` suffixed when there are several),
`NAME_invoke()` (0 or the first failing CMSIS-NN status) and `NAME_run()`.

`cmsis-opt -t c` prints both files into one stream, each after a marker line
(`// ----- NAME.h`, then `// ----- NAME.c`); `split_c_output` splits it.
`cmsis-compile` writes the two files itself.
An int16 tensor (TFLite's 16x8 scheme) is reached through an `int16_t *` at
an even offset; the header's `_SIZE` macros count elements, not bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation, SSAValue

from cmsis_opt.dialects import arena
from cmsis_opt.dialects.kernel import KernelOp, int_range
from cmsis_opt.dialects.nn import FLOAT_IO_ATTR, LAYOUT_ATTR
from cmsis_opt.dialects.quant import UniformQuantizedType, format_float
from cmsis_opt.dialects.utils import element_bytes, func_attr, num_elements, shape_of
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.common import require_stage
from cmsis_opt.passes.verify_arena import verify_function
from cmsis_opt.plan import Plan, memory_plan, returned_values, streamed_inputs, the_function
from cmsis_opt.targets import BuildPath

_MAX_LAYER_IDENT = 32
SOURCE_MARKER = "// ----- "
_WHERE = "C backend"


# -- the plan the C is written from ---------------------------------------


def verified_plan(module: ModuleOp) -> Plan:
    """The module's memory plan, once the independent checker has proven it.

    Raises CompileError when the module is not lowered or not planned (naming
    the pass to run), when verify-arena finds a broken rule, or when the
    recorded scratch no longer matches what the target's kernels need.
    """
    require_stage(module, "C emission", "cmsis")
    func = the_function(module)
    if arena.function_attr(func, arena.PlanAttr) is None:
        raise CompileError("C emission needs a planned arena: run the memory passes first "
                           "(-p default, or --arena-alloc)", _WHERE)
    verify_function(func)
    plan = memory_plan(func)
    for b in plan.buffers:
        if b.offset is None:
            what = f"layer '{b.layer}'" if b.layer else f"buffer '{b.name}'"
            raise CompileError(
                f"the plan is out of date: {what} needs {b.size} bytes of {b.kind} on {plan.target} that "
                "the plan does not place; run --arena-alloc again",
                _WHERE,
            )
    return plan


# -- C text helpers --------------------------------------------------------


def c_identifier(text: str) -> str:
    """`text` as a C identifier (other characters become '_'), for names inside the model's prefix."""
    if text.isascii() and text.isidentifier():  # already one (the common case): no regex
        return text
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


def c_name(text: str) -> str:
    """`text` as the model's C name, the prefix of every file-scope name: a C identifier that starts with
    neither a digit nor '_' (names reserved at file scope, C99 7.1.3), else prefixed with `model_`."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    if not ident or ident[0].isdigit() or ident[0] == "_":
        ident = "model_" + ident
    return ident


def _comment_text(text: str) -> str:
    return text.replace("*/", "* /").replace("\n", " ")


_INT8_TEXT = [str(v) for v in range(-128, 128)]
"""The text of every int8 value, at index value + 128."""


def _int_list(values: Iterable[int] | np.ndarray, per_line: int = 16) -> str:
    if isinstance(values, np.ndarray) and values.dtype == np.int8:
        # weights, the bulk of a model's text: a table look-up is several times faster than str() per value
        texts = list(map(_INT8_TEXT.__getitem__, (values.astype(np.int16) + 128).tolist()))
    else:
        # tolist() gives Python ints at C speed (str() of numpy scalars is several times slower)
        texts = list(map(str, values.tolist() if isinstance(values, np.ndarray) else map(int, values)))
    lines = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
    return ",\n    ".join(lines)


def _shape_text(value: SSAValue) -> str:
    return "x".join(str(d) for d in shape_of(value))


def _quant(value: SSAValue) -> UniformQuantizedType:
    q = value.type.element_type if isinstance(value.type, TensorType) else value.type
    if not isinstance(q, UniformQuantizedType):
        raise CompileError(f"graph input/output of type {value.type} is not int8 quantized", _WHERE)
    return q


def c_element_type(value: SSAValue) -> str:
    """The C type of a value's elements: `int8_t`, or `int16_t` for int16 activations (TFLite's 16x8 scheme)."""
    return "int16_t" if element_bytes(value) == 2 else "int8_t"


def arena_pointer(arena_name: str, offset: int, value: SSAValue) -> str:
    """A C expression pointing at `value`'s elements `offset` bytes into the (int8_t) arena: `arena + offset`, cast
    to `int16_t *` for an int16 value, whose offset must be even (a CompileError otherwise, e.g. --alignment 1)."""
    place = f"{arena_name} + {offset}"
    if element_bytes(value) == 1:
        return place
    if offset % element_bytes(value):
        raise CompileError(f"an int16 tensor ({_shape_text(value)}) is planned at the odd arena offset {offset}; "
                           "plan with an --alignment of at least 2", _WHERE)
    return f"({c_element_type(value)} *)({place})"


def _dims(values: Sequence[int]) -> str:
    n, h, w, c = values
    return f"{{.n = {n}, .h = {h}, .w = {w}, .c = {c}}}"


# -- tile loops ------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])(\d+)(u?)(?![\w.])")
"""A decimal literal standing alone (not part of an identifier or a float), with an optional `u` suffix."""
_COMMENT_LINE = re.compile(r"^\s*/\*.*\*/\s*$")


@dataclass
class _TileText:
    """What one tile's emission wrote: its structs (identifier, C type, initialiser), body lines and scratch
    queries (step, expression, context identifier)."""

    structs: list[tuple[str, str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    body: list[str] = field(default_factory=list)
    queries: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _TileLoop:
    """A loop over a constant tile table: its row count, the table (None: no column differs), and the
    declarations (identifier, C line) of the structs whose fields come from the table."""

    count: int
    table: str | None
    locals: tuple[tuple[str, str], ...]

    def header(self, indent: str, used: str | None = None) -> list[str]:
        """The loop's opening lines; with `used`, only the declarations that text names."""
        decls = [line for ident, line in self.locals if used is None or re.search(rf"\b{ident}\b", used)]
        needs_row = self.table is not None and (used is None or "tile[" in used or any("tile[" in d for d in decls))
        lines = [f"{indent}{{", f"{indent}    int tile_index;",
                 f"{indent}    for (tile_index = 0; tile_index < {self.count}; ++tile_index) {{"]
        if needs_row:
            lines.append(f"{indent}        const int32_t *tile = {self.table}[tile_index];")
        return lines + [f"{indent}        {d}" for d in decls]

    @staticmethod
    def footer(indent: str) -> list[str]:
        return [f"{indent}    }}", f"{indent}}}"]


def _skeleton(text: str) -> str:
    return _NUMBER.sub(lambda m: "#" + m.group(2), text)


def _field_path(text: str) -> str:
    """The designated-initialiser field a position in an initialiser falls in (`padding.h`)."""
    stack: list[str] = []
    pending = ""
    for m in re.finditer(r"\.(\w+)\s*=|[{}]", text):
        if m.group(1):
            pending = m.group(1)
        elif m.group(0) == "{":
            stack.append(pending)
            pending = ""
        elif stack:
            pending = stack.pop()
    return ".".join(p for p in [*stack, pending] if p)


class _TileTemplate:
    """Numbers that differ between tiles become columns of the tile table (`tile[j]`); equal ones stay literal.

    Columns with the same value in every tile are one column; `labels` says where each first appears.
    """

    def __init__(self) -> None:
        self.columns: dict[tuple[int, ...], int] = {}
        self.labels: list[str] = []

    def fill(self, texts: Sequence[str], label: Callable[[str, int], str]) -> str:
        values = [[int(m.group(1)) for m in _NUMBER.finditer(t)] for t in texts]
        position = iter(range(len(values[0])))

        def one(m: re.Match[str]) -> str:
            i = next(position)
            column = tuple(v[i] for v in values)
            if len(set(column)) == 1:
                return m.group(0)
            if column not in self.columns:
                self.columns[column] = len(self.columns)
                self.labels.append(label(texts[0], m.start()))
            ref = f"tile[{self.columns[column]}]"
            return f"(unsigned int){ref}" if m.group(2) else ref

        return _NUMBER.sub(one, texts[0])

    def varies(self, texts: Sequence[str]) -> bool:
        return len({tuple(m.group(1) for m in _NUMBER.finditer(t)) for t in texts}) > 1


# -- emission --------------------------------------------------------------


class _Emitter:
    """Writes the constants and the body of `NAME_invoke()`; implements `CEmitter` for the op being emitted."""

    def __init__(self, func: FuncOp, name: str, plan: Plan):
        self.func, self.name, self.plan = func, name, plan
        self.alignment = plan.alignment or 1
        self.path: BuildPath = plan.path
        self.target = plan.target
        self.ctx_ident: str | None = None
        self.consts: list[str] = []
        self.body: list[str] = []
        self.used_names: set[str] = set()
        self.comment_at = 0
        self.op: Operation | None = None
        self.step = 0
        self.layers: list[str] = []
        # (step, *_get_buffer_size expression, context identifier, the tile loop it runs in or None)
        self.queries: list[tuple[int, str, str, _TileLoop | None]] = []
        self.capture: _TileText | None = None  # while one tile of a tile loop is written
        self.layer = ""
        self.ident = ""
        self.functions: dict[str, str] = {}  # static functions of ours the calls need, by name
        # while a nested op is written (cmsis.patch_stage): where its tensors are, its scratch, shared arrays
        self.pointers: dict[SSAValue, str] = {}
        self.inner_scratch: tuple[int, int] | None = None
        self.shared_arrays: dict[tuple[str, bytes], str] | None = None

    # identifiers and data
    def layer_name(self, op: Operation, index: int) -> str:
        attr = op.attributes.get("layer")
        return attr.data if isinstance(attr, StringAttr) else f"{op.name.split('.')[1]}_{index}"

    def identifier_base(self, op: Operation, index: int) -> str:
        """The layer name when it is short enough to read in C, else `l<step>_<kind>`."""
        ident = c_identifier(self.layer_name(op, index))
        return ident if len(ident) <= _MAX_LAYER_IDENT else f"l{index}_{op.name.split('.')[1]}"

    def unique(self, base: str) -> str:
        ident, n = f"{self.name}_{c_identifier(base)}", 1
        while ident in self.used_names:
            n += 1
            ident = f"{self.name}_{c_identifier(base)}_{n}"
        self.used_names.add(ident)
        return ident

    def array(self, suffix: str, ctype: str, values: np.ndarray | Sequence[int]) -> str:
        flat = np.asarray(values).reshape(-1)
        if self.shared_arrays is not None:
            key = (ctype, flat.astype(np.int64).tobytes())
            if key in self.shared_arrays:
                return self.shared_arrays[key]
        ident = self.unique(f"{self.ident}_{suffix}")
        if self.capture is not None:
            self.capture.names.add(ident)
        if self.shared_arrays is not None:
            self.shared_arrays[key] = ident
        self.consts.append(
            f"static const {ctype} {ident}[{max(flat.size, 1)}] {self.name.upper()}_ALIGNED = "
            f"{{\n    {_int_list(flat)}\n}};"
        )
        return ident

    def struct(self, suffix: str, ctype: str, init: str) -> str:
        if self.capture is not None:  # a tile of a tile loop: named alike in every tile, placed by tile_loop
            ident, saved = "", self.used_names
            self.used_names = self.capture.names
            try:
                ident = self.unique(f"{self.ident}_{suffix}")
            finally:
                self.used_names = saved
            self.capture.structs.append((ident, ctype, init))
            return ident
        ident = self.unique(f"{self.ident}_{suffix}")
        self.consts.append(f"static const {ctype} {ident} = {init};")
        return ident

    def dims(self, suffix: str, values: Sequence[int]) -> str:
        return self.struct(suffix, "cmsis_nn_dims", _dims(values))

    def ptr(self, value: SSAValue) -> str:
        if value in self.pointers:
            return self.pointers[value]
        offset = self.plan.buffer(value).offset
        assert offset is not None  # verified_plan placed every buffer
        return arena_pointer(f"{self.name}_arena", offset, value)

    def scratch_ptr(self, offset: int) -> str:
        region = self.plan.scratch(self.op) if self.op is not None else None
        assert region is not None and region.offset is not None, "the op has a planned scratch region"
        return f"{self.name}_arena + {region.offset + offset}"

    def context(self, table: tuple[str, int] | None = None) -> str:
        region = self.plan.scratch(self.op) if self.op is not None else None
        if table is not None:  # a constant table the kernel only reads
            init = f"{{.buf = (void *){table[0]}, .size = {table[1]}}}"
        elif self.pointers:  # a nested op: its own part of the outer op's scratch, or none
            inner = self.inner_scratch
            init = ("{.buf = NULL, .size = 0}" if inner is None
                    else f"{{.buf = {self.scratch_ptr(inner[0])}, .size = {inner[1]}}}")
        elif region is None:
            init = "{.buf = NULL, .size = 0}"
        else:
            init = f"{{.buf = {self.name}_arena + {region.offset}, .size = {region.size}}}"
        self.ctx_ident = self.struct("ctx", "cmsis_nn_context", init)
        return self.ctx_ident

    # calls
    def call(self, function: str, args: Sequence[str], returns_status: bool = True) -> None:
        joined = ", ".join(args)
        if len(joined) + len(function) > 90:
            joined = "\n        " + ",\n        ".join(args)
        if returns_status:
            self.body.append(f"    status = {function}({joined});")
            self.body.append("    if (status != ARM_CMSIS_NN_SUCCESS) {\n        return (int)status;\n    }")
        else:
            self.body.append(f"    {function}({joined});")

    def scratch_query(self, expression: str) -> None:
        """Recorded for NAME_check(); with CMSIS_OPT_CHECK_SCRATCH defined (host builds) also checked before the call.
        """
        assert self.ctx_ident is not None, "the op's context() comes before its scratch query"
        if self.capture is not None:
            self.capture.queries.append((self.step, expression, self.ctx_ident))
        else:
            self.queries.append((self.step, expression, self.ctx_ident, None))
        self.prologue(["#if defined(CMSIS_OPT_CHECK_SCRATCH)", f"    if ({expression} > {self.ctx_ident}.size) {{",
                       "        return (int)ARM_CMSIS_NN_ARG_ERROR;", "    }", "#endif"])

    def prologue(self, lines: Sequence[str]) -> None:
        """Insert lines before the current op's comment, which stays right above its call."""
        self.body[self.comment_at:self.comment_at] = list(lines)
        self.comment_at += len(lines)

    def function(self, name: str, definition: str) -> None:
        self.functions.setdefault(name, definition.strip() + "\n")

    def copy_rows(self, dst: str, dst_stride: int, src: str, src_stride: int, rows: int, width: int,
                  comment: str) -> None:
        self.body += [f"    /* {_comment_text(comment)} */", "    {", "        int row;",
                      f"        for (row = 0; row < {rows}; ++row) {{",
                      f"            memcpy({dst} + row * {dst_stride}, {src} + row * {src_stride}, {width}u);",
                      "        }", "    }"]
        self.comment_at = len(self.body)

    def call_rows(self, function: str, args: Sequence[str], rows: int, comment: str) -> None:
        self.body += [f"    /* {_comment_text(comment)} */", "    {", "        int row;",
                      f"        for (row = 0; row < {rows}; ++row) {{",
                      f"            status = {function}({', '.join(args)});",
                      "            if (status != ARM_CMSIS_NN_SUCCESS) {", "                return (int)status;",
                      "            }", "        }", "    }"]
        self.comment_at = len(self.body)

    def read_input_rows(self, first_row: int, rows: int, line: str, dst: str, dst_stride: int, column_offset: int,
                        width: int, comment: str) -> None:
        self.body += [f"    /* {_comment_text(comment)} */", "    {", "        int row;",
                      f"        for (row = 0; row < {rows}; ++row) {{",
                      f"            if ({self.name}_read_input_rows({first_row} + row, 1, {line}) != 0) {{",
                      f"                return {self.name.upper()}_INPUT_READ_FAILED;", "            }",
                      f"            memcpy({dst} + row * {dst_stride}, {line} + {column_offset}, {width}u);",
                      "        }", "    }"]
        self.comment_at = len(self.body)

    def read_whole_rows(self, first_row: int, rows: int, kept: int | None, shift: int, dst: str, row_bytes: int,
                        comment: str) -> None:
        lines = [f"    /* {_comment_text(comment)} */"]
        held = kept or 0
        if kept is not None:
            lines.append(f"    memmove({dst}, {dst} + {shift * row_bytes}, {kept * row_bytes}u);")
        call = f"{self.name}_read_input_rows({first_row + held}, {rows - held}, {dst} + {held * row_bytes})"
        condition = f"{rows - held} > 0 && {call} != 0" if kept is not None else f"{call} != 0"
        self.body += lines + [f"    if ({condition}) {{", f"        return {self.name.upper()}_INPUT_READ_FAILED;",
                              "    }"]
        self.comment_at = len(self.body)

    def nested(self, op: KernelOp, pointers: dict[SSAValue, str], scratch: tuple[int, int] | None,
               suffix: str) -> None:
        saved = self.ident, self.pointers, self.inner_scratch, self.shared_arrays
        self.ident = f"{saved[0]}_{suffix}"
        self.pointers, self.inner_scratch = pointers, scratch
        self.shared_arrays = {} if saved[3] is None else saved[3]
        self.comment_at = len(self.body)
        ins = ", ".join(_shape_text(v) for v in op.operands)
        self.body.append(f"    /* {_comment_text(f'{suffix}: {op.name} {ins} -> {_shape_text(op.results[0])}')} */")
        try:
            op.emit_c(self)
        finally:
            self.ident, self.pointers, self.inner_scratch = saved[:3]
            self.comment_at = len(self.body)

    def tile_loop(self, count: int, emit_tile: Callable[[int], None], notes: Sequence[str]) -> None:
        """One C loop over `count` tiles: `emit_tile(k)` writes tile k; what differs between tiles goes to a
        constant int32_t table, one row per tile (`notes[k]` its comment).

        Every tile must write the same C text but for decimal numbers; a tile
        that needs other text (another kernel, another struct) is a
        CompileError (an internal error: the op is not loopable as written).
        Comments that differ between tiles are dropped. Structs whose fields
        differ become `const` locals of the loop, initialised from the row;
        the others stay `static const`. NAME_check() loops over the tiles too.
        """
        saved = self.body, self.comment_at, self.capture
        texts: list[_TileText] = []
        try:
            for k in range(count):
                self.capture = _TileText(names=set(self.used_names))
                self.body, self.comment_at = [], 0
                emit_tile(k)
                self.capture.body = [line for entry in self.body for line in entry.split("\n")]
                texts.append(self.capture)
        finally:
            self.body, self.comment_at, self.capture = saved
        first = texts[0]
        shapes = {(tuple((i, t) for i, t, _ in x.structs), len(x.body), len(x.queries)) for x in texts}
        if len(shapes) != 1:
            raise CompileError(f"internal error: the tiles of layer '{self.layer}' need different C (other "
                               "structs or calls), which one tile loop cannot run", _WHERE)
        pieces = [[f"{i} = {init}" for i, _, init in x.structs] + x.body
                  + [f"{ctx} {expr}" for _, expr, ctx in x.queries] for x in texts]
        for position in range(len(pieces[0])):
            variants = {_skeleton(p[position]) for p in pieces}
            if len(variants) > 1 and not all(_COMMENT_LINE.match(p[position]) for p in pieces):
                a, b = sorted(variants)[:2]
                raise CompileError(f"internal error: the tiles of layer '{self.layer}' need different C text, which "
                                   f"one tile loop cannot run: '{a.strip()}' against '{b.strip()}'", _WHERE)
        template = _TileTemplate()
        prefix = f"{self.name}_"
        locals_: list[tuple[str, str]] = []
        for index, (ident, ctype, init) in enumerate(first.structs):
            inits = [x.structs[index][2] for x in texts]
            if template.varies(inits):
                short = ident.removeprefix(prefix)
                filled = template.fill(inits, lambda text, at, short=short: f"{short} {_field_path(text[:at])}")
                locals_.append((ident, f"const {ctype} {ident} = {filled};"))
            else:
                self.consts.append(f"static const {ctype} {ident} = {init};")
            self.used_names.add(ident)
        body: list[str] = []
        for index, line in enumerate(first.body):
            lines = [x.body[index] for x in texts]
            if _COMMENT_LINE.match(line) and len(set(lines)) > 1:
                continue
            text = template.fill(lines, lambda text, at: "`" + text[max(0, at - 32):at].strip() + "`")
            body.append(text if text.startswith("#") else "        " + text)
        table = None
        if template.columns:
            table = self.unique(f"{self.ident}_tiles")
            rows = [[column[k] for column in template.columns] for k in range(count)]
            labels = "; ".join(f"{j}: {_comment_text(label)}" for j, label in enumerate(template.labels))
            self.consts += [f"/* {table}: one row per tile, in raster order; what differs between tiles. Columns: "
                            f"{labels} */",
                            f"static const int32_t {table}[{count}][{len(template.columns)}] = {{",
                            *[f"    {{{_int_list(row, per_line=len(row))}}}, /* {_comment_text(notes[k])} */"
                              for k, row in enumerate(rows)],
                            "};"]
        loop = _TileLoop(count, table, tuple(locals_))
        for index, (step, _, ctx) in enumerate(first.queries):
            filled = template.fill([x.queries[index][1] for x in texts], lambda text, at: "scratch query")
            self.queries.append((step, filled, ctx, loop))
        self.body += [*loop.header("    "), *body, *loop.footer("    ")]
        self.comment_at = len(self.body)

    def comment(self, op: Operation, layer: str) -> None:
        ins = ", ".join(_shape_text(v) for v in op.operands)
        parts = [f"in @{'/'.join(str(self.plan.buffer(v).offset) for v in op.operands)}",
                 f"out @{self.plan.buffer(op.results[0]).offset}"]
        scratch = self.plan.scratch(op)
        if scratch is not None:
            parts.append(f"scratch @{scratch.offset} ({scratch.size} B)")
        text = f"{layer}: {op.name} {ins} -> {_shape_text(op.results[0])}; {', '.join(parts)}"
        self.comment_at = len(self.body)
        self.body.append(f"    /* {_comment_text(text)} */")

    def emit_op(self, op: KernelOp, index: int) -> None:
        self.op, self.layer, self.ident = op, self.layer_name(op, index), self.identifier_base(op, index)
        self.step = index
        self.layers.append(self.layer)
        self.ctx_ident = None
        self.shared_arrays = None
        self.comment(op, self.layer)
        op.emit_c(self)


# -- the two files ----------------------------------------------------------


def entry_names(kind: str, count: int) -> list[str]:
    """The C API's names of a function's inputs (`kind` "input") or outputs: `input` for one, `input_0`,
    `input_1`, ... for several; NAME_input_0() and the NAME_INPUT_0_* macros take them."""
    return [kind] if count == 1 else [f"{kind}_{k}" for k in range(count)]


def io_layout(func: FuncOp, kind: str, index: int) -> str:
    """The order of an input's ("arg") or output's ("res") bytes: NCHW or NHWC for rank 4 (NHWC unless the
    model said otherwise), row-major for the other ranks."""
    value = func.body.block.args[index] if kind == "arg" else returned_values(func)[index]
    if len(shape_of(value)) != 4:
        return "row-major"
    layout = func_attr(func, kind, index, LAYOUT_ATTR)
    return layout.data if isinstance(layout, StringAttr) else "NHWC"


def _io_macros(prefix: str, value: SSAValue, layout: str, was_float: bool) -> list[str]:
    q = _quant(value)
    low, high = int_range(value)
    shape = shape_of(value)
    lines = [
        f"#define {prefix}_RANK {len(shape)}",
        f"#define {prefix}_SHAPE {{{', '.join(str(d) for d in shape)}}}",
        f"#define {prefix}_LAYOUT \"{layout}\"",
        f"#define {prefix}_SIZE {num_elements(shape)}",
        f"#define {prefix}_SCALE {format_float(q.scale)}f",
        f"#define {prefix}_ZERO_POINT ({q.zero_point})",
    ]
    if was_float:
        lines.insert(0, f"/* float32 in the model, {c_element_type(value).removesuffix('_t')} here: "
                        f"q = round(x / {prefix}_SCALE) + {prefix}_ZERO_POINT, "
                        f"clamped to [{low}, {high}]; x = (q - {prefix}_ZERO_POINT) * {prefix}_SCALE. */")
    return lines


def emit_c(module: ModuleOp, name: str | None = None) -> tuple[str, str]:
    """(header text, source text) of the C code for the module's one function, from its verified plan.

    Raises CompileError when the module is not planned or its plan does not
    verify (see `verified_plan`).
    """
    plan = verified_plan(module)
    func = the_function(module)
    name = c_name(name or func.sym_name.data)
    emitter = _Emitter(func, name, plan)
    for index, op in enumerate(plan.steps):
        emitter.emit_op(op, index)
    inputs = list(func.body.block.args)
    outputs = returned_values(func)
    return _header(name, func, plan, inputs, outputs), _source(emitter, inputs, outputs, len(plan.steps))


def _header(name: str, func: FuncOp, plan: Plan, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]) -> str:
    size, alignment = plan.arena_size, plan.alignment
    up = name.upper()
    in_names, out_names = entry_names("input", len(inputs)), entry_names("output", len(outputs))
    lines = [
        f"/* {name}.h: generated by cmsis-opt. The network runs in one static arena of {size} bytes. */",
        f"#ifndef {up}_H",
        f"#define {up}_H",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        f"/* The plan assumes CMSIS-NN {plan.cmsis_nn} built for the {plan.path.upper()} path of {plan.target}. */",
        f"#define {up}_TARGET \"{plan.target}\"",
        f"#define {up}_CMSIS_NN_PATH \"{plan.path}\"",
        f"#define {up}_CMSIS_NN_VERSION \"{plan.cmsis_nn}\"",
        "",
        f"/* Bytes of RAM the network uses (activations, inputs, outputs, kernel scratch), aligned to {alignment}. */",
        f"#define {up}_ARENA_SIZE {size}",
        f"#define {up}_ARENA_ALIGNMENT {alignment}",
        f"#define {up}_NUM_INPUTS {len(inputs)}",
        f"#define {up}_NUM_OUTPUTS {len(outputs)}",
        "",
    ]
    for kind, entries, values in (("arg", in_names, inputs), ("res", out_names, outputs)):
        for index, (entry, value) in enumerate(zip(entries, values, strict=True)):
            lines += _io_macros(f"{up}_{entry.upper()}", value, io_layout(func, kind, index),
                                func_attr(func, kind, index, FLOAT_IO_ATTR) is not None)
    lines += [""]
    streamed = streamed_inputs(func)
    for index, (entry, value) in enumerate(zip(in_names, inputs, strict=True)):
        ctype = c_element_type(value)
        if value in streamed:
            _, h, w, c = shape_of(value)
            lines += [
                f"/* {entry} is streamed: the arena does not hold it. {name}_invoke() asks for its rows (NHWC, "
                f"{w} x {c} = {w * c} bytes",
                "   each) as its first layers need them, in order but with rows asked again where tiles overlap.",
                f"   The application defines this function: copy input rows [first_row, first_row + rows) of {h} "
                "to dst",
                f"   and return 0; any other return makes {name}_invoke() return {up}_INPUT_READ_FAILED. */",
                f"int {name}_read_input_rows(int first_row, int rows, int8_t *dst);",
                f"#define {up}_INPUT_READ_FAILED (-100)",
            ]
            continue
        lines += [
            f"/* Where to write {entry} ({up}_{entry.upper()}_SIZE {ctype.removesuffix('_t')} values, "
            f"{io_layout(func, 'arg', index)}) before {name}_invoke().",
            f"   {name}_invoke() consumes it: its bytes may be reused, so write it again before every call. */",
            f"{ctype} *{name}_{entry}(void);",
        ]
    for entry, value in zip(out_names, outputs, strict=True):
        ctype = c_element_type(value)
        lines += [f"/* Where {name}_invoke() leaves {entry} ({up}_{entry.upper()}_SIZE {ctype.removesuffix('_t')} "
                  "values). */",
                  f"{ctype} *{name}_{entry}(void);"]
    run_args = _run_args(in_names, inputs, out_names, outputs, streamed)
    lines += [
        "",
        "/* Run the network on the arena: 0 on success, else the first failing CMSIS-NN status (negative). */",
        f"int {name}_invoke(void);",
        "",
        f"/* Call once at start-up, before {name}_invoke(): 0 if the linked CMSIS-NN needs no more buffer than",
        "   the plan gives each call (it asks each kernel's *_get_buffer_size), else the number (from 1) of the",
        f"   first call that needs more, whose layer {name}_layer_name() gives: the library is not the one the",
        "   plan was made for (another CMSIS-NN version or build path, another compiler). */",
        f"int {name}_check(void);",
        f"const char *{name}_layer_name(int call);",
        "",
        "/* Copy the input(s) in, invoke, copy the output(s) out. Returns what invoke returns. */",
        f"int {name}_run({', '.join(run_args)});",
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        f"#endif /* {up}_H */",
        "",
    ]
    return "\n".join(lines)


def _run_args(in_names: Sequence[str], inputs: Sequence[SSAValue], out_names: Sequence[str],
              outputs: Sequence[SSAValue], streamed: set[SSAValue]) -> list[str]:
    """NAME_run's parameters: a const pointer per input (but a streamed one), a pointer per output, of their
    element types."""
    return ([f"const {c_element_type(v)} *{e}" for e, v in zip(in_names, inputs, strict=True) if v not in streamed]
            + [f"{c_element_type(v)} *{e}" for e, v in zip(out_names, outputs, strict=True)])


def _copy_size(macro: str, value: SSAValue) -> str:
    """The bytes NAME_run copies for one input or output: its _SIZE (an element count) times the element size."""
    return macro if element_bytes(value) == 1 else f"{macro} * sizeof({c_element_type(value)})"


def _source(e: _Emitter, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], steps: int) -> str:
    name, up = e.name, e.name.upper()
    in_names, out_names = entry_names("input", len(inputs)), entry_names("output", len(outputs))
    lines = [
        f"/* {name}.c: generated by cmsis-opt ({e.target}); {steps} kernel calls. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "",
        '#include "arm_nnfunctions.h"',
        f'#include "{name}.h"',
        "",
        "#if defined(__GNUC__) || defined(__clang__)",
        f"#define {up}_ALIGNED __attribute__((aligned({e.alignment})))",
        "#else",
        f"#define {up}_ALIGNED",
        "#endif",
        "",
        "/* The only RAM: every activation, input, output and scratch buffer, at its planned offset. */",
        f"static int8_t {name}_arena[{up}_ARENA_SIZE] {up}_ALIGNED;",
        "",
        *e.consts,
        "",
        *e.functions.values(),
    ]
    streamed = streamed_inputs(e.func)
    for entry, value in zip(in_names + out_names, [*inputs, *outputs], strict=True):
        if value in streamed:
            continue
        lines += [f"{c_element_type(value)} *{name}_{entry}(void)", "{", f"    return {e.ptr(value)};", "}", ""]
    uses_status = any("status = " in line for line in e.body)
    lines += [f"int {name}_invoke(void)", "{"]
    if uses_status:
        lines += ["    arm_cmsis_nn_status status;", ""]
    lines += [*e.body, "    return 0;", "}", ""]
    run_args = _run_args(in_names, inputs, out_names, outputs, streamed)
    if not run_args:
        run_args = ["void"]
    lines += [f"int {name}_run({', '.join(run_args)})", "{", "    int status;"]
    for entry, value in zip(in_names, inputs, strict=True):
        if value in streamed:
            continue
        lines.append(f"    memcpy({name}_{entry}(), {entry}, {_copy_size(f'{up}_{entry.upper()}_SIZE', value)});")
    lines += [f"    status = {name}_invoke();", "    if (status != 0) {", "        return status;", "    }"]
    for entry, value in zip(out_names, outputs, strict=True):
        lines.append(f"    memcpy({entry}, {name}_{entry}(), {_copy_size(f'{up}_{entry.upper()}_SIZE', value)});")
    lines += ["    return 0;", "}", ""]
    lines += _check_source(e)
    return "\n".join(lines)


def c_string(text: str) -> str:
    """A C string literal of `text` (UTF-8 bytes; anything but printable ASCII as octal escapes)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\?':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _check_source(e: _Emitter) -> list[str]:
    """NAME_layer_name() and NAME_check(): the linked library's buffer needs against the plan, call by call."""
    name = e.name
    names = e.layers or [""]
    lines = [f"static const char *const {name}_layers[{len(names)}] = {{",
             *[f"    {c_string(layer)}," for layer in names], "};", "",
             f"const char *{name}_layer_name(int call)", "{",
             f"    if (call < 1 || call > {len(e.layers)}) {{", '        return "";', "    }",
             f"    return {name}_layers[call - 1];", "}", "",
             f"int {name}_check(void)", "{"]
    index = 0
    while index < len(e.queries):
        loop = e.queries[index][3]
        group = [e.queries[index]]
        while loop is not None and index + len(group) < len(e.queries) and e.queries[index + len(group)][3] is loop:
            group.append(e.queries[index + len(group)])
        indent = "    " if loop is None else "            "
        body: list[str] = []
        for step, expression, ctx, _ in group:
            body += ["#if defined(CMSIS_OPT_SCRATCH_REPORT)",
                     f"{indent}CMSIS_OPT_SCRATCH_REPORT({step + 1}, {expression}, {ctx}.size);", "#endif",
                     f"{indent}if ({expression} > {ctx}.size) {{", f"{indent}    return {step + 1};", f"{indent}}}"]
        if loop is None:
            lines += body
        else:  # the same query on every tile of a tile loop
            lines += [*loop.header("    ", "\n".join(body)), *body, *loop.footer("    ")]
        index += len(group)
    lines += ["    return 0;", "}", ""]
    return lines


def print_c(module: ModuleOp) -> str:
    """`cmsis-opt -t c`: the header, a `// ----- NAME.c` marker line, then the source."""
    func = the_function(module)
    name = c_name(func.sym_name.data)
    header, source = emit_c(module, name)
    return f"{SOURCE_MARKER}{name}.h\n{header}{SOURCE_MARKER}{name}.c\n{source}"


def split_c_output(text: str) -> dict[str, str]:
    """Split `cmsis-opt -t c` output back into {file name: text}."""
    files: dict[str, str] = {}
    current = None
    for line in text.splitlines(keepends=True):
        if line.startswith(SOURCE_MARKER) and line.rstrip().endswith((".c", ".h")):
            current = line[len(SOURCE_MARKER):].strip()
            files[current] = ""
        elif current is not None:
            files[current] += line
    return files
