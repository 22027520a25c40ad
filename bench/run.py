"""`make bench`: the paper's experiment reproduced and beaten, and the numbers around it, measured in one run.

    python bench/run.py [--quick] [--out DIR]

Writes DIR/results.md (tables), DIR/results.json (raw numbers) and DIR/*.svg
(plots); DIR defaults to bench/. --quick runs a small subset (the CIFAR-10
experiment, a short depth sweep, a few random graphs) for the smoke test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import allocq  # noqa: E402
import compile_time  # noqa: E402
import device_cost  # noqa: E402
import paper  # noqa: E402
import patching  # noqa: E402
import peers  # noqa: E402
import pytorch_exports  # noqa: E402
import report  # noqa: E402
import runtime_cost  # noqa: E402
from cmsis_opt.allocators import SEARCH_NODES  # noqa: E402
from common import CIFAR_NET, MODELS_DIR, quantized_model, quantized_net, tflite_models  # noqa: E402

RANDOM_SEARCH_NODES = 30_000
"""Node budget of the exact search on each random graph of section 4 (the models get the default)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset, for the smoke test")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent), help="where results go (default bench/)")
    parser.add_argument("--random", type=int, default=50, help="random branching graphs for the allocator table")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict = {"quick": args.quick}
    models = [] if args.quick else tflite_models()
    if not args.quick and not models:
        log("shared/models is absent: the peer, per-model and runtime sections are skipped")

    log("1. the paper's experiment (CMSIS-NN CIFAR-10 example)")
    results["paper"] = paper.paper_experiment()

    depths = [2, 3] if args.quick else list(range(2, 17))
    log(f"2. depth sweep over {depths[0]}..{depths[-1]} conv blocks")
    results["depth"] = paper.depth_sweep(depths)

    if models:
        log("3. peers: TensorFlow Lite Micro's planner and the lower bound")
        results["peers"] = peers.peers(models)

    count = 3 if args.quick else args.random
    log(f"4. allocator quality on {len(models)} models and {count} random graphs")
    named = {p.name.split(".")[0]: quantized_model(p) for p in models}
    named["cifar10_cmsis"] = quantized_net(CIFAR_NET.read_text(), "cifar10_cmsis")
    model_rows = allocq.strategy_table(allocq.problems_of(named), search_nodes=SEARCH_NODES)
    random_rows = allocq.strategy_table(allocq.random_problems(count), search_nodes=RANDOM_SEARCH_NODES)
    results["allocators"] = {"search_nodes": [SEARCH_NODES, RANDOM_SEARCH_NODES], "models": model_rows, "random": allocq.summarize(random_rows), "random_count": count,
                             "random_rows": random_rows}

    if not args.quick:
        log("5. compile time")
        with tempfile.TemporaryDirectory() as work:
            results["compile"] = compile_time.compile_results([*models, CIFAR_NET], Path(work))

        log("6. runtime cost of in-place (callgrind)")
        chosen = {"cifar10_cmsis": named["cifar10_cmsis"]}
        chosen.update({k: v for k, v in named.items() if k in ("kws_dscnn", "vww_mobilenetv1", "ic_resnet8")})
        work = Path(tempfile.mkdtemp(prefix="bench-callgrind-"))
        try:
            results["runtime"] = runtime_cost.runtime_cost(chosen, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

        log("7. device cost of in-place (QEMU, CMSIS-NN)")
        results["device"] = device_cost.device_cost(MODELS_DIR)
        if "note" in results["device"]:
            log(f"   skipped: {results['device']['note']}")

        log("8. PyTorch exports (tests/data/pytorch) against onnxruntime")
        results["pytorch"] = pytorch_exports.bench_rows()
    if not args.quick:
        log("9. patch-based execution of the first stage (every stage end and grid, planned)")
        with tempfile.TemporaryDirectory(prefix="bench-patching-") as work:
            chosen_models = {p.name.split(".")[0]: p for p in models}
            chosen_models.update(patching.mobilenet_models(Path(work)))
            results["patching"] = patching.patching(chosen_models)
            results["patching_streamed"] = patching.auto_streamed_rows(
                {**chosen_models, **patching.large_models(Path(work))})
        log("11. --stream-input alone: the first layer in bands of rows")
        results["streamed"] = patching.streamed_rows({p.name.split(".")[0]: p for p in models})

    results["seconds"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    report.write(results, out)
    log(f"done in {results['seconds']:.0f} s: {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
