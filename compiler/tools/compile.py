"""`cmsis-compile`: a model file to C calling CMSIS-NN, in one command.

    cmsis-compile MODEL -o OUTDIR [--host] [--calibration FILE.npz] [--target cortex-m4]
                  [--no-inplace] [--strategy S] [--alignment N] [--max-size N] [--name NAME]

Imports MODEL (.onnx, .tflite, .net or .mlir), quantizes it, plans the arena
(bufferize, liveness, inplace-alias, arena-alloc, verify-arena), writes
OUTDIR/NAME.h, OUTDIR/NAME.c, OUTDIR/memory.json and OUTDIR/memory.svg, and
with --host builds OUTDIR/NAME_host (raw int8 input on stdin, output on stdout).
Everything is built in a temporary folder and moved into OUTDIR at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.backend.c import c_identifier, emit_c, find_function, plan_layout
from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.utils import num_elements, shape_of
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.hostbuild import HostModel, build_host
from cmsis_opt.ir import SourceModule, parse_ir, print_ir
from cmsis_opt.output import read_input
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.tools import run_tool
from cmsis_opt.tools.opt import run_pipeline

TOOL = "cmsis-compile"
TARGETS = ("cortex-m0", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{message} (see cmsis-compile --help)", TOOL)


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = _Parser(prog=TOOL, description="Compile an int8 network to C99 calling CMSIS-NN, in one static arena.")
    parser.add_argument("model", help="model file: .onnx (QDQ or float), .tflite, .net or .mlir")
    parser.add_argument("-o", "--output", required=True, help="output folder (created if missing)")
    parser.add_argument("--host", action="store_true", help="also build OUTDIR/NAME_host with ${CC:-cc}, linking runtime/")
    parser.add_argument("--calibration", default="", help="calibration inputs (.npz) for float models")
    parser.add_argument("--target", default="cortex-m4", choices=TARGETS, help="Cortex-M core (default cortex-m4)")
    parser.add_argument("--no-inplace", action="store_true", help="never let an output overlap its input")
    parser.add_argument("--kernel-switch", default="peak", choices=("peak", "never", "always"),
                        help="lower 1x1 convolutions to arm_convolve_s8 so they can overlap their input: only where "
                             "that lowers the arena (peak, default), never, or always")
    parser.add_argument("--allow-undocumented", action="store_true",
                        help="also overlap where CMSIS-NN's code allows it but its documentation forbids it (max pool)")
    parser.add_argument("--emit-ir", action="store_true", help="also write OUTDIR/NAME.mlir, the planned IR")
    parser.add_argument("--quiet", action="store_true", help="print only the one-line summary, not the buffer table")
    parser.add_argument("--strategy", default=None, help="arena-alloc strategy (see cmsis-opt --help)")
    parser.add_argument("--alignment", type=int, default=16, help="byte alignment of every buffer and of the arena (default 16)")
    parser.add_argument("--max-size", type=int, default=0, help="fail if the arena needs more bytes than this")
    parser.add_argument("--name", default=None, help="C name prefix (default: the model file's name)")
    args = parser.parse_args(argv)
    if args.alignment < 1 or args.alignment & (args.alignment - 1):
        raise UsageError(f"--alignment must be a power of two, got {args.alignment}", TOOL)
    if args.name is not None and not (args.name.isidentifier() and args.name.isascii()):
        raise UsageError(f"--name '{args.name}' is not a C identifier", TOOL)
    if args.max_size < 0:
        raise UsageError(f"--max-size must be >= 0, got {args.max_size}", TOOL)
    return args


# -- stages ----------------------------------------------------------------


def default_name(path: str) -> str:
    return c_identifier(Path(path).name.split(".")[0] or "model")


def import_model(path: str) -> SourceModule:
    """The model as IR (nn or cmsis dialect), whatever its file format."""
    suffix = Path(path).suffix.lower()
    if not os.path.isfile(path):
        raise CompileError(f"cannot read '{path}': no such file", TOOL)
    if suffix == ".mlir":
        text, name = read_input(path)
        return parse_ir(text, name)
    if suffix == ".net":
        from cmsis_opt.frontends.netdsl import import_net

        return SourceModule(import_net(path), {}, path)
    if suffix in (".onnx", ".tflite"):
        from cmsis_opt.frontends import import_model as import_file

        return SourceModule(import_file(path), {}, path)
    raise CompileError(f"unknown model format '{suffix or path}' (expected .onnx, .tflite, .net or .mlir)", TOOL)


def _make_pass(name: str, **options) -> ModulePass:
    """Pass `name` with those of `options` it takes."""
    cls = ALL_PASSES[name]()
    fields = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in options.items() if k in fields and v is not None})


def _is_lowered(module: ModuleOp) -> bool:
    func = find_function(module)
    return all(op.name.split(".")[0] in ("cmsis", "arena", "func") for op in func.body.walk())


def memory_passes(target: str = "cortex-m4", inplace: bool = True, strategy: str | None = None,
                  alignment: int = 16, max_size: int = 0, kernel_switch: str = "peak",
                  allow_undocumented: bool = False) -> list[ModulePass]:
    """The default memory pipeline: bufferize, liveness, inplace-alias (unless off), arena-alloc, verify-arena."""
    passes = [_make_pass("bufferize", target=target), _make_pass("liveness")]
    if inplace:
        passes.append(_make_pass("inplace-alias", target=target, kernel_switch=kernel_switch,
                                 allow_undocumented=allow_undocumented))
    passes.append(_make_pass("arena-alloc", strategy=strategy, alignment=alignment, max_size=max_size))
    passes.append(_make_pass("verify-arena"))
    return passes


def pipeline(module: ModuleOp, args: argparse.Namespace) -> list[ModulePass]:
    """Quantize (unless the model is already cmsis ops), then the memory pipeline."""
    passes = [] if _is_lowered(module) else [_make_pass("quantize", calibration=args.calibration)]
    return passes + memory_passes(args.target, not args.no_inplace, args.strategy, args.alignment, args.max_size,
                                  args.kernel_switch, args.allow_undocumented)


def _func_int(module: ModuleOp, key: str) -> int | None:
    attr = find_function(module).attributes.get(key)
    return attr.value.data if isinstance(attr, IntegerAttr) else None


def write_report(module: ModuleOp, workdir: Path) -> list[str]:
    """memory.json and memory.svg, from compiler/report.py."""
    from cmsis_opt import report

    report.write_report(module, str(workdir))
    return [name for name in ("memory.json", "memory.svg") if (workdir / name).exists()]


def summary(name: str, module: ModuleOp, target: str, outdir: Path, files: list[str]) -> str:
    func = find_function(module)
    arena_size = _func_int(module, "arena.size") or plan_layout(func, target, 1).size
    steps = sum(isinstance(op, cmsis.KERNEL_OPS) for op in func.body.walk())
    line = f"{name}: {steps} kernel calls, arena {arena_size:,} bytes"
    bound = _func_int(module, "arena.lower_bound")
    if bound:
        line += f" (liveness lower bound without overlap {bound:,}, {100.0 * (arena_size - bound) / bound:+.1f}%)"
    lines = [line, f"  target {target}; wrote " + ", ".join(str(outdir / f) for f in files)]
    if "memory.svg" in files:
        lines.append(f"  memory picture: {outdir / 'memory.svg'}")
    return "\n".join(lines)


def build_host_program(module: ModuleOp, name: str, workdir: Path) -> str:
    """Build workdir/NAME_host from workdir/NAME.c; returns its file name."""
    func = find_function(module)
    inputs = [num_elements(shape_of(a)) for a in func.body.block.args]
    outputs = [num_elements(shape_of(v)) for v in func.body.block.last_op.operands]
    build_host([workdir / f"{name}.c"], [HostModel(name, inputs, outputs)], workdir / f"{name}_host")
    return f"{name}_host"


def _install(workdir: Path, outdir: Path, files: list[str]) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for name in files:
        os.replace(workdir / name, outdir / name)


def _main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    name = args.name or default_name(args.model)
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise CompileError(f"'{outdir}' exists and is not a folder", TOOL)
    parent = outdir.resolve().parent
    if not parent.is_dir():
        raise CompileError(f"cannot create '{outdir}': '{parent}' does not exist", TOOL)
    workdir = Path(tempfile.mkdtemp(prefix=".cmsis-compile-", dir=parent))
    try:
        source = import_model(args.model)
        module = run_pipeline(source, pipeline(source.module, args))
        header, c_source = emit_c(module, name, target=args.target, alignment=args.alignment)
        (workdir / f"{name}.h").write_text(header)
        (workdir / f"{name}.c").write_text(c_source)
        files = [f"{name}.h", f"{name}.c", *write_report(module, workdir)]
        if args.emit_ir:
            (workdir / f"{name}.mlir").write_text(print_ir(module))
            files.append(f"{name}.mlir")
        if args.host:
            files.append(build_host_program(module, name, workdir))
        _install(workdir, outdir, files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not args.quiet:
        from cmsis_opt.plan import read_plan
        from cmsis_opt.report import memory_table

        print(memory_table(read_plan(module)))
    print(summary(name, module, args.target, outdir, files))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(TOOL, lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
