"""Many generated networks in one program, on QEMU or the host, linked with CMSIS-NN: outputs, buffer needs, calls.

    nets = [batch_net(module, "net0", workdir, inputs), ...]      # planned modules -> C files
    results = run_nets(nets, "cortex-m55", workdir, library)      # build, run, parse
    results[0].output, results[0].scratch, results[0].calls

`run_nets` compiles every network's C with the core's flags and the strict
warnings (`-std=c99 -pedantic -Wall -Wextra -Wconversion -Werror`), writes
`batch_nets.c` (the table of networks `runtime/qemu/batch_harness.h`
declares), links them with the batch harness and the library (Arm's CMSIS-NN
from `cmsis_opt.cmsis_nn.build_library`, or runtime/ when `library` is None)
and runs the program: on the core's QEMU board (semihosting), or, for the
target "host", as a host program. Networks are packed into as few programs as
the board's flash and RAM hold.

Each network's `NAME_check()` is compiled with `CMSIS_OPT_SCRATCH_REPORT`
defined, so every kernel call with a `*_get_buffer_size` reports what the
linked library needs and what the plan gives (`NetRun.scratch`). With
`trace=True` the link wraps the CMSIS-NN functions of
`runtime/qemu/kernel_trace.c` (`-Wl,--wrap`), and `NetRun.calls` lists
every call of them, with its depth: 0 for the generated code's calls, 1 for
the function a wrapper dispatched to, and so on.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cmsis_opt import targets
from cmsis_opt.cmsis_nn import HOST, Library
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import RUNTIME_DIR
from cmsis_opt.targets import BuildPath

QEMU_DIR = RUNTIME_DIR / "qemu"
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-O2",
          "-ffunction-sections", "-fdata-sections"]
"""The generated code's flags on every target (the same as `make target-check`)."""
REPORT = "-DCMSIS_OPT_SCRATCH_REPORT(call,needed,planned)=batch_scratch_report(call,needed,planned)"
QEMU_TIMEOUT = 600
_WHERE = "batch run"


def traced_functions() -> list[str]:
    """The CMSIS-NN functions runtime/qemu/kernel_trace.c wraps, in its order."""
    return re.findall(r"^TRACED\((\w+),", (QEMU_DIR / "kernel_trace.c").read_text(), re.M)


@dataclass
class BatchNet:
    """One generated network: `source` is NAME.c (NAME.h beside it); `inputs` every input's bytes, concatenated."""

    name: str
    source: Path
    input_sizes: tuple[int, ...]
    output_sizes: tuple[int, ...]
    inputs: bytes


