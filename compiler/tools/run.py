"""`cmsis-run`: run textual IR on numpy inputs with the reference interpreter.

    cmsis-run model.mlir --input x.npy --output y.npy
    cmsis-run model.mlir --input refs.npz --index 2 --output y.npy   (element 2 of the npz key `inputs`)
    cmsis-run - --input a.npy --input b.npy --output out.npz          (several outputs: one .npz)

The IR is textual (`cmsis-import` turns a model file into it). Inputs are
matched to the function arguments in order: an int8 input takes int8 arrays
as they are, or float32 arrays it quantizes; an input still float32 in the
IR (before --quantize) takes float32 only. With several outputs,
either repeat `--output` once per output or give one `.npz` file (keys
`output0`, `output1`, ...).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cmsis_opt.diagnostics import plural
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.output import missing_folder, read_input, write_atomic
from cmsis_opt.tools import ToolParser, run_tool

if TYPE_CHECKING:  # numpy, the IR and the interpreter load after the arguments are read: --help answers at once
    import numpy as np


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive (an .npz), or an empty one
NOT_NUMPY = "not a .npy or .npz file (numpy.save writes one)"


def numpy_kind(path: str) -> str | None:
    """'npy' or 'npz' from the file's first bytes (`head_kind`); None for any other file, or one that cannot be
    read."""
    try:
        with open(path, "rb") as f:
            return head_kind(f.read(len(NPY_MAGIC)))
    except OSError:
        return None


def head_kind(head: bytes) -> str | None:
    """'npy' (numpy's magic string), 'npz' (a zip archive's) or None: what a file's first 6 bytes say it is."""
    if head == NPY_MAGIC:
        return "npy"
    return "npz" if head[:4] in ZIP_MAGICS else None


