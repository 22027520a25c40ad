"""Command-line tools. Each `main` returns an exit status and never shows a traceback."""

from __future__ import annotations

import argparse
import gc
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Mapping

from cmsis_opt import __version__
from cmsis_opt.diagnostics import remarks_on_success
from cmsis_opt.errors import CompileError, UsageError, report


def dash_value_hint(message: str, argv: list[str], known: Mapping[str, argparse.Action]) -> str:
    """argparse's "argument X: expected one argument", when the value given starts with '-' and is no
    number (`--patch -1x2`: argparse reads it as another option), says how to write it: `--patch=-1x2`;
    for an option with choices, none of which starts with '-', it lists them instead.
    `known`: the parser's option strings and their actions (a value that is one of them is a missing value,
    left alone)."""
    found = re.match(r"argument ([^:]+): expected one argument$", message)
    if not found:
        return message
    options = found.group(1).split("/")
    for option in options:
        if option in argv[:-1]:
            value = argv[argv.index(option) + 1]
            word = value.split("=", 1)[0]
            # argparse takes any unambiguous prefix of a long option (--qu: --quiet), and -oX is -o with X
            is_option = any(o.startswith(word) if word.startswith("--") else value.startswith(o) for o in known)
            choices = getattr(known.get(option), "choices", None)
            if choices and not any(str(c).startswith("-") for c in choices):
                return f"{message}: one of {', '.join(map(str, choices))}"
            if value.startswith("-") and len(value) > 1 and not is_option:
                long = next((o for o in options if o.startswith("--")), None)
                written = f"{long}={value}" if long else f"{option}{value}"  # -o-x: a short option's form
                return f"{message}; a value that starts with '-' is written {written}"
            break
    return message


class ToolParser(argparse.ArgumentParser):
    """argparse for a tool: a usage error is one line ending in `(see PROG --help)`, exit status 2, and an
    option's value that starts with '-' is told how to be written (`dash_value_hint`)."""

    _argv: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                          help="print the version and exit")

    PATH_OPTIONS = frozenset({"-o", "--output", "-i", "--input", "--data"})
    """Options that name a file or folder: an empty value is a usage error, as it is for a positional path."""

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        self._argv = list(sys.argv[1:] if args is None else args)
        parsed = super().parse_args(self._argv, namespace)
        for action in self._actions:
            if action.option_strings and not self.PATH_OPTIONS & set(action.option_strings):
                continue
            value = getattr(parsed, action.dest, None)
            if value == "" or (isinstance(value, list) and "" in value):
                if action.option_strings:
                    self.error(f"{'/'.join(action.option_strings)} was given an empty path")
                name = "IR" if action.dest == "ir" else action.metavar or action.dest
                self.error(f"the {name} path is empty: give a file name, or - for stdin")
        return parsed

    def error(self, message: str):  # type: ignore[override]
        message = dash_value_hint(message, self._argv, self._option_string_actions)
        raise UsageError(f"{message} (see {self.prog} --help)", self.prog)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


_PROCESS = {"owned": False, "complete": False}
"""Whether a tool runs as the program (`run_tool(owns_process=True)`), and whether its output is complete."""


def output_complete() -> None:
    """The tool's output is in place: when the tool is the program, Ctrl-C and SIGTERM are ignored from here
    on, so it ends with status 0 and its summary, never with 130 over a complete output. In-process callers
    (tests, the Python API) keep their signal handlers."""
    if _PROCESS["owned"] and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _PROCESS["complete"] = True


GC_THRESHOLD = (50_000, 20, 1000)
"""Collector thresholds while a tool runs (CPython's default is (700, 10, 10))."""


def single_threaded_blas() -> None:
    """Ask numpy's OpenBLAS for one thread, unless the user chose a count (OPENBLAS_NUM_THREADS) or numpy is loaded.

    numpy starts OpenBLAS's worker threads when it is imported, and they
    spin-wait: on a 2-core machine `import numpy` takes 0.25 s of CPU instead
    of 0.12 s, and a kws_dscnn compile 0.58 s instead of 0.44 s, for matrix
    products the tools do not make (their arithmetic is integer, or small).
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def run_tool(name: str, body: Callable[[], int | None], owns_process: bool = False) -> int:
    """Run a tool body: user errors become one `error:` line; bugs too (traceback with CMSIS_OPT_DEBUG=1).

    `owns_process` (a tool's `main` run as the program, with no argv given): once the body is done and
    stdout and stderr are flushed, the process ends at once (`os._exit`) with the status. Python's own
    shutdown would free the IR object by object: about 0.1 s of CPU for kws_dscnn and 0.25 s for a
    1,000-layer chain, during which a Ctrl-C killed the finished tool with status 130 and no message.
    Every file the tools write is closed, and their temporary folders removed, inside the body.

    Remarks print when the body succeeds, after its work; a failing run prints its error alone.

    SIGTERM is handled as Ctrl-C (exit 130), so the body's clean-up (temporary folders) runs.
    While the body runs the cyclic garbage collector starts a young collection
    every GC_THRESHOLD[0] net allocations instead of every 700: building the IR
    allocates many small objects (ops, attributes, uses) that all stay alive,
    so the default thresholds spend about a third of a long compile re-scanning
    live objects (a 1,000-layer chain: 4.2 s -> 2.8 s CPU). The oldest
    generation is scanned after 1,000 middle collections instead of 20: what
    reaches it is the module being compiled, alive until the end, and its scans
    cost a further tenth of a long compile (the 10,000-layer chain's peak stays
    about 360 MB). Garbage is still collected, only in larger batches; the
    previous thresholds are restored.
    """
    if owns_process:
        _PROCESS["owned"] = True
        try:
            status = run_tool(name, body)
        except KeyboardInterrupt:  # in run_tool's own clean-up, before the output was complete
            print("error: interrupted", file=sys.stderr)
            status = 130
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (`| head`): nothing to say
            status = status or 1
        except OSError as error:
            print(f"error: {name}: cannot write to stdout: {error.strerror or error}", file=sys.stderr)
            status = status or 1
        except KeyboardInterrupt:
            status = status or 130
        try:
            sys.stderr.flush()
        except (OSError, KeyboardInterrupt):
            pass
        os._exit(status)
    single_threaded_blas()
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM)
    if main_thread and previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with remarks_on_success():
            status = body() or 0
            if status == 0:
                output_complete()
            return status
    except CompileError as error:
        return report(error)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as error:  # the machine refused a read or write (a full disk, a name too long, no permission)
        place = f"'{error.filename}'" if error.filename else "the output"
        print(f"error: {name}: cannot write or read {place}: {error.strerror or error}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug in the compiler, not in the input
        if os.environ.get("CMSIS_OPT_DEBUG"):
            traceback.print_exc()
        detail = str(error).splitlines()[0] if str(error) else ""
        print(f"error: internal error in {name}: {type(error).__name__}: {detail} "
              "(please report it with the input; set CMSIS_OPT_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
    finally:
        gc.set_threshold(*thresholds)
        if main_thread and previous == signal.SIG_DFL and not _PROCESS["complete"]:
            signal.signal(signal.SIGTERM, previous)
