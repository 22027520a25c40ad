"""Shared fixtures: the reference models folder, running the installed tools, IR text and host programs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "models"
BIN = Path(sys.executable).parent


def run_tool(tool: str, *args: str, input: bytes | str | None = None, cwd: str | os.PathLike | None = None):
    """Run an installed console script; returns the CompletedProcess (text mode unless input is bytes)."""
    text = not isinstance(input, bytes)
    return subprocess.run([str(BIN / tool), *args], input=input, capture_output=True, text=text, cwd=cwd)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    if not MODELS.is_dir():
        pytest.skip(f"reference models not found at {MODELS} (they live beside the repository in ../shared/models)")
    return MODELS


def ir_ints(values) -> str:
    """`1, 2, 3`: the body of an `array<i64: ...>` attribute."""
    return ", ".join(str(int(v)) for v in values)


def ir_dense(values: np.ndarray, element: str) -> str:
    """A `dense<"0x...">` i8 or i32 attribute of `values`, with its tensor type."""
    dims = "x".join(str(d) for d in values.shape)
    data = values.astype("<i1" if element == "i8" else "<i4").tobytes().hex().upper()
    return f'dense<"0x{data}"> : tensor<{dims}x{element}>'


def host_programs(sources, models, folder: Path) -> dict[str, Path]:
    """One host program of the generated `sources` with runtime/, and one with the real CMSIS-NN when its tree
    is there: {"runtime": path, "cmsis-nn": path}. Run one model of it as `program NAME` (input on stdin)."""
    from cmsis_opt.errors import CompileError
    from cmsis_opt.hostbuild import build_host

    built = {"runtime": folder / "with_runtime"}
    build_host(sources, models, built["runtime"])
    try:
        from cmsis_opt.cmsis_nn import build_library

        library = build_library("host")
    except CompileError as error:
        print(f"the real CMSIS-NN is not checked: {error}")
    else:
        built["cmsis-nn"] = folder / "with_cmsis_nn"
        build_host(sources, models, built["cmsis-nn"], cmsis_nn=library)
    return built
