"""Device cost of in-place: instructions per inference on the emulated Cortex-M4 and Cortex-M55, with Arm's CMSIS-NN.

For every reference model (shared/models/NAME.qdq.onnx) and every core with a
QEMU board (Cortex-M4 on mps2-an386, Cortex-M55 on mps3-an547), three plans:

- off: `cmsis-compile --no-inplace` (no output overlaps its input);
- never: `--kernel-switch never` (in-place, every kernel as the compiler picks it);
- peak: the default, `--kernel-switch peak` (in-place, and 1x1 convolutions at
  the memory peak lowered to the generic `arm_convolve_s8` so they can overlap).

Each plan is built and run by `make target-check`'s own steps
(`cmsis_opt.tools.target_check.check`: the strict build against CMSIS-NN
built for the core, the bare-metal harness of runtime/qemu/, the outputs
compared byte for byte with TensorFlow Lite Micro's), with an instruction
counting plugin loaded into QEMU.

How the counts are made, and why they are exact:

- runtime/qemu/plugin/icount.c is a QEMU TCG plugin (plugin API version 1, as
  Debian's QEMU 7.2 has it), built here with the host C compiler and cached
  under build/cache/qemu-plugin/. It gives every translated guest instruction
  an inline 64-bit add of one, placed before the instruction, so each
  instruction is counted as it is issued (nothing is sampled or estimated).
- The harness (runtime/qemu/harness.c) puts each `NAME_invoke()` call
  between the hints `dbg #1` and `dbg #2`, which the core and QEMU execute as
  no-ops and compilers never emit. The plugin counts the instructions
  strictly between the two and writes one line per call.
- Between the markers, next to the `bl NAME_invoke`, the compiler may place a
  register move or two (e.g. `mov r1, r0` for the status).
  `bracket_instructions()` reads them from the ELF's disassembly, checks they
  are straight-line code (so each runs exactly once), and they are
  subtracted: a count is exactly the instructions `NAME_invoke` executes, from
  its first instruction to its return, the CMSIS-NN kernels included, and
  nothing of the harness's file I/O or start-up.
- QEMU's TCG emulation of a one-core board with no interrupts enabled is
  deterministic, so the same input gives the same count: each run ends by
  running the first reference input again, and its two counts must be equal
  (they are; tests/test_icount_plugin.py also runs a small program of known
  instruction counts twice). The counts do depend a little on the data
  (saturation and clamping branches in the kernels; about 0.1% at most
  across the four reference inputs), so the table gives the mean over the
  four inputs, the ratios compare the same inputs, and results.json holds
  every count.

Instructions are not cycles: QEMU models no pipeline, memory wait states or
caches; the counts compare plans on one core, where the kernels are the same.
The arena is the size of the `_arena` symbol the build defines, i.e. what
`cmsis-compile`'s default planning found (its exact search stops at a node
budget, so the same model gives the same arena on any machine).

About a minute and a half on 2 cores once CMSIS-NN is built (build/cache/;
its first build, for both cores, takes about a minute more). Without the Arm toolchain
or QEMU the section is skipped with a note (`make arm-tools` installs them).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from cmsis_opt.cmsis_nn import Library, build_library, cache_root, locate
from cmsis_opt.errors import CompileError
from cmsis_opt.tools import target_check

PLUGIN_SOURCE = target_check.RUNTIME / "qemu" / "plugin" / "icount.c"
PLUGIN_CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden")
COUNTS_FILE = "icount.txt"
"""Where the plugin writes its counts, in QEMU's working folder (the case's folder)."""

PLANS = {
    "off": ("--no-inplace",),
    "never": ("--kernel-switch", "never"),
    "peak": ("--kernel-switch", "peak"),
}
"""The plans compared: cmsis-compile's options for each."""

ARM_TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-objdump", "qemu-system-arm")


def host_cc() -> list[str]:
    return shlex.split(os.environ.get("CC") or "cc")


