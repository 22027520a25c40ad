"""Building generated C into a host program, linked with the project's runtime/ (CMSIS-NN API in C99)
or with the real CMSIS-NN (`cmsis_opt.cmsis_nn`).

The program first calls NAME_check(), then reads the raw int8 input bytes
(every input, in order, NHWC as the header's shapes say) from stdin, runs
the network and writes the raw int8 output bytes to stdout. Several
networks can share one program: it then takes the network's name as its
first argument. Exit status: 0 done; 2 usage (an unknown network name);
3 fewer or more input bytes than the inputs hold (nothing runs); 4 a CMSIS-NN call failed (its
status on stderr); 5 the output could not be written; 6 the linked library
needs more buffer than the plan gives a layer (named on stderr). Each failure
is one `error: PROGRAM: ...` line on stderr.

    build_host([Path("out/kws.c")], [HostModel("kws", [490], [12])], Path("out/kws_host"))
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cmsis_opt.errors import CompileError

if TYPE_CHECKING:
    from cmsis_opt.cmsis_nn import Library

RUNTIME_DIR = Path(os.environ.get("CMSIS_OPT_RUNTIME") or str(resources.files("cmsis_opt.runtime")))
"""The portable runtime: package data of `cmsis_opt.runtime` (runtime/ in the source tree), or $CMSIS_OPT_RUNTIME."""
BASE_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
CHECK_SCRATCH = "-DCMSIS_OPT_CHECK_SCRATCH"
"""Host builds make the generated code check each kernel's scratch need against its planned region."""
_WHERE = "host build"


@dataclass(frozen=True)
class HostModel:
    """A generated network as the host program sees it: its C name and its input/output sizes in bytes."""

    name: str
    input_sizes: Sequence[int]
    output_sizes: Sequence[int]
    stream_rows: int = 0
    """With a streamed input (cmsis-compile --stream-input; one int8 input): its rows (H). The program keeps the
    input it read and answers the network's NAME_read_input_rows from it."""


def _io_code(model: HostModel) -> list[str]:
    """Statements that read the inputs, invoke and write the outputs of one network."""
    lines = [
        f"        status = {model.name}_check();",
        f'        if (status != 0) {{ fprintf(stderr, "error: %s: {model.name}_check: '
        f'the linked CMSIS-NN needs more buffer than the '
        f"plan gives layer '%s'\\n\", program, {model.name}_layer_name(status)); return 6; }}",
    ]
    total, before = sum(model.input_sizes), 0
    for k, size in enumerate(model.input_sizes):
        entry = "input" if len(model.input_sizes) == 1 else f"input_{k}"
        where = f"{model.name}_streamed" if model.stream_rows else f"{model.name}_{entry}()"
        lines.append(f"        if (read_exact({where}, {size}, {before}UL, {total}UL) != 0) return 3;")
        before += size
    lines += [
        f"        if (input_ends({sum(model.input_sizes)}UL) != 0) return 3;",
        f"        status = {model.name}_invoke();",
        f'        if (status != 0) {{ fprintf(stderr, "error: %s: {model.name}_invoke failed with status %d\\n", '
        f'program, status); '
        f'return 4; }}',
    ]
    for k, size in enumerate(model.output_sizes):
        entry = "output" if len(model.output_sizes) == 1 else f"output_{k}"
        lines.append(f"        if (fwrite({model.name}_{entry}(), 1, {size}, stdout) != {size}) "
                     "return output_failed();")
    # fwrite only fills stdout's buffer: a full disk or closed pipe shows at the flush
    lines.append("        if (fflush(stdout) != 0 || ferror(stdout)) return output_failed();")
    return lines


EXIT_CODES = (
    (0, "done"),
    (2, "usage error"),
    (3, "wrong input size: fewer or more bytes than the inputs hold"),
    (4, "a CMSIS-NN call failed"),
    (5, "the output could not be written"),
    (6, "NAME_check() failed: the linked CMSIS-NN needs more buffer than the plan gives"),
)
"""The host program's exit statuses and their meaning (its --help prints them)."""


def _help_lines(models: Sequence[HostModel]) -> list[str]:
    """C statements printing the program's protocol to stdout (its --help)."""
    usage = "%s [NETWORK] < input.bin > output.bin" if len(models) == 1 else "%s NETWORK < input.bin > output.bin"
    text = [f"usage: {usage}", "",
            "Reads the raw input bytes (int8, or int16 in the host's byte order) on stdin (each input in order,",
            "in the layout the header's NAME_INPUT_LAYOUT states: the model's own, or NHWC with cmsis-compile",
            "--io-layout nhwc), runs the network once and writes the raw output bytes on stdout (each output in",
            "order)."]
    for m in models:
        text.append(f"  {m.name}: inputs {', '.join(map(str, m.input_sizes))} bytes, "
                    f"outputs {', '.join(map(str, m.output_sizes))} bytes")
    text += ["exit status:", *(f"  {code}  {meaning}" for code, meaning in EXIT_CODES)]
    return [f'        printf("{line}\\n", argv[0]);' if "%s" in line else f'        puts("{line}");' for line in text]


