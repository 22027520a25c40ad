"""The paper's experiment (CMSIS-NN CIFAR-10 example) and the depth sweep."""

from __future__ import annotations

from common import CIFAR_NET, figures, pct, planned, quantized_net, stack_high_water

from cmsis_opt.plan import Plan


def ping_pong_plan(plan: Plan) -> dict:
    """The example's hand plan derived from the network: one buffer for the outputs of even steps, one for odd.

    Valid for a chain (step t reads what step t-1 wrote); the graph input is
    read at step 0, so it sits in the odd buffer, as the example copies its image there.
    The im2col buffer is the largest scratch any step needs.
    """
    even = max((b.size for b in plan.buffers if b.kind != "scratch" and b.step is not None and b.step % 2 == 0), default=0)
    odd = max((b.size for b in plan.buffers if b.kind != "scratch" and (b.step is None or b.step % 2 == 1)), default=0)
    scratch = plan.scratch_bytes
    return {"even_buffer": even, "odd_buffer": odd, "activations": even + odd, "scratch": scratch,
            "arena": even + odd + scratch}


PAPER_VARIANTS = [
    # key, label, planned() keywords
    ("liveness", "(b) liveness only, optimal placement", dict(inplace="off")),
    ("paper", "(c) in-place of element-wise layers only (documented kernels: pooling excluded)",
     dict(inplace="elementwise", kernel_switch="never")),
    ("paper_pool", "(c') in-place of element-wise and pooling layers (allow-undocumented: max pool overlap)",
     dict(inplace="elementwise", kernel_switch="never", allow_undocumented=True)),
    ("ours", "(d) kernel-aware in-place (default)", dict(inplace="full")),
    ("ours_undoc", "(d') kernel-aware in-place, allow-undocumented=true", dict(inplace="full", allow_undocumented=True)),
]


def paper_experiment(target: str = "cortex-m4") -> dict:
    """Every variant's arena on the CIFAR-10 example, with the saving against the hand plan."""
    base = quantized_net(CIFAR_NET.read_text(), "cifar10_cmsis")
    liveness = planned(base, inplace="off", target=target)
    hand = ping_pong_plan(liveness.plan())
    stack = stack_high_water("cifar10_cmsis", target)
    rows = [{"key": "hand", "label": "(a) hand plan: ping-pong buffers + im2col", "activations": hand["activations"],
             "scratch": hand["scratch"], "arena": hand["arena"], "saving_pct": 0.0}]
    for key, label, options in PAPER_VARIANTS:
        f = figures(liveness if key == "liveness" else planned(base, target=target, **options))
        rows.append({"key": key, "label": label, "activations": f.activations, "scratch": f.scratch,
                     "arena": f.arena, "saving_pct": pct(f.arena, hand["arena"])})
    for row in rows:
        row["device_ram"] = row["arena"] + stack if stack is not None else None
    return {"target": target, "hand_plan": hand, "rows": rows, "stack": stack,
            "stack_source": "build/target/report.md (make target-check, painted stack, cifar10_cmsis "
                            f"on {target})" if stack is not None else "not measured: run `make target-check` first"}


def depth_net(blocks: int) -> str:
    """The CIFAR-10 family with `blocks` conv blocks: conv 3x3 + ReLU, a 2x2 max pool after every other block."""
    lines = ["seed 3", "input x: 1x32x32x3, scale=0.0078125, zp=0"]
    prev, size = "x", 32
    for i in range(blocks):
        filters = 16 if i % 2 == 0 else 32
        lines.append(f"c{i} = conv({prev}, filters={filters}, kernel=3, pad=1, act=relu, scale=0.05, zp=-128)")
        prev = f"c{i}"
        if i % 2 == 1 and size > 2:
            lines.append(f"p{i} = maxpool({prev}, kernel=2, stride=2)")
            prev, size = f"p{i}", size // 2
    lines += [f"fc = fc({prev}, units=10, scale=0.1, zp=0)", "prob = softmax(fc)", "output prob"]
    return "\n".join(lines) + "\n"


def depth_sweep(depths: list[int], target: str = "cortex-m4") -> list[dict]:
    """Arena per strategy for each depth: liveness only vs the paper's replacement vs full in-place."""
    rows = []
    for depth in depths:
        base = quantized_net(depth_net(depth), f"depth{depth}")
        liveness = planned(base, inplace="off", target=target, search_nodes=50_000)
        off, hand = figures(liveness), ping_pong_plan(liveness.plan())
        naive = figures(planned(base, inplace="off", target=target, strategy="naive"))
        paper = figures(planned(base, inplace="elementwise", target=target, allow_undocumented=True, search_nodes=50_000))
        full = figures(planned(base, inplace="full", target=target, search_nodes=50_000))
        full_u = figures(planned(base, inplace="full", target=target, allow_undocumented=True, search_nodes=50_000))
        rows.append({"blocks": depth, "no_reuse": naive.arena, "hand": hand["arena"], "liveness": off.arena, "paper_pool": paper.arena, "ours": full.arena,
                     "ours_undoc": full_u.arena, "saving_pct": pct(full.arena, off.arena),
                     "saving_undoc_pct": pct(full_u.arena, off.arena), "saving_paper_pct": pct(paper.arena, off.arena),
                     "saving_vs_no_reuse_pct": pct(full.arena, naive.arena)})
    return rows
