"""Compile time: `cmsis-compile` per model and on synthetic chains, with the fitted growth exponent."""

from __future__ import annotations

import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPILE = [sys.executable, "-m", "cmsis_opt.tools.compile"]


def compile_seconds(model: Path, *options: str, timeout: float = 600) -> dict:
    """Wall and CPU seconds (user + sys of the child) of one cmsis-compile run into a temporary folder."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        try:
            result = subprocess.run([*COMPILE, str(model), "-o", out, *options], capture_output=True, text=True,
                                    timeout=timeout)
            status = "ok" if result.returncode == 0 else f"failed: {result.stderr.strip()[-200:]}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {timeout:.0f} s"
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "status": status}


def chain_net(layers: int, kernel: int = 3) -> str:
    """`layers` convolutions one after another on a small 4x4x8 tensor (kernel 3: no kernel-switch candidates)."""
    pad = ", pad=1" if kernel == 3 else ""
    lines = ["seed 1", "input x: 1x4x4x8, scale=0.0078125, zp=0"]
    prev = "x"
    for i in range(layers):
        lines.append(f"l{i} = conv({prev}, filters=8, kernel={kernel}{pad}, act=relu)")
        prev = f"l{i}"
    lines.append(f"output {prev}")
    return "\n".join(lines) + "\n"


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """Least-squares slope of log(seconds) against log(size): time grows as size ** slope."""
    pairs = [(math.log(n), math.log(t)) for n, t in zip(sizes, seconds) if t > 0]
    if len(pairs) < 2:
        return None
    mx = sum(x for x, _ in pairs) / len(pairs)
    my = sum(y for _, y in pairs) / len(pairs)
    var = sum((x - mx) ** 2 for x, _ in pairs)
    return sum((x - mx) * (y - my) for x, y in pairs) / var if var else None


def chain_growth(sizes: list[int], kernel: int, workdir: Path, timeout: float, *options: str) -> dict:
    rows = []
    for n in sizes:
        path = workdir / f"chain{kernel}x{kernel}_{n}.net"
        path.write_text(chain_net(n, kernel))
        rows.append({"layers": n, **compile_seconds(path, *options, timeout=timeout)})
        if rows[-1]["status"] != "ok":
            break
    ok = [r for r in rows if r["status"] == "ok"]
    # the fixed start-up cost (imports) is measured on the smallest chain; the growth is fitted above it
    return {"kernel": kernel, "options": list(options), "rows": rows,
            "exponent": fitted_exponent([r["layers"] for r in ok], [r["cpu"] for r in ok]),
            "exponent_above_startup": fitted_exponent(
                [r["layers"] for r in ok[1:]], [r["cpu"] - ok[0]["cpu"] for r in ok[1:]]) if len(ok) > 2 else None}
