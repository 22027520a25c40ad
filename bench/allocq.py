"""Allocator quality: every placement strategy, bytes over the lower bound and time to plan."""

from __future__ import annotations

import random
import time

from common import quantized_net

from cmsis_opt.allocators import STRATEGIES, aligned_lower_bound, place
from cmsis_opt.passes.arena_alloc import problem_of


def random_net(seed: int) -> str:
    """A random branching network: convs, residual adds, two-way concats, the odd max pool."""
    rng = random.Random(seed)
    size, channels = rng.choice([8, 12, 16]), rng.choice([4, 8, 12])
    lines = [f"seed {seed}", f"input x: 1x{size}x{size}x{channels}, scale=0.0078125, zp=0"]
    prev, count = "x", 0

    def name() -> str:
        nonlocal count
        count += 1
        return f"l{count}"

    for _ in range(rng.randint(4, 9)):
        kind = rng.choice(["conv", "residual", "concat", "pool"])
        if kind == "pool" and size < 4:
            kind = "conv"
        out = name()
        if kind == "conv":
            channels = rng.choice([4, 8, 12, 16])
            lines.append(f"{out} = conv({prev}, filters={channels}, kernel=3, pad=1, act=relu)")
        elif kind == "residual":
            a, b = name(), out
            lines.append(f"{a} = conv({prev}, filters={channels}, kernel=3, pad=1, act=relu)")
            mid = name()
            lines.append(f"{mid} = conv({a}, filters={channels}, kernel=3, pad=1)")
            lines.append(f"{b} = add({mid}, {prev}, act=relu)")
        elif kind == "concat":
            a, c = name(), name()
            ca, cc = rng.choice([4, 8]), rng.choice([4, 8])
            lines.append(f"{a} = conv({prev}, filters={ca}, kernel=3, pad=1, act=relu)")
            lines.append(f"{c} = conv({prev}, filters={cc}, kernel=1, act=relu)")
            lines.append(f"{out} = concat({a}, {c})")
            channels = ca + cc
        else:
            lines.append(f"{out} = maxpool({prev}, kernel=2, stride=2)")
            size //= 2
        prev = out
    lines += [f"f = fc({prev}, units=10)", "output f"]
    return "\n".join(lines) + "\n"


def problems_of(models: dict[str, "object"], target: str = "cortex-m4") -> dict:
    """The placement problem (full in-place, so with alias pairs) of each quantized model."""
    found = {}
    for name, base in models.items():
        model = base.copy().run("attach-target", core=target).run("inplace-alias", kernel_switch="never")
        found[name] = problem_of(model.plan(), 16)
    return found


def strategy_table(problems: dict, search_nodes: int) -> list[dict]:
    """Per problem and strategy: arena, bytes over the lower bound, CPU seconds to plan."""
    rows = []
    for name, problem in problems.items():
        bound = aligned_lower_bound(problem)
        for strategy in STRATEGIES:
            start = time.process_time()
            placement = place(problem, strategy, max_nodes=search_nodes)
            seconds = time.process_time() - start
            rows.append({"problem": name, "strategy": strategy, "arena": placement.size, "bound": bound,
                         "over_bound": placement.size - bound, "seconds": seconds,
                         "exact": placement.exact or placement.size == bound})
    return rows


def random_problems(count: int, target: str = "cortex-m4") -> dict:
    return problems_of({f"random{seed}": quantized_net(random_net(seed), f"random{seed}") for seed in range(count)},
                       target)


def summarize(rows: list[dict]) -> list[dict]:
    """Per strategy: mean and worst bytes over the bound, how often it meets it, mean and worst time."""
    out = []
    for strategy in STRATEGIES:
        mine = [r for r in rows if r["strategy"] == strategy]
        if not mine:
            continue
        over = [r["over_bound"] for r in mine]
        pcts = [100.0 * r["over_bound"] / r["bound"] for r in mine if r["bound"]]
        out.append({"strategy": strategy, "problems": len(mine), "at_bound": sum(o == 0 for o in over),
                    "mean_over": sum(over) / len(over), "worst_over": max(over),
                    "mean_over_pct": sum(pcts) / len(pcts) if pcts else 0.0, "worst_over_pct": max(pcts, default=0.0),
                    "mean_seconds": sum(r["seconds"] for r in mine) / len(mine),
                    "worst_seconds": max(r["seconds"] for r in mine)})
    return out