def missing_tools() -> str | None:
    """Why the device section cannot run (a one-line note saying what to install), or None."""
    missing = [tool for tool in ARM_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not found: `make arm-tools` installs the Arm toolchain and QEMU"
    if shutil.which(host_cc()[0]) is None:
        return f"no host C compiler ('{host_cc()[0]}', from $CC or cc) to build the QEMU plugin"
    return None


def build_plugin(cache: Path | None = None) -> Path:
    """The instruction-counting QEMU plugin, built with ${CC:-cc}; cached by source, compiler and flags."""
    cc = host_cc()
    version = subprocess.run([*cc, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    key = hashlib.sha256(PLUGIN_SOURCE.read_bytes() + repr((cc, version, PLUGIN_CFLAGS)).encode()).hexdigest()[:16]
    folder = (cache or cache_root()) / "qemu-plugin"
    plugin = folder / f"icount-{key}.so"
    if not plugin.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".icount-{key}-{os.getpid()}.so"
        result = subprocess.run([*cc, *PLUGIN_CFLAGS, str(PLUGIN_SOURCE), "-o", str(partial)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building the QEMU plugin failed:\n{result.stderr}")
        os.replace(partial, plugin)
    return plugin


def plugin_args(plugin: Path, counts: str = COUNTS_FILE) -> tuple[str, ...]:
    """QEMU's options loading the plugin, writing the counts to `counts` (relative to QEMU's working folder)."""
    return ("-plugin", f"{plugin},out={counts}")


_CONDITIONS = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al"
_BRANCHES = re.compile(rf"(b|bl|blx|bx|bxns|blxns|cbn?z|tb[bh])({_CONDITIONS})?(\.[nw])?"
                       r"|it[te]{0,3}|bkpt|svc|udf(\.w)?")


def _controls_flow(instruction: str) -> bool:
    """A branch, an IT block, an exception, or an instruction that writes the pc (pop {..., pc}, ldr pc, ...)."""
    mnemonic, _, operands = instruction.partition(" ")
    writes_pc = operands.split(",")[0].strip() == "pc" or (mnemonic.startswith(("pop", "ldm")) and "pc" in operands)
    return bool(_BRANCHES.fullmatch(mnemonic)) or writes_pc


def bracket_instructions(elf: Path, invoke: str) -> int:
    """The instructions the harness runs between `dbg #1` and `dbg #2` besides NAME_invoke itself.

    Checked to be straight-line code holding one call, `bl <invoke>`, so that
    each runs once per marked call; raises RuntimeError otherwise.
    """
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", str(elf)],
                             capture_output=True, text=True, check=True).stdout
    brackets, current = [], None
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip().endswith(":"):
            continue
        instruction = " ".join(p.strip() for p in parts[1:] if p.strip())
        if re.fullmatch(r"dbg\s+#1", instruction):
            current = []
        elif re.fullmatch(r"dbg\s+#2", instruction) and current is not None:
            brackets.append(current)
            current = None
        elif current is not None:
            current.append(instruction)
    if not brackets:
        raise RuntimeError(f"{elf.name}: no `dbg #1` ... `dbg #2` bracket in the harness")
    for bracket in brackets:
        calls = [i for i in bracket if re.match(rf"bl\s+[0-9a-f]+ <{re.escape(invoke)}>$", i)]
        others = [i for i in bracket if i not in calls]
        if len(calls) != 1 or any(_controls_flow(i) for i in others):
            raise RuntimeError(f"{elf.name}: the bracket around {invoke} is not one call and straight-line code: "
                               f"{bracket}")
    sizes = {len(b) for b in brackets}
    if len(sizes) != 1:
        raise RuntimeError(f"{elf.name}: brackets of different lengths: {brackets}")
    return sizes.pop()


def measure(case: target_check.Case, core: str, plan: str, out: Path, library: Library, plugin: Path) -> dict:
    """One plan of one model on one core: the exact instructions of each NAME_invoke call, and the arena."""
    planned = target_check.Case(case.name, case.model, np.concatenate([case.inputs, case.inputs[:1]]),
                                np.concatenate([case.expected, case.expected[:1]]), PLANS[plan])
    row = target_check.check(planned, core, out / plan, library, qemu_args=plugin_args(plugin))
    work = out / plan / f"{case.name}-{core}"
    counted = [int(line) for line in (work / COUNTS_FILE).read_text().split()]
    exact, total = row.exact.split("/")
    if exact != total:
        raise RuntimeError(f"{case.name} on {core} ({plan}): outputs differ from TFLite Micro's ({row.exact} exact)")
    if len(counted) != len(planned.inputs):
        raise RuntimeError(f"{case.name} on {core} ({plan}): {len(counted)} counts for {len(planned.inputs)} calls")
    bracket = bracket_instructions(work / f"{case.name}.elf", f"{case.name}_invoke")
    counts = [c - bracket for c in counted]
    if counts[-1] != counts[0]:
        raise RuntimeError(f"{case.name} on {core} ({plan}): the same input counted {counts[0]:,} and then "
                           f"{counts[-1]:,} instructions")
    per_input = counts[:-1]
    return {"instructions": sum(per_input) / len(per_input), "per_input": per_input, "arena": row.arena,
            "bracket": bracket}


def device_cost(models: Path, jobs: int | None = None, cores: tuple[str, ...] | None = None) -> dict:
    """Per model and core: instructions per inference and arena bytes of each plan, and the ratios to `off`.

    Returns {"note": why} when the tools, the models or CMSIS-NN are missing.
    """
    started = time.perf_counter()
    note = missing_tools()
    if note:
        return {"note": note}
    cases = target_check.reference_cases(models) if models.is_dir() else []
    if not cases:
        return {"note": f"no reference models (NAME.qdq.onnx, NAME.tflm_ref.npz) in {models}"}
    try:
        tree = locate()
    except CompileError as error:
        return {"note": f"no CMSIS-NN source tree ({error})"}
    cores = cores or tuple(target_check.CORES)
    runs = [(case, core, plan) for case in cases for core in cores for plan in PLANS]
    work = Path(tempfile.mkdtemp(prefix="bench-device-"))
    try:
        libraries = {core: build_library(core, tree) for core in cores}
        plugin = build_plugin()
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            measured = list(pool.map(lambda run: measure(*run, work, libraries[run[1]], plugin), runs))
    except (CompileError, RuntimeError, target_check.CheckFailed, subprocess.SubprocessError) as error:
        return {"note": f"failed: {str(error).strip().splitlines()[0]}"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by_run = {(case.name, core, plan): m for (case, core, plan), m in zip(runs, measured)}
    rows = []
    for case in cases:
        for core in cores:
            row = {"model": case.name, "core": core, **{plan: by_run[case.name, core, plan] for plan in PLANS}}
            off = sum(row["off"]["per_input"])
            row["never_vs_off"] = sum(row["never"]["per_input"]) / off
            row["peak_vs_off"] = sum(row["peak"]["per_input"]) / off
            rows.append(row)
    return {"rows": rows, "library": f"CMSIS-NN {tree.version}", "inputs": len(cases[0].inputs),
            "seconds": time.perf_counter() - started}
