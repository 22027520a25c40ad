"""Running runtime/ kernels through tests/runtime/kernel_driver.c, and one-op reference runs.

`build_driver()` compiles the runtime and the driver once per test session
(gcc, AddressSanitizer and UndefinedBehaviorSanitizer, aborting on the first
report). A case is one line of integers (see kernel_driver.c); `Arena` places
the inputs and the output in one buffer, so a case may make the output
overlap an input. `reference(...)` runs the same op through the project's
numpy interpreter as a one-op `cmsis` function.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "runtime"
DRIVER_SOURCE = Path(__file__).resolve().parent / "kernel_driver.c"
STRICT_FLAGS = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def runtime_sources() -> list[Path]:
    return sorted((RUNTIME / "src").glob("*.c"))


def compile_strict(source: Path, out_dir: Path) -> subprocess.CompletedProcess:
    """Compile one runtime file with the strict warning set; the result says whether gcc complained."""
    return subprocess.run(["gcc", *STRICT_FLAGS, f"-I{RUNTIME / 'include'}", "-c", str(source),
                           "-o", str(out_dir / (source.stem + ".o"))], capture_output=True, text=True)


@functools.lru_cache(maxsize=None)
def build_driver() -> Path:
    """The sanitized driver executable, built once per process."""
    if shutil.which("gcc") is None:
        raise RuntimeError("gcc is needed to build the runtime tests")
    build = Path(tempfile.mkdtemp(prefix="cmsis-runtime-"))
    atexit.register(shutil.rmtree, build, True)
    exe = build / "kernel_driver"
    command = ["gcc", "-std=c99", "-O1", "-g", *SANITIZE_FLAGS, f"-I{RUNTIME / 'include'}",
               *map(str, runtime_sources()), str(DRIVER_SOURCE), "-o", str(exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building the kernel driver failed:\n{result.stderr}")
    return exe


@dataclass
class Result:
    status: int
    output: np.ndarray  # int8 bytes of the output region after the call


def run_raw(lines: Sequence[str]) -> list[str]:
    """The driver's output lines for these case lines (one process); fails the test on any sanitizer report."""
    proc = subprocess.run([str(build_driver())], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"kernel driver failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    output = proc.stdout.splitlines()
    assert len(output) == len(lines), proc.stderr[-2000:]
    return output


def run_cases(lines: Sequence[str]) -> list[Result]:
    """Run every case line in one driver process: status and output bytes of each."""
    results = []
    for line in run_raw(lines):
        values = [int(v) for v in line.split()]
        results.append(Result(values[0], np.array(values[1:], dtype=np.int8)))
    return results


def run_case(line: str) -> Result:
    return run_cases([line])[0]


def ints_text(values) -> str:
    return " ".join(str(int(v)) for v in np.asarray(values).reshape(-1))


# -- the arena a case runs in ----------------------------------------------------

@dataclass
class Arena:
    """Inputs at chosen byte positions of one buffer; the output at another (possibly overlapping)."""

    inputs: list[np.ndarray]
    input_positions: list[int]
    output_position: int
    output_len: int
    size: int
    background: np.ndarray = field(default=None)  # type: ignore[assignment]

    def text(self) -> str:
        data = self.background.copy() if self.background is not None else np.full(self.size, 0x5A, np.int8)
        for array, pos in zip(self.inputs, self.input_positions):
            flat = np.asarray(array, np.int8).reshape(-1)
            data[pos:pos + flat.size] = flat
        positions = " ".join(str(p) for p in self.input_positions)
        return f"{self.size} {ints_text(data)} {positions} {self.output_position} {self.output_len}"


def separate(inputs: Sequence[np.ndarray], output_len: int, gap: int = 16) -> Arena:
    """Inputs one after the other, then the output, with a gap between every two."""
    positions, pos = [], gap
    for array in inputs:
        positions.append(pos)
        pos += np.asarray(array).size + gap
    return Arena(list(inputs), positions, pos, output_len, pos + output_len + gap)


def output_before_input(x: np.ndarray, output_len: int, delta: int) -> Arena:
    """The output starts `delta` bytes before the input (delta 0: exactly on it); they overlap."""
    return output_at(x, output_len, -delta)


def output_at(x: np.ndarray, output_len: int, offset: int) -> Arena:
    """The output starts `offset` bytes after the input's start (negative: before it)."""
    in_pos = max(0, -offset) + 8
    out_pos = in_pos + offset
    size = max(in_pos + x.size, out_pos + output_len) + 8
    return Arena([x], [in_pos], out_pos, output_len, size)


# -- case lines --------------------------------------------------------------------

def dims_text(shape: Sequence[int]) -> str:
    return ints_text(shape)


@dataclass
class ConvCase:
    """One conv-like call: NHWC input, OHWI (conv) or 1HWC (depthwise) filter."""

    x: np.ndarray
    filter: np.ndarray
    bias: np.ndarray | None
    multiplier: np.ndarray
    shift: np.ndarray
    out_shape: tuple[int, int, int, int]
    input_offset: int = 0
    output_offset: int = 0
    act: tuple[int, int] = (-128, 127)
    stride: tuple[int, int] = (1, 1)  # (h, w)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    ch_mult: int = 1
    upscale: tuple[int, int] | None = None  # (h, w)
    force_null_scratch: bool = False

    @property
    def output_len(self) -> int:
        return int(np.prod(self.out_shape))

    def line(self, kernel: str, arena: Arena | None = None) -> str:
        arena = arena or separate([self.x], self.output_len)
        up_w, up_h = (self.upscale[1], self.upscale[0]) if self.upscale else (0, 0)
        parts = [kernel, self.input_offset, self.output_offset, self.ch_mult, self.stride[1], self.stride[0],
                 self.padding[1], self.padding[0], self.dilation[1], self.dilation[0], self.act[0], self.act[1],
                 int(self.force_null_scratch), dims_text(self.x.shape), dims_text(self.filter.shape),
                 dims_text(self.out_shape), up_w, up_h, int(self.bias is not None),
                 ints_text(self.multiplier), ints_text(self.shift), ints_text(self.filter)]
        if self.bias is not None:
            parts.append(ints_text(self.bias))
        parts.append(arena.text())
        return " ".join(str(p) for p in parts)


@dataclass
class FcCase:
    x: np.ndarray  # [batches, depth]
    filter: np.ndarray  # [rows, depth]
    bias: np.ndarray | None
    multiplier: int
    shift: int
    input_offset: int = 0
    output_offset: int = 0
    filter_offset: int = 0
    act: tuple[int, int] = (-128, 127)

    def line(self) -> str:
        batches, depth = self.x.shape
        rows = self.filter.shape[0]
        parts = ["fully_connected", self.input_offset, self.filter_offset, self.output_offset, self.act[0],
                 self.act[1], self.multiplier, self.shift, batches, depth, rows, int(self.bias is not None),
                 ints_text(self.filter)]
        if self.bias is not None:
            parts.append(ints_text(self.bias))
        parts.append(separate([self.x], batches * rows).text())
        return " ".join(str(p) for p in parts)


def pool_line(kind: str, x: np.ndarray, kernel, stride, padding, out_shape, act=(-128, 127),
              arena: Arena | None = None) -> str:
    arena = arena or separate([x], int(np.prod(out_shape)))
    return " ".join(str(p) for p in [kind, stride[1], stride[0], padding[1], padding[0], act[0], act[1],
                                     dims_text(x.shape), kernel[0], kernel[1], dims_text(out_shape), arena.text()])


def softmax_line(x: np.ndarray, mult: int, shift: int, diff_min: int, arena: Arena | None = None) -> str:
    rows, row_size = int(np.prod(x.shape[:-1])), x.shape[-1]
    arena = arena or separate([x], x.size)
    return f"softmax {rows} {row_size} {mult} {shift} {diff_min} {arena.text()}"


def add_line(a, b, p: dict, arena: Arena | None = None) -> str:
    order = ["input1_offset", "input1_multiplier", "input1_shift", "input2_offset", "input2_multiplier",
             "input2_shift", "left_shift", "output_offset", "output_multiplier", "output_shift", "act_min", "act_max"]
    arena = arena or separate([a, b], a.size)
    return f"add {' '.join(str(p[k]) for k in order)} {a.size} {arena.text()}"


def mul_line(a, b, p: dict, arena: Arena | None = None) -> str:
    order = ["input1_offset", "input2_offset", "output_offset", "output_multiplier", "output_shift", "act_min",
             "act_max"]
    arena = arena or separate([a, b], a.size)
    return f"mul {' '.join(str(p[k]) for k in order)} {a.size} {arena.text()}"


# -- the interpreter as reference ------------------------------------------------------

def qtype(shape: Sequence[int], zero_point: int, scale: float = 1.0) -> str:
    dims = "".join(f"{d}x" for d in shape)
    return f"tensor<{dims}!quant.uniform<i8:f32, {float(scale)!r}:{zero_point}>>"


def dense(array, element: str) -> str:
    array = np.asarray(array)
    dims = "".join(f"{d}x" for d in array.shape)
    return f"dense<{array.tolist()}> : tensor<{dims}{element}>"


def i32_array(values) -> str:
    return "array<i32: " + ", ".join(str(int(v)) for v in np.asarray(values).reshape(-1)) + ">"


def i64_array(values) -> str:
    return "array<i64: " + ", ".join(str(int(v)) for v in values) + ">"


def one_op_module(op: str, props: str, operand_types: Sequence[str], result_type: str):
    """A parsed module whose function applies `op` to its arguments."""
    args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(operand_types))
    names = ", ".join(f"%a{i}" for i in range(len(operand_types)))
    types = ", ".join(operand_types)
    text = (f"func.func @f({args}) -> {result_type} {{\n"
            f"  %r = {op} {names} {{{props}}} : ({types}) -> {result_type}\n"
            f"  func.return %r : {result_type}\n}}\n")
    return parse_ir(text).module