@dataclass
class NetRun:
    """What the program reported for one network.

    `check` is NAME_check()'s result (None: the program never got to it);
    `status` NAME_invoke()'s (None: not run); `output` every output's bytes,
    concatenated (None unless it ran and wrote them); `scratch` the
    (call, needed, planned) reports of NAME_check(), calls numbered from 1 in
    kernel order; `calls` the traced (depth, function) calls in order;
    `log` the program's own lines about this network.
    """

    check: int | None = None
    status: int | None = None
    output: bytes | None = None
    scratch: list[tuple[int, int, int]] = field(default_factory=list)
    calls: list[tuple[int, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.check == 0 and self.status == 0 and self.output is not None


def batch_net(module, name: str, workdir: Path, inputs: Sequence[np.ndarray]) -> BatchNet:
    """Emit a planned module's C as `workdir/NAME.c` / `NAME.h` and describe it for the batch."""
    from cmsis_opt.backend.c import emit_c
    from cmsis_opt.dialects.utils import shape_of
    from cmsis_opt.plan import returned_values, the_function

    header, source = emit_c(module, name)
    func = the_function(module)
    sizes_in = [int(np.prod(shape_of(a))) for a in func.body.block.args]
    sizes_out = [int(np.prod(shape_of(v))) for v in returned_values(func)]
    data = b"".join(np.ascontiguousarray(x, dtype=np.int8).tobytes() for x in inputs)
    return write_net(name, header, source, sizes_in, sizes_out, data, workdir)


def write_net(name: str, header: str, source: str, input_sizes: Sequence[int], output_sizes: Sequence[int],
              inputs: bytes, workdir: Path) -> BatchNet:
    """Write generated C (`emit_c`'s header and source for C name `name`) into `workdir` and describe it."""
    if len(inputs) != sum(input_sizes):
        raise CompileError(f"{name}: {len(inputs)} input bytes given, the network takes {sum(input_sizes)}", _WHERE)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{name}.h").write_text(header)
    (workdir / f"{name}.c").write_text(source)
    return BatchNet(name, workdir / f"{name}.c", tuple(input_sizes), tuple(output_sizes), inputs)


def library_need(op, path: BuildPath) -> int:
    """What the linked library's `*_get_buffer_size` returns for kernel op `op` on `path`: `op.scratch_bytes(path)`,
    except the MVE fully connected layer, whose buffer (one int32 kernel sum per output row) the generated code
    gives as a constant table, so that its scratch in RAM is 0."""
    from cmsis_opt.dialects.cmsis_fully_connected import FullyConnectedOp
    from cmsis_opt.dialects.utils import shape_of

    if isinstance(op, FullyConnectedOp) and path == "mve":
        return 4 * shape_of(op.output)[1]
    return op.scratch_bytes(path)


# -- building --------------------------------------------------------------------------


def _tools(target: str) -> tuple[list[str], list[str]]:
    """(compiler with the target's flags, extra link flags)."""
    if target == HOST:
        return shlex.split(os.environ.get("CC") or "cc"), []
    core = targets.core(target)
    if core.qemu_board is None:
        raise CompileError(f"{target} has no QEMU board here (boards: "
                           f"{', '.join(c.name for c in targets.cores_on(board_only=True))})", _WHERE)
    return (["arm-none-eabi-gcc", *core.gcc_flags],
            ["-nostartfiles", "-T", str(QEMU_DIR / f"{core.qemu_board}.ld"), "--specs=nano.specs",
             "--specs=nosys.specs"])


def _run(command: list[str], cwd: Path | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except OSError as error:
        raise CompileError(f"cannot run '{command[0]}': {error.strerror}", _WHERE) from None


def _compile(command: list[str], source: Path, obj: Path) -> str:
    """'' when `source` compiled warning-free, else the compiler's messages."""
    result = _run([*command, "-c", str(source), "-o", str(obj)])
    if result.returncode != 0 or result.stderr.strip():
        return f"{source.name}: {result.stderr.strip() or f'exit {result.returncode}'}"
    return ""


def _table_source(nets: Sequence[BatchNet]) -> str:
    """batch_nets.c: the harness's table of networks."""
    lines = ["/* The networks of this batch, in the order of their input files (written by cmsis_opt.netbatch). */",
             "#include <stddef.h>", "#include <stdint.h>", "", '#include "batch_harness.h"']
    lines += [f'#include "{net.name}.h"' for net in nets]
    lines.append("")
    for net in nets:
        for kind, sizes in (("input", net.input_sizes), ("output", net.output_sizes)):
            entries = [kind] if len(sizes) == 1 else [f"{kind}_{k}" for k in range(len(sizes))]
            lines.append(f"static const batch_buffer_fn {net.name}_{kind}s[{len(sizes)}] = "
                         f"{{{', '.join(f'{net.name}_{e}' for e in entries)}}};")
            lines.append(f"static const uint32_t {net.name}_{kind}_sizes[{len(sizes)}] = "
                         f"{{{', '.join(f'{s}u' for s in sizes)}}};")
    lines += ["", f"const batch_net batch_nets[{max(len(nets), 1)}] = {{"]
    for net in nets:
        n = net.name
        lines.append(f"    {{{n}_check, {n}_invoke, {len(net.input_sizes)}u, {n}_inputs, {n}_input_sizes, "
                     f"{len(net.output_sizes)}u, {n}_outputs, {n}_output_sizes}},")
    lines += ["};", f"const uint32_t batch_net_count = {len(nets)}u;", ""]
    return "\n".join(lines)


def _budget(target: str) -> tuple[int, int]:
    """Bytes of flash and RAM one program may give its networks: the board's, less room for the rest."""
    if target == HOST:
        return 1 << 40, 1 << 40
    script = (QEMU_DIR / f"{targets.core(target).qemu_board}.ld").read_text()
    lengths = {m.group(1): int(m.group(2)) * {"K": 1 << 10, "M": 1 << 20, "": 1}[m.group(3)]
               for m in re.finditer(r"(\w+)\s*\([rwx]+\)\s*:\s*ORIGIN\s*=\s*\w+,\s*LENGTH\s*=\s*(\d+)([KM]?)", script)}
    found = re.search(r"STACK_SIZE\s*=\s*(0x[0-9a-fA-F]+|\d+)", script)
    if found is None:
        raise CompileError(f"{targets.core(target).qemu_board}.ld sets no STACK_SIZE", _WHERE)
    stack = int(found.group(1), 0)
    return lengths["FLASH"] - (192 << 10), lengths["RAM"] - stack - (16 << 10)


def _object_sizes(objects: Sequence[Path], target: str) -> list[tuple[int, int]]:
    """(flash, RAM) bytes of each object: text (with read-only data) + data, data + bss."""
    if target == HOST:
        return [(0, 0)] * len(objects)
    result = _run(["arm-none-eabi-size", *map(str, objects)])
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    return [(int(r[0]) + int(r[1]), int(r[1]) + int(r[2])) for r in rows]


def _pack(sizes: Sequence[tuple[int, int]], budget: tuple[int, int]) -> list[list[int]]:
    """Consecutive groups of object indices whose flash and RAM fit the budget."""
    groups: list[list[int]] = [[]]
    flash = ram = 0
    for index, (f, r) in enumerate(sizes):
        if groups[-1] and (flash + f > budget[0] or ram + r > budget[1]):
            groups.append([])
            flash = ram = 0
        groups[-1].append(index)
        flash, ram = flash + f, ram + r
    return groups


@dataclass
class _Program:
    path: Path
    nets: list[int]  # indices into the run's networks
    folder: Path


def build_programs(nets: Sequence[BatchNet], target: str, workdir: Path, library: Library | None,
                   trace: bool = False, jobs: int = 2) -> list[_Program]:
    """Compile the networks (`jobs` at a time), pack them into programs the board holds and link each.

    Raises CompileError naming the files when the generated C warns or fails
    to compile, or a link fails.
    """
    compiler, link_flags = _tools(target)
    if library is not None:
        kernels = list(library.include_dirs)
    else:
        kernels = [RUNTIME_DIR / "include"]
    includes = [f"-I{QEMU_DIR}", *(f"-I{d}" for d in kernels)]
    workdir.mkdir(parents=True, exist_ok=True)
    objects = [workdir / f"{net.name}.o" for net in nets]
    model_command = [*compiler, *STRICT, *includes, *(f"-I{d}" for d in sorted({str(n.source.parent) for n in nets})),
                     "-include", "batch_harness.h", REPORT]
    harness = ["batch_harness.c", "semihost_host.c" if target == HOST else "semihost.c"]
    if target != HOST:
        harness.append("startup.c")
    if trace:
        harness.append("kernel_trace.c")
    harness_objects = [workdir / f"_{Path(h).stem}.o" for h in harness]
    runtime_sources = [] if library is not None else sorted((RUNTIME_DIR / "src").glob("*.c"))
    runtime_objects = [workdir / f"_rt_{s.stem}.o" for s in runtime_sources]
    work = [(model_command, net.source, obj) for net, obj in zip(nets, objects, strict=True)]
    work += [
        ([*compiler, *STRICT, *includes], QEMU_DIR / h, obj) for h, obj in zip(harness, harness_objects, strict=True)
    ]
    work += [([*compiler, *STRICT, *includes], s, obj) for s, obj in zip(runtime_sources, runtime_objects, strict=True)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        problems = [p for p in pool.map(lambda w: _compile(*w), work) if p]
    if problems:
        raise CompileError("the C does not compile warning-free:\n" + "\n".join(problems[:5]), _WHERE)

    wraps = [f"-Wl,--wrap={f}" for f in traced_functions()] if trace else []
    archive = [str(library.archive)] if library is not None else []
    programs: list[_Program] = []
    pending = _pack(_object_sizes(objects, target), _budget(target))
    while pending:
        group = pending.pop(0)
        k = len(programs)
        folder = workdir / f"program{k}"
        folder.mkdir(exist_ok=True)
        table = folder / "batch_nets.c"
        table.write_text(_table_source([nets[i] for i in group]))
        table_obj = folder / "batch_nets.o"
        problem = _compile([*model_command], table, table_obj)
        if problem:
            raise CompileError(f"the network table does not compile: {problem}", _WHERE)
        program = folder / ("batch_host" if target == HOST else "batch.elf")
        command = [*compiler, *STRICT, *[str(objects[i]) for i in group], str(table_obj), *map(str, harness_objects),
                   *map(str, runtime_objects), *archive, *link_flags, *wraps, "-Wl,--gc-sections",
                   "-o", str(program)]
        if target == HOST:
            command.append("-lm")
        result = _run(command)
        if result.returncode != 0:
            if "overflowed" in result.stderr and len(group) > 1:  # the budget guessed wrong: split the batch
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
                continue
            raise CompileError(f"linking {len(group)} networks failed: {result.stderr.strip()[:2000]}", _WHERE)
        programs.append(_Program(program, group, folder))
    return programs


# -- running ---------------------------------------------------------------------------


def _parse(text: str, count: int) -> list[NetRun]:
    runs = [NetRun() for _ in range(count)]
    for line in text.splitlines():
        key, _, rest = line.partition("=")
        fields = rest.split()
        if key not in ("check", "status", "scratch", "call", "io") or not fields or not fields[0].isdigit():
            continue
        net = int(fields[0])
        if net >= count:
            continue
        run = runs[net]
        run.log.append(line)
        if key == "check":
            run.check = int(fields[1])
        elif key == "status":
            run.status = int(fields[1])
        elif key == "scratch":
            run.scratch.append((int(fields[1]), int(fields[2]), int(fields[3])))
        elif key == "call":
            run.calls.append((int(fields[1]), fields[2]))
    return runs


def run_program(program: _Program, nets: Sequence[BatchNet], target: str,
                timeout: float = QEMU_TIMEOUT) -> list[NetRun]:
    """Run one built program on its networks (`nets` is the whole run's list); results in the program's order."""
    mine = [nets[i] for i in program.nets]
    for k, net in enumerate(mine):
        (program.folder / f"in_{k}.bin").write_bytes(net.inputs)
        (program.folder / f"out_{k}.bin").unlink(missing_ok=True)
    if target == HOST:
        command = [str(program.path)]
    else:
        board = targets.core(target).qemu_board
        command = ["qemu-system-arm", "-M", str(board), "-nographic", "-monitor", "none", "-serial", "none",
                   "-semihosting-config", "enable=on,target=native", "-kernel", str(program.path)]
    try:
        result = subprocess.run(command, cwd=program.folder, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CompileError(f"{program.path} did not finish in {timeout:.0f} s", _WHERE) from None
    text = result.stdout + result.stderr  # QEMU's semihosting console writes to stderr
    if result.returncode != 0 or "done=" not in text:
        raise CompileError(f"{program.path} stopped (exit {result.returncode}):\n{text[-3000:]}", _WHERE)
    runs = _parse(text, len(mine))
    for k, (net, run) in enumerate(zip(mine, runs, strict=True)):
        out = program.folder / f"out_{k}.bin"
        if run.status == 0 and out.is_file():
            data = out.read_bytes()
            run.output = data if len(data) == sum(net.output_sizes) else None
    return runs


def run_nets(nets: Sequence[BatchNet], target: str, workdir: Path, library: Library | None,
             trace: bool = False, jobs: int = 2) -> list[NetRun]:
    """Build the networks for `target` ("host" or a core with a QEMU board) and run them: one NetRun per network."""
    if not nets:
        return []
    programs = build_programs(nets, target, workdir, library, trace, jobs)
    runs: list[NetRun | None] = [None] * len(nets)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results_per_program = pool.map(lambda p: run_program(p, nets, target), programs)
        for program, results in zip(programs, results_per_program, strict=True):
            for index, run in zip(program.nets, results, strict=True):
                runs[index] = run
    return [r if r is not None else NetRun() for r in runs]


def tools_missing(target: str) -> str | None:
    """Why `target` cannot be built and run here, or None."""
    needed = [shlex.split(os.environ.get("CC") or "cc")[0]] if target == HOST else \
        ["arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        hint = "" if target == HOST else " (make arm-tools installs gcc-arm-none-eabi and qemu-system-arm)"
        return f"{', '.join(missing)} not found{hint}"
    return None
