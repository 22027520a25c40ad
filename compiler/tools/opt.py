"""`cmsis-opt`: run passes on textual IR (or a model file), as `mlir-opt` does.

    cmsis-opt [FILE|-] [--PASS[="opt=val ..."]]... [-p PIPELINE] [-o OUT] [-t mlir|c]

The driver is xDSL's `xDSLOptMain` with this project's dialects, passes and
targets registered, plus what users of this compiler expect of it:

- every pass is also a flag; flags run in the order given, always after any
  `-p` pipeline wherever it stands on the command line (`--PASS=...` takes the pass's options separated by spaces or
  commas: `--arena-alloc="strategy=optimal alignment=4"`); `-p default` (or
  `--pipeline default`) is the whole default pipeline;
- an error is one `error:` line naming the place (file:line:col, the pass),
  exit status 1; a usage error (an unknown flag, pass or option value) exits 2;
- `-o` is written only when the whole run succeeded; `-t c -o x.c` also
  writes the header beside it, named after the function (`NAME.h`, the name
  the source includes); `-o` naming that header is a usage error;
- the IR is verified after parsing and after the last pass, with the
  location of the failing op (`--verify-each`: after every pass, to find the
  pass that broke it); `--print-ir-after-all` shows every stage on stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import IO, NoReturn

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import parse_pipeline, parse_spec
from xdsl.utils.exceptions import ArgSpecParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from cmsis_opt import __version__
from cmsis_opt.backend import TARGETS
from cmsis_opt.context import DIALECTS, make_context
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.frontends import FORMAT_NAMES, FORMATS, detect_format, load, load_stdin_model, sniff
from cmsis_opt.ir import SourceModule, parse_ir, print_ir
from cmsis_opt.output import content_kind, decode_input, read_input, write_atomic
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.passes.common import build_pass, describe_options
from cmsis_opt.targets import did_you_mean
from cmsis_opt.tools import dash_value_hint, run_tool

TOOL = "cmsis-opt"
SPLIT_MARKER = "// -----"
_REFUSED_FLAGS = {"--shrink": "shrink", "--no-implicit-module": "no_implicit_module"}
"""xDSL's flags that mean nothing here (test-case reduction; a module is implicit): hidden, and refused if given."""
_ALIAS_HELP = {
    "disable_verify": "the same as --no-verify",
    "print_between_passes": "the same as --print-ir-after-all",
    "parsing_diagnostics": "the same as --verify-diagnostics (which also covers parse errors)",
    "time_passes": "print the wall time of parsing, each pass, verification and printing to stderr",
    "frontend": "the input's format (default: from the file's suffix, else from its bytes; a model on stdin "
                "is told from its bytes)",
    "version": "print the version and exit",
    "input_file": "the textual IR (.mlir) or model file (.onnx, .tflite, .net); '-' or none reads stdin",
    "output_file": "where to write the result ('-' or none: stdout)",
}

def passes_help() -> str:
    lines = ["passes (each is also a flag, applied in the order given, after any -p pipeline):"]
    for name, get in ALL_PASSES.items():
        cls = get()
        doc = (cls.__doc__ or "").strip().splitlines()
        lines.append(f"  --{name:<16} {doc[0] if doc else ''}")
        options = describe_options(cls)
        if options:
            lines.append(f"  {'':<18} options: {', '.join(options)}")
    lines.append("")
    lines.append("targets (-t): " + ", ".join(TARGETS))
    lines.append("examples:")
    lines.append("  cmsis-opt q.mlir --inplace-alias --arena-alloc -o planned.mlir")
    lines.append("  cmsis-opt q.mlir -p 'attach-target{core=cortex-m55},default' -t c -o model.c")
    return "\n".join(lines)


_PLAIN_VALUE = re.compile(r'[-+]?[0-9]+(\.[0-9]*([eE][-+]?[0-9]+)?)?|[A-Za-z0-9_-]+|"[^"]*"')