def _stream_source(model: HostModel) -> list[str]:
    """The streamed input's bytes (read from stdin) and the network's NAME_read_input_rows serving rows of them."""
    (size,) = model.input_sizes
    row = size // model.stream_rows
    name = model.name
    return ["", f"static int8_t {name}_streamed[{size}];", "",
            f"/* Rows [first_row, first_row + rows) of the input ({row} bytes each), as a camera driver would give. */",
            f"int {name}_read_input_rows(int first_row, int rows, int8_t *dst)", "{",
            f"    if (first_row < 0 || rows < 0 || first_row + rows > {model.stream_rows}) {{",
            "        return 1;", "    }",
            f"    memcpy(dst, {name}_streamed + (size_t)first_row * {row}u, (size_t)rows * {row}u);",
            "    return 0;", "}"]


def host_main_source(models: Sequence[HostModel]) -> str:
    """The C source of the host program's `main` for these networks."""
    lines = ["/* Host program: raw inputs on stdin, raw outputs on stdout (int8, or int16 in host byte order). */",
             "#include <stdint.h>", "#include <stdio.h>", "#include <string.h>", ""]
    lines += [f'#include "{m.name}.h"' for m in models]
    for m in models:
        if m.stream_rows:
            lines += _stream_source(m)
    lines += [
        "",
        "/* The program's name in its messages: argv[0] without its folder. */",
        'static const char *program = "host";',
        "",
        "/* Reads one input of `size` bytes, which starts `before` bytes into the `total` bytes of all inputs. */",
        "static int read_exact(void *buffer, size_t size, unsigned long before, unsigned long total)",
        "{",
        "    size_t got = fread(buffer, 1, size, stdin);",
        "    if (got != size) {",
        '        fprintf(stderr, "error: %s: expected %lu input bytes, got %lu\\n", program, total,',
        '                before + (unsigned long)got);',
        "        return 1;",
        "    }",
        "    return 0;",
        "}",
        "",
        "/* Exit status 5, said on stderr: stdout could not take the output (a full disk, a closed pipe). */",
        "static int output_failed(void)",
        "{",
        '    fprintf(stderr, "error: %s: cannot write the output bytes on stdout\\n", program);',
        "    return 5;",
        "}",
        "",
        "/* 0 when stdin holds nothing after the inputs: more bytes are another input size, not one to drop. */",
        "static int input_ends(unsigned long total)",
        "{",
        "    if (getchar() != EOF) {",
        '        fprintf(stderr, "error: %s: expected %lu input bytes, got more\\n", program, total);',
        "        return 1;",
        "    }",
        "    return 0;",
        "}",
        "",
        "int main(int argc, char **argv)",
        "{",
        "    int status;",
        "    if (argc > 0 && argv[0] != NULL) {",
        "        const char *slash = strrchr(argv[0], '/');",
        "        program = slash != NULL ? slash + 1 : argv[0];",
        "    }",
    ]
    lines += ['    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {',
              *_help_lines(models), "        return 0;", "    }"]
    if len(models) == 1:
        # the network's name is optional with one network, so one command line serves both kinds of program
        lines += [f'    if (argc > 2 || (argc == 2 && strcmp(argv[1], "{models[0].name}") != 0)) {{',
                  f'        if (argc == 2) fprintf(stderr, "error: %s: unknown network \'%s\': this program runs '
                  f'{models[0].name} (usage: %s [NETWORK] < input.bin > output.bin; --help: the protocol)\\n",'
                  '                               program, argv[1], program);',
                  '        else fprintf(stderr, "error: %s: usage: %s [NETWORK] < input.bin > output.bin (--help: the '
                  'protocol)\\n", program, program);',
                  "        return 2;", "    }",
                  "    {", *_io_code(models[0]), "    }"]
    else:
        lines += ['    if (argc != 2) {',
                  '        fprintf(stderr, "error: %s: usage: %s NETWORK < input.bin > output.bin '
                  '(--help: the protocol)\\n",',
                  '                program, program);',
                  '        return 2;', '    }']
        for m in models:
            lines += [f'    if (strcmp(argv[1], "{m.name}") == 0) {{', *_io_code(m), "        return 0;", "    }"]
        names = ", ".join(m.name for m in models)
        lines += [f'    fprintf(stderr, "error: %s: unknown network \'%s\' (this program runs {names})\\n", '
                  'program, argv[1]);',
                  "    return 2;"]
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


def runtime_sources() -> list[Path]:
    sources = sorted((RUNTIME_DIR / "src").glob("*.c"))
    if not sources:
        raise CompileError(
            f"no runtime sources in {RUNTIME_DIR / 'src'} (the CMSIS-NN runtime the host program links)", _WHERE
        )
    return sources


def compiler_command() -> list[str]:
    """${CC:-cc} and the flags every host build uses, then ${CFLAGS}."""
    cc = shlex.split(os.environ.get("CC") or "cc")
    return [*cc, *BASE_CFLAGS, *shlex.split(os.environ.get("CFLAGS", ""))]


