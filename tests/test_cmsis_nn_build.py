"""The real CMSIS-NN (a source tree beside the repository) built as a library; generated models linked with it.

The tree is found by cmsis_opt.cmsis_nn.locate(): $CMSIS_NN, else
../shared/cmsis-nn. Without it (and with $CMSIS_NN unset) these tests skip;
a $CMSIS_NN that is not a CMSIS-NN tree fails them. Libraries are built
once per session and kept in the build cache, so later sessions reuse them.
Models are compiled for cortex-m0: its scratch plan is the portable C path,
which is what CMSIS-NN built for the host runs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt import cmsis_nn, targets
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import HostModel, build_host

from conftest import run_tool

MODELS = ["kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1"]
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all"

_CC = shlex.split(os.environ.get("CC") or "cc")[0]
needs_cc = pytest.mark.skipif(shutil.which(_CC) is None, reason=f"no C compiler ('{_CC}', from $CC or cc)")
needs_arm_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                   reason="arm-none-eabi-gcc not found (make arm-tools installs it)")


@pytest.fixture(scope="session")
def tree() -> cmsis_nn.CmsisNNTree:
    """The CMSIS-NN tree; skips when none is configured and the default location is empty."""
    if not os.environ.get("CMSIS_NN") and not cmsis_nn.DEFAULT_TREE.is_dir():
        pytest.skip(f"no CMSIS-NN source tree at {cmsis_nn.DEFAULT_TREE} and $CMSIS_NN unset "
                    "(the real-library tests need one; runtime/ is tested without it)")
    return cmsis_nn.locate()  # a configured path that is not a tree fails here


@pytest.fixture(scope="session")
def host_library(tree) -> cmsis_nn.Library:
    if shutil.which(_CC) is None:
        pytest.skip(f"no C compiler ('{_CC}')")
    return cmsis_nn.build_library("host", tree)


@pytest.fixture(scope="session")
def sanitized_library(tree) -> cmsis_nn.Library:
    if shutil.which(_CC) is None:
        pytest.skip(f"no C compiler ('{_CC}')")
    return cmsis_nn.build_library("host", tree, sanitize=True)


@pytest.fixture(scope="session")
def compiled_m0(models_dir, tmp_path_factory):
    """name -> OUTDIR with NAME.c / NAME.h from `cmsis-compile --target cortex-m0`, once per model."""
    done = {}

    def get(name: str):
        if name not in done:
            outdir = tmp_path_factory.mktemp(f"{name}-m0")
            result = run_tool("cmsis-compile", str(models_dir / f"{name}.qdq.onnx"), "-o", str(outdir),
                              "--target", "cortex-m0")
            assert result.returncode == 0, result.stderr
            done[name] = outdir
        return done[name]

    return get


def _mismatches(program, ref) -> list[str]:
    """Every reference input through the host program; the problems (empty when every output is exact)."""
    problems = []
    for k, (x, want) in enumerate(zip(ref["inputs"], ref["outputs"])):
        result = subprocess.run([str(program)], input=x.astype(np.int8).tobytes(), capture_output=True)
        if result.returncode != 0 or result.stderr:
            problems.append(f"input {k}: exit {result.returncode}, stderr {result.stderr.decode()[:800]}")
            continue
        got = np.frombuffer(result.stdout, dtype=np.int8)
        if not np.array_equal(got, want.astype(np.int8).reshape(-1)):
            problems.append(f"input {k}: got {got.tolist()[:16]}, want {want.reshape(-1).tolist()[:16]}")
    return problems


def _program(name, models_dir, compiled_m0, library, tmp_path):
    ref = np.load(models_dir / f"{name}.tflm_ref.npz")
    outdir = compiled_m0(name)
    program = tmp_path / f"{name}_host"
    build_host([outdir / f"{name}.c"], [HostModel(name, [ref["inputs"][0].size], [ref["outputs"][0].size])],
               program, cmsis_nn=library)
    return program, ref


# -- finding the tree ---------------------------------------------------------------


def _fake_tree(root, version_file=None, text=""):
    (root / "Include").mkdir(parents=True)
    (root / "Include" / "arm_nnfunctions.h").write_text("/* */\n")
    (root / "Source").mkdir()
    if version_file:
        (root / version_file).write_text(text)
    return root


def test_version_from_version_md_a_pack_description_or_unknown(tmp_path):
    assert cmsis_nn.locate(_fake_tree(tmp_path / "a", "VERSION.md", "# CMSIS-NN v7.0.0 (test)\n")).version == "7.0.0"
    pdsc = '<package><releases><release version="6.0.0" date="2024-05-01"/><release version="5.0.0"/></releases>'
    assert cmsis_nn.locate(_fake_tree(tmp_path / "b", "ARM.CMSIS-NN.pdsc", pdsc)).version == "6.0.0"
    assert cmsis_nn.locate(_fake_tree(tmp_path / "c")).version == "unknown"


def test_a_path_that_is_not_a_tree_is_one_clear_error(tmp_path):
    with pytest.raises(CompileError, match=r"is not a CMSIS-NN source tree: it needs Include/arm_nnfunctions.h"):
        cmsis_nn.locate(tmp_path)
    with pytest.raises(CompileError, match=r"no CMSIS-NN source tree at .*missing \(the given path\): no such folder"):
        cmsis_nn.locate(tmp_path / "missing")


def test_cmsis_nn_variable_is_used_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("CMSIS_NN", str(_fake_tree(tmp_path / "t", "VERSION", "v1.2.3")))
    assert cmsis_nn.locate().root == (tmp_path / "t").resolve()
    monkeypatch.setenv("CMSIS_NN", str(tmp_path))
    with pytest.raises(CompileError, match=r"\(\$CMSIS_NN\) is not a CMSIS-NN source tree"):
        cmsis_nn.locate()


def test_core_headers_from_path_or_variable(tmp_path, monkeypatch):
    (tmp_path / "core" / "Include").mkdir(parents=True)
    (tmp_path / "core" / "Include" / "cmsis_compiler.h").write_text("/* */\n")
    assert cmsis_nn.locate_core_headers(tmp_path / "core") == (tmp_path / "core" / "Include").resolve()
    monkeypatch.setenv("CMSIS_CORE", str(tmp_path))
    with pytest.raises(CompileError, match=r"\(\$CMSIS_CORE\) holds no CMSIS Core headers"):
        cmsis_nn.locate_core_headers()


def test_unknown_target_and_sanitized_core_are_errors(tree):
    with pytest.raises(CompileError, match=r"cannot build CMSIS-NN for 'cortex-m99' \(known: host, cortex-m0, "):
        cmsis_nn.build_library("cortex-m99", tree)
    with pytest.raises(CompileError, match="sanitizers are for host builds only"):
        cmsis_nn.build_library("cortex-m4", tree, sanitize=True)


# -- the host library ---------------------------------------------------------------


@needs_cc
def test_host_library_is_built_once_and_then_found_in_the_cache(tree, host_library, sanitized_library):
    assert host_library.archive.is_file() and host_library.path == "c"
    stamp = host_library.archive.stat().st_mtime_ns
    again = cmsis_nn.build_library("host", tree)
    assert again.cached and again.archive == host_library.archive and again.archive.stat().st_mtime_ns == stamp
    assert sanitized_library.archive != host_library.archive  # other flags, another cache entry
    symbols = subprocess.run(["nm", str(sanitized_library.archive)], capture_output=True, text=True).stdout
    assert "__asan_report" in symbols and "__ubsan_handle" in symbols


@needs_cc
@pytest.mark.parametrize("name", MODELS)
def test_model_linked_with_real_cmsis_nn_reproduces_tflite_micro(name, models_dir, compiled_m0, host_library, tmp_path):
    program, ref = _program(name, models_dir, compiled_m0, host_library, tmp_path)
    assert _mismatches(program, ref) == []


@needs_cc
@pytest.mark.parametrize("name", MODELS)
def test_sanitized_model_and_library_are_exact_and_clean(name, models_dir, compiled_m0, sanitized_library, tmp_path,
                                                         monkeypatch):
    """Our code fully sanitized (CFLAGS), the library without the shift/overflow checks it does not pass."""
    monkeypatch.setenv("CFLAGS", SANITIZE)
    program, ref = _program(name, models_dir, compiled_m0, sanitized_library, tmp_path)
    assert b"__asan" in program.read_bytes() and b"__ubsan" in program.read_bytes()
    assert _mismatches(program, ref) == []


# -- Cortex-M -----------------------------------------------------------------------


@needs_arm_gcc
@pytest.mark.parametrize("core", sorted(targets.CORES))
def test_core_flags_select_the_cmsis_nn_path(core, tree, tmp_path):
    """The table's flags make arm_nn_math_types.h define ARM_MATH_DSP (dsp) and also ARM_MATH_MVEI (mve)."""
    info = targets.CORES[core]
    probe = tmp_path / "probe.c"
    probe.write_text('#include "arm_nn_math_types.h"\n'
                     "#if defined(ARM_MATH_MVEI)\nconst char *path = \"mve\";\n"
                     "#elif defined(ARM_MATH_DSP)\nconst char *path = \"dsp\";\n"
                     "#else\nconst char *path = \"c\";\n#endif\n")
    result = subprocess.run(["arm-none-eabi-gcc", *info.gcc_flags, f"-I{tree.include}", "-E", str(probe)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f'const char *path = "{info.path}";' in result.stdout


@needs_arm_gcc
@pytest.mark.parametrize("core", [c.name for c in targets.cores_on(board_only=True)])
def test_cortex_m_library_builds_without_warnings_as_errors(core, tree):
    library = cmsis_nn.build_library(core, tree)
    symbols = subprocess.run(["arm-none-eabi-nm", "--defined-only", str(library.archive)],
                             capture_output=True, text=True).stdout
    assert " T arm_convolve_wrapper_s8" in symbols and " T arm_softmax_s8" in symbols
    assert not any(flag in library.command for flag in ("-Werror", "-pedantic", "-Wconversion"))


def test_cores_match_the_target_check_flags():
    """The QEMU check compiles the generated code with the table's flags, as the library is: one ABI."""
    from cmsis_opt.tools.target_check import CORES as CHECKED

    assert {core: tuple(flags) for core, (_, flags) in CHECKED.items()} == \
        {c.name: c.gcc_flags for c in targets.cores_on(board_only=True)}


@needs_cc
def test_compile_host_names_another_release_and_refuses_a_library_needing_more_scratch(tree, tmp_path):
    """A tree stating another version gets a remark; one whose conv asks for 64 more scratch bytes than v7.0.0 is
    refused at build time by running NAME_check() once, and nothing is written."""
    copy = tmp_path / "cmsis-nn-other"
    shutil.copytree(tree.root, copy)
    (copy / "VERSION.md").write_text("# CMSIS-NN v6.0.0\n")
    sizes = copy / "Source" / "ConvolutionFunctions" / "arm_convolve_get_buffer_sizes_s8.c"
    text = sizes.read_text()
    needle = "return (2 * aligned_rhs_cols) * (int32_t)sizeof(int16_t);"
    assert text.count(needle) == 1, "arm_convolve_s8_get_buffer_size changed in the shared tree"
    sizes.write_text(text.replace(needle, needle[:-1] + " + 64;"))
    tiny = Path(__file__).parent / "lit" / "emit-c" / "Inputs" / "tiny.mlir"
    env = {**os.environ, "CMSIS_OPT_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([str(Path(sys.executable).parent / "cmsis-compile"), str(tiny), "-o",
                             str(tmp_path / "out"), "--host", "--cmsis-nn", str(copy), "--target", "cortex-m0"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr
    assert "states version 6.0.0" in result.stderr and "--no-inplace" in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "needs more buffer than the plan gives layer 'conv1'" in errors[0], result.stderr
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cmsis-compile-")]
