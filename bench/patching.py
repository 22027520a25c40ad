"""Patch-based execution of the first stage: arena bytes against the halos' extra MACs, per model.

    python bench/patching.py [--models DIR] [--mobilenet]

For each model every stage end and grid that `cmsis-compile --patch auto`
considers is planned for real (the whole default pipeline, cortex-m4), with
a budget of 50%, so the table can show the choice within the default 15% and
the plot the best arena at each budget. --mobilenet adds MobileNetV2-0.35
96x96 (random weights, quantized by onnxruntime) with its pads written out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cmsis_opt.api import load_module  # noqa: E402
from cmsis_opt.passes.default import DefaultPipeline  # noqa: E402
from cmsis_opt.passes.patch_split import Candidate, candidates, choose  # noqa: E402

BUDGETS = [0, 1, 2, 5, 10, 15, 20, 30, 50]
"""MAC overheads (% of the model's) of the plot's x axis."""


def model_rows(name: str, path: Path, budget: float = 15.0) -> dict:
    """Every candidate of one model, the unpatched arena and the choice within `budget` percent."""
    module = load_module(path)
    start = time.perf_counter()
    found = candidates(module, DefaultPipeline(core="cortex-m4"), max_overhead=BUDGETS[-1])
    seconds = time.perf_counter() - start
    within = [c for c in found if c.overhead <= budget]
    best = choose(within)
    return {"model": name, "off": found[0].arena, "choice": asdict(best), "overhead": best.overhead,
            "candidates": [asdict(c) for c in found], "seconds": seconds, "count": len(found)}


def frontier(row: dict) -> list[int]:
    """The smallest arena within each of BUDGETS."""
    found = [Candidate(**c) for c in row["candidates"]]
    return [min(c.arena for c in found if c.overhead <= b) for b in BUDGETS]


def patching(models: dict[str, Path]) -> list[dict]:
    return [model_rows(name, path) for name, path in models.items()]


def mobilenet_models(folder: Path) -> dict[str, Path]:
    from large_models import quantized_mobilenet_v2

    return {"mobilenet_v2_0.35_96_pads": quantized_mobilenet_v2(folder, size=96, width=0.35, explicit_pads=True,
                                                                name="mobilenet_v2_035_96")}


def table(rows: list[dict]) -> list[str]:
    lines = ["| model | layer by layer | stage (ops) | grid | arena | saving | MAC overhead (% of model) | "
             "candidates | seconds |", "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        c = r["choice"]
        saving = 100.0 * (r["off"] - c["arena"]) / max(r["off"], 1)
        lines.append(f"| {r['model']} | {r['off']:,} | {c['ops'] or '-'} | {c['grid']} | {c['arena']:,} | "
                     f"{saving:.1f}% | {r['overhead']:.1f} | {r['count']} | {r['seconds']:.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(Path(__file__).resolve().parents[2] / "shared" / "models"))
    parser.add_argument("--mobilenet", action="store_true", help="also MobileNetV2-0.35 96x96 with explicit pads")
    args = parser.parse_args(argv)
    models = {p.name.split(".")[0]: p for p in sorted(Path(args.models).glob("*.int8.tflite"))}
    with tempfile.TemporaryDirectory(prefix="bench-patching-") as tmp:
        if args.mobilenet:
            models.update(mobilenet_models(Path(tmp)))
        rows = patching(models)
    print("\n".join(table(rows)))
    for r in rows:
        print(r["model"], "best arena within", dict(zip(BUDGETS, frontier(r), strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
