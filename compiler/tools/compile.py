"""`cmsis-compile`: a model file to C calling CMSIS-NN, in one command.

    cmsis-compile MODEL -o OUTDIR [--host [--cmsis-nn PATH]] [--calibration FILE.npz] [--target cortex-m4]
                  [--no-inplace] [--strategy S] [--search-nodes N] [--alignment N] [--max-size N]
                  [--name NAME] [--runtime cmsis-nn|bundled]

Loads MODEL (.onnx, .tflite, .net or .mlir), calibrates it if it is a float
model, runs the default pipeline (`-p default` of cmsis-opt: attach-target,
quantize, fold-pads, inplace-alias, arena-alloc, verify-arena), writes OUTDIR/NAME.h,
OUTDIR/NAME.c, OUTDIR/CMakeLists.txt (a static library target NAME linking a `cmsis-nn`
target; with --runtime bundled also OUTDIR/cmsis-nn-runtime/, see cmsis_opt.cmake),
OUTDIR/memory.json, OUTDIR/memory.svg and OUTDIR/memory.html (the
picture and the buffer table in one page), and with --host
builds OUTDIR/NAME_host (raw int8 input on stdin, output on stdout).
Everything is built in a temporary folder and moved into OUTDIR at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the command line needs is imported here: xDSL, numpy and the
# compiler load once the arguments are read, so `--help` and usage errors are
# immediate (the rest is imported inside the functions that use it).
from cmsis_opt import targets
from cmsis_opt.allocators import SEARCH_NODES, STRATEGIES
from cmsis_opt.cmake import DEFAULT_RUNTIME, RUNTIMES
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.output import file_in_the_way
from cmsis_opt.tools import ToolParser, output_complete, run_tool

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from cmsis_opt.passes.default import DefaultPipeline
    from cmsis_opt.passes.patch_split import Candidate

TOOL = "cmsis-compile"

def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = ToolParser(prog=TOOL, description="Compile an int8 network to C99 calling CMSIS-NN, in one static arena.")
    parser.add_argument("model", help="model file: .onnx (QDQ or float), .tflite, .net or .mlir; '-' reads "
                        "one from stdin (its format told from its bytes; the C name is 'model' unless --name)")
    parser.add_argument("-o", "--output", required=True,
                        help="output folder (created if missing; its parent folder must exist)")
    parser.add_argument("--host", action="store_true",
                        help="also build OUTDIR/NAME_host with ${CC:-cc}, linking runtime/ (or --cmsis-nn)")
    parser.add_argument(
        "--cmsis-nn",
        default=None,
        metavar="PATH",
        help="with --host: link Arm's CMSIS-NN built from this source tree (Include/, Source/) instead of runtime/",
    )
    parser.add_argument("--calibration", default="", metavar="FILE.npz",
                        help="calibration samples for a float model: .npz with key 'inputs' (N x input shape, "
                             "float32), or one key per graph input name for a model with several inputs")
    parser.add_argument("--target", default=None, metavar="CORE",
                        help=f"Cortex-M core: {', '.join(targets.CORES)} (default: the core an .mlir input records, "
                             f"else {targets.DEFAULT_CORE})")
    parser.add_argument("--io-layout", choices=("model", "nhwc"), default="model",
                        help="the order of the C API's inputs and outputs: the model's own (default; an NCHW tensor "
                             "then costs a transpose) or nhwc, the kernels' order (no transpose at the boundary)")
    parser.add_argument("--no-inplace", action="store_true", help="never let an output overlap its input")
    parser.add_argument("--no-fold-pads", action="store_true",
                        help="keep every cmsis.pad as a kernel call (by default a pad only a conv, depthwise conv or "
                             "max pool reads becomes that op's padding where that is exact)")
    parser.add_argument("--patch", default="off", metavar="auto|off|RxC",
                        help="run the first window ops (the stage) tile by tile: off (default); RxC, a grid of tiles "
                             "of the stage output (the whole chain, or --patch-ops of it); auto, the stage and grid "
                             "with the smallest arena within --patch-max-overhead")
    parser.add_argument("--patch-ops", type=int, default=0, metavar="N",
                        help="with --patch RxC: how many ops the stage takes (default 0, the whole chain)")
    parser.add_argument("--patch-max-overhead", type=float, default=15.0, metavar="PERCENT",
                        help="with --patch auto: the most extra multiply-accumulates the halos may cost, in percent "
                             "of the whole model's (default 15)")
    parser.add_argument("--stream-input", action="store_true",
                        help="do not hold the graph input in the arena; the generated code asks the application for "
                             "the rows each tile needs through NAME_read_input_rows(first_row, rows, dst), declared "
                             "in NAME.h; without --patch, the first layer alone runs in bands of rows (the band "
                             "count with the smallest arena)")
    parser.add_argument("--kernel-switch", default="peak", choices=("peak", "never", "always"),
                        help="lower 1x1 convolutions to arm_convolve_s8 so they can overlap their input: only where "
                             "that lowers the arena (peak, default), never, or always")
    parser.add_argument("--allow-undocumented", action="store_true",
                        help="also overlap where CMSIS-NN's code allows it but its documentation forbids it (max pool)")
    parser.add_argument("--emit-ir", action="store_true", help="also write OUTDIR/NAME.mlir, the planned IR")
    parser.add_argument("--verify-each", action="store_true",
                        help="verify the IR after every pass of the pipeline (default: after loading and at the end)")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the summary (calls, arena, bounds, files): no buffer table, no remarks "
                             "(errors still print)")
    parser.add_argument("--strategy", default="auto", choices=STRATEGIES, help="arena-alloc strategy (default auto)")
    parser.add_argument(
        "--search-nodes",
        type=int,
        default=SEARCH_NODES,
        help=f"node budget of the exact arena search (default {SEARCH_NODES}, about 3 s; 0: no budget); "
        "the same budget gives the same arena on any machine",
    )
    parser.add_argument(
        "--alignment", type=int, default=16, help="byte alignment of every buffer and of the arena (default 16)"
    )
    parser.add_argument("--max-size", type=int, default=0, help="fail if the arena needs more bytes than this")
    parser.add_argument("--name", default=None, help="C name prefix (default: the model file's name)")
    parser.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME,
                        help="what OUTDIR/CMakeLists.txt links: the cmsis-nn target your project provides (default; "
                             "e.g. add_subdirectory of Arm's CMSIS-NN), or bundled: also copy the portable runtime "
                             "into OUTDIR/cmsis-nn-runtime/, used when no cmsis-nn target exists")
    args = parser.parse_args(argv)
    from cmsis_opt.passes.arena_alloc import check_alignment

    if (problem := check_alignment(args.alignment)) is not None:
        raise UsageError(f"--alignment {problem}", TOOL)
    if args.name is not None and not (args.name.isidentifier() and args.name.isascii()):
        raise UsageError(f"--name '{args.name}' is not a C identifier", TOOL)
    if args.name is not None and len(args.name) > MAX_NAME:
        raise UsageError(f"--name is {len(args.name)} characters long; at most {MAX_NAME} (it names the files "
                         "NAME.c, NAME.h and NAME_host)", TOOL)
    if args.max_size < 0:
        raise UsageError(f"--max-size must be >= 0, got {args.max_size}", TOOL)
    if args.search_nodes < 0:
        raise UsageError(f"--search-nodes must be >= 0 (0: no budget), got {args.search_nodes}", TOOL)
    if args.target is not None and args.target not in targets.CORES:
        hint = targets.did_you_mean(args.target, tuple(targets.CORES))
        raise UsageError(f"--target: unknown core '{args.target}'{hint}; known: {', '.join(targets.CORES)}", TOOL)
    if args.cmsis_nn is not None and not args.host:
        raise UsageError("--cmsis-nn builds the host program: give --host too", TOOL)
    if not (args.patch_max_overhead >= 0 and math.isfinite(args.patch_max_overhead)):
        raise UsageError(f"--patch-max-overhead must be a finite percentage >= 0, got {args.patch_max_overhead:g}",
                         TOOL)
    if args.patch_ops < 0:
        raise UsageError(f"--patch-ops must be >= 0 (0: the whole chain), got {args.patch_ops}", TOOL)
    if args.patch_ops and args.patch in ("off", "auto"):
        raise UsageError(f"--patch-ops takes a grid: give --patch RxC too (--patch {args.patch} chooses no op "
                         "count from it)", TOOL)
    if args.patch_max_overhead != 15.0 and args.patch != "auto":
        raise UsageError("--patch-max-overhead is the budget of --patch auto: give --patch auto too", TOOL)
    return args


# -- stages ----------------------------------------------------------------


MAX_NAME = 200
"""The longest C name prefix (--name): file systems take 255 bytes per file name, and NAME_host_main.c adds 12."""


def default_name(path: str) -> str:
    from cmsis_opt.backend.c import c_name

    return c_name(Path(path).name.split(".")[0] or "model")[:MAX_NAME]


def default_pipeline(args: argparse.Namespace) -> DefaultPipeline:
    """The default pipeline with the command line's options (--patch auto: without patching; see choose_patch)."""
    from cmsis_opt.passes.default import DefaultPipeline

    patch = args.patch if args.patch != "auto" else "off"
    return DefaultPipeline(core=args.target, io_layout=args.io_layout, fold_pads=not args.no_fold_pads,
                           patch=patch, patch_ops=args.patch_ops, stream_input=args.stream_input,
                           inplace=not args.no_inplace,
                           kernel_switch=args.kernel_switch,
                           allow_undocumented=args.allow_undocumented, strategy=args.strategy,
                           alignment=args.alignment, max_size=args.max_size, search_nodes=args.search_nodes)


