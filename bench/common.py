"""What every benchmark section shares: where the models are, the plan variants, timing."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cmsis_opt.allocators import SEARCH_NODES
from cmsis_opt.api import Model
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.frontends.netdsl import parse_net
from cmsis_opt.plan import Plan, the_function

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT.parent / "shared" / "models"
MODEL_NAMES = ("kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1")
CIFAR_NET = ROOT / "examples" / "cifar10_cmsis.net"
TARGET_REPORT = ROOT / "build" / "target" / "report.md"

COMPUTE_OPS = (cmsis.ConvOp, cmsis.DepthwiseConvOp, cmsis.FullyConnectedOp)
"""The layers whose output overlapping its input is this project's addition (the paper overlapped the others)."""


def tflite_models() -> list[Path]:
    """The reference .tflite models that are present (none when shared/models is absent)."""
    return [MODELS_DIR / f"{name}.int8.tflite" for name in MODEL_NAMES if (MODELS_DIR / f"{name}.int8.tflite").exists()]


def quantized_model(path: Path) -> Model:
    return Model.load(path).run("quantize")


def quantized_net(text: str, name: str) -> Model:
    return Model(parse_net(text, f"{name}.net", name), name).run("quantize")


def drop_compute_aliases(model: Model) -> int:
    """Erase the alias licences of conv / depthwise / fully connected outputs; returns how many."""
    func = the_function(model.module)
    dropped = [op for op in func.body.block.ops
               if isinstance(op, arena.AliasOp) and isinstance(op.result.owner, COMPUTE_OPS)]
    for op in dropped:
        op.detach()
        op.erase()
    return len(dropped)


INPLACE_MODES = ("off", "elementwise", "full")
"""off: liveness only; elementwise: the paper's replacement (no conv/dw/fc overlap); full: kernel-aware."""


def planned(base: Model, inplace: str = "full", target: str = "cortex-m4", allow_undocumented: bool = False,
            kernel_switch: str = "peak", strategy: str = "optimal", search_nodes: int = SEARCH_NODES) -> Model:
    """A copy of a quantized model with its arena planned under one in-place mode."""
    model = base.copy().run("attach-target", core=target)
    if inplace == "off":
        model.run("liveness")
    else:
        switch = "never" if inplace == "elementwise" else kernel_switch
        model.run("liveness").run("inplace-alias", kernel_switch=switch, allow_undocumented=allow_undocumented)
        if inplace == "elementwise":
            drop_compute_aliases(model)
    model.run("arena-alloc", strategy=strategy, search_nodes=search_nodes)
    model.run("verify-arena")
    return model


@dataclass
class ArenaFigures:
    """The bytes of one plan: the whole arena, the part activations reach, the largest scratch."""

    arena: int
    activations: int
    scratch: int
    no_overlap_bound: int
    switched: list[str]

    def as_dict(self) -> dict:
        return asdict(self)


def figures(model: Model) -> ArenaFigures:
    plan: Plan = model.plan()
    acts = max((b.offset + b.size for b in plan.buffers if b.kind != "scratch"), default=0)
    switched = [op.attributes["layer"].data for op in plan.steps
                if isinstance(op, cmsis.ConvOp) and "kernel" in op.properties and "layer" in op.attributes]
    return ArenaFigures(plan.arena_size or 0, acts, plan.scratch_bytes, plan.no_overlap_bound or 0, switched)


def timed(fn, *args, **kwargs):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def pct(new: float, old: float) -> float:
    """Saving of `new` against `old`, in % (positive: smaller)."""
    return 100.0 * (old - new) / old if old else 0.0


def stack_high_water(model: str = "cifar10_cmsis", core: str = "cortex-m4") -> int | None:
    """The stack measured by `make target-check` (build/target/report.md), if that report exists."""
    if not TARGET_REPORT.exists():
        return None
    for line in TARGET_REPORT.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 7 and cells[0] == model and cells[1] == core:
            return int(cells[6].replace(",", ""))
    return None
