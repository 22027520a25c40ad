"""Differential tests: random small networks compiled to C give exactly the interpreter's outputs.

200 random cmsis networks (conv, generic conv, depthwise, pools, add, mul,
pad, concat, fully connected, softmax; random shapes, strides, padding,
dilation, quantization), each planned by the default memory pipeline with
in-place overlap on and off. Many networks share one host program (distinct
C names), so each batch is compiled once.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt.backend.c import emit_c
from cmsis_opt.dialects import arena
from cmsis_opt.dialects.utils import shape_of
from cmsis_opt.hostbuild import RUNTIME_DIR, HostModel, build_host, build_runtime
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.tools.opt import run_pipeline

from test_differential_netgen import random_network

NETWORKS = 200
BATCHES = 4
SEED = 20261125

pytestmark = [
    pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler"),
    pytest.mark.skipif(not list((RUNTIME_DIR / "src").glob("*.c")), reason=f"no CMSIS-NN runtime sources in {RUNTIME_DIR}"),
]


def _network(index: int) -> str:
    return random_network(np.random.default_rng([SEED, index]), f"net{index}")


def _inputs(module, index: int) -> list[np.ndarray]:
    rng = np.random.default_rng([SEED, index, 1])
    func = next(iter(module.ops))
    return [rng.integers(-128, 128, size=shape_of(arg), dtype=np.int8) for arg in func.body.block.args]


@pytest.fixture(scope="module")
def runtime_objects(tmp_path_factory):
    """The runtime compiled once for every batch."""
    return build_runtime(tmp_path_factory.mktemp("runtime"))


def _build_batch(indices: range, inplace: bool, workdir: Path, runtime_objects):
    """Plan and emit every network of the batch, build one host program; returns it and the planned modules."""
    models, sources, planned = [], [], {}
    for index in indices:
        source = parse_ir(_network(index), f"net{index}")
        module = run_pipeline(source, [DefaultPipeline(inplace=inplace)])
        header, c_source = emit_c(module, f"net{index}")
        (workdir / f"net{index}.h").write_text(header)
        (workdir / f"net{index}.c").write_text(c_source)
        sources.append(workdir / f"net{index}.c")
        func = next(iter(module.ops))
        outputs = func.body.block.last_op.operands
        models.append(HostModel(f"net{index}", [int(np.prod(shape_of(a))) for a in func.body.block.args],
                                [int(np.prod(shape_of(v))) for v in outputs]))
        planned[index] = module
    program = workdir / "nets_host"
    build_host(sources, models, program, runtime_objects)
    return program, planned


@pytest.mark.parametrize("inplace", [True, False], ids=["inplace", "no-inplace"])
@pytest.mark.parametrize("batch", range(BATCHES))
def test_random_networks_match_the_interpreter_exactly(tmp_path, batch, inplace, runtime_objects):
    per_batch = NETWORKS // BATCHES
    indices = range(batch * per_batch, (batch + 1) * per_batch)
    program, _ = _build_batch(indices, inplace, tmp_path, runtime_objects)
    mismatches = []
    for index in indices:
        reference = parse_ir(_network(index)).module
        inputs = _inputs(reference, index)
        expected = run_function(reference, inputs)
        result = subprocess.run([str(program), f"net{index}"], input=b"".join(x.tobytes() for x in inputs),
                                capture_output=True)
        assert result.returncode == 0, f"net{index}: {result.stderr.decode()}"
        got = np.frombuffer(result.stdout, dtype=np.int8)
        want = np.concatenate([e.reshape(-1) for e in expected]).astype(np.int8)
        if not np.array_equal(got, want):
            mismatches.append(f"net{index}: {int(np.sum(got != want))} of {want.size} bytes differ")
    assert not mismatches, "\n".join(mismatches)


def test_inplace_planning_overlaps_some_random_networks():
    """The in-place runs above are only meaningful if the planner actually lets outputs overlap inputs."""
    aliased = 0
    for index in range(0, NETWORKS, 5):
        module = run_pipeline(parse_ir(_network(index)), [DefaultPipeline(inplace=True)])
        aliased += any(isinstance(op, arena.AliasOp) for op in module.walk())
    assert aliased >= 5
