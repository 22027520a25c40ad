"""Our arena next to TensorFlow Lite Micro's planner and the liveness lower bound, on the reference models."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cmsis_opt.allocators import SEARCH_NODES
from common import figures, pct, planned, quantized_model

TARGETS = ("cortex-m0", "cortex-m4", "cortex-m55")
_TFLM_SCRIPT = """
import sys
from tflite_micro.python.tflite_micro import runtime
runtime.Interpreter.from_file(sys.argv[1], arena_size=4 << 20).print_allocations()  # room for any test model
"""


def tflm_head_bytes(tflite: Path) -> int:
    """The non-persistent ("head") arena bytes TFLM's planner gives the model's tensors and scratch.

    print_allocations() writes from C to the process's stderr, so it runs in a
    subprocess whose stderr is captured.
    """
    result = subprocess.run([sys.executable, "-c", _TFLM_SCRIPT, str(tflite)], capture_output=True, text=True,
                            timeout=300)
    found = re.search(r"Arena allocation head (\d+) bytes", result.stderr + result.stdout)
    if not found:
        raise RuntimeError(f"no TFLM allocation report for {tflite.name}: {result.stderr[-300:]}")
    return int(found.group(1))


def peers(models: list[Path], search_nodes: int = SEARCH_NODES) -> list[dict]:
    rows = []
    for path in models:
        name = path.name.split(".")[0]
        base = quantized_model(path)
        tflm = tflm_head_bytes(path)
        for target in TARGETS:
            off = figures(planned(base, inplace="off", target=target, search_nodes=search_nodes))
            on = figures(planned(base, inplace="full", target=target, search_nodes=search_nodes))
            rows.append({"model": name, "target": target, "tflm": tflm, "no_overlap_bound": off.no_overlap_bound,
                         "ours_off": off.arena, "ours_on": on.arena, "switched": on.switched,
                         "off_vs_tflm": off.arena / tflm, "on_vs_tflm": on.arena / tflm,
                         "on_vs_bound": on.arena / off.no_overlap_bound if off.no_overlap_bound else None,
                         "margin_pct": pct(on.arena, tflm)})
    return rows