def choose_core(module: ModuleOp, given: str | None, model: str) -> str:
    """The core to compile for: --target when given, else the one the module records, else the default.

    Raises CompileError when --target names another core than an already planned module was planned for
    (its overlaps and offsets hold only there).
    """
    from cmsis_opt.dialects.cmsis import target_of
    from cmsis_opt.passes.attach_target import is_planned

    recorded = target_of(module)
    if given is None:
        return recorded.core if recorded is not None else targets.DEFAULT_CORE
    if recorded is not None and recorded.core != given and is_planned(module):
        raise CompileError(f"{model} is already planned for {recorded.core}; --target {given} cannot move the plan: "
                           f"drop --target, or compile the model before planning", TOOL)
    return given


def choose_patch(unplanned: ModuleOp, base: DefaultPipeline, max_overhead: float) -> Candidate:
    """--patch auto: the stage end and grid (or none) whose real plan has the smallest arena within the MAC budget.

    Candidates whose proven lower bound already loses to the best real plan are not planned (patch_split.search).
    """
    from cmsis_opt.diagnostics import collect_remarks, plural, remark
    from cmsis_opt.passes.patch_split import search

    with collect_remarks():  # the candidates' pipelines repeat the remarks the real compile makes
        found = search(unplanned, base, max_overhead)
    count = len(found.planned) - 1 + len(found.skipped)  # the unpatched plan is no candidate stage
    if base.stream_input and found.choice.grid == "off":
        # the C API asked for (NAME_read_input_rows) exists only with a stage: stream the first layer in row bands,
        # as --stream-input alone does (CompileError there when no op can start a stage at the input)
        if count:
            remark(f"--patch auto: none of its {plural(count, 'candidate stage')} within {max_overhead:g}% extra MACs "
                   "lowers the arena; --stream-input streams the input into row bands of the first layer instead "
                   "(as without --patch)", TOOL)
        return choose_row_bands(unplanned, base)
    remark(f"--patch auto: {plural(count, 'candidate stage')} within {max_overhead:g}% extra MACs, "
           f"{len(found.planned) - 1} planned, {len(found.skipped)} skipped (their arena's lower bound loses to the "
           "best plan)", TOOL)
    if base.stream_input:
        # the row bands of the first layer alone (no recomputed MACs) are a streamed plan too: keep the smaller
        try:
            with collect_remarks():
                bands = choose_row_bands(unplanned, base)
        except CompileError:
            return found.choice
        if bands.arena < found.choice.arena:
            remark(f"--patch auto --stream-input: row bands of the first layer ({bands.arena:,} bytes) beat the best "
                   f"stage ({found.choice.arena:,} bytes)", TOOL)
            return bands
    return found.choice


