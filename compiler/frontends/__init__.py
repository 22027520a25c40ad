"""Model importers: ONNX, TFLite and `.net` files into the `nn` dialect.

`import_model(path)` picks the frontend from the file's suffix (or, failing
that, from its first bytes) and returns a verified module with one
`func.func` named after the file.
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.errors import CompileError

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
    from cmsis_opt.ir import SourceModule

    if not Path(path).exists():
        raise CompileError(f"cannot read '{path}': No such file or directory", "input")
    if Path(path).is_dir():
        raise CompileError(f"cannot read '{path}': Is a directory", "input")
    kind = format or detect_format(path)
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
