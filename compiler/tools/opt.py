"""`cmsis-opt`: run passes on textual IR, as `mlir-opt` does.

    cmsis-opt [FILE|-] [--PASS[="opt=val ..."]]... [-p PIPELINE] [-o OUT] [-t TARGET]

Every registered pass is also a flag; flags run in the order given, after
any `-p` pipeline. `--PASS=...` takes the pass's options separated by
spaces or commas (`--arena-alloc="strategy=optimal alignment=4"`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from collections.abc import Sequence

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from cmsis_opt.backend import TARGETS
from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.ir import SourceModule, parse_ir, print_ir
from cmsis_opt.output import read_input, write_atomic
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.tools import run_tool

SPLIT_MARKER = "// -----"


def describe_pass(cls: type[ModulePass]) -> tuple[str, list[str]]:
    """The one-line description and `name=default` option strings of a pass."""
    doc = (cls.__doc__ or "").strip().splitlines()
    options = []
    for field in dataclasses.fields(cls):
        default = field.default
        if isinstance(default, bool):
            default = str(default).lower()
        options.append(f"{field.name.replace('_', '-')}={default}")
    return (doc[0] if doc else ""), options


def passes_help() -> str:
    lines = ["passes (each is also a flag, applied in the order given):"]
    for name, get in ALL_PASSES.items():
        description, options = describe_pass(get())
        lines.append(f"  --{name:<16} {description}")
        if options:
            lines.append(f"  {'':<18} options: {', '.join(options)}")
    lines.append("")
    lines.append("targets (-t): " + ", ".join(TARGETS))
    lines.append("example: cmsis-opt model.mlir --liveness --inplace-alias --arena-alloc=\"strategy=optimal\" -o planned.mlir")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        if message.startswith("unrecognized arguments: "):
            unknown = message.split(": ", 1)[1]
            # an unknown --flag is most often a mistyped pass name: a compile error (1), as for -p
            raise CompileError(f"unknown pass or option '{unknown}' (cmsis-opt --help lists the passes)", "cmsis-opt")
        raise UsageError(f"{message} (see cmsis-opt --help)", "cmsis-opt")


_PLAIN_VALUE = re.compile(r'[-+]?[0-9]+(\.[0-9]*([eE][-+]?[0-9]+)?)?|[A-Za-z0-9_-]+|"[^"]*"')


def _quote_option(option: str) -> str:
    """`key=value` with the value quoted unless it is a plain token (file names hold '.' and '/')."""
    key, eq, value = option.partition("=")
    if not eq or _PLAIN_VALUE.fullmatch(value):
        return option
    return f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_pass_flags(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pull `--PASS` / `--PASS=OPTS` out of argv (in order) before argparse sees them."""
    rest, pipeline = [], []
    for arg in argv:
        if arg.startswith("--") and arg != "--":
            name, eq, options = arg[2:].partition("=")
            if name in ALL_PASSES:
                if eq:
                    opts = " ".join(_quote_option(o) for o in options.replace(",", " ").split())
                    pipeline.append(f"{name}{{{opts}}}")
                else:
                    pipeline.append(name)
                continue
        rest.append(arg)
    return rest, pipeline


def split_chunks(text: str) -> list[tuple[int, str]]:
    """The parts of `text` between `// -----` lines, each with the number of lines before it."""
    chunks, start, lines = [], 0, text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.strip() == SPLIT_MARKER:
            chunks.append((start, "".join(lines[start:number])))
            start = number + 1
    chunks.append((start, "".join(lines[start:])))
    return chunks


