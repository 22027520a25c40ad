"""`make target-check`: the generated C on emulated Cortex-M cores, and the RAM a device pays.

For each model (the reference models beside the repository, the example
network and the TRANSPOSE_CONV models of tests/data/tflite) and each core (Cortex-M4 on QEMU's mps2-an386, Cortex-M55 on
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
   The example network as written (examples/cifar10_cmsis.net, case `cifar10_cmsis_net`) is built through
   CMake instead, as a user's project builds it: a firmware project adds a `cmsis-nn` target (Arm's
   CMSIS-NN through its Source/CMakeLists.txt, or the runtime cmsis-compile --runtime bundled copies), then
   the output folder's CMakeLists.txt (cmsis_opt.cmake), and links the model target into the same harness;
   its rows say "(CMake)";
   Streamed-input cases (VWW as `vww_mobilenetv1_streamed` with `--patch auto --stream-input`, the example network
   as `cifar10_streamed` with `--patch 2x2 --stream-input`, or every model with this tool's --stream-input, alone
   or with --patch) declare
   NAME_read_input_rows instead of NAME_input(): the harness defines it, serving bounds-checked rows of the input
   file's bytes from its own buffer (the camera's stand-in, left out of the RAM column); their rows say "(streamed)";
4. arm-none-eabi-size / nm give the RAM (.bss + .data, the arena's share,
   the painted stack's high-water mark) and the flash (.text + .rodata, the
   model's constants' share).

Then random networks (`--random N` per core, default 100; the generator of
tests/test_differential_netgen.py: convolutions, depthwise, pools, add, mul,
pad, concat, fully connected, softmax, several inputs and outputs), each
planned for each core with in-place overlap on and off, many to one program
(runtime/qemu/batch_harness.c, cmsis_opt.netbatch), run on the same boards
with the same library; every output must equal the reference interpreter's
byte for byte and every call's `*_get_buffer_size` fit its planned buffer.

The tables go to build/target/report.md and stdout; the exit status is 1 if
any output differs, a build warns, or a run fails.

    python -m cmsis_opt.tools.target_check [--models DIR] [--out build/target] [--only NAME]
                                           [--library cmsis-nn|runtime] [--cmsis-nn TREE]
                                           [--random N] [--random-seed S] [--jobs J]
                                           [--patch auto|off|RxC] [--stream-input]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cmsis_opt import targets
from cmsis_opt.cmsis_nn import Library, build_library, locate
from cmsis_opt.errors import CompileError
from cmsis_opt.netbatch import STRICT, BatchNet, run_nets, write_net

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime"
BIN = Path(sys.executable).parent

CORES: dict[str, tuple[str, list[str]]] = {
    core.name: (core.qemu_board, list(core.gcc_flags)) for core in targets.cores_on(board_only=True) if core.qemu_board
}
"""The cores with a QEMU board and a linker script here: name -> (board, GCC flags)."""
HARNESS = ("harness.c", "startup.c", "semihost.c")
"""The one-model harness of runtime/qemu/ (the batch harness beside it serves the random networks)."""
QEMU_TIMEOUT = 300
RANDOM_NETWORKS = 100
RANDOM_SEED = 20261127
NETGEN = ROOT / "tests" / "test_differential_netgen.py"


class CheckFailed(Exception):
    pass


@dataclass
class Case:
    name: str
    model: Path
    inputs: np.ndarray  # N x input shape, int8 or int16
    expected: np.ndarray | None  # N x output shape, int8 or int16 (None: compare with cmsis-run)
    compile_args: tuple[str, ...] = ()
    cmake: bool = False
    """Built through the output folder's CMakeLists.txt (cmsis_opt.cmake) instead of by direct gcc commands."""


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


DATA_MODELS = ("transpose_conv.int8", "transpose_conv_valid.int8", "lstm.int8", "kws_lstm.int8", "kws_conv.int16",
               "logistic.int16", "tanh.int16", "logistic_pot.int16", "tanh_pot.int16", "mixed_tanh.int8",
               "lstm.int16",
               "conv.int4", "depthwise_conv.int4", "fully_connected.int4", "conv_1x1.int4", "conv_1x1_s2.int4",
               "conv_1xn.int4", "conv_dilated.int4", "depthwise_m1.int4", "depthwise_m3.int4", "depthwise_odd.int4",
               "kws_int4.int4")