_LINK_OR_COMPILE_ERROR = re.compile(r"error|undefined reference|multiple definition|cannot find")


def _compile(command: list[str]) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        raise CompileError(f"cannot run the C compiler '{command[0]}': {error.strerror}", _WHERE) from None
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()
        # the linker's own line says what is wrong ("undefined reference to `arm_...'"); collect2's closing
        # "ld returned 1 exit status" does not
        telling = [line for line in output if _LINK_OR_COMPILE_ERROR.search(line)
                   and not line.startswith("collect2") and "warning:" not in line]
        first = (telling or [line for line in output if "error" in line] or [output[0][:300] if output else ""])[0]
        status = (f"killed by signal {-result.returncode}" if result.returncode < 0
                  else f"exit status {result.returncode}")
        shown = " ".join(shlex.quote(part) for part in command)
        shown = shown if len(shown) <= 200 else shown[:197] + "..."
        detail = first or "it printed nothing"
        hint = "set CC to a working C99 compiler" + (", and check CFLAGS" if os.environ.get("CFLAGS") else "")
        raise CompileError(f"the C compiler failed ({status}): {detail}; the command was: {shown} ({hint})", _WHERE)


def build_runtime(directory: Path) -> list[Path]:
    """Compile the runtime once into object files in `directory` (reusable by several build_host calls)."""
    directory = Path(directory)
    objects = []
    for source in runtime_sources():
        obj = directory / (source.stem + ".o")
        _compile([*compiler_command(), f"-I{RUNTIME_DIR / 'include'}", "-c", str(source), "-o", str(obj)])
        objects.append(obj)
    return objects


RUNTIME_ARCHIVE = "libcmsis_opt_runtime.a"


def runtime_archive(jobs: int = 2) -> Path:
    """runtime/ compiled with `compiler_command()` into a static library, from the cache when built before.

    The cache folder is `cmsis_nn.cache_root()`/runtime/KEY, where KEY
    digests the compiler (its resolved path and --version line), the whole
    command (with $CFLAGS), the archiver (${AR:-ar}) and the bytes of every
    runtime source and header: a changed file or flag is a new build. The
    archive is built in a temporary folder and moved into place when complete,
    so concurrent builds never see half an archive. Compiling the runtime's
    C files takes about 3 s of CPU; a cached build links in a fraction of that.

    Raises CompileError when a runtime file does not compile (the first error
    line) or the archiver fails.
    """
    import hashlib
    import json
    import shutil
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from cmsis_opt.cmsis_nn import cache_root, compiler_identity, make_archive

    command = [*compiler_command(), f"-I{RUNTIME_DIR / 'include'}"]
    archiver = shlex.split(os.environ.get("AR") or "ar")
    sources = runtime_sources()
    compiler = shlex.split(os.environ.get("CC") or "cc")  # the executable alone: its flags are in `command`
    digest = hashlib.sha256(json.dumps({"compiler": compiler_identity(compiler), "command": command,
                                        "archiver": archiver}).encode())
    for f in [*sources, *sorted((RUNTIME_DIR / "include").glob("*.h"))]:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    final = cache_root() / "runtime" / digest.hexdigest()[:16]
    archive = final / RUNTIME_ARCHIVE
    if archive.is_file():
        return archive
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        objects = [work / (source.stem + ".o") for source in sources]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(lambda so: _compile([*command, "-c", str(so[0]), "-o", str(so[1])]),
                          zip(sources, objects, strict=True)))
        make_archive(archiver, work / RUNTIME_ARCHIVE, objects, _WHERE)
        try:
            work.rename(final)
        except OSError:
            if not archive.is_file():  # not another process finishing the same build first
                raise
        return archive
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_host(sources: Sequence[Path], models: Sequence[HostModel], output: Path,
               runtime_objects: Sequence[Path] | None = None, cmsis_nn: Library | None = None) -> None:
    """Compile the generated sources, a main for `models` and the runtime into the program `output`.

    The runtime is `runtime_objects` (from build_runtime, same flags) or else the cached `runtime_archive()`.
    `cmsis_nn` (cmsis_opt.cmsis_nn.build_library("host")) links the real CMSIS-NN instead of runtime/.
    """
    output = Path(output)
    main_c = output.with_name(output.name + "_main.c")
    main_c.write_text(host_main_source(models))
    include_dirs = sorted({str(Path(s).resolve().parent) for s in sources})
    if cmsis_nn is not None:
        runtime, include_dirs = [cmsis_nn.archive], [*include_dirs, *map(str, cmsis_nn.include_dirs)]
    else:
        runtime = runtime_objects if runtime_objects is not None else [runtime_archive()]
        include_dirs.append(str(RUNTIME_DIR / "include"))
    command = [*compiler_command(), CHECK_SCRATCH, *(f"-I{d}" for d in include_dirs),
               *map(str, sources), str(main_c), *map(str, runtime), "-o", str(output), "-lm"]
    try:
        _compile(command)
    finally:
        main_c.unlink(missing_ok=True)
