"""The package as a user installs it: `pip install .` into a fresh environment, then the tools from any folder.

The fresh venv gets the project's dependencies from this environment (a .pth
line, so nothing is downloaded) and the project itself from a real,
non-editable install of the source tree: the C runtime and the QEMU harness
must come along as package data for `cmsis-compile --host` to build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

CHAIN = """input x: 1x8x8x2, scale=0.5, zp=-128
c1 = conv(x, filters=4, kernel=3, pad=1, act=relu, scale=0.25, zp=-128)
p1 = maxpool(c1, kernel=2, stride=2)
output p1
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding `pip install .` of the source tree; its bin folder."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler for the host build")
    env = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    site = next((env / "lib").glob("python3.*/site-packages"))
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env / "bin" / "python"
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--disable-pip-version-check", str(ROOT)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return env / "bin"


def test_the_installed_package_is_not_the_source_tree(installed):
    where = subprocess.run([str(installed / "python"), "-c", "import cmsis_opt, cmsis_opt.runtime as r; "
                            "print(cmsis_opt.__file__); print(r.__file__)"], capture_output=True, text=True,
                           cwd="/", check=True).stdout.split()
    assert all(str(ROOT) not in path and "site-packages" in path for path in where), where
    runtime = Path(where[1]).parent
    for part in ("include/arm_nnfunctions.h", "src/arm_convolve_s8.c", "qemu/startup.c", "qemu/mps2-an386.ld",
                 "qemu/plugin/icount.c"):
        assert (runtime / part).is_file(), part
    assert (Path(where[0]).parent / "py.typed").is_file()


def test_cmsis_compile_host_from_another_folder(installed, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "net.net").write_text(CHAIN)
    result = subprocess.run([str(installed / "cmsis-compile"), "net.net", "-o", "out", "--host"], cwd=work,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    program = work / "out" / "net_host"
    x = np.random.default_rng(3).integers(-128, 128, size=(1, 8, 8, 2), dtype=np.int8)
    run = subprocess.run([str(program)], input=x.tobytes(), capture_output=True, timeout=60)
    assert run.returncode == 0 and len(run.stdout) == 4 * 4 * 4, run.stderr
    # the same numbers as the reference interpreter of the installed package
    check = subprocess.run([str(installed / "python"), "-c", (
        "import sys, numpy as np; from cmsis_opt.api import Model; "
        "m = Model.load('net.net').run('quantize'); "
        "x = np.frombuffer(sys.stdin.buffer.read(), np.int8).reshape(1, 8, 8, 2); "
        "sys.stdout.buffer.write(m.interpret(x)[0].tobytes())")], cwd=work, input=x.tobytes(), capture_output=True)
    assert check.returncode == 0, check.stderr
    assert run.stdout == check.stdout


def test_every_tool_answers_help(installed):
    for tool in ("cmsis-import", "cmsis-opt", "cmsis-run", "cmsis-compile", "cmsis-calibrate"):
        result = subprocess.run([str(installed / tool), "--help"], capture_output=True, text=True, cwd="/")
        assert result.returncode == 0 and "usage:" in result.stdout, (tool, result.stderr)


@pytest.mark.parametrize("tool", ["cmsis-import", "cmsis-opt", "cmsis-run", "cmsis-compile", "cmsis-calibrate"])
def test_help_loads_neither_xdsl_nor_numpy(tool):
    """`--help` answers before the IR, the dialects or numpy are imported (they take most of a second to load)."""
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"][tool]
    module, function = entry.split(":")
    code = (f"import sys, contextlib, io\nfrom {module} import {function} as main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n        status = main(['--help'])\n    except SystemExit as done:\n        status = done.code\n"
            "assert status in (0, None) and 'usage:' in out.getvalue(), out.getvalue()\n"
            "print(sorted(m for m in ('xdsl', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", (tool, result.stdout)


@pytest.mark.parametrize("tool", ["cmsis-import", "cmsis-opt", "cmsis-run", "cmsis-compile", "cmsis-calibrate"])
@pytest.mark.parametrize("given, expected", [(None, "1"), ("2", "2")])
def test_tools_load_numpy_with_one_blas_thread_unless_told(tool, given, expected, tmp_path):
    """OpenBLAS's idle workers spin: a tool asks for one thread (unless OPENBLAS_NUM_THREADS says otherwise) before
    it loads numpy, which reads the variable once, when it is imported."""
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"][tool]
    module, function = entry.split(":")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    # a finder first in sys.meta_path sees the variable as it is when numpy is first imported
    probe = ("import os, sys\n"
             "class Spy:\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name == 'numpy' and not hasattr(Spy, 'seen'):\n"
             "            Spy.seen = os.environ.get('OPENBLAS_NUM_THREADS')\n"
             "sys.meta_path.insert(0, Spy())\n"
             f"from {module} import {function} as main\n"
             f"status = main([{str(ROOT / 'examples' / 'cifar10_cmsis.net')!r}, '-o', {str(tmp_path / 'out')!r}"
             f"{', ' + repr('--data') + ', ' + repr(str(tmp_path / 'd.npz')) if tool == 'cmsis-calibrate' else ''}])\n"
             "print(getattr(Spy, 'seen', 'numpy never imported'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert result.stdout.strip().splitlines()[-1] == expected, (tool, result.stdout, result.stderr)


def test_import_format_choices_are_the_frontends():
    from cmsis_opt.frontends import FORMATS
    from cmsis_opt.tools.importer import _arguments

    for kind in FORMATS:
        assert _arguments(["m", "--format", kind]).format == kind
    with pytest.raises(Exception, match="invalid choice"):
        _arguments(["m", "--format", "keras"])


if sys.platform == "win32":  # pragma: no cover - the project targets POSIX hosts
    pytestmark = pytest.mark.skip(reason="POSIX only")


def test_every_tool_prints_the_installed_version(installed):
    """`--version` gives the version the package was installed as (pyproject reads cmsis_opt.__version__)."""
    version = subprocess.run([str(installed / "python"), "-c", "from importlib import metadata; "
                              "print(metadata.version('cmsis-opt'))"], capture_output=True, text=True, check=True)
    for tool in ("cmsis-compile", "cmsis-import", "cmsis-run", "cmsis-calibrate", "cmsis-opt"):
        shown = subprocess.run([str(installed / tool), "--version"], capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0 and shown.stdout.startswith(f"{tool} {version.stdout.strip()}"), shown