def the_op(module, name: str):
    return next(o for o in module.walk() if o.name == name)


def reference(op: str, props: str, operands: Sequence[tuple[np.ndarray, str]], result_type: str) -> np.ndarray:
    """Run `op` on (array, type) operands through the interpreter."""
    module = one_op_module(op, props, [t for _, t in operands], result_type)
    (result,) = run_function(module, [a for a, _ in operands])
    return np.asarray(result, np.int8)


def conv_module(case: ConvCase, depthwise: bool = False):
    """The one-op module of a conv (or depthwise) case."""
    props = f"filter = {dense(case.filter, 'i8')}, " + _window_props(case)
    name = "cmsis.depthwise_conv" if depthwise else "cmsis.conv"
    return one_op_module(name, props, [qtype(case.x.shape, -case.input_offset)], qtype(case.out_shape, case.output_offset))


def _window_props(case: ConvCase) -> str:
    bias = f"bias = {dense(case.bias, 'i32')}, " if case.bias is not None else ""
    return (f"{bias}multiplier = {i32_array(case.multiplier)}, shift = {i32_array(case.shift)}, "
            f"input_offset = {case.input_offset} : i32, output_offset = {case.output_offset} : i32, "
            f"act_min = {case.act[0]} : i32, act_max = {case.act[1]} : i32, "
            f"stride = {i64_array(case.stride)}, padding = {i64_array(case.padding)}, "
            f"dilation = {i64_array(case.dilation)}")


