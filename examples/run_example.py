"""`make run`: compile the CMSIS-NN CIFAR-10 example network to C and show its memory plan.

1. examples/make_cifar10_cmsis.py writes the float ONNX model and its calibration set into build/;
2. `cmsis-compile` quantizes it, plans the arena and writes C, memory.json, memory.svg and a host program;
3. the host program runs one input, checked against the reference interpreter;
4. the arena is compared with the example's own hand plan (two ping-pong buffers plus an im2col buffer),
   every row against that one baseline: the best plan that never overlaps an output with its input, the
   default plan (documented overlaps only), and, apart, what `--allow-undocumented` adds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from cmsis_opt.api import Model

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
BIN = Path(sys.executable).parent


def run(*command: str) -> str:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(proc.returncode)
    return proc.stdout


def hand_plan(model: Model) -> tuple[int, int]:
    """The example's plan: activations alternate between two buffers, each as large as its largest tenant, plus one im2col buffer."""
    plan = model.plan()
    activations = [b for b in plan.buffers if b.kind != "scratch"]
    ping = max(b.size for i, b in enumerate(activations) if i % 2 == 0)
    pong = max(b.size for i, b in enumerate(activations) if i % 2 == 1)
    return ping + pong, max(b.size for b in plan.buffers if b.kind == "scratch")


def main() -> int:
    example = BUILD / "example"
    run(str(BIN / "python"), str(ROOT / "examples" / "make_cifar10_cmsis.py"), str(example))
    onnx_path, calibration = example / "cifar10_cmsis.onnx", example / "cifar10_calibration.npz"
    out = BUILD / "cifar10_cmsis"
    print(run(str(BIN / "cmsis-compile"), str(onnx_path), "--calibration", str(calibration), "-o", str(out), "--host",
              "--quiet"))

    quantized = Model.load(onnx_path).calibrate(calibration).run("quantize")
    sample = np.load(calibration)["inputs"][0]
    expected = quantized.interpret(sample)[0]
    q = quantized.module.body.block.ops.first.function_type.inputs.data[0].element_type  # the input's quantization
    x = np.clip(np.round(sample / q.scale) + q.zero_point, -128, 127).astype(np.int8)
    got = subprocess.run([str(out / "cifar10_cmsis_host")], input=x.tobytes(), capture_output=True, check=True).stdout
    same = np.array_equal(np.frombuffer(got, dtype=np.int8), expected.reshape(-1))
    print(f"host program on one calibration image: {'same bytes as the reference interpreter' if same else 'MISMATCH'}")

    def arena(**inplace) -> int:
        m = quantized.copy().run("bufferize").run("liveness")
        if inplace:
            m.run("inplace-alias", **inplace)
        return m.run("arena-alloc").run("verify-arena").plan().arena_size

    activations, im2col = hand_plan(quantized.copy().run("bufferize").run("liveness"))
    hand = activations + im2col
    default = arena(allow_undocumented=False)
    rows = [
        ("the example's hand plan (ping-pong + im2col)", hand),
        ("best plan without overlap (liveness only)", arena()),
        ("default: in-place, documented overlaps only", default),
    ]
    print(f"\nRAM for activations and scratch, bytes; % against the hand plan ({activations:,} + {im2col:,} im2col):")
    for label, size in rows:
        print(f"  {label:<48} {size:>7,}  {100.0 * (size - hand) / hand:+6.1f}%")
    undocumented = arena(allow_undocumented=True)
    print("\nNot the default (cmsis-compile --allow-undocumented): max pooling also written over its own input, which")
    print("CMSIS-NN 7.0.0's arm_max_pool_s8 does safely in its code but its documentation forbids; it relies on that")
    print("code staying as it is, and on the build it links (check with NAME_check() and make target-check):")
    label = "in-place, also max pool over its input"
    print(f"  {label:<48} {undocumented:>7,}  {100.0 * (undocumented - hand) / hand:+6.1f}%")
    print(f"\nthe plan, drawn and tabled: {out / 'memory.html'}   as data: {out / 'memory.json'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