def _quote_option(option: str) -> str:
    """`key=value` with the value quoted unless it is a plain token (file names hold '.' and '/')."""
    key, eq, value = option.partition("=")
    if not eq or _PLAIN_VALUE.fullmatch(value):
        return option
    return f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_pass_flags(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pull `--PASS` / `--PASS=OPTS` out of argv (in order) before argparse sees them.

    (As argparse options with an optional value they would swallow the file
    name that follows: `--arena-alloc model.mlir`.)
    """
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
    """The passes of pipeline texts (`-p` values and pass flags), options checked."""
    passes = []
    for spec in specs:
        try:
            parsed = list(parse_pipeline(spec))
        except ArgSpecParseError as error:
            raise UsageError(
                f"cannot parse pass pipeline '{spec}': {str(error).splitlines()[-1].strip()}", TOOL
            ) from None
        passes.extend(build_pass(p, ALL_PASSES) for p in parsed)
    return passes


def run_pipeline(source: SourceModule, passes: Sequence[ModulePass], print_after_all: bool = False,
                 verify_each: bool = False, timings: list[tuple[str, float]] | None = None) -> ModuleOp:
    """Apply `passes` to the parsed module and verify the result once (after every pass with `verify_each`).

    A named pipeline (`default`) runs as its steps, so `verify_each` and
    `print_after_all` see each of them. The IR is verified where it is built
    (the parser and importers) and here at the end: a pass that breaks it is
    named with `verify_each`, as mlir-opt's `--verify-each` does. `timings`, when
    given, receives (what ran, wall seconds) for each step and verification.
    """
    from cmsis_opt.passes.default import DefaultPipeline  # the pipeline module loads the passes it runs
    from cmsis_opt.plan import the_function

    ctx = make_context()
    module = source.module
    last = len(passes) - 1
    for index, pipeline_pass in enumerate(passes):
        if isinstance(pipeline_pass, DefaultPipeline):
            the_function(module, pipeline_pass.name)  # its steps depend on the model's dialect: there must be one
            steps = pipeline_pass.passes(module)
        else:
            steps = [pipeline_pass]
        for number, step in enumerate(steps):
            start = time.perf_counter()
            step.apply(ctx, module)
            if timings is not None:
                timings.append((f"pass '{step.name}'", time.perf_counter() - start))
            if verify_each or (index == last and number == len(steps) - 1):
                start = time.perf_counter()
                source.verify(stage=f"pass '{step.name}'")
                if timings is not None:
                    timings.append(("verify", time.perf_counter() - start))
            if print_after_all:
                sys.stderr.write(f"// -----// IR Dump After {step.name} //----- //\n{print_ir(module)}\n")
    return module


def timing_report(timings: Sequence[tuple[str, float]]) -> str:
    """`--time-passes`: wall seconds of each stage and their total, one per line, as text for stderr."""
    total = sum(seconds for _, seconds in timings)
    lines = ["// wall time of each stage (seconds, percent of the total)"]
    lines += [f"//  {seconds:9.4f}  {100 * seconds / total if total else 0:5.1f}%  {name}" for name, seconds in timings]
    lines.append(f"//  {total:9.4f}  100.0%  total")
    return "\n".join(lines) + "\n"


def _read_through_load(stream: IO[bytes]) -> ModuleOp:
    """Never called: `CmsisOptMain.parse_input` reads every format through `cmsis_opt.frontends.load`."""
    raise AssertionError("cmsis-opt reads its input through cmsis_opt.frontends.load")


class CmsisOptMain(xDSLOptMain):
    """xDSL's opt driver with the cmsis-opt dialects, passes, targets and command-line conventions."""

    version_format = f"{TOOL} {__version__} (xDSL {{xdsl_version}})"

    def __init__(self, args: Sequence[str]):
        rest, self.flag_pipeline = split_pass_flags(args)
        self._argv = list(rest)
        super().__init__("Run cmsis-opt passes on textual IR (nn, cmsis and arena dialects) or a model file.", rest)

    # -- registration ------------------------------------------------------------------
    def register_all_dialects(self) -> None:
        for name, get in DIALECTS.items():
            self.ctx.register_dialect(name, get)

    def register_all_frontends(self) -> None:
        # the formats `-f` may name; reading goes through cmsis_opt.frontends.load (see parse_input)
        for name in ("mlir", "onnx", "tflite", "net"):
            self.available_frontends[name] = _read_through_load

    def register_all_passes(self) -> None:
        for name, get in ALL_PASSES.items():
            self.register_pass(name, get)

    def register_all_targets(self) -> None:
        self.available_targets.update(TARGETS)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        refused = set(_REFUSED_FLAGS.values())
        for action in arg_parser._actions:  # argparse has no public way to reword or hide an added argument
            if action.dest in refused:
                action.help = argparse.SUPPRESS
            elif action.dest in _ALIAS_HELP:
                action.help = _ALIAS_HELP[action.dest]
        arg_parser.prog = TOOL
        arg_parser.epilog = passes_help()
        arg_parser.formatter_class = argparse.RawDescriptionHelpFormatter
        arg_parser.error = self._usage_error
        self._options = arg_parser._option_string_actions  # every option string, added before or after this line
        arg_parser.add_argument("--pipeline", dest="pipeline", default="",
                                help="a named pipeline or pass list, as -p: `--pipeline default`")
        arg_parser.add_argument(
            "--print-ir-after-all", action="store_true", help="print the IR to stderr after every pass"
        )
        arg_parser.add_argument("--no-verify", action="store_true", help="do not verify the IR after parsing")
        arg_parser.add_argument("--verify-each", action="store_true",
                                help="verify the IR after every pass (default: after parsing and after the last pass)")

    def _usage_error(self, message: str) -> NoReturn:
        """One line and exit status 2, instead of argparse's usage dump."""
        refused = re.match(r"argument (--[\w-]+): ignored explicit argument", message)
        if refused and refused.group(1) in _REFUSED_FLAGS:  # `--shrink=1`: the flag is refused, not its value
            raise UsageError(f"{refused.group(1)} is an xDSL option that cmsis-opt does not support "
                             "(see cmsis-opt --help)", TOOL)
        if message.startswith("unrecognized arguments: "):
            unknown = message.split(": ", 1)[1].split()[0]
            if not unknown.startswith("-"):  # a second file name: cmsis-opt reads one input
                raise UsageError(f"one input file only: '{unknown}' is a second one (to write the result there, "
                                 f"give -o {unknown})", TOOL)
            known = [f"--{p}" for p in ALL_PASSES] + ["--output", "--passes", "--target", "--pipeline"]
            raise UsageError(f"unknown option '{unknown}'{did_you_mean(unknown, known)} "
                             f"(cmsis-opt --help lists the passes and options)", TOOL)
        raise UsageError(f"{dash_value_hint(message, self._argv, self._options)} (see cmsis-opt --help)", TOOL)

    def setup_pipeline(self) -> None:
        for flag, dest in _REFUSED_FLAGS.items():
            if getattr(self.args, dest):
                raise UsageError(f"{flag} is an xDSL option that cmsis-opt does not support "
                                 "(see cmsis-opt --help)", TOOL)
        for name, value in (("the input", self.args.input_file), ("the -o", self.args.output_file)):
            if value == "":  # xDSL reads an empty name as none: stdin or stdout
                raise UsageError(f"{name} path is empty: give a file name, or - for "
                                 f"{'stdin' if name == 'the input' else 'stdout'} (see cmsis-opt --help)", TOOL)
        # xDSL's spellings of cmsis-opt's own flags
        self.args.no_verify = self.args.no_verify or self.args.disable_verify
        self.args.print_ir_after_all = self.args.print_ir_after_all or self.args.print_between_passes
        self.args.verify_diagnostics = self.args.verify_diagnostics or self.args.parsing_diagnostics
        specs = [s for s in (self.args.passes, self.args.pipeline) if s] + self.flag_pipeline
        self.passes = build_passes(specs)

    # -- running -----------------------------------------------------------------------
    def parse_input(self) -> list[SourceModule | CompileError]:
        """The input as parsed modules (one per `// -----` chunk with --split-input-file)."""
        path, given = self.args.input_file or "-", self.args.frontend
        if given in FORMATS:
            return [load(path, format=given)]
        if path == "-" and given is None:  # a model piped in is told from its bytes, as cmsis-compile - does
            data = sys.stdin.buffer.read()
            kind = content_kind(data[:4096])
            if kind in FORMATS:
                return [load_stdin_model(data, kind)]
            text, name = decode_input(data, "<stdin>"), "<stdin>"
        elif path != "-" and given is None and detect_format(path) != "mlir":
            return [load(path)]
        else:
            try:
                text, name = read_input(path, as_ir=given == "mlir")
            except CompileError as error:
                found = sniff(path) if path != "-" else None
                if given != "mlir" or found not in FORMATS:
                    raise
                raise CompileError(f"this is {FORMAT_NAMES[found]}, not textual IR: drop -f mlir (cmsis-opt imports "
                                   f"a model itself), or give -f {found}", path) from error
        chunks = split_chunks(text) if self.args.split_input_file else [(0, text)]
        sources: list[SourceModule | CompileError] = []
        for offset, chunk in chunks:
            try:  # keep the line numbers of later chunks right
                sources.append(parse_ir("\n" * offset + chunk, name, verify=not self.args.no_verify,
                                        allow_unregistered=self.args.allow_unregistered_dialect))
            except CompileError as error:
                if not self.args.verify_diagnostics:
                    raise
                sources.append(error)
        return sources

    def run(self) -> None:
        outputs: list[str] = []
        timings: list[tuple[str, float]] | None = [] if self.args.time_passes else None
        start = time.perf_counter()
        sources = self.parse_input()
        if timings is not None:
            timings.append(("parse and verify the input", time.perf_counter() - start))
        for number, source in enumerate(sources, 1):
            first = len(timings) if timings is not None else 0
            try:
                if isinstance(source, CompileError):
                    raise source
                module = run_pipeline(source, self.passes, self.args.print_ir_after_all, self.args.verify_each,
                                      timings)
                start = time.perf_counter()
                outputs.append(self.output_resulting_program(module))
                if timings is not None:
                    timings.append((f"print ({self.args.target})", time.perf_counter() - start))
            except CompileError as error:
                if not self.args.verify_diagnostics:
                    raise
                outputs.append(f"error: {error}\n")
            if timings is not None and len(sources) > 1:  # --split-input-file: each chunk's stages say which
                timings[first:] = [(f"chunk {number}: {name}", seconds) for name, seconds in timings[first:]]
        if timings is not None:
            sys.stderr.write(timing_report(timings))
        text = f"{SPLIT_MARKER}\n".join(outputs)
        output = self.args.output_file or "-"
        if (
            parse_spec(self.args.target).name == "c"
            and output != "-"
            and len(outputs) == 1
            and not self.args.verify_diagnostics
        ):
            write_c_files(text, output)
        else:
            write_atomic(output, text)

    def output_resulting_program(self, prog: ModuleOp) -> str:
        text = super().output_resulting_program(prog)
        # xDSL's MLIR target ends with a blank line; one newline, as the other tools print
        return text.rstrip("\n") + "\n"


def write_c_files(text: str, output: str) -> None:
    """`-t c -o DIR/x.c`: the source goes to x.c, the header beside it under the name the source includes."""
    from cmsis_opt.backend.c import split_c_output  # the C backend loads only for -t c

    files = split_c_output(text)
    directory = os.path.dirname(os.path.abspath(output))
    for name in (n for n in files if n.endswith(".h")):
        if os.path.abspath(output) == os.path.join(directory, name):
            raise UsageError(f"-o {output} names the header the C source includes; give the .c file's name "
                             f"(the header is written beside it as {name})", TOOL)
    for name in (n for n in files if n.endswith(".h")):
        write_atomic(os.path.join(directory, name), files[name])
    for name in (n for n in files if n.endswith(".c")):
        write_atomic(output, files[name])


def _main(argv: Sequence[str]) -> int:
    CmsisOptMain(argv).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(TOOL, lambda: _main(sys.argv[1:] if argv is None else argv), owns_process=argv is None)


if __name__ == "__main__":
    sys.exit(main())