"""TFLite models in tests/data/tflite whose kernels the reference models do not call (TRANSPOSE_CONV,
UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8, and the STRIDED_SLICE after it; the s16 kernels of TFLite's 16x8 scheme: an
int16 keyword-spotting conv net; int16 LOGISTIC and TANH, at converter-chosen input scales on cmsis_opt_activation_s16
and at power-of-two ones on arm_nn_activation_s16; a mixed int8 / int16 graph, QUANTIZE between the widths; the s4
kernels of int4 weights: convolution, depthwise convolution, fully connected, one model per kernel the s4 wrappers
pick)."""


STREAMED_MODELS = ("vww_mobilenetv1",)
"""Reference models also checked compiled with `--patch auto --stream-input` (case NAME_streamed): the harness serves
the input's rows through NAME_streamed_read_input_rows (about 16 s for both cores for VWW)."""


def streamed_reference_cases(cases: list[Case]) -> list[Case]:
    """The STREAMED_MODELS among the reference `cases`, again with their input streamed."""
    return [dataclasses.replace(c, name=f"{c.name}_streamed", compile_args=(*c.compile_args, "--patch", "auto",
                                                                           "--stream-input"))
            for c in cases if c.name in STREAMED_MODELS]


def data_cases() -> list[Case]:
    """DATA_MODELS with TFLite Micro's output for their one seeded input (`NAME.npz` beside each), named as C
    identifiers (`transpose_conv_int8`)."""
    cases = []
    for name in DATA_MODELS:
        model = ROOT / "tests" / "data" / "tflite" / f"{name}.tflite"
        data = np.load(model.with_suffix(".npz"))
        cases.append(Case(name.replace(".", "_"), model, data["input_0"][None], data["output_0"][None]))
    return cases


def example_case(workdir: Path) -> Case:
    """The CIFAR-10 example network (float ONNX + calibration), checked against cmsis-run."""
    example = workdir / "example"
    _run([str(BIN / "python"), str(ROOT / "examples" / "make_cifar10_cmsis.py"), str(example)])
    calibration = example / "cifar10_calibration.npz"
    rng = np.random.default_rng(7)
    inputs = rng.integers(-128, 128, size=(4, 1, 32, 32, 3)).astype(np.int8)
    return Case("cifar10_cmsis", example / "cifar10_cmsis.onnx", inputs, None, ("--calibration", str(calibration)))


def a16w8_case(workdir: Path) -> Case:
    """The PyTorch DS-CNN keyword model (tests/data/pytorch/kws_dscnn_ts.onnx) quantized by onnxruntime with int16
    activations and int8 weights (A16W8: activation_type=QInt16, ActivationSymmetric), calibrated on its
    calibration set: the s16 kernels from an ONNX model, the depthwise ones in place; checked against the
    reference interpreter."""
    import logging

    import onnx
    from onnxruntime import quantization

    data = ROOT / "tests" / "data" / "pytorch"
    float_path, path = data / "kws_dscnn_ts.onnx", workdir / "kws_dscnn_a16w8.onnx"
    workdir.mkdir(parents=True, exist_ok=True)
    samples = iter(np.load(data / "kws_dscnn.cal.npz")["inputs"][:24].astype(np.float32))
    feed = onnx.load(str(float_path)).graph.input[0].name

    class Samples(quantization.CalibrationDataReader):
        def get_next(self):
            sample = next(samples, None)
            return None if sample is None else {feed: sample}

    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime's advice to pre-process and to move to opset 21
    quantization.quantize_static(str(float_path), str(path), Samples(), quant_format=quantization.QuantFormat.QDQ,
                                 activation_type=quantization.QuantType.QInt16,
                                 weight_type=quantization.QuantType.QInt8, per_channel=True,
                                 extra_options={"ActivationSymmetric": True})
    rng = np.random.default_rng(17)
    inputs = rng.integers(-20000, 20000, size=(2, 1, 1, 49, 10)).astype(np.int16)
    return Case("kws_dscnn_a16w8", path, inputs, None)


def a16w8_tables_case(workdir: Path) -> Case:
    """Gemm -> Tanh -> Gemm -> Sigmoid -> Gemm (seeded weights) quantized A16W8 by onnxruntime: Tanh and Sigmoid
    on cmsis_opt_lut_s16 with tables sized for their scales, in place; checked against the reference
    interpreter."""
    return _a16w8_gemm_chain(workdir, "tables_a16w8", ["Tanh", "Sigmoid"], 18)


def a16w8_softmax_case(workdir: Path) -> Case:
    """Gemm -> Softmax -> Gemm (seeded weights, rows of 24) quantized A16W8 by onnxruntime: the softmax on
    cmsis_opt_softmax_s16 with the exp table for its input scale, in place; checked against the reference
    interpreter."""
    return _a16w8_gemm_chain(workdir, "softmax_a16w8", ["Softmax"], 19)