def choose_row_bands(unplanned: ModuleOp, base: DefaultPipeline) -> Candidate:
    """--stream-input without --patch: the first layer alone, run in R x 1 bands of rows, with the R whose real
    plan has the smallest arena (then the fewest bands). CompileError when the input is not read by a conv,
    depthwise conv or pool alone."""
    import dataclasses

    from cmsis_opt.context import make_context
    from cmsis_opt.diagnostics import collect_remarks, plural, remark
    from cmsis_opt.passes.patch_split import search
    from cmsis_opt.plan import memory_plan

    try:
        with collect_remarks():  # the candidates' pipelines repeat the remarks the real compile makes
            found = search(unplanned, base, 0.0, rows_only=True)
    except CompileError as error:
        if error.where != "patch-split":
            raise
        raise CompileError(f"--stream-input: the input cannot be streamed in rows: {error.message}", TOOL) from None
    remark(f"--stream-input: the first layer runs in {found.choice.grid.split('x')[0]} bands of rows "
           f"({plural(len(found.planned) + len(found.skipped), 'band count')} considered, {len(found.planned)} "
           "planned)", TOOL)
    held = unplanned.clone()
    with collect_remarks():
        dataclasses.replace(base, stream_input=False).apply(make_context(), held)
    whole = memory_plan(held).arena_size or 0
    if whole <= found.choice.arena:
        why = ("the peak is after the first layer" if whole == found.choice.arena else
               "held whole, the input is overlapped in place by the first layer's output, and the band's window "
               "costs more than the part left over")
        remark(f"--stream-input: the arena is {found.choice.arena:,} bytes, and {whole:,} with the input held whole "
               f"(without --stream-input): {why}", TOOL)
    return found.choice


