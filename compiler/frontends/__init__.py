"""Model importers: ONNX, TFLite and `.net` files into the `nn` dialect; and the one way to load a model.

`import_model(path)` picks the frontend from the file's suffix (or, failing
that, from its first bytes) and returns a verified module with one
`func.func` named after the file. `load(path)` also reads textual IR
(`.mlir`, or '-' for stdin) and is what every tool and the Python API use.
"""

from __future__ import annotations

import os
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.errors import CompileError
from cmsis_opt.ir import SourceModule, parse_ir
from cmsis_opt.output import FORMAT_NAMES, content_kind, decode_input, misnamed, read_input, sniff

FORMATS = ("onnx", "tflite", "net")


SUFFIXES = {".onnx": "onnx", ".tflite": "tflite", ".net": "net", ".mlir": "mlir", ".ir": "mlir"}


def detect_format(path: str) -> str:
    """'onnx', 'tflite', 'net' or 'mlir' (textual IR): from the suffix, else from the file's bytes
    (`content_kind`). CompileError when neither tells; `check_content` refuses bytes of another format."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    kind = sniff(path)
    if kind is not None:
        return "mlir" if kind == "ir" else kind
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise CompileError("the file is empty: expected a model (.onnx, .tflite, .net) or textual IR (.mlir)", path)
    raise CompileError("cannot tell the model's format from its name or its bytes: name it .onnx, .tflite, .net "
                       "or .mlir", path)


def check_content(path: str, kind: str, given: bool) -> None:
    """Refuse a file whose content is plainly another format than `kind`, saying what it is and what to do;
    `given`: the format came from --format / -f (else from the suffix). Raises CompileError; other damage is
    each frontend's to report."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return  # the frontend says why it cannot be read
    found = content_kind(head)
    found = "mlir" if found == "ir" else found
    if found is None or found == kind:
        if kind == "net" and found is None and not _is_text(head):
            fix = ("give the model's own format (--format onnx or tflite; -f with cmsis-opt)" if given
                   else "name it after the model's format (.onnx or .tflite)")
            raise CompileError(f"this is a binary file, not a .net text file: {fix}", path)
        return
    sign = " (file identifier TFL3)" if found == "tflite" else ""
    if not given:
        raise misnamed(path, found, kind, sign)
    what = FORMAT_NAMES[found] + sign
    fix = ("drop the format option, or give -f mlir to cmsis-opt (textual IR needs no import)" if found == "mlir"
           else f"give the format {found} (--format {found}; -f {found} with cmsis-opt)")
    raise CompileError(f"this is {what}, not {FORMAT_NAMES[kind]}: {fix}", path)


def _is_text(head: bytes) -> bool:
    """The first bytes of a file are UTF-8 text (a character cut at the end of `head` does not count)."""
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3
    return True


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


def _import_stdin(name: str | None, format: str, data: bytes) -> ModuleOp:
    """A model of `format` whose bytes `data` came on stdin: they go to a private temporary file that the
    frontend reads; errors name `<stdin>` (and the function is `name`, else 'model')."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cmsis-stdin-") as folder:
        path = str(Path(folder) / f"model.{format}")
        Path(path).write_bytes(data)
        try:
            return import_model(path, name or "model", format)
        except CompileError as error:
            if folder in error.message:  # a file the model names beside itself: stdin carries only the model
                raise CompileError("the model keeps data in files beside it (ONNX external data), which stdin "
                                   "cannot carry: give the model's path", "<stdin>") from None
            error.message = error.message.replace(path, "<stdin>")
            if error.where is not None:
                error.where = error.where.replace(path, "<stdin>")
            raise


def load_stdin_model(data: bytes, format: str, name: str | None = None) -> SourceModule:
    """A model of `format` whose bytes came on stdin, imported and verified; errors name `<stdin>`."""
    return SourceModule(_import_stdin(name, format, data), {}, "<stdin>")


def import_model(path: str, name: str | None = None, format: str | None = None) -> ModuleOp:
    """Import an ONNX, TFLite or .net model (`format`, else from the suffix or the first bytes; '-' reads
    stdin and needs `format`); the module verifies or a CompileError says why not (a file whose content is
    another format's says which)."""
    if path == "-":  # without a format, told from the bytes, as cmsis-opt - and cmsis-compile - do
        import sys

        data = sys.stdin.buffer.read()
        found = format or stdin_format(data)
        if found == "mlir":
            raise CompileError("this is textual IR, not a model: it needs no import (cmsis-opt, cmsis-compile "
                               "and cmsis-run read it)", "<stdin>")
        return _import_stdin(name, found, data)
    if not Path(path).exists():
        raise CompileError(f"cannot read '{path}': No such file or directory", "input")
    if Path(path).is_dir():
        raise CompileError(f"cannot read '{path}': Is a directory", "input")
    kind = format or detect_format(path)
    if kind == "mlir" and format is None and (found := sniff(path)) in FORMATS:  # a model named .mlir
        raise misnamed(path, found, "mlir")
    if kind == "mlir":
        raise CompileError("this is textual IR, not a model file (ONNX, TFLite or .net): it needs no import; "
                           "cmsis-opt, cmsis-compile and cmsis-run read it", path)
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
            return load_stdin_model(data, format, name)
        return parse_ir(decode_input(data, "<stdin>"), "<stdin>")
    if format in FORMATS:
        return SourceModule(import_model(path, name, format), {}, "<stdin>" if path == "-" else path)
    if format == "mlir" or path == "-" or detect_format(path) == "mlir":
        text, source_name = read_input(path, format == "mlir")
        return parse_ir(text, source_name)
    return SourceModule(import_model(path, name), {}, path)