def build_passes(specs: Sequence[str]) -> list[ModulePass]:
    passes = []
    for spec in specs:
        try:
            parsed = list(parse_pipeline(spec))
        except ArgSpecParseError as error:
            raise UsageError(f"cannot parse pass pipeline '{spec}': {str(error).splitlines()[-1].strip()}", "cmsis-opt") from None
        for pass_spec in parsed:
            if pass_spec.name not in ALL_PASSES:
                raise CompileError(f"unknown pass '{pass_spec.name}' (known: {', '.join(ALL_PASSES)})", "cmsis-opt")
            cls = ALL_PASSES[pass_spec.name]()
            try:
                passes.append(cls.from_pass_spec(pass_spec))
            except Exception as error:  # xDSL reports bad options as various exceptions
                raise UsageError(f"bad options for pass '{pass_spec.name}': {error}", "cmsis-opt") from None
    return passes


def run_pipeline(source: SourceModule, passes: Sequence[ModulePass], print_after_all: bool = False) -> ModuleOp:
    ctx = make_context()
    for p in passes:
        p.apply(ctx, source.module)
        source.verify(stage=f"pass '{p.name}'")
        if print_after_all:
            sys.stderr.write(f"// -----// IR Dump After {p.name} //----- //\n{print_ir(source.module)}\n")
    return source.module


def _main(argv: Sequence[str]) -> int:
    argv, flag_pipeline = split_pass_flags(argv)
    parser = _Parser(
        prog="cmsis-opt",
        description="Run cmsis-opt passes on textual IR (nn, cmsis and arena dialects).",
        epilog=passes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", nargs="?", default="-", help="input IR file, '-' for stdin (default)")
    parser.add_argument("-o", "--output", default="-", help="output file (default stdout); written only if the whole run succeeds")
    parser.add_argument("-p", "--passes", default="", help="pass pipeline in xDSL syntax: 'liveness,arena-alloc{strategy=optimal}'")
    parser.add_argument("-t", "--target", default="mlir",
                        help=f"output format: {', '.join(TARGETS)} (default mlir); with -t c, -o x.c also writes the header beside it")
    parser.add_argument("--print-ir-after-all", action="store_true", help="print the IR to stderr after every pass")
    parser.add_argument("--verify-diagnostics", action="store_true",
                        help="print errors to stdout as `error: ...` lines and exit 0 (for lit tests of expected errors)")
    parser.add_argument("--split-input-file", action="store_true", help=f"treat chunks separated by '{SPLIT_MARKER}' as separate inputs")
    parser.add_argument("--no-verify", action="store_true", help="do not verify the IR after parsing")
    args = parser.parse_args(argv)
    if args.target not in TARGETS:
        raise UsageError(f"unknown target '{args.target}' (known: {', '.join(TARGETS)})", "cmsis-opt")

    passes = build_passes(([args.passes] if args.passes else []) + flag_pipeline)
    text, name = read_input(args.input)
    chunks = split_chunks(text) if args.split_input_file else [(0, text)]

    outputs: list[str] = []
    for line_offset, chunk in chunks:
        try:
            padded = "\n" * line_offset + chunk  # keep line numbers of later chunks right
            source = parse_ir(padded, name, verify=not args.no_verify)
            module = run_pipeline(source, passes, args.print_ir_after_all)
            outputs.append(TARGETS[args.target](module))
        except CompileError as error:
            if not args.verify_diagnostics:
                raise
            outputs.append(f"error: {error}\n")
    text = f"{SPLIT_MARKER}\n".join(outputs)
    if args.target == "c" and args.output != "-" and len(outputs) == 1 and not args.verify_diagnostics:
        write_c_files(text, args.output)
    else:
        write_atomic(args.output, text)
    return 0


def write_c_files(text: str, output: str) -> None:
    """`-t c -o DIR/x.c`: the source goes to x.c, the header beside it under the name the source includes."""
    from cmsis_opt.backend.c import split_c_output

    files = split_c_output(text)
    sources = [name for name in files if name.endswith(".c")]
    headers = [name for name in files if name.endswith(".h")]
    directory = os.path.dirname(os.path.abspath(output))
    for name in headers:
        write_atomic(os.path.join(directory, name), files[name])
    for name in sources:
        write_atomic(output, files[name])


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool("cmsis-opt", lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
