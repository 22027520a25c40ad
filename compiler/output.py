"""Writing results so that a failed run leaves no half-written file behind."""

from __future__ import annotations

import os
import sys
import tempfile

from cmsis_opt.errors import CompileError


def file_in_the_way(path: str) -> str | None:
    """The nearest existing part of `path`'s folder when it is a file, not a folder (`x.npy` for
    `x.npy/a/y.npy`): nothing can be written under it. None otherwise."""
    folder = os.path.dirname(path)
    while folder and not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return folder if folder and not os.path.isdir(folder) else None


def missing_folder(path: str) -> str | None:
    """Why nothing can be written at `path` for want of a folder (a file in the way, or a folder that does
    not exist), as the end of a "cannot write 'PATH': ..." message; None when its folder exists."""
    blocker = file_in_the_way(path)
    if blocker is not None:
        return f"'{blocker}' is a file, not a folder: give a path in an existing folder"
    directory = os.path.dirname(os.path.realpath(path))
    return None if os.path.isdir(directory) else f"directory '{directory}' does not exist"


def write_atomic(path: str, data: str | bytes) -> None:
    """Write `data` to `path` in one step (a temporary file renamed into place); '-' is stdout."""
    if path == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    if not path:
        raise CompileError("the output file name is empty", "output")
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        _write_special(path, data)  # /dev/null, a pipe: write through, never replace it
        return
    target = os.path.realpath(path)  # through a symlink: replace the file it names, not the link
    directory = os.path.dirname(target)
    if (problem := missing_folder(path)) is not None:
        raise CompileError(f"cannot write '{path}': {problem}", "output")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(target))
    except OSError as error:
        raise CompileError(f"cannot write '{path}': {error.strerror}", "output") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
    except OSError as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise CompileError(f"cannot write '{path}': {error.strerror}", "output") from None


def _file_mode(path: str) -> int:
    """The mode a plain `open(path, "w")` would leave: the old file's, else 0666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_special(path: str, data: str | bytes) -> None:
    try:
        with open(path, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
    except OSError as error:
        raise CompileError(f"cannot write '{path}': {error.strerror}", "output") from None


MODEL_FILE_SUFFIXES = (".onnx", ".tflite", ".net")
"""Model files: `cmsis-import` (or cmsis-opt and cmsis-compile, which import them) reads them, not the IR parser."""


def _model_not_ir(path: str) -> CompileError:
    stem = os.path.splitext(os.path.basename(path))[0] or "model"
    command = "cmsis-import MODEL -o model.mlir" if path == "<stdin>" else f"cmsis-import {path} -o {stem}.mlir"
    return CompileError(f"this is a model file, not textual IR: run `{command}` first and give the .mlir here",
                        path)


_IR_STARTS = ("func.func", "builtin.module", "module", '"builtin.module"', '"func.func"')
_BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which some editors write first


def content_kind(head: bytes) -> str | None:
    """What a file's first bytes say it is, None if they do not tell:

    - 'tflite': the FlatBuffers file identifier TFL3 at bytes 4-7;
    - 'ir': text whose first line that is not blank or a `//` comment opens a module or function;
    - 'net': text whose first line that is not blank or a `#` comment is `seed ...` or `input ...`;
    - 'onnx': binary starting with field 1 of an ONNX ModelProto (ir_version, the byte 0x08).
    """
    if head[4:8] == b"TFL3":
        return "tflite"
    head = head.removeprefix(_BOM)
    try:
        text = head.decode()
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not a character cut in two by the head's end: binary
            return "onnx" if head[:1] == b"\x08" else None
        text = head[:error.start].decode()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith(_IR_STARTS):
            return "ir"
        if line.startswith("#"):
            continue
        return "net" if line.split(maxsplit=1)[0] in ("seed", "input") else None
    return None


def sniff(path: str) -> str | None:
    """`content_kind` of the file's first 4 KiB; CompileError when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return content_kind(f.read(4096))
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None


FORMAT_NAMES = {"onnx": "an ONNX model", "tflite": "a TFLite model", "net": "a .net text file", "mlir": "textual IR"}
FORMAT_SUFFIXES = {"onnx": ".onnx", "tflite": ".tflite", "net": ".net", "mlir": ".mlir"}
_FORMAT_OF_SUFFIX = {suffix: kind for kind, suffix in FORMAT_SUFFIXES.items()}


def misnamed(path: str, found: str, named: str, sign: str = "") -> CompileError:
    """The error for a file whose bytes are format `found` under the suffix of format `named` (formats as
    `FORMAT_NAMES` keys): what it is (`sign`: how the bytes show it), and the suffix to give it."""
    need = " (textual IR needs no import)" if found == "mlir" else ""
    return CompileError(f"this is {FORMAT_NAMES[found]}{sign}, not {FORMAT_NAMES[named]}: name it "
                        f"{FORMAT_SUFFIXES[found]}{need}", path)


def decode_input(data: bytes, name: str) -> str:
    """Textual IR from bytes (a byte order mark dropped); CompileError for a model or non-UTF-8 bytes (a file
    named .mlir whose bytes are a model's is told to take the model's suffix)."""
    kind = content_kind(data[:4096])
    if kind in ("onnx", "tflite", "net"):
        if name != "<stdin>" and os.path.splitext(name)[1].lower() not in MODEL_FILE_SUFFIXES:
            raise misnamed(name, kind, "mlir")
        raise _model_not_ir(name)
    try:
        return data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise CompileError(f"the input is not UTF-8 text (byte {error.start}): expected textual IR", name) from None


def read_input(path: str, as_ir: bool = False) -> tuple[str, str]:
    """The text of `path` ('-' reads stdin) and the name to use in messages.

    Raises CompileError when it cannot be read or is not UTF-8 text; for a model file (by its suffix, unless
    `as_ir`: cmsis-opt's -f mlir; or by its bytes) the error says to import it first, and for IR under a
    model's suffix, to name it .mlir.
    """
    suffix = os.path.splitext(path)[1].lower()
    if path != "-" and suffix in MODEL_FILE_SUFFIXES and not as_ir:
        kind = sniff(path)
        kind = "mlir" if kind == "ir" else kind
        if kind is not None and FORMAT_SUFFIXES[kind] != suffix:
            raise misnamed(path, kind, _FORMAT_OF_SUFFIX[suffix])
        raise _model_not_ir(path)
    if path == "-":
        return decode_input(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    return decode_input(data, path), path