def remark_boundary_transposes(module: ModuleOp, unplanned: ModuleOp, args: argparse.Namespace) -> None:
    """When the model's own input/output layout costs transposes, one remark with the bytes --io-layout nhwc saves."""
    from cmsis_opt.context import make_context
    from cmsis_opt.diagnostics import collect_remarks, plural, remark
    from cmsis_opt.passes.default import DefaultPipeline
    from cmsis_opt.passes.quantize import boundary_transposes
    from cmsis_opt.plan import byte_size, memory_plan, the_function

    transposes = boundary_transposes(the_function(module))
    if not transposes:
        return
    with collect_remarks():  # the comparison compile repeats the remarks the real one made
        DefaultPipeline(**{**vars(default_pipeline(args)), "io_layout": "nhwc"}).apply(make_context(), unplanned)
    size, nhwc = memory_plan(module).arena_size or 0, memory_plan(unplanned).arena_size or 0
    copies = sum(byte_size(t.output.type) for t in transposes)
    saving = (f"the arena would take {size - nhwc:,} fewer bytes ({nhwc:,} instead of {size:,})" if nhwc < size
              else "the arena stays the same size")
    one = len(transposes) == 1
    remark(
        f"the C API keeps the model's layout, so {plural(len(transposes), 'transpose')} of {copies:,} bytes "
        f"run{'s' if one else ''} at the graph's boundary; with --io-layout nhwc the API takes and gives the "
        f"kernels' NHWC order instead: {saving}, and the {'transpose' if one else 'transposes'}' time is saved",
        TOOL,
    )


def summary(name: str, module: ModuleOp, outdir: Path, files: list[str]) -> str:
    """The closing lines: kernel calls, the arena and its two bounds with their meaning, the files written."""
    from cmsis_opt.diagnostics import plural
    from cmsis_opt.plan import memory_plan
    from cmsis_opt.report import bounds_lines, flash_bytes

    plan = memory_plan(module)
    lines = [f"{name}: {plural(len(plan.steps), 'kernel call')}, arena {plan.arena_size or 0:,} bytes, "
             f"flash {flash_bytes(plan):,} bytes of constants (weights, biases, tables)",
             *("  " + line for line in bounds_lines(plan)),
             f"  target {plan.target}; wrote " + ", ".join(str(outdir / f) for f in files)]
    if "memory.html" in files:
        lines.append(f"  memory report: {outdir / 'memory.html'} (picture: {outdir / 'memory.svg'})")
    return "\n".join(lines)