def _a16w8_gemm_chain(workdir: Path, name: str, activations: list[str], seed: int) -> Case:
    """Gemm [1, 16] -> 24, then per activation: it, Gemm 24 -> 24 (the last one 24 -> 8); quantized A16W8 by
    onnxruntime on 16 seeded samples, 4 seeded int16 inputs."""
    import logging

    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime import quantization

    rng = np.random.default_rng(seed)
    weights = {"w1": rng.standard_normal((24, 16))}
    nodes = [helper.make_node("Gemm", ["x", "w1"], ["g1"], transB=1, name="fc1")]
    for i, op in enumerate(activations, start=2):
        last = i == len(activations) + 1
        weights[f"w{i}"] = rng.standard_normal((8 if last else 24, 24)) * 0.5
        nodes += [helper.make_node(op, [f"g{i - 1}"], [f"a{i}"], name=op.lower()),
                  helper.make_node("Gemm", [f"a{i}", f"w{i}"], ["y" if last else f"g{i}"], transB=1, name=f"fc{i}")]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    workdir.mkdir(parents=True, exist_ok=True)
    float_path, path = workdir / f"{name}.float.onnx", workdir / f"{name}.onnx"
    onnx.save(model, str(float_path))
    samples = iter(rng.standard_normal((16, 1, 16)).astype(np.float32))

    class Samples(quantization.CalibrationDataReader):
        def get_next(self):
            sample = next(samples, None)
            return None if sample is None else {"x": sample}

    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime's advice to pre-process and to move to opset 21
    quantization.quantize_static(str(float_path), str(path), Samples(), quant_format=quantization.QuantFormat.QDQ,
                                 activation_type=quantization.QuantType.QInt16,
                                 weight_type=quantization.QuantType.QInt8,
                                 extra_options={"ActivationSymmetric": True})
    inputs = rng.integers(-32768, 32768, size=(4, 1, 16)).astype(np.int16)
    return Case(name, path, inputs, None)


CMAKE_EXAMPLE = ROOT / "examples" / "cifar10_cmsis.net"


def cmake_case() -> Case:
    """The CIFAR-10 example network as written (examples/cifar10_cmsis.net, already int8), built with CMake: the
    output folder added to a firmware project beside a `cmsis-nn` target; checked against the reference
    interpreter."""
    rng = np.random.default_rng(15)
    inputs = rng.integers(-128, 128, size=(4, 1, 32, 32, 3)).astype(np.int8)
    return Case("cifar10_cmsis_net", CMAKE_EXAMPLE, inputs, None, cmake=True)


def streamed_case() -> Case:
    """The CIFAR-10 example network as written, compiled with `--patch 2x2 --stream-input`: its input is not in the
    arena, the harness serves its rows through cifar10_streamed_read_input_rows (docs/patching.md); checked against
    the reference interpreter."""
    rng = np.random.default_rng(16)
    inputs = rng.integers(-128, 128, size=(2, 1, 32, 32, 3)).astype(np.int8)
    return Case("cifar10_streamed", CMAKE_EXAMPLE, inputs, None, ("--patch", "2x2", "--stream-input"))


def streams_input(directory: Path, name: str) -> bool:
    """Whether NAME.h in `directory` declares NAME_read_input_rows (compiled with --stream-input): the application
    then serves the input's rows and there is no NAME_input()."""
    return f"int {name}_read_input_rows(" in (directory / f"{name}.h").read_text()