def conv_reference(case: ConvCase) -> np.ndarray:
    (result,) = run_function(conv_module(case), [case.x])
    return np.asarray(result, np.int8)


def depthwise_reference(case: ConvCase) -> np.ndarray:
    (result,) = run_function(conv_module(case, depthwise=True), [case.x])
    return np.asarray(result, np.int8)


def fc_reference(case: FcCase) -> np.ndarray:
    bias = f"bias = {dense(case.bias, 'i32')}, " if case.bias is not None else ""
    props = (f"filter = {dense(case.filter, 'i8')}, {bias}multiplier = {case.multiplier} : i32, "
             f"shift = {case.shift} : i32, input_offset = {case.input_offset} : i32, "
             f"output_offset = {case.output_offset} : i32, act_min = {case.act[0]} : i32, act_max = {case.act[1]} : i32")
    out_shape = (case.x.shape[0], case.filter.shape[0])
    return reference("cmsis.fully_connected", props, [(case.x, qtype(case.x.shape, -case.input_offset))],
                     qtype(out_shape, case.output_offset))


# -- random cases ---------------------------------------------------------------------

def out_size(size: int, kernel: int, stride: int, dilation: int, same: bool) -> tuple[int, int]:
    """(output size, padding before) of TFLite SAME or VALID padding."""
    eff = (kernel - 1) * dilation + 1
    if same:
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2
    return (size - eff) // stride + 1, 0


