"""Model importers: ONNX, TFLite and `.net` files into the `nn` dialect; and the one way to load a model.

`import_model(path)` picks the frontend from the file's suffix (or, failing
that, from its first bytes) and returns a verified module with one
`func.func` named after the file. `load(path)` also reads textual IR
(`.mlir`, or '-' for stdin) and is what every tool and the Python API use.
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.errors import CompileError
from cmsis_opt.ir import SourceModule, parse_ir
from cmsis_opt.output import read_input

FORMATS = ("onnx", "tflite", "net")


def detect_format(path: str) -> str:
    """'onnx', 'tflite' or 'net', from the suffix, else from the TFLite file identifier."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    if suffix == ".tflite":
        return "tflite"
    if suffix == ".net":
        return "net"
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    return "tflite" if head[4:8] == b"TFL3" else "onnx"


_IR_STARTS = ("func.func", "builtin.module", "module", '"builtin.module"', '"func.func"')
_NAMES = {"onnx": "an ONNX model", "tflite": "a TFLite model", "net": "a .net text file"}


def content_kind(head: bytes) -> str | None:
    """What a file's first bytes say it is: 'tflite' (the FlatBuffers file identifier TFL3 at bytes 4-7),
    'ir' (text whose first line that is not blank or a `//` comment opens a module or function), or None."""
    if head[4:8] == b"TFL3":
        return "tflite"
    try:
        text = head.decode()
    except UnicodeDecodeError:  # the head may cut a character in two: only its first lines matter
        text = head[:-3].decode(errors="replace")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            return "ir" if line.startswith(_IR_STARTS) else None
    return None


def check_content(path: str, kind: str, given: bool) -> None:
    """Refuse a file whose content is plainly not `kind`, saying what it is and what to do; `given`: the format
    came from --format (else from the suffix). Raises CompileError; other damage is each frontend's to report."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    found = content_kind(head)
    if found == "tflite" and kind != "tflite":
        fix = "give the format tflite (--format tflite; -f tflite with cmsis-opt)" if given else "name it .tflite"
        raise CompileError(f"this is a TFLite model (file identifier TFL3), not {_NAMES[kind]}: {fix}", path)
    if found == "ir":
        raise CompileError("this is textual IR, not a model file (ONNX, TFLite or .net): it needs no import; "
                           "cmsis-opt, cmsis-compile and cmsis-run read it as a .mlir file", path)
    if kind == "net" and b"\0" in head:
        raise CompileError("this is a binary file, not a .net text file: give a model's own format with --format "
                           "(onnx or tflite), or its suffix", path)


def stdin_format(data: bytes) -> str:
    """The format of bytes given on stdin with none named: 'tflite' (the TFL3 identifier), 'mlir' (text that
    opens a module or function), 'net' (other UTF-8 text), else 'onnx' (binary). CompileError when empty."""
    if not data.strip():
        raise CompileError("nothing on stdin: expected a model (ONNX, TFLite, .net) or textual IR", "<stdin>")
    kind = content_kind(data[:4096])
    if kind is not None:
        return "mlir" if kind == "ir" else kind
    try:
        data.decode()
    except UnicodeDecodeError:
        return "onnx"
    return "net"


def _import_stdin(name: str | None, format: str, data: bytes | None = None) -> ModuleOp:
    """A model of `format` read from stdin (or its bytes, `data`, already read): the bytes go to a private
    temporary file that the frontend reads; errors name `<stdin>` (and the function is `name`, else 'model')."""
    import sys
    import tempfile

    content = sys.stdin.buffer.read() if data is None else data
    with tempfile.TemporaryDirectory(prefix="cmsis-stdin-") as folder:
        path = str(Path(folder) / f"model.{format}")
        Path(path).write_bytes(content)
        try:
            return import_model(path, name or "model", format)
        except CompileError as error:
            error.message = error.message.replace(path, "<stdin>")
            if error.where is not None:
                error.where = error.where.replace(path, "<stdin>")
            raise


def import_model(path: str, name: str | None = None, format: str | None = None) -> ModuleOp:
    """Import an ONNX, TFLite or .net model (`format`, else from the suffix or the first bytes; '-' reads
    stdin and needs `format`); the module verifies or a CompileError says why not (a file whose content is
    another format's says which)."""
    if path == "-":
        if format is None:
            raise CompileError("a model read from stdin needs its format: give --format onnx, tflite or net "
                               "(-f with cmsis-opt)", "<stdin>")
        return _import_stdin(name, format)
    if not Path(path).exists():
        raise CompileError(f"cannot read '{path}': No such file or directory", "input")
    if Path(path).is_dir():
        raise CompileError(f"cannot read '{path}': Is a directory", "input")
    kind = format or detect_format(path)
    if kind in FORMATS:
        check_content(path, kind, given=format is not None)
    # each frontend loads its format's library (onnx, the TFLite schema, lark) only when a model of it comes
    if kind == "onnx":
        from cmsis_opt.frontends.onnx import import_onnx

        module = import_onnx(path, name)
    elif kind == "tflite":
        from cmsis_opt.frontends.tflite import import_tflite

        module = import_tflite(path, name)
    elif kind == "net":
        from cmsis_opt.frontends.netdsl import import_net

        module = import_net(path, name)
    else:
        raise CompileError(f"unknown model format '{kind}'; supported: {', '.join(FORMATS)}", "input")
    SourceModule(module, {}, path).verify(stage=f"{kind} import")
    return module


def load(path: str, name: str | None = None, format: str | None = None) -> SourceModule:
    """Any input the tools accept, verified: a model file (.onnx, .tflite, .net) or textual IR (.mlir, '-': stdin).

    `format` ('mlir' or one of FORMATS) overrides the suffix; with a model format, '-' reads the model's bytes
    from stdin; 'auto' with '-' tells a model's format or IR from the bytes (`stdin_format`). Without a
    format, '-' is textual IR. Textual IR keeps its source locations for error messages. Raises
    CompileError naming the file (and line:column for IR) when it cannot be read, parsed or verified.
    """
    if path == "-" and format == "auto":
        import sys

        data = sys.stdin.buffer.read()
        format = stdin_format(data)
        if format in FORMATS:
            return SourceModule(_import_stdin(name, format, data), {}, "<stdin>")
        try:
            return parse_ir(data.decode(), "<stdin>")
        except UnicodeDecodeError as error:
            raise CompileError(f"the input is not UTF-8 text (byte {error.start}): expected textual IR",
                               "<stdin>") from None
    if format in FORMATS:
        return SourceModule(import_model(path, name, format), {}, "<stdin>" if path == "-" else path)
    if format == "mlir" or path == "-" or Path(path).suffix.lower() in (".mlir", ".ir"):
        text, source_name = read_input(path)
        return parse_ir(text, source_name)
    return SourceModule(import_model(path, name), {}, path)
