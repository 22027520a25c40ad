"""A placement heuristic of your own, tried against the built-in strategies on the reference models.

    python examples/custom_allocator.py [MODELS_DIR]

"Longest lifetime first, first fit": buffers that stay live longest go in
first, at the lowest offset where they fit (alias pairs may still overlap).
"""

import sys
from pathlib import Path

from cmsis_opt.allocators import STRATEGIES, arena_size, place, place_in_order
from cmsis_opt.api import Model
from cmsis_opt.passes.arena_alloc import problem_of

models = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "models")
names = ["kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1"]


def longest_lifetime_first(problem):
    order = sorted(range(len(problem.blocks)), key=lambda i: (problem.blocks[i].first - problem.blocks[i].last,
                                                              -problem.blocks[i].size))
    return arena_size(problem, place_in_order(problem, order))


print(f"{'model':<18}{'mine':>9}" + "".join(f"{s:>16}" for s in STRATEGIES))
for name in names:
    model = Model.load(models / f"{name}.int8.tflite").run("quantize").run("inplace-alias")
    problem = problem_of(model.plan(), alignment=16)
    sizes = [place(problem, strategy).size for strategy in STRATEGIES]
    print(f"{name:<18}{longest_lifetime_first(problem):>9,}" + "".join(f"{s:>16,}" for s in sizes))