def _harness_header(directory: Path, name: str) -> None:
    """harness_model.h for runtime/qemu/harness.c: the network's entry points under the harness's names. A streamed
    input (int8 NHWC, one input) gets NET_READ_INPUT_ROWS and NET_STREAM_SHAPE: the harness defines the callback."""
    up = name.upper()
    if streams_input(directory, name):
        source = (f"#define NET_READ_INPUT_ROWS {name}_read_input_rows\n#define NET_STREAM_SHAPE {up}_INPUT_SHAPE\n"
                  f"#define NET_INPUT_SIZE ((size_t){up}_INPUT_SIZE)\n")
    else:
        source = (f"#define NET_INPUT {name}_input\n"
                  f"#define NET_INPUT_SIZE ({up}_INPUT_SIZE * sizeof(*{name}_input()))\n")
    (directory / "harness_model.h").write_text(
        f'#include "{name}.h"\n' + source +
        f"#define NET_OUTPUT {name}_output\n#define NET_INVOKE {name}_invoke\n"
        f"#define NET_CHECK {name}_check\n#define NET_LAYER_NAME {name}_layer_name\n"
        f"#define NET_OUTPUT_SIZE ({up}_OUTPUT_SIZE * sizeof(*{name}_output()))\n"
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

    model = Model.load(case.model)
    if "--calibration" in case.compile_args:
        model = model.calibrate(case.compile_args[case.compile_args.index("--calibration") + 1])
    model = model.run("quantize")
    return np.stack([model.interpret(x)[0] for x in case.inputs])


LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")
"""How every firmware links (besides the board's linker script and the map file)."""


def _gcc_build(case: Case, core: str, c_dir: Path, work: Path, cmsis_nn: Library | None) -> tuple[Path, Path]:
    """The firmware of `case` by direct arm-none-eabi-gcc commands: (ELF, the model's object file)."""
    board, cpu_flags = CORES[core]
    kernels = [RUNTIME / "include"] if cmsis_nn is None else list(cmsis_nn.include_dirs)
    includes = [f"-I{c_dir}", *(f"-I{d}" for d in kernels), f"-I{RUNTIME / 'qemu'}"]
    model_obj = work / f"{case.name}.o"
    _run(
        ["arm-none-eabi-gcc", *cpu_flags, *STRICT, *includes, "-c", str(c_dir / f"{case.name}.c"), "-o", str(model_obj)]
    )
    elf = work / f"{case.name}.elf"
    sources = (sorted((RUNTIME / "src").glob("*.c")) if cmsis_nn is None else []) + [
        RUNTIME / "qemu" / h for h in HARNESS
    ]
    library = [] if cmsis_nn is None else [str(cmsis_nn.archive)]
    _run(["arm-none-eabi-gcc", *cpu_flags, *STRICT, *includes, *map(str, sources), str(model_obj), *library,
          *LINK_FLAGS, "-T", str(RUNTIME / "qemu" / f"{board}.ld"), f"-Wl,-Map={work / (case.name + '.map')}",
          "-o", str(elf)])
    return elf, model_obj


def _cmake_list(items: list[str] | tuple[str, ...]) -> str:
    return " ".join(f'"{item}"' for item in items)


def _cmake_build(case: Case, core: str, c_dir: Path, work: Path, cmsis_nn: Library | None) -> tuple[Path, Path]:
    """The firmware of `case` through CMake, as a user's project builds it: (ELF, the model's static library).

    A firmware project (work/cmake/) adds a `cmsis-nn` target first (Arm's CMSIS-NN: the tree's own
    CMakeLists.txt, else cmsis_opt.cmake.cmsis_nn_cmakelists over its Source/CMakeLists.txt; without a tree the
    output folder was compiled with --runtime bundled and brings its own), then the output folder c_dir, then links
    the model target into the QEMU harness. A toolchain file selects arm-none-eabi-gcc with the core's flags; the
    model and the harness get the strict flags (warnings are errors), the library the flags
    cmsis_opt.cmsis_nn.build_library gives it.
    """
    from cmsis_opt.cmake import LIBRARY_TARGET, cmsis_nn_cmakelists
    from cmsis_opt.cmsis_nn import CORTEX_M_CFLAGS, LIBRARY_CFLAGS

    board, cpu_flags = CORES[core]
    project = work / "cmake"
    project.mkdir()
    toolchain = project / "arm-none-eabi.cmake"
    toolchain.write_text("\n".join([
        "set(CMAKE_SYSTEM_NAME Generic)", "set(CMAKE_SYSTEM_PROCESSOR arm)",
        "set(CMAKE_C_COMPILER arm-none-eabi-gcc)", "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)",
        f'set(CMAKE_C_FLAGS_INIT "{" ".join([*cpu_flags, *CORTEX_M_CFLAGS])}")', ""]))
    if cmsis_nn is not None:
        tree = cmsis_nn.tree.root
        if (tree / "CMakeLists.txt").is_file():
            library_dir = tree
        else:
            library_dir = project / "cmsis-nn"
            library_dir.mkdir()
            headers = cmsis_nn.include_dirs[1] if len(cmsis_nn.include_dirs) > 1 else None
            (library_dir / "CMakeLists.txt").write_text(cmsis_nn_cmakelists(tree, headers))
        first = [f'add_subdirectory("{library_dir}" cmsis-nn)']
        library_flags = LIBRARY_CFLAGS
    else:
        first, library_flags = [], tuple(STRICT)  # runtime/ is held to the generated code's flags, as _gcc_build does
    firmware = f"{case.name}_firmware"
    harness = [str(RUNTIME / "qemu" / h) for h in HARNESS]
    (project / "CMakeLists.txt").write_text("\n".join([
        "cmake_minimum_required(VERSION 3.13)",
        "project(target_check LANGUAGES C)",
        *first,
        f'add_subdirectory("{c_dir}" model)',
        f"target_compile_options({LIBRARY_TARGET} PRIVATE {_cmake_list(library_flags)})",
        f"target_compile_options({case.name} PRIVATE {_cmake_list(STRICT)})",
        f"add_executable({firmware} {_cmake_list(harness)})",
        f'set_target_properties({firmware} PROPERTIES OUTPUT_NAME "{case.name}.elf" RUNTIME_OUTPUT_DIRECTORY "{work}")',
        f'target_include_directories({firmware} PRIVATE "{RUNTIME / "qemu"}")',
        f"target_compile_options({firmware} PRIVATE {_cmake_list(STRICT)})",
        f"target_link_libraries({firmware} PRIVATE {case.name})",
        f"target_link_options({firmware} PRIVATE {_cmake_list(LINK_FLAGS)} "
        f'"-T{RUNTIME / "qemu" / f"{board}.ld"}" "-Wl,-Map={work / (case.name + ".map")}")',
        "",
    ]))
    build = project / "build"
    _run(["cmake", "-S", str(project), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}",
          "-DCMAKE_BUILD_TYPE="])
    _run(["cmake", "--build", str(build), "-j", "2"])
    return work / f"{case.name}.elf", build / "model" / f"lib{case.name}.a"  # the ELF where _gcc_build puts it


