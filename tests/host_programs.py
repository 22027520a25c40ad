"""Modules compiled into host programs, one per library: runtime/ and, when its tree is there, Arm's CMSIS-NN.

    programs = build_programs(tmp_path, {"m0": module, "m1": other}, core="cortex-m0")
    y = run_program(programs["cmsis-nn"], "m0", [x])

Each module runs the default pipeline (quantize when it is still `nn`,
in-place, arena) for `core`, then the C backend; all of them share one
program per library, which takes the model's name as its argument, reads
the raw int8 inputs on stdin and writes the raw int8 outputs on stdout.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt.backend.c import emit_c
from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import HostModel, build_host, compiler_command
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.plan import byte_size

LIBRARIES = ("runtime", "cmsis-nn")


def build_programs(tmp: Path, modules: Mapping[str, object], core: str = "cortex-m0",
                   **pipeline) -> dict[str, Path]:
    """{library: program} for the modules (planned in place for `core`); a module is changed in place."""
    import shutil

    if shutil.which(compiler_command()[0]) is None:
        pytest.skip("no C compiler")
    sources, models = [], []
    for name, module in modules.items():
        DefaultPipeline(core=core, **pipeline).apply(make_context(), module)  # type: ignore[arg-type]
        header, source = emit_c(module, name)  # type: ignore[arg-type]
        (tmp / f"{name}.h").write_text(header)
        (tmp / f"{name}.c").write_text(source)
        sources.append(tmp / f"{name}.c")
        func = next(iter(module.ops))  # type: ignore[attr-defined]
        models.append(HostModel(name, [byte_size(a.type) for a in func.body.block.args],
                                [byte_size(t) for t in func.function_type.outputs.data]))
    built = {"runtime": tmp / "with_runtime"}
    build_host(sources, models, built["runtime"])
    try:
        from cmsis_opt.cmsis_nn import build_library

        library = build_library("host")
    except CompileError as error:
        print(f"the real CMSIS-NN is not checked: {error}")
    else:
        built["cmsis-nn"] = tmp / "with_cmsis_nn"
        build_host(sources, models, built["cmsis-nn"], cmsis_nn=library)
    return built


def program_for(programs: Mapping[str, Path], library: str) -> Path:
    if library not in programs:
        pytest.skip("no CMSIS-NN tree at ../shared/cmsis-nn (or $CMSIS_NN)")
    return programs[library]


def run_program(program: Path, name: str, inputs: Sequence[np.ndarray], dtype: type = np.int8) -> np.ndarray:
    """The program's raw output for network `name` and these inputs, inputs and outputs of element type `dtype`
    (int8, or int16 for a network with int16 inputs and outputs: host byte order)."""
    data = b"".join(np.ascontiguousarray(x, dtype=dtype).tobytes() for x in inputs)
    run = subprocess.run([str(program), name], input=data, capture_output=True, timeout=60)
    assert run.returncode == 0 and not run.stderr, (name, run.returncode, run.stderr.decode()[:500])
    return np.frombuffer(run.stdout, dtype=dtype)


def compile_host(model: str | Path, out: Path, name: str, library: str, *extra: str) -> Path:
    """`cmsis-compile MODEL -o OUT --host --name NAME` against `library` (runtime/, or the CMSIS-NN tree beside
    the repository: skips when it is absent); asserts exit 0. Returns the host program's path."""
    from conftest import ROOT, run_tool

    args = [str(model), "-o", str(out), "--host", "--name", name, *extra]
    if library == "cmsis-nn":
        tree = ROOT.parent / "shared" / "cmsis-nn"
        if not tree.is_dir():
            pytest.skip(f"no CMSIS-NN tree at {tree}")
        args += ["--cmsis-nn", str(tree)]
    result = run_tool("cmsis-compile", *args)
    assert result.returncode == 0, result.stderr
    return out / f"{name}_host"
