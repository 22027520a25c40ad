"""Writing results so that a failed run leaves no half-written file behind."""

from __future__ import annotations

import os
import sys
import tempfile

from cmsis_opt.errors import CompileError


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
    if not os.path.isdir(directory):
        raise CompileError(f"cannot write '{path}': directory '{directory}' does not exist", "output")
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


def read_input(path: str) -> tuple[str, str]:
    """The text of `path` ('-' reads stdin) and the name to use in messages.

    Raises CompileError when it cannot be read or is not UTF-8 text; for a model file (by its suffix, or a
    TFLite file by its identifier) the error says to import it first.
    """
    suffix = os.path.splitext(path)[1].lower()
    if path != "-" and suffix in MODEL_FILE_SUFFIXES:
        raise _model_not_ir(path)
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as error:
            raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
        name = path
    if data[4:8] == b"TFL3":  # a FlatBuffer with TFLite's file identifier
        raise _model_not_ir(name)
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as error:
        raise CompileError(f"the input is not UTF-8 text (byte {error.start}): expected textual IR", name) from None
