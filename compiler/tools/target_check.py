"""`make target-check`: the generated C on emulated Cortex-M cores, and the RAM a device pays.

For each model (the reference models beside the repository and the example
network) and each core (Cortex-M4 on QEMU's mps2-an386, Cortex-M55 on
mps3-an547):

1. `cmsis-compile MODEL --target CORE` writes the C;
2. arm-none-eabi-gcc builds it, warning-free under `-std=c99 -pedantic -Wall
   -Wextra -Wconversion -Werror`, and links it with Arm's CMSIS-NN built for
   the core from $CMSIS_NN (default ../shared/cmsis-nn; see
   cmsis_opt.cmsis_nn), or with runtime/ when there is no CMSIS-NN tree
   (or with --library runtime), and the bare-metal harness in runtime/qemu/
   (startup, linker script, semihosting);
3. QEMU runs it: first NAME_check() (the library asks no more buffer than the
   plan gives), then every reference input (files through semihosting); the
   outputs are compared byte for byte with TensorFlow Lite Micro's
   (`NAME.tflm_ref.npz`), or with the reference interpreter for the example
   network;
4. arm-none-eabi-size / nm give the RAM (.bss + .data, the arena's share,
   the painted stack's high-water mark) and the flash (.text + .rodata, the
   model's constants' share).

The table goes to build/target/report.md and stdout; the exit status is 1 if
any output differs, a build warns, or a run fails.

    python -m cmsis_opt.tools.target_check [--models DIR] [--out build/target] [--only NAME]
                                           [--library cmsis-nn|runtime] [--cmsis-nn TREE]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmsis_opt import targets
from cmsis_opt.cmsis_nn import Library, build_library, locate
from cmsis_opt.errors import CompileError

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime"
BIN = Path(sys.executable).parent

CORES = {core.name: (core.qemu_board, list(core.gcc_flags)) for core in targets.cores_on(board_only=True)}
"""The cores with a QEMU board and a linker script here: name -> (board, GCC flags)."""
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-O2",
          "-ffunction-sections", "-fdata-sections"]
HARNESS = ("harness.c", "startup.c", "semihost.c")
"""The one-model harness of runtime/qemu/ (the batch harness beside it serves many networks)."""
QEMU_TIMEOUT = 300


class CheckFailed(Exception):
    pass


@dataclass
class Case:
    name: str
    model: Path
    inputs: np.ndarray  # N x input shape, int8
    expected: np.ndarray | None  # N x output shape, int8 (None: compare with cmsis-run)
    compile_args: tuple[str, ...] = ()


@dataclass
class Row:
    model: str
    core: str
    library: str
    exact: str
    arena: int
    bss_data: int
    stack: int
    text_rodata: int
    constants: int

    @property
    def overhead(self) -> int:
        return self.bss_data - self.arena


def _run(command: list[str], cwd: Path | None = None, timeout: int | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or proc.stderr.strip() and command[0].startswith("arm-none-eabi-gcc"):
        raise CheckFailed(f"{' '.join(command[:3])} ... failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr  # QEMU's semihosting console writes to stderr


def reference_cases(models: Path) -> list[Case]:
    cases = []
    for ref in sorted(models.glob("*.tflm_ref.npz")):
        name = ref.name.removesuffix(".tflm_ref.npz")
        data = np.load(ref)
        cases.append(Case(name, models / f"{name}.qdq.onnx", data["inputs"], data["outputs"]))
    return cases


def example_case(workdir: Path) -> Case:
    """The CIFAR-10 example network (float ONNX + calibration), checked against cmsis-run."""
    example = workdir / "example"
    _run([str(BIN / "python"), str(ROOT / "examples" / "make_cifar10_cmsis.py"), str(example)])
    calibration = example / "cifar10_calibration.npz"
    rng = np.random.default_rng(7)
    inputs = rng.integers(-128, 128, size=(4, 1, 32, 32, 3)).astype(np.int8)
    return Case("cifar10_cmsis", example / "cifar10_cmsis.onnx", inputs, None, ("--calibration", str(calibration)))


def _harness_header(directory: Path, name: str) -> None:
    up = name.upper()
    (directory / "harness_model.h").write_text(
        f'#include "{name}.h"\n'
        f"#define NET_INPUT {name}_input\n#define NET_OUTPUT {name}_output\n#define NET_INVOKE {name}_invoke\n"
        f"#define NET_CHECK {name}_check\n#define NET_LAYER_NAME {name}_layer_name\n"
        f"#define NET_INPUT_SIZE {up}_INPUT_SIZE\n#define NET_OUTPUT_SIZE {up}_OUTPUT_SIZE\n"
    )


def _sizes(elf: Path) -> dict[str, int]:
    sizes = {}
    for line in _run(["arm-none-eabi-size", "-A", str(elf)]).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def _symbol_bytes(obj: Path, kinds: str, contains: str = "") -> int:
    total = 0
    for line in _run(["arm-none-eabi-nm", "-S", "--defined-only", str(obj)]).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2].lower() in kinds and contains in parts[3]:
            total += int(parts[1], 16)
    return total


def _expected(case: Case) -> np.ndarray:
    """TFLite Micro's outputs, or (example network) the reference interpreter's on the quantized model."""
    if case.expected is not None:
        return case.expected
    from cmsis_opt.api import Model

    model = Model.load(case.model).calibrate(case.compile_args[1]).run("quantize")
    return np.stack([model.interpret(x)[0] for x in case.inputs])


def check(case: Case, core: str, out: Path, cmsis_nn: Library | None = None) -> Row:
    """`cmsis_nn` (cmsis_opt.cmsis_nn.build_library(core)) links the real CMSIS-NN instead of runtime/src."""
    board, cpu_flags = CORES[core]
    work = out / f"{case.name}-{core}"
    if work.exists():
        shutil.rmtree(work)
    c_dir = work / "c"
    work.mkdir(parents=True)
    _run([str(BIN / "cmsis-compile"), str(case.model), "-o", str(c_dir), "--target", core, "--name", case.name,
          *case.compile_args])
    _harness_header(c_dir, case.name)
    kernels = [RUNTIME / "include"] if cmsis_nn is None else list(cmsis_nn.include_dirs)
    includes = [f"-I{c_dir}", *(f"-I{d}" for d in kernels), f"-I{RUNTIME / 'qemu'}"]
    model_obj = work / f"{case.name}.o"
    _run(["arm-none-eabi-gcc", *cpu_flags, *STRICT, *includes, "-c", str(c_dir / f"{case.name}.c"), "-o", str(model_obj)])
    elf = work / f"{case.name}.elf"
    sources = (sorted((RUNTIME / "src").glob("*.c")) if cmsis_nn is None else []) + [RUNTIME / "qemu" / h for h in HARNESS]
    library = [] if cmsis_nn is None else [str(cmsis_nn.archive)]
    _run(["arm-none-eabi-gcc", *cpu_flags, *STRICT, *includes, *map(str, sources), str(model_obj), *library,
          "-nostartfiles", "-T", str(RUNTIME / "qemu" / f"{board}.ld"), "--specs=nano.specs", "--specs=nosys.specs",
          "-Wl,--gc-sections", f"-Wl,-Map={work / (case.name + '.map')}", "-o", str(elf)])
    for k, x in enumerate(case.inputs):
        np.ascontiguousarray(x, dtype=np.int8).tofile(work / f"input_{k:03d}.bin")
    stdout = _run(["qemu-system-arm", "-M", board, "-nographic", "-monitor", "none", "-serial", "none",
                   "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)], cwd=work, timeout=QEMU_TIMEOUT)
    facts = dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)
    if facts.get("check") != "0":
        raise CheckFailed(f"{case.name} on {core}: {case.name}_check() failed:\n{stdout}")
    if int(facts.get("inputs_run", -1)) != len(case.inputs):
        raise CheckFailed(f"{case.name} on {core}: the board ran {facts.get('inputs_run')} of {len(case.inputs)} inputs:\n{stdout}")
    expected = _expected(case)
    exact = 0
    for k in range(len(case.inputs)):
        got = np.fromfile(work / f"output_{k:03d}.bin", dtype=np.int8)
        exact += int(np.array_equal(got, expected[k].reshape(-1)))
    sizes = _sizes(elf)
    arena = _symbol_bytes(model_obj, "bd", "_arena")
    library = "runtime/" if cmsis_nn is None else f"CMSIS-NN {cmsis_nn.tree.version}"
    return Row(case.name, core, library, f"{exact}/{len(case.inputs)}", arena,
               sizes.get(".bss", 0) + sizes.get(".data", 0), int(facts["stack_high_water_bytes"]),
               sizes.get(".text", 0) + sizes.get(".rodata", 0), _symbol_bytes(model_obj, "r"))


def table(rows: list[Row]) -> str:
    lines = [
        "| model | core | library | outputs exact | planned arena | RAM (.bss+.data) | overhead | stack high-water | flash (.text+.rodata) | model constants |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.model} | {r.core} | {r.library} | {r.exact} | {r.arena:,} | {r.bss_data:,} | {r.overhead:,} | {r.stack:,} | "
                     f"{r.text_rodata:,} | {r.constants:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="target-check", description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(ROOT.parent / "shared" / "models"))
    parser.add_argument("--out", default=str(ROOT / "build" / "target"))
    parser.add_argument("--only", default=None, help="check only this model")
    parser.add_argument("--library", choices=("cmsis-nn", "runtime"), default=None,
                        help="what the models link: Arm's CMSIS-NN (the default where a tree is found) or runtime/")
    parser.add_argument("--cmsis-nn", default=None, metavar="TREE",
                        help="the CMSIS-NN source tree (default $CMSIS_NN, else ../shared/cmsis-nn)")
    args = parser.parse_args(argv)
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found (make target-check installs gcc-arm-none-eabi, libnewlib-arm-none-eabi "
                  "and qemu-system-arm)", file=sys.stderr)
            return 1
    out = Path(args.out).resolve()  # QEMU runs in each case's folder
    out.mkdir(parents=True, exist_ok=True)
    models = Path(args.models)
    cases = reference_cases(models) if models.is_dir() else []
    if not cases:
        print(f"note: no reference models in {models}; checking the example network only", file=sys.stderr)
    cases.append(example_case(out))
    if args.only:
        cases = [c for c in cases if c.name == args.only]
    rows, failures = [], []
    libraries, against = {}, "runtime/ (the project's portable C implementation of the CMSIS-NN API)"
    if args.library != "runtime":
        try:
            tree = locate(args.cmsis_nn)
        except CompileError as error:
            if args.library == "cmsis-nn" or args.cmsis_nn:
                print(f"error: {error}", file=sys.stderr)
                return 1
            print(f"note: no CMSIS-NN tree ({error}); linking runtime/ instead", file=sys.stderr)
        else:
            try:
                libraries = {core: build_library(core, tree) for core in CORES}
            except CompileError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
            against = f"Arm's CMSIS-NN {tree.version} ({tree.root}), built for each core"
    for case in cases:
        for core in CORES:
            try:
                row = check(case, core, out, libraries.get(core))
                rows.append(row)
                status = "ok" if row.exact.split("/")[0] == row.exact.split("/")[1] else "MISMATCH"
                print(f"{status:8} {case.name} on {core}: {row.exact} exact, RAM {row.bss_data:,} B "
                      f"(arena {row.arena:,}), stack {row.stack:,} B", flush=True)
                if status != "ok":
                    failures.append(f"{case.name} on {core}: outputs differ ({row.exact} exact)")
            except (CheckFailed, subprocess.TimeoutExpired) as error:
                failures.append(f"{case.name} on {core}: {error}")
                print(f"FAILED   {case.name} on {core}: {str(error).splitlines()[0]}", flush=True)
    report = (
        "# cmsis-opt on emulated Cortex-M cores\n\n"
        f"Built with arm-none-eabi-gcc (-O2, strict warnings as errors) against {against}, run on QEMU "
        "(mps2-an386 for Cortex-M4, mps3-an547 for Cortex-M55) with the reference inputs.\n"
        "RAM is what the linker reserves for data (.bss + .data); `overhead` is that minus the planned arena "
        "(0: no hidden buffers). The stack is measured by painting it before the runs and counting the bytes "
        "touched. Flash is .text + .rodata; `model constants` is the read-only data of the generated model file "
        "(weights, biases, quantization parameters).\n\n" + table(rows) + "\n"
    )
    (out / "report.md").write_text(report)
    print("\n" + table(rows))
    print(f"\nwrote {out / 'report.md'}")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