def load_input(path: str, index: int | None, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """One input array from a .npy file, or element `index` of the key `inputs` of a .npz file (a negative index
    counts from the end, as in numpy); `shape` is the input's own (the IR's), when known.

    Raises CompileError for a file that is not numpy's (told by its first bytes: it is never loaded as a pickle),
    a damaged one, an array of Python objects, an .npz without 'inputs', an 'inputs' that is one sample of
    `shape` rather than N of them, or an index out of range."""
    import numpy as np

    if not os.path.exists(path):
        raise CompileError(f"cannot read '{path}': no such file", "input")
    if os.path.isdir(path):
        raise CompileError(f"cannot read '{path}': it is a folder, not a .npy or .npz file", "input")
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    kind = head_kind(head)
    if kind is None:  # never handed to np.load, whose word for any other file is "pickled data"
        raise CompileError(f"cannot read '{path}': {'' if head else 'the file is empty, '}{NOT_NUMPY}", "input")
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                if "inputs" not in data.files:
                    raise CompileError(
                        f"'{path}' has no array named 'inputs' (it has: {', '.join(data.files) or 'nothing'})",
                        "input")
                stacked = data["inputs"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        if "allow_pickle" in str(error):  # an array of Python objects: loading it would run code from the file
            raise CompileError(f"cannot read '{path}': it holds an array of Python objects, which cmsis-run does "
                               "not load: save the input as a numeric array", "input") from None
        what = ".npy" if kind == "npy" else ".npz"
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CompileError(f"cannot read '{path}': a damaged {what} file ({detail}): write it again with "
                           f"numpy.{'save' if kind == 'npy' else 'savez'}", "input") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        return data  # an .npy array is used whole (`_main` refuses an --index that no .npz takes)
    if not isinstance(stacked, np.ndarray):  # a zip member that is no .npy: NpzFile returns its bytes
        raise CompileError(f"'{path}': its 'inputs' is not a numpy array (a zip file, but not one numpy.savez "
                           "wrote)", "input")
    if stacked.ndim == 0 or len(stacked) == 0:
        raise CompileError(f"'{path}': its 'inputs' holds no samples (expected N x the input's shape)", "input")
    if shape is not None and stacked.shape == shape:  # never N samples: each would lack the input's first axis
        dims = "x".join(map(str, shape))
        raise CompileError(f"'{path}': its 'inputs' is {dims}, one sample of the input's shape; an .npz holds N "
                           f"samples (N x {dims}): save the sample as .npy, or add the samples axis", "input")
    if index is None:
        raise CompileError(
            f"'{path}' is an .npz file: choose one of its {len(stacked)} inputs with --index", "input")
    if not -len(stacked) <= index < len(stacked):
        raise CompileError(f"--index {index} is out of range: '{path}' holds {len(stacked)} inputs", "input")
    return stacked[index]


def check_output_folders(paths: Sequence[str]) -> None:
    """Before the run: each --output path's folder must exist and be a folder (a path under a regular file,
    `x.npy/y.npy`, is told so). CompileError naming the path; '-' and other checks are `write_atomic`'s."""
    for path in paths:
        if not path or path == "-":
            continue
        if (problem := missing_folder(path)) is not None:
            raise CompileError(f"cannot write '{path}': {problem}", "output")


def check_finite(outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray]) -> None:
    """A float output that holds Inf or NaN has no value to give: float32 arithmetic overflowed (or an input
    held them). CompileError naming the output; integer outputs always hold values."""
    import numpy as np

    for index, output in enumerate(outputs):
        output = np.asarray(output)
        if output.dtype.kind != "f" or np.isfinite(output).all():
            continue
        count = int((~np.isfinite(output)).sum())
        cause = ("an input holds NaN or Inf" if any(np.asarray(x).dtype.kind == "f" and not np.isfinite(x).all()
                                                    for x in inputs)
                 else "the float model's float32 arithmetic overflowed on these inputs")
        raise CompileError(f"output #{index} holds Inf or NaN in {count} of {output.size} values: {cause}; no "
                           "output is written", "cmsis-run")


def _npy_bytes(array: np.ndarray) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npz_bytes(arrays: Sequence[np.ndarray]) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **{f"output{i}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def write_outputs(paths: Sequence[str], outputs: Sequence[np.ndarray]) -> None:
    if len(paths) == 1 and paths[0].endswith(".npz"):
        write_atomic(paths[0], _npz_bytes(outputs))
        return
    if len(paths) != len(outputs):
        raise CompileError(
            f"the function returns {plural(len(outputs), 'output')} but {plural(len(paths), '--output path')} "
            f"{'was' if len(paths) == 1 else 'were'} given "
            "(give one per output, or a single .npz file)", "cmsis-run")
    for path, array in zip(paths, outputs, strict=True):
        write_atomic(path, _npy_bytes(array))


def _main(argv: Sequence[str]) -> int:
    parser = ToolParser(prog="cmsis-run", description="Run nn/cmsis IR on numpy inputs with the reference interpreter.",
                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ir", help="input IR file, '-' for stdin")
    parser.add_argument("--input", "-i", action="append", default=[],
                        help=".npy file (or .npz with --index), once per graph input")
    parser.add_argument("--index", type=int, default=None,
                        help="which element of an .npz file's 'inputs' array to use (-1: the last)")
    parser.add_argument("--output", "-o", action="append", default=[], help=".npy file per output, or one .npz for all")
    args = parser.parse_args(argv)
    if not args.output:
        raise UsageError("missing --output (see cmsis-run --help)", "cmsis-run")
    import numpy as np
    from xdsl.dialects.builtin import TensorType

    from cmsis_opt.interpreter import run_function
    from cmsis_opt.ir import parse_ir

    text, name = read_input(args.ir)  # first: a model file given for the IR is the first thing to say
    source = parse_ir(text, name)
    function = source.model_function()
    args_of_model = function.body.block.args
    expected = len(args_of_model)
    if not args.input and expected:
        raise UsageError(f"missing --input: the function takes {plural(expected, 'input')}, one --input each "
                         "(see cmsis-run --help)", "cmsis-run")
    if args.input and len(args.input) != expected:
        given = plural(len(args.input), "--input file")
        raise UsageError(f"the function takes {plural(expected, 'input')} but {given} "
                         f"{'was' if len(args.input) == 1 else 'were'} given (one --input each, in the order of the "
                         "function's arguments)", "cmsis-run")
    returned = len(function.function_type.outputs.data)
    if not (len(args.output) == 1 and args.output[0].endswith(".npz")) and len(args.output) != returned:
        raise UsageError(
            f"the function returns {plural(returned, 'output')} but {plural(len(args.output), '--output path')} "
            f"{'was' if len(args.output) == 1 else 'were'} given (give one per output, or a single .npz file)",
            "cmsis-run")
    # an .npy array is used whole: an --index no .npz input takes is refused (a missing or other file: load_input
    # says what it is)
    if args.index is not None and all(numpy_kind(path) == "npy" for path in args.input):
        raise UsageError(f"--index {args.index} picks an element of an .npz file's 'inputs', but no --input is "
                         "an .npz file (an .npy array is used whole): drop --index, or give the .npz", "cmsis-run")
    shapes = [tuple(arg.type.get_shape()) if isinstance(arg.type, TensorType) else None for arg in args_of_model]
    check_output_folders(args.output)  # before the run: a path that cannot be written is told at once
    inputs = [load_input(path, args.index, shapes[i] if i < len(shapes) else None)
              for i, path in enumerate(args.input)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a float overflow is told below, once
        outputs = run_function(source.module, inputs, sources=args.input)
    check_finite(outputs, inputs)
    write_outputs(args.output, outputs)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool("cmsis-run", lambda: _main(sys.argv[1:] if argv is None else argv), owns_process=argv is None)


if __name__ == "__main__":
    sys.exit(main())
