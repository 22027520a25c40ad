"""cmsis.transpose (arm_transpose_s8): the interpreter, our runtime and the real CMSIS-NN agree, every rank and order.

Random tensors of rank 1 to 4 with random permutations go through the
default pipeline and the C backend into one host program per library; its
outputs must equal numpy's transpose byte for byte. The real CMSIS-NN is
the v7.0.0 tree in ../shared/cmsis-nn (skipped with a message without it).
"""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess

import numpy as np
import pytest
from conftest import host_programs

from cmsis_opt.backend.c import emit_c
from cmsis_opt.context import make_context
from cmsis_opt.hostbuild import HostModel, compiler_command
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.default import DefaultPipeline

Q = "!quant.uniform<i8:f32, 0.5:-3>"


def transpose_module(name: str, shape: tuple[int, ...], perm: tuple[int, ...]) -> str:
    def t(s):
        return f"tensor<{'x'.join(map(str, s))}x{Q}>"

    out = tuple(shape[p] for p in perm)
    return (f"func.func @{name}(%x: {t(shape)}) -> {t(out)} {{\n"
            f"  %y = cmsis.transpose %x {{perm = array<i64: {', '.join(map(str, perm))}>, layer = \"t\"}} : ({t(shape)}) -> {t(out)}\n"
            f"  func.return %y : {t(out)}\n}}\n")


def cases(seed: int = 7) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every permutation of rank 2 to 4 but the identity (which the verifier refuses), on random shapes."""
    rng = random.Random(seed)
    found = []
    for rank in (2, 3, 4):
        for perm in itertools.permutations(range(rank)):
            if list(perm) != sorted(perm):
                found.append((tuple(rng.randint(1, 5) for _ in range(rank)), perm))
    return found


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """The cases compiled into host programs: {library name: program path}, plus the cases and their inputs."""
    if shutil.which(compiler_command()[0]) is None:
        pytest.skip("no C compiler")
    tmp = tmp_path_factory.mktemp("transpose")
    models, sources = [], []
    for index, (shape, perm) in enumerate(cases()):
        name = f"t{index}"
        module = parse_ir(transpose_module(name, shape, perm)).module
        DefaultPipeline().apply(make_context(), module)
        header, source = emit_c(module, name)
        (tmp / f"{name}.h").write_text(header)
        (tmp / f"{name}.c").write_text(source)
        sources.append(tmp / f"{name}.c")
        size = int(np.prod(shape))
        models.append(HostModel(name, [size], [size]))
    return host_programs(sources, models, tmp)


@pytest.mark.parametrize("library", ["runtime", "cmsis-nn"])
def test_every_rank_and_order_equals_numpy(programs, library):
    if library not in programs:
        pytest.skip("no CMSIS-NN tree at ../shared/cmsis-nn (or $CMSIS_NN)")
    rng = np.random.default_rng(1)
    for index, (shape, perm) in enumerate(cases()):
        x = rng.integers(-128, 128, size=shape, dtype=np.int8)
        run = subprocess.run([str(programs[library]), f"t{index}"], input=x.tobytes(), capture_output=True, timeout=60)
        assert run.returncode == 0, (shape, perm, run.stderr)
        assert run.stdout == np.ascontiguousarray(x.transpose(perm)).tobytes(), (library, shape, perm)


def test_a_program_of_several_networks_names_them_in_its_errors(programs):
    program = programs["runtime"]
    names = ", ".join(f"t{index}" for index in range(len(cases())))
    wrong = subprocess.run([str(program), "other"], input="", capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr == f"error: {program.name}: unknown network 'other' (this program runs {names})\n"
    bare = subprocess.run([str(program)], input="", capture_output=True, text=True, timeout=60)
    assert bare.returncode == 2 and bare.stderr == (f"error: {program.name}: usage: {program.name} NETWORK "
                                                    "< input.bin > output.bin (--help: the protocol)\n")
    short = subprocess.run([str(program), "t0"], input="\0", capture_output=True, text=True, timeout=60)
    assert short.returncode == 3 and short.stderr.startswith(f"error: {program.name}: expected ")


def test_the_interpreter_is_numpy():
    module = parse_ir(transpose_module("t", (2, 3, 4, 5), (3, 1, 0, 2))).module
    from cmsis_opt.interpreter import run_function

    x = np.arange(120, dtype=np.int8).reshape(2, 3, 4, 5)
    (y,) = run_function(module, [x])
    assert y.flags["C_CONTIGUOUS"] and np.array_equal(y, x.transpose(3, 1, 0, 2))
