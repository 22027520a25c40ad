"""cmsis-compile's OUTDIR/CMakeLists.txt: the model as a drop-in static library target of a user's CMake project.

Host builds with Debian's cmake and ${CC:-cc}: a user project adds CMSIS-NN (the real one from ../shared/cmsis-nn
through its Source/CMakeLists.txt, or the runtime bundled by --runtime bundled), then OUTDIR, and links the model into
a program whose main is the host program's (raw input on stdin, raw output on stdout). Its outputs must equal
`cmsis-run` on the planned IR (--emit-ir) byte for byte: both libraries compute CMSIS-NN's C path exactly.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt.cmake import BUNDLED_DIR, cmsis_nn_cmakelists
from cmsis_opt.hostbuild import HostModel, host_main_source
from conftest import ROOT, run_tool

EXAMPLE = ROOT / "examples" / "cifar10_cmsis.net"
NAME = "cifar10_cmsis"
INPUT_BYTES, OUTPUT_BYTES = 32 * 32 * 3, 10
STRICT = "-std=c99 -pedantic -Wall -Wextra -Wconversion -Werror"

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("cc") is None,
                                reason="cmake and a C compiler are needed (Debian: apt-get install cmake gcc)")


def _compile(outdir: Path, *args: str) -> None:
    result = run_tool("cmsis-compile", str(EXAMPLE), "-o", str(outdir), "--quiet", "--emit-ir", *args)
    assert result.returncode == 0, result.stderr


def _project(folder: Path, outdir: Path, cmsis_nn: Path | None) -> Path:
    """A user project: CMSIS-NN (when given), then the model folder, then `app` linking the model target."""
    folder.mkdir(parents=True)
    (folder / "main.c").write_text(host_main_source([HostModel(NAME, [INPUT_BYTES], [OUTPUT_BYTES])]))
    first = [f'add_subdirectory("{cmsis_nn}" cmsis-nn)'] if cmsis_nn is not None else []
    (folder / "CMakeLists.txt").write_text("\n".join([
        "cmake_minimum_required(VERSION 3.13)",
        "project(app C)",
        *first,
        f'add_subdirectory("{outdir}" model)',
        f'target_compile_options({NAME} PRIVATE {STRICT})  # the generated C stays warning-free',
        "add_executable(app main.c)",
        f"target_link_libraries(app PRIVATE {NAME})",
        "",
    ]))
    return folder


def _configure(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["cmake", "-S", str(project), "-B", str(project / "build"), "-DCMAKE_BUILD_TYPE=Release"],
                          capture_output=True, text=True)


def _build(project: Path) -> Path:
    configured = _configure(project)
    assert configured.returncode == 0, configured.stderr
    built = subprocess.run(["cmake", "--build", str(project / "build"), "-j", "2"], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr
    return project / "build" / "app"


def _check_against_cmsis_run(program: Path, outdir: Path, tmp_path: Path) -> None:
    """Four random inputs: the program's output bytes equal cmsis-run's on the planned IR."""
    rng = np.random.default_rng(15)
    for k in range(4):
        x = rng.integers(-128, 128, size=(1, 32, 32, 3), dtype=np.int8)
        np.save(tmp_path / f"x{k}.npy", x)
        ran = run_tool("cmsis-run", str(outdir / f"{NAME}.mlir"), "--input", str(tmp_path / f"x{k}.npy"),
                       "--output", str(tmp_path / f"y{k}.npy"))
        assert ran.returncode == 0, ran.stderr
        want = np.load(tmp_path / f"y{k}.npy").astype(np.int8).reshape(-1)
        got = subprocess.run([str(program)], input=x.tobytes(), capture_output=True)
        assert got.returncode == 0, got.stderr
        assert np.frombuffer(got.stdout, dtype=np.int8).tolist() == want.tolist(), f"input {k}"


@pytest.fixture(scope="module")
def cmsis_nn_tree(tmp_path_factory) -> Path:
    """A folder whose CMakeLists.txt defines target cmsis-nn from ../shared/cmsis-nn (skip where absent)."""
    from cmsis_opt.cmsis_nn import locate, locate_core_headers
    from cmsis_opt.errors import CompileError

    try:
        tree = locate()
    except CompileError as error:
        pytest.skip(f"the real CMSIS-NN is not checked: {error}")
    if (tree.root / "CMakeLists.txt").is_file():
        return tree.root
    folder = tmp_path_factory.mktemp("cmsis-nn")
    (folder / "CMakeLists.txt").write_text(cmsis_nn_cmakelists(tree.root, locate_core_headers()))
    return folder


def test_outdir_gets_a_cmakelists_with_the_model_target(tmp_path):
    _compile(tmp_path / "out")
    text = (tmp_path / "out" / "CMakeLists.txt").read_text()
    assert f"add_library({NAME} STATIC" in text
    assert f"target_link_libraries({NAME} PRIVATE cmsis-nn)" in text
    assert f"${{CMAKE_CURRENT_SOURCE_DIR}}/{NAME}.c" in text
    assert not (tmp_path / "out" / BUNDLED_DIR).exists()


def test_without_a_cmsis_nn_target_configuring_stops_saying_what_to_do(tmp_path):
    _compile(tmp_path / "out")
    configured = _configure(_project(tmp_path / "app", tmp_path / "out", None))
    assert configured.returncode != 0
    message = " ".join(configured.stderr.split())
    assert "CMake Error" in message
    assert f"{NAME}: no target named 'cmsis-nn'" in message
    assert "add_subdirectory(path/to/CMSIS-NN cmsis-nn)" in message
    assert "--runtime bundled" in message


def test_bundled_runtime_builds_and_matches_cmsis_run(tmp_path):
    _compile(tmp_path / "out", "--runtime", "bundled")
    bundled = tmp_path / "out" / BUNDLED_DIR
    assert sorted(p.name for p in (bundled / "include").iterdir()) == sorted(
        p.name for p in (ROOT / "runtime" / "include").glob("*.h"))
    assert "add_library(cmsis-nn STATIC" in (bundled / "CMakeLists.txt").read_text()
    _compile(tmp_path / "out", "--runtime", "bundled")  # compiling again replaces the folder
    project = _project(tmp_path / "app", tmp_path / "out", None)
    program = _build(project)
    assert (project / "build" / "model" / BUNDLED_DIR / "libcmsis-nn.a").is_file()
    _check_against_cmsis_run(program, tmp_path / "out", tmp_path)


def test_real_cmsis_nn_builds_and_matches_cmsis_run(tmp_path, cmsis_nn_tree):
    _compile(tmp_path / "out")
    project = _project(tmp_path / "app", tmp_path / "out", cmsis_nn_tree)
    program = _build(project)
    assert (project / "build" / "cmsis-nn" / "libcmsis-nn.a").is_file()
    _check_against_cmsis_run(program, tmp_path / "out", tmp_path)


def test_a_cmsis_nn_added_first_wins_over_the_bundled_runtime(tmp_path, cmsis_nn_tree):
    _compile(tmp_path / "out", "--runtime", "bundled")
    project = _project(tmp_path / "app", tmp_path / "out", cmsis_nn_tree)
    configured = _configure(project)
    assert configured.returncode == 0, configured.stderr
    assert not (project / "build" / "model" / BUNDLED_DIR).exists()
    assert (project / "build" / "cmsis-nn" / "Source").is_dir()


def test_help_lists_runtime_and_a_bad_runtime_is_a_usage_error(tmp_path):
    shown = run_tool("cmsis-compile", "--help")
    assert shown.returncode == 0
    assert "--runtime {cmsis-nn,bundled}" in shown.stdout
    bad = run_tool("cmsis-compile", str(EXAMPLE), "-o", str(tmp_path / "out"), "--runtime", "vendored")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: ") and "--runtime" in bad.stderr
    assert not (tmp_path / "out").exists()


def test_a_model_named_as_a_target_cmake_reserves_gets_another_target_name(tmp_path):
    outdir = tmp_path / "out"
    result = run_tool("cmsis-compile", str(EXAMPLE), "-o", str(outdir), "--name", "test", "--runtime", "bundled")
    assert result.returncode == 0, result.stderr
    assert "CMake reserves the target name 'test'" in result.stderr and "'test_model'" in result.stderr
    assert "add_library(test_model STATIC" in (outdir / "CMakeLists.txt").read_text()
    project = tmp_path / "app"
    project.mkdir()
    (project / "CMakeLists.txt").write_text("\n".join([
        "cmake_minimum_required(VERSION 3.13)", "project(app C)", "enable_testing()",
        f'add_subdirectory("{outdir}" model)', ""]))
    configured = _configure(project)
    assert configured.returncode == 0, configured.stderr
