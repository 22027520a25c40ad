"""Shared fixtures: the reference models folder, and running the installed tools."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
