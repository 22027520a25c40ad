"""The same model and options give byte-identical outputs on every run.

Each model is compiled twice by cmsis-compile in separate processes with
different PYTHONHASHSEED values (set and dict orders, hashes and ids all
change between the runs); NAME.c, NAME.h, memory.json and the planned IR must
be equal byte for byte.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
from conftest import BIN, ROOT
from test_differential_netgen import random_network

OUTPUTS = ["{name}.c", "{name}.h", "memory.json", "{name}.mlir"]


def _compile_twice(model: str, tmp_path, *options: str) -> tuple[dict, dict]:
    runs = []
    for seed in ("0", "12345"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([str(BIN / "cmsis-compile"), model, "-o", str(out), "--name", "net", "--emit-ir", *options],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        runs.append({pattern: (out / pattern.format(name="net")).read_bytes() for pattern in OUTPUTS})
    return runs[0], runs[1]


def _assert_same(first: dict, second: dict) -> None:
    for name in OUTPUTS:
        assert first[name], f"{name} is empty"
        assert first[name] == second[name], f"{name} differs between runs"


def test_example_network_compiles_to_the_same_bytes(tmp_path):
    first, second = _compile_twice(str(ROOT / "examples" / "cifar10_cmsis.net"), tmp_path, "--quiet")
    _assert_same(first, second)


def test_branching_network_with_optimal_strategy_compiles_to_the_same_bytes(tmp_path):
    source = tmp_path / "branchy.mlir"
    rng = np.random.default_rng(11)
    text = next(t for t in (random_network(rng, "branchy") for _ in range(50)) if "cmsis.concat" in t and "cmsis.add" in t)
    source.write_text(text)
    first, second = _compile_twice(str(source), tmp_path, "--strategy", "optimal", "--quiet")
    _assert_same(first, second)


def test_reference_qdq_model_compiles_to_the_same_bytes(tmp_path, models_dir):
    first, second = _compile_twice(str(models_dir / "ic_resnet8.qdq.onnx"), tmp_path, "--quiet", "--target", "cortex-m55")
    _assert_same(first, second)
