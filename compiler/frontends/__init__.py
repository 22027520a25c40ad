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


def import_model(path: str, name: str | None = None, format: str | None = None) -> ModuleOp:
    """Import an ONNX or TFLite model; the module verifies or a CompileError says why not."""
    if not Path(path).exists():
        raise CompileError(f"cannot read '{path}': No such file or directory", "input")
    if Path(path).is_dir():
        raise CompileError(f"cannot read '{path}': Is a directory", "input")
    kind = format or detect_format(path)
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


def load(path: str, name: str | None = None) -> SourceModule:
    """Any input the tools accept, verified: a model file (.onnx, .tflite, .net) or textual IR (.mlir, '-': stdin).

    Textual IR keeps its source locations for error messages. Raises
    CompileError naming the file (and line:column for IR) when it cannot be
    read, parsed or verified.
    """
    if path == "-" or Path(path).suffix.lower() in (".mlir", ".ir"):
        text, source_name = read_input(path)
        return parse_ir(text, source_name)
    return SourceModule(import_model(path, name), {}, path)
