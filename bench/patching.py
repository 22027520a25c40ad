"""Patch-based execution of the first stage: arena bytes against the halos' extra MACs, per model.

    python bench/patching.py [--models DIR] [--mobilenet] [--stream] [--large] [--out DIR]
    python bench/patching.py --streamed [--models DIR]

For each model every stage end and grid that `cmsis-compile --patch auto`
considers is planned for real (the whole default pipeline, cortex-m4), with
a budget of 50%, so the table can show the choice within the default 15% and
the plot the best arena at each budget. The compile-time columns time what
`--patch auto` does (the pruned search of patch_split.search within 15%,
then the pipeline once more with the choice) against the sum of the real
plans of every candidate within 15% (what it did before the bounds); the
pruned choice must be the exhaustive one.
--mobilenet adds MobileNetV2-0.35 96x96 (random weights, quantized by
onnxruntime) with its pads written out. --out DIR writes patching.svg and
patching_vww.svg (arena against MAC overhead of every VWW candidate) there.
--stream adds a second table: `--patch auto --stream-input` (the pruned
search alone, within 15%) on each model; --large adds MobileNetV2-1.0
224x224 with its pads written out to that table only (planning its every
candidate would take too long).
--streamed prints only the arena with `--stream-input` alone (the first layer
in bands of rows, no --patch) against layer by layer.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import svg  # noqa: E402

from cmsis_opt.api import load_module  # noqa: E402
from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.passes.default import DefaultPipeline  # noqa: E402
from cmsis_opt.passes.patch_split import GRID_COUNTS, Candidate, candidates, choose, search  # noqa: E402

BUDGETS = [0, 1, 2, 5, 10, 15, 20, 30, 50]
"""MAC overheads (% of the model's) of the plot's x axis."""
BASE = DefaultPipeline(core="cortex-m4")


def model_rows(name: str, path: Path, budget: float = 15.0) -> dict:
    """Every candidate of one model, the unpatched arena, the choice within `budget` percent and its times (s)."""
    module = load_module(path)
    start = time.perf_counter()
    found = candidates(module, BASE, max_overhead=BUDGETS[-1])
    seconds = time.perf_counter() - start
    within = [c for c in found if c.overhead <= budget]
    best = choose(within)
    start = time.perf_counter()
    pruned = search(module, BASE, budget)
    auto_seconds = time.perf_counter() - start
    start = time.perf_counter()
    final = module.clone()
    DefaultPipeline(core="cortex-m4", patch=best.grid, patch_ops=best.ops).apply(make_context(), final)
    compile_seconds = auto_seconds + time.perf_counter() - start
    return {"model": name, "off": found[0].arena, "choice": asdict(best), "overhead": best.overhead,
            "candidates": [asdict(c) for c in found], "seconds": seconds, "count": len(found),
            "within": len(within), "planned": len(pruned.planned), "auto_seconds": auto_seconds,
            "compile_seconds": compile_seconds, "same_choice": pruned.choice.key == best.key}


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


def auto_streamed_rows(models: dict[str, Path], budget: float = 15.0) -> list[dict]:
    """`--patch auto --stream-input` on each model: `patch_split.search` (pruned) within `budget` percent, its
    choice, how many candidates it planned and skipped, and its time (s)."""
    base = dataclasses.replace(BASE, stream_input=True)
    rows = []
    for name, path in models.items():
        module = load_module(path)
        start = time.perf_counter()
        found = search(module, base, budget)
        seconds = time.perf_counter() - start
        rows.append({"model": name, "off": found.planned[0].arena, "choice": asdict(found.choice),
                     "overhead": found.choice.overhead, "planned": len(found.planned), "skipped": len(found.skipped),
                     "seconds": seconds})
    return rows


def auto_streamed_table(rows: list[dict]) -> list[str]:
    lines = ["| model | layer by layer | stage (ops) | grid | arena | MAC overhead (% of model) | "
             "planned | skipped by their bound | `--patch auto --stream-input` s |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        c = r["choice"]
        lines.append(f"| {r['model']} | {r['off']:,} | {c['ops'] or '-'} | {c['grid']} | {c['arena']:,} | "
                     f"{r['overhead']:.1f} | {r['planned']} | {r['skipped']} | {r['seconds']:.1f} |")
    return lines


def large_models(folder: Path) -> dict[str, Path]:
    from large_models import quantized_mobilenet_v2

    return {"mobilenet_v2_1.0_224_pads": quantized_mobilenet_v2(folder, explicit_pads=True,
                                                                name="mobilenet_v2_10_224")}


def table(rows: list[dict]) -> list[str]:
    lines = ["| model | layer by layer | stage (ops) | grid | arena | saving | MAC overhead (% of model) | "
             "candidates within 15% | planned by `--patch auto` | `--patch auto` s | planning all within 15% s |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c = r["choice"]
        saving = 100.0 * (r["off"] - c["arena"]) / max(r["off"], 1)
        within = [y for x in r["candidates"] if (y := Candidate(**x)).overhead <= 15.0]
        lines.append(f"| {r['model']} | {r['off']:,} | {c['ops'] or '-'} | {c['grid']} | {c['arena']:,} | "
                     f"{saving:.1f}% | {r['overhead']:.1f} | {len(within)} | {r['planned']} | "
                     f"{r['compile_seconds']:.1f} | {sum(c.seconds for c in within):.1f} |")
    return lines


def candidate_plot(row: dict) -> str:
    """SVG: arena bytes against MAC overhead of every candidate of one model, one colour per grid."""
    found = [Candidate(**c) for c in row["candidates"]]
    series = {"no stage": [(0.0, float(row["off"]))]}
    for rows in GRID_COUNTS:  # one colour per row count: RxC for every C
        points = [(c.overhead, float(c.arena)) for c in found if c.grid != "off" and c.rows == rows]
        if points:
            series[f"{rows}xC tiles"] = points
    choice = Candidate(**row["choice"])
    return svg.scatter_chart(f"{row['model']}: every stage end and grid (cortex-m4)",
                             "extra MACs, % of the model", "arena bytes", series,
                             marks={f"--patch auto: {choice.ops} ops, {choice.grid}": (choice.overhead,
                                                                                       float(choice.arena)),
                                    "15% budget": (15.0, None)})


def streamed_rows(models: dict[str, Path]) -> list[dict]:
    """Per model: the arena layer by layer and with `--stream-input` alone (the first layer in R x 1 bands of rows,
    R as cmsis-compile chooses it), cortex-m4; `grid` None where the input cannot be streamed in rows."""
    from cmsis_opt.errors import CompileError
    from cmsis_opt.plan import memory_plan

    found = []
    for name, path in models.items():
        module = load_module(path)
        held = module.clone()
        BASE.apply(make_context(), held)
        row = {"model": name, "off": memory_plan(held).arena_size or 0, "grid": None, "arena": None, "region": None}
        streamed = DefaultPipeline(core="cortex-m4", stream_input=True)
        try:
            choice = search(module, streamed, 0.0, rows_only=True).choice
        except CompileError as error:
            row["why"] = error.message
        else:
            final = module.clone()
            DefaultPipeline(core="cortex-m4", patch=choice.grid, patch_ops=1, stream_input=True).apply(
                make_context(), final)
            plan = memory_plan(final)
            stage = next(op for op in plan.steps if op.name == "cmsis.patch_stage")
            scratch = plan.scratch(stage)
            row.update(grid=choice.grid, arena=plan.arena_size or 0,
                       region=scratch.size if scratch is not None else 0)
        found.append(row)
    return found


def streamed_table(rows: list[dict]) -> list[str]:
    lines = ["| model | layer by layer | `--stream-input` alone: bands | tile region | arena |",
             "|---|---:|---|---:|---:|"]
    for r in rows:
        if r["grid"] is None:
            lines.append(f"| {r['model']} | {r['off']:,} | none: {r.get('why', '')} | | |")
        else:
            lines.append(f"| {r['model']} | {r['off']:,} | {r['grid'].split('x')[0]} | {r['region']:,} | "
                         f"{r['arena']:,} |")
    return lines


def write_plots(rows: list[dict], out: Path) -> None:
    """patching.svg (best arena per budget, every model) and patching_vww.svg (every VWW candidate)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "patching.svg").write_text(svg.line_chart(
        "Smallest arena within a MAC overhead budget", "extra MACs, % of the model", "arena bytes",
        BUDGETS, {r["model"]: frontier(r) for r in rows}))
    for r in rows:
        if r["model"].startswith("vww"):
            (out / "patching_vww.svg").write_text(candidate_plot(r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(Path(__file__).resolve().parents[2] / "shared" / "models"))
    parser.add_argument("--mobilenet", action="store_true", help="also MobileNetV2-0.35 96x96 with explicit pads")
    parser.add_argument("--stream", action="store_true", help="also the --patch auto --stream-input table")
    parser.add_argument("--large", action="store_true", help="with --stream: also MobileNetV2-1.0 224x224")
    parser.add_argument("--out", default=None, help="write the plots and patching.json into this folder")
    parser.add_argument("--streamed", action="store_true",
                        help="only the table of --stream-input alone (the first layer in bands of rows)")
    args = parser.parse_args(argv)
    models = {p.name.split(".")[0]: p for p in sorted(Path(args.models).glob("*.int8.tflite"))}
    if args.streamed:
        print("\n".join(streamed_table(streamed_rows(models))))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-patching-") as tmp:
        if args.mobilenet:
            models.update(mobilenet_models(Path(tmp)))
        rows = patching(models)
        if args.stream:
            streamed = auto_streamed_rows({**models, **(large_models(Path(tmp)) if args.large else {})})
    print("\n".join(table(rows)))
    if args.stream:
        print("\n".join(auto_streamed_table(streamed)))
    for r in rows:
        print(r["model"], "best arena within", dict(zip(BUDGETS, frontier(r), strict=True)),
              "pruned choice is the exhaustive one:", r["same_choice"])
    if args.out:
        import json

        write_plots(rows, Path(args.out))
        (Path(args.out) / "patching.json").write_text(json.dumps(rows, indent=1) + "\n")
        if args.stream:
            (Path(args.out) / "patching_streamed.json").write_text(json.dumps(streamed, indent=1) + "\n")
    return 0 if all(r["same_choice"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