def run_on_board(elf: Path, core: str, work: Path, qemu_args: tuple[str, ...] = ()) -> str:
    """Run the firmware `elf` on the core's QEMU board in `work` (its semihosted files' folder): the console text.
    Raises CheckFailed when QEMU exits nonzero (the harness's main returned nonzero)."""
    board, _ = CORES[core]
    return _run(["qemu-system-arm", "-M", board, "-nographic", "-monitor", "none", "-serial", "none",
                 "-semihosting-config", "enable=on,target=native", "-kernel", str(elf), *qemu_args],
                cwd=work, timeout=QEMU_TIMEOUT)


def check(case: Case, core: str, out: Path, cmsis_nn: Library | None = None, qemu_args: tuple[str, ...] = ()) -> Row:
    """`cmsis_nn` (cmsis_opt.cmsis_nn.build_library(core)) links the real CMSIS-NN instead of runtime/src
    (a CMake case builds it from the same tree through CMake)."""
    work = out / f"{case.name}-{core}"
    if work.exists():
        shutil.rmtree(work)
    c_dir = work / "c"
    work.mkdir(parents=True)
    bundled = ("--runtime", "bundled") if case.cmake and cmsis_nn is None else ()
    _run([str(BIN / "cmsis-compile"), str(case.model), "-o", str(c_dir), "--target", core, "--name", case.name,
          *case.compile_args, *bundled])
    _harness_header(c_dir, case.name)
    build = _cmake_build if case.cmake else _gcc_build
    elf, model_obj = build(case, core, c_dir, work, cmsis_nn)
    for k, x in enumerate(case.inputs):
        np.ascontiguousarray(x).tofile(work / f"input_{k:03d}.bin")  # int8, or int16 (little-endian, as the core)
    stdout = run_on_board(elf, core, work, qemu_args)
    facts = dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)
    if facts.get("check") != "0":
        raise CheckFailed(f"{case.name} on {core}: {case.name}_check() failed:\n{stdout}")
    if int(facts.get("inputs_run", -1)) != len(case.inputs):
        raise CheckFailed(
            f"{case.name} on {core}: the board ran {facts.get('inputs_run')} of {len(case.inputs)} inputs:\n{stdout}"
        )
    expected = _expected(case)
    exact = 0
    for k in range(len(case.inputs)):
        got = np.fromfile(work / f"output_{k:03d}.bin", dtype=expected.dtype)
        exact += int(np.array_equal(got, expected[k].reshape(-1)))
    sizes = _sizes(elf)
    arena = _symbol_bytes(model_obj, "bd", "_arena")
    library = "runtime/" if cmsis_nn is None else f"CMSIS-NN {cmsis_nn.tree.version}"
    library += " (CMake)" if case.cmake else ""
    # a streamed input lives in the harness (net_streamed_input, the camera's stand-in), not in the model's RAM
    camera = _symbol_bytes(elf, "bd", "net_streamed_input") if streams_input(c_dir, case.name) else 0
    library += " (streamed)" if streams_input(c_dir, case.name) else ""
    return Row(case.name, core, library, f"{exact}/{len(case.inputs)}", arena,
               sizes.get(".bss", 0) + sizes.get(".data", 0) - camera, int(facts["stack_high_water_bytes"]),
               sizes.get(".text", 0) + sizes.get(".rodata", 0), _symbol_bytes(model_obj, "r"))