def build_host_program(module: ModuleOp, name: str, workdir: Path, cmsis_nn: str | None = None) -> str:
    """Build workdir/NAME_host from workdir/NAME.c, with runtime/ or the CMSIS-NN tree at `cmsis_nn`; its file name."""
    from cmsis_opt.cmsis_nn import build_library
    from cmsis_opt.diagnostics import remark
    from cmsis_opt.dialects.utils import shape_of
    from cmsis_opt.hostbuild import HostModel, build_host
    from cmsis_opt.plan import byte_size, returned_values, streamed_inputs, the_function

    func = the_function(module)
    inputs = [byte_size(a.type) for a in func.body.block.args]
    streamed = streamed_inputs(func)
    stream_rows = next((shape_of(a)[1] for a in func.body.block.args if a in streamed), 0)
    outputs = [byte_size(v.type) for v in returned_values(func)]
    library = build_library("host", cmsis_nn) if cmsis_nn is not None else None
    other_version = ""
    if library is not None and library.tree.version != targets.CMSIS_NN_VERSION:
        other_version = (f"the CMSIS-NN at {library.tree.root} states version {library.tree.version}; the plan's "
                         f"scratch and overlaps are modelled on v{targets.CMSIS_NN_VERSION}")
        remark(f"{other_version}. {name}_check() verifies the scratch sizes, not the kernels' read/write order: "
               "compile with --no-inplace for another release", TOOL)
    program = workdir / f"{name}_host"
    build_host([workdir / f"{name}.c"], [HostModel(name, inputs, outputs, stream_rows)], program, cmsis_nn=library)
    run_check(program, name, other_version)
    return program.name


def run_check(program: Path, name: str, other_version: str = "") -> None:
    """Run the host program once with no input: it calls NAME_check() first (exit 6 when the linked library needs
    more buffer than the plan gives a layer), then stops for want of input (exit 3).

    Raises CompileError with the program's message when the check fails, so no program that can never run is
    written; `other_version` (the library states another CMSIS-NN version than the plan's) is part of it, as
    the remark saying so is not printed for a failing compile.
    """
    result = subprocess.run([str(program)], input=b"", capture_output=True)
    if result.returncode == 6:
        message = result.stderr.decode(errors="replace").strip().splitlines()[0]
        message = message.removeprefix("error: ").removeprefix(f"{program.name}: ")  # one error: line, ours
        why = f" ({other_version}: compile with --no-inplace for another release)" if other_version else ""
        raise CompileError(f"{message}: the plan does not fit the linked library{why} (see {name}_check in the "
                           "README)", TOOL)


def _install(workdir: Path, outdir: Path, files: list[str]) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    for name in files:
        if (workdir / name).is_dir() and (outdir / name).is_dir():
            shutil.rmtree(outdir / name)  # a folder compile writes (cmsis-nn-runtime/), replaced as a whole
        os.replace(workdir / name, outdir / name)


def other_models(outdir: Path, name: str) -> list[str]:
    """The C names of other compiles' models in `outdir` (an OTHER.c beside its OTHER.h), sorted."""
    if not outdir.is_dir():
        return []
    return sorted(c.stem for c in outdir.glob("*.c") if c.stem != name and c.with_suffix(".h").is_file())


def _main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    if not args.quiet:
        return _compile(args)
    from cmsis_opt.diagnostics import collect_remarks, progress_to

    with collect_remarks(), progress_to(lambda _: None):  # --quiet: remarks and progress are dropped; errors print
        return _compile(args)