def random_requant(rng: np.random.Generator, channels: int, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers in [0.5, 1) and shifts that map an accumulator over `depth` products to about +-100."""
    target = 60.0 / (np.sqrt(max(depth, 1)) * 74.0 * 74.0)
    base = int(np.floor(np.log2(target))) + 1
    mult = rng.integers(1 << 30, (1 << 31) - 1, size=channels)
    shift = base + rng.integers(-1, 2, size=channels)
    return mult.astype(np.int64), np.clip(shift, -31, 30).astype(np.int64)


def random_activation(rng: np.random.Generator, output_offset: int) -> tuple[int, int]:
    if rng.random() < 0.6:
        return -128, 127
    low = int(max(-128, output_offset))  # a fused ReLU
    high = int(rng.integers(low, 128))
    return low, high


def random_conv(rng: np.random.Generator, depthwise: bool = False, **fixed) -> ConvCase:
    """A small random conv (or depthwise) case; keyword arguments pin any geometry choice."""
    pick = lambda name, values: fixed.get(name, values[int(rng.integers(len(values)))])  # noqa: E731
    n = pick("n", [1, 1, 1, 2])
    h, w = pick("h", [1, 2, 3, 4, 5, 7]), pick("w", [1, 2, 3, 4, 5, 6])
    c = pick("c", [1, 2, 3, 4, 5, 8])
    kh, kw = pick("kh", [1, 2, 3]), pick("kw", [1, 2, 3])
    sh, sw = pick("sh", [1, 1, 2]), pick("sw", [1, 1, 2])
    dh, dw = pick("dh", [1, 1, 2]), pick("dw", [1, 1, 2])
    same = pick("same", [True, False])
    ch_mult = pick("ch_mult", [1, 1, 2, 3]) if depthwise else 1
    oc = c * ch_mult if depthwise else pick("oc", [1, 2, 3, 4, 5])
    # VALID needs the window to fit; fall back to SAME where it does not
    if not same and ((kh - 1) * dh + 1 > h or (kw - 1) * dw + 1 > w):
        same = True
    oh, ph = out_size(h, kh, sh, dh, same)
    ow, pw = out_size(w, kw, sw, dw, same)
    x = rng.integers(-128, 128, size=(n, h, w, c)).astype(np.int8)
    fshape = (1, kh, kw, oc) if depthwise else (oc, kh, kw, c)
    filt = rng.integers(-127, 128, size=fshape).astype(np.int8)
    depth = kh * kw * (1 if depthwise else c)
    mult, shift = random_requant(rng, oc, depth)
    bias = rng.integers(-3000, 3000, size=oc).astype(np.int64) if rng.random() < 0.8 else None
    input_offset = int(rng.integers(-127, 129))
    output_offset = int(rng.integers(-128, 128))
    return ConvCase(x=x, filter=filt, bias=bias, multiplier=mult, shift=shift, out_shape=(n, oh, ow, oc),
                    input_offset=input_offset, output_offset=output_offset,
                    act=random_activation(rng, output_offset), stride=(sh, sw), padding=(ph, pw),
                    dilation=(dh, dw), ch_mult=ch_mult)