def table(rows: list[Row]) -> str:
    lines = [
        "| model | core | library | outputs exact | planned arena | RAM (.bss+.data) | overhead | stack high-water "
        "| flash (.text+.rodata) | model constants |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.model} | {r.core} | {r.library} | {r.exact} | {r.arena:,} | {r.bss_data:,} | {r.overhead:,} "
            f"| {r.stack:,} | "
            f"{r.text_rodata:,} | {r.constants:,} |"
        )
    return "\n".join(lines)


# -- random networks ----------------------------------------------------------------

_random_network = None


def load_netgen():
    """`random_network(rng, name)` from tests/test_differential_netgen.py, or None where the tests are not beside
    the package (an installed copy without its source tree)."""
    global _random_network
    if _random_network is None and NETGEN.is_file():
        spec = importlib.util.spec_from_file_location("cmsis_opt_random_netgen", NETGEN)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
        _random_network = module.random_network
    return _random_network


@dataclass
class Prepared:
    """One random network: its inputs, the interpreter's outputs and, per (core, in-place), its C or why there is none.

    `needs[(core, inplace)]` maps each kernel call (numbered from 1, as NAME_check() reports them) to what the
    library's `*_get_buffer_size` must return on the core's path (`KernelOp.library_buffer_bytes`).
    """

    index: int
    inputs: bytes
    input_sizes: tuple[int, ...]
    output_sizes: tuple[int, ...]
    expected: bytes
    c: dict[tuple[str, bool], tuple[str, str]] = field(default_factory=dict)
    needs: dict[tuple[str, bool], dict[int, int]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (core, what failed)


def c_name(index: int, inplace: bool) -> str:
    return f"net{index}_{'inplace' if inplace else 'apart'}"


def prepare_random(seed: int, index: int, cores: tuple[targets.CoreName, ...]) -> Prepared:
    """Network `index` of `seed`: generated, run by the interpreter, planned and emitted for every core,
    with in-place overlap on and off."""
    from cmsis_opt.backend.c import emit_c
    from cmsis_opt.diagnostics import collect_remarks
    from cmsis_opt.dialects.utils import shape_of
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.ir import parse_ir
    from cmsis_opt.passes.default import DefaultPipeline
    from cmsis_opt.plan import memory_plan, returned_values, the_function
    from cmsis_opt.tools.opt import run_pipeline

    random_network = load_netgen()
    if random_network is None:
        raise CompileError(f"random networks need {NETGEN} (run from the source tree)", "target-check")
    name = f"net{index}"
    text = random_network(np.random.default_rng([seed, index]), name)
    module = parse_ir(text, name).module
    reference = the_function(module)
    rng = np.random.default_rng([seed, index, 1])
    inputs = [rng.integers(-128, 128, size=shape_of(a), dtype=np.int8) for a in reference.body.block.args]
    expected = b"".join(np.asarray(y, dtype=np.int8).tobytes() for y in run_function(module, inputs))
    prepared = Prepared(index, b"".join(x.tobytes() for x in inputs),
                        tuple(int(np.prod(shape_of(a))) for a in reference.body.block.args),
                        tuple(int(np.prod(shape_of(v))) for v in returned_values(reference)), expected)
    with collect_remarks():
        for core in cores:
            path = targets.core(core).path
            for inplace in (True, False):
                try:
                    pipeline = DefaultPipeline(core=core, inplace=inplace, search_nodes=30_000)
                    planned = run_pipeline(parse_ir(text, name), [pipeline])
                    prepared.c[(core, inplace)] = emit_c(planned, c_name(index, inplace))
                except CompileError as error:
                    prepared.problems.append((core, f"{c_name(index, inplace)} on {core}: {error}"))
                    continue
                steps = memory_plan(planned).steps
                prepared.needs[(core, inplace)] = {k + 1: op.library_buffer_bytes(path) for k, op in enumerate(steps)}
    return prepared


@dataclass
class RandomResult:
    """The random networks of one core: how many ran exact per in-place setting, the buffer reports, the problems."""

    core: str
    library: str
    count: int
    exact: dict[bool, int]
    reports: int
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems and all(v == self.count for v in self.exact.values())


def prepare_all(count: int, seed: int, cores: tuple[targets.CoreName, ...], jobs: int) -> list[Prepared]:
    """Networks 0..count-1 of `seed`, prepared `jobs` at a time."""
    if jobs <= 1:
        return [prepare_random(seed, index, cores) for index in range(count)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(prepare_random, [seed] * count, range(count), [cores] * count,
                             chunksize=max(1, count // (4 * jobs))))


def check_random(prepared: list[Prepared], core: str, out: Path, library: Library | None,
                 jobs: int = 2) -> RandomResult:
    """Build the prepared networks for `core` (in-place on and off), run them on its board, compare and check."""
    start = time.monotonic()
    work = out / f"random-{core}"
    if work.exists():
        shutil.rmtree(work)
    nets: list[BatchNet] = []
    keys: list[tuple[Prepared, bool]] = []
    problems = [what for item in prepared for where, what in item.problems if where == core]
    for item in prepared:
        for inplace in (True, False):
            if (core, inplace) in item.c:
                header, source = item.c[(core, inplace)]
                nets.append(write_net(c_name(item.index, inplace), header, source, item.input_sizes,
                                      item.output_sizes, item.inputs, work))
                keys.append((item, inplace))
    try:
        runs = run_nets(nets, core, work, library, jobs=jobs)
    except CompileError as error:
        runs = []
        problems.append(f"{core}: {error}")
    exact = {True: 0, False: 0}
    reports = 0
    for (item, inplace), run in zip(keys, runs, strict=True):
        name = c_name(item.index, inplace)
        needs = item.needs[(core, inplace)]
        for call, needed, planned in run.scratch:
            reports += 1
            if needed > planned or needed != needs.get(call):
                problems.append(f"{name} on {core}: call {call} needs {needed} bytes of buffer, the plan gives "
                                f"{planned}, the model says {needs.get(call)}")
        if not run.ok:
            problems.append(f"{name} on {core}: check {run.check}, invoke {run.status}: {'; '.join(run.log[-3:])}")
        elif run.output is None or run.output != item.expected:
            if run.output is None:
                problems.append(f"{name} on {core}: ran but wrote no output")
                continue
            differ = sum(a != b for a, b in zip(run.output, item.expected, strict=False))
            differ += abs(len(run.output) - len(item.expected))
            problems.append(
                f"{name} on {core}: {differ} of {len(item.expected)} output bytes differ from the interpreter"
            )
        else:
            exact[inplace] += 1
    what = "runtime/" if library is None else f"CMSIS-NN {library.tree.version}"
    return RandomResult(core, what, len(prepared), exact, reports, problems, time.monotonic() - start)


def random_summary(result: RandomResult) -> str:
    return (f"random networks: {result.exact[True]}/{result.count} exact on {result.core} with in-place overlap, "
            f"{result.exact[False]}/{result.count} without ({result.library}); {result.reports} buffer reports, "
            f"{len(result.problems)} problems; {result.seconds:.0f} s to build and run")


def random_table(results: list[RandomResult], count: int, seed: int, prepare_seconds: float) -> str:
    lines = [f"{count} random networks per core (seed {seed}; tests/test_differential_netgen.py: convolutions, "
             "depthwise, pools, add, mul, pad, concat, fully connected, softmax, several inputs and outputs), each "
             "planned by the default pipeline for the core with in-place overlap on and off, compiled with the same "
             "flags, run on the same boards, many networks per program (runtime/qemu/batch_harness.c). Exact: every "
             "output byte equals the reference interpreter's. Buffer reports: every kernel call's `*_get_buffer_size` "
             "from the linked library, each equal to the kernel model's and within the plan. "
             f"Generating, interpreting and planning took {prepare_seconds:.0f} s for all cores.", "",
             "| core | library | exact, in-place | exact, no overlap | buffer reports | problems | build + run |",
             "|---|---|---|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.core} | {r.library} | {r.exact[True]}/{r.count} | {r.exact[False]}/{r.count} | "
                     f"{r.reports} | {len(r.problems)} | {r.seconds:.0f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="target-check", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", default=str(ROOT.parent / "shared" / "models"))
    parser.add_argument("--out", default=str(ROOT / "build" / "target"))
    parser.add_argument("--only", default=None, help="check only this model")
    parser.add_argument("--library", choices=("cmsis-nn", "runtime"), default=None,
                        help="what the models link: Arm's CMSIS-NN (the default where a tree is found) or runtime/")
    parser.add_argument("--cmsis-nn", default=None, metavar="TREE",
                        help="the CMSIS-NN source tree (default $CMSIS_NN, else ../shared/cmsis-nn)")
    parser.add_argument("--random", type=int, default=RANDOM_NETWORKS, metavar="N",
                        help=f"random networks per core, each with in-place overlap on and off (default "
                             f"{RANDOM_NETWORKS}; 0: none; skipped with --only unless NAME is 'random')")
    parser.add_argument("--random-seed", type=int, default=RANDOM_SEED, metavar="S")
    parser.add_argument("--jobs", type=int, default=2, help="compilers and emulators run at a time (default 2)")
    parser.add_argument("--patch", default="off", metavar="auto|off|RxC",
                        help="compile the models with cmsis-compile --patch (default off)")
    parser.add_argument("--stream-input", action="store_true",
                        help="compile the models with cmsis-compile --stream-input (with --patch off: the first "
                             "layer in bands of rows): the harness serves the input's rows through "
                             "NAME_read_input_rows")
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
    cases += streamed_reference_cases(cases)
    cases.append(example_case(out))
    try:
        cases.append(a16w8_case(out / "a16w8"))
        cases.append(a16w8_tables_case(out / "a16w8"))
        cases.append(a16w8_softmax_case(out / "a16w8"))
    except ImportError as missing:  # onnxruntime comes with the test extras
        print(f"note: no A16W8 model: {missing}", file=sys.stderr)
    cases.append(cmake_case())
    cases.append(streamed_case())
    cases += data_cases()
    if args.only:
        cases = [c for c in cases if c.name == args.only]
    patching = ("--patch", args.patch) if args.patch != "off" else ()
    patching += ("--stream-input",) if args.stream_input else ()
    if patching:  # a case that brings its own --patch keeps it
        cases = [c if "--patch" in c.compile_args else dataclasses.replace(c, compile_args=(*c.compile_args,
                                                                                            *patching))
                 for c in cases]
    random_count = args.random if not args.only or args.only == "random" else 0
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
    random_section = ""
    if random_count > 0:
        if load_netgen() is None:
            print(f"note: no random networks: {NETGEN} not found (the tests live beside the package)", file=sys.stderr)
        else:
            start = time.monotonic()
            board_cores: tuple[targets.CoreName, ...] = tuple(c.name for c in targets.cores_on(board_only=True))
            prepared = prepare_all(random_count, args.random_seed, board_cores, args.jobs)
            prepare_seconds = time.monotonic() - start
            results = []
            for core in CORES:
                result = check_random(prepared, core, out, libraries.get(core), args.jobs)
                results.append(result)
                print(random_summary(result), flush=True)
                failures += [f"random {problem}" for problem in result.problems]
                if not result.ok and not result.problems:
                    failures.append(f"random networks on {core}: not every network ran")
            random_section = ("\n## Random networks\n\n" + random_table(results, random_count, args.random_seed,
                                                                        prepare_seconds) + "\n")
            print(f"random networks: {time.monotonic() - start:.0f} s in all ({prepare_seconds:.0f} s to generate, "
                  "interpret and plan)", flush=True)
    report = (
        "# cmsis-opt on emulated Cortex-M cores\n\n"
        f"Built with arm-none-eabi-gcc (-O2, strict warnings as errors) against {against}, run on QEMU "
        "(mps2-an386 for Cortex-M4, mps3-an547 for Cortex-M55) with the reference inputs. Rows marked (CMake) are "
        "built through the output folder's CMakeLists.txt, with CMSIS-NN (or runtime/) as a `cmsis-nn` CMake target. "
        "Rows marked (streamed) take their input through NAME_read_input_rows, which the harness serves from its "
        "own copy of the input file (the camera's stand-in, not counted in RAM).\n"
        "RAM is what the linker reserves for data (.bss + .data); `overhead` is that minus the planned arena "
        "(0: no hidden buffers). The stack is measured by painting it before the runs and counting the bytes "
        "touched. Flash is .text + .rodata; `model constants` is the read-only data of the generated model file "
        "(weights, biases, quantization parameters).\n\n" + table(rows) + "\n" + random_section
    )
    (out / "report.md").write_text(report)
    print("\n" + table(rows))
    if random_section:
        print(random_section)
    print(f"\nwrote {out / 'report.md'}")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