def _compile(args: argparse.Namespace) -> int:
    name = args.name or ("model" if args.model == "-" else default_name(args.model))
    if not args.output.strip():
        raise UsageError("-o needs a folder name, got an empty one", TOOL)
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise CompileError(f"'{outdir}' exists and is not a folder", TOOL)
    parent = outdir.resolve().parent
    if (blocker := file_in_the_way(str(outdir))) is not None:
        raise CompileError(f"cannot create '{outdir}': '{blocker}' is a file, not a folder", TOOL)
    if not parent.is_dir():
        raise CompileError(f"cannot create '{outdir}': '{parent}' does not exist", TOOL)
    if args.model == "-":
        pass  # stdin: a model or textual IR, told apart by its bytes (frontends.stdin_format)
    elif os.path.isdir(args.model):
        raise CompileError(f"cannot read '{args.model}': it is a folder (give a model file)", TOOL)
    elif not os.path.isfile(args.model):
        raise CompileError(f"cannot read '{args.model}': no such file", TOOL)
    from xdsl.dialects.builtin import Float32Type, TensorType

    from cmsis_opt.backend.c import emit_c
    from cmsis_opt.calibrate import (
        calibrate_module,
        expected_keys,
        float_input_blocker,
        float_input_error,
        graph_inputs,
        is_float_model,
    )
    from cmsis_opt.cmake import target_name, write_cmake
    from cmsis_opt.diagnostics import remark
    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.frontends import load
    from cmsis_opt.ir import print_ir
    from cmsis_opt.plan import analysis_scope, memory_plan
    from cmsis_opt.report import memory_table, write_report
    from cmsis_opt.tools.opt import run_pipeline

    try:
        workdir = Path(tempfile.mkdtemp(prefix=".cmsis-compile-", dir=parent))
    except OSError as error:
        raise CompileError(f"cannot write in '{parent}' (where '{outdir}' goes): {error.strerror}", TOOL) from None
    try:
        source = load(args.model, name, "auto") if args.model == "-" else load(args.model)
        func = source.model_function()
        if is_float_model(func):
            for arg in func.body.block.args:  # an integer input without a scale is no float model either
                element = arg.type.get_element_type() if isinstance(arg.type, TensorType) else arg.type
                if quant_of(arg.type) is None and not isinstance(element, Float32Type):
                    raise CompileError(f"input #{arg.index} is {arg.type}: a model input is float32 (calibrated "
                                       "with --calibration) or quantized (!quant.uniform<...>)", TOOL)
            if not args.calibration and (blocker := float_input_blocker(func)) is not None:
                raise float_input_error(blocker)
            if not args.calibration:
                raise CompileError("a float model needs calibration data: --calibration FILE.npz "
                                   + expected_keys(graph_inputs(func)), TOOL)
            calibrate_module(source.module, args.calibration, show_progress=not args.quiet)
        elif args.calibration:
            remark(f"--calibration {args.calibration} is not used: the model is already quantized", TOOL)
        args.target = choose_core(source.module, args.target, args.model)
        if args.patch not in ("off", "auto"):
            from cmsis_opt.passes.patch_split import parse_grid

            try:
                parse_grid(args.patch)
            except CompileError as error:
                raise UsageError(f"--patch: {error.message}; or auto, or off", TOOL) from None
        # the unplanned module is kept only where it is planned again: --patch auto's candidates, the row bands
        # of --stream-input alone, and the --io-layout nhwc comparison whose only outcome is a remark (dropped
        # with --quiet)
        compare_layouts = args.io_layout == "model" and not args.quiet
        row_bands = args.patch == "off" and args.stream_input
        unplanned = source.module.clone() if args.patch == "auto" or row_bands or compare_layouts else None
        if unplanned is not None and args.patch == "auto":
            choice = choose_patch(unplanned, default_pipeline(args), args.patch_max_overhead)
            args.patch, args.patch_ops = choice.grid, choice.ops
        elif unplanned is not None and row_bands:
            choice = choose_row_bands(unplanned, default_pipeline(args))
            args.patch, args.patch_ops = choice.grid, choice.ops
        module = run_pipeline(source, [default_pipeline(args)], verify_each=args.verify_each)
        # nothing changes the planned module from here on: its plan is computed once for the C, report and summary
        with analysis_scope():
            if unplanned is not None and compare_layouts:
                remark_boundary_transposes(module, unplanned, args)
            header, c_source = emit_c(module, name)
            (workdir / f"{name}.h").write_text(header)
            (workdir / f"{name}.c").write_text(c_source)
            files = [f"{name}.h", f"{name}.c", *write_cmake(workdir, name, [f"{name}.c"], args.runtime),
                     *write_report(module, str(workdir))]
            if target_name(name) != name:
                remark(f"CMake reserves the target name '{name}': OUTDIR/CMakeLists.txt names the model's library "
                       f"target '{target_name(name)}' (or choose another C prefix with --name)", TOOL)
            files = [Path(f).name for f in files]
            if args.emit_ir:
                (workdir / f"{name}.mlir").write_text(print_ir(module))
                files.append(f"{name}.mlir")
            if args.host:
                files.append(build_host_program(module, name, workdir, args.cmsis_nn))
            others = other_models(outdir, name)
            if others:
                remark(f"'{outdir}' also holds {', '.join(others)} from another compile; its CMakeLists.txt and "
                       f"memory.* now describe {name} alone (compile each model into its own folder)", TOOL)
            _install(workdir, outdir, files)
            output_complete()  # the folder is in place: an interrupt now would only lose the summary
            table = None if args.quiet else memory_table(memory_plan(module))  # --quiet prints no table
            line = summary(name, module, outdir, files)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if table is not None:
        print(table)
    print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(TOOL, lambda: _main(sys.argv[1:] if argv is None else argv), owns_process=argv is None)


if __name__ == "__main__":
    sys.exit(main())
