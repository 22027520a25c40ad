"""The reference models planned with in-place overlap on cortex-m4 fit well under TFLite Micro's arenas."""

from __future__ import annotations

import pytest
from conftest import run_tool

from cmsis_opt.context import make_context
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.passes.inplace_alias import InplaceAliasPass
from cmsis_opt.passes.quantize import QuantizePass
from cmsis_opt.passes.verify_arena import VerifyArenaPass
from cmsis_opt.plan import memory_plan

# name: (TFLM arena, the bytes this project aims at with overlap)
TARGETS = {"kws_dscnn": (16_000, 10_000), "ic_resnet8": (49_152, 36_000), "vww_mobilenetv1": (73_728, 40_000)}


def planned(path):
    proc = run_tool("cmsis-import", str(path))
    assert proc.returncode == 0, proc.stderr
    source = parse_ir(proc.stdout, str(path))
    ctx = make_context()
    QuantizePass().apply(ctx, source.module)
    InplaceAliasPass().apply(ctx, source.module)
    ArenaAllocPass(time_limit=1.0).apply(ctx, source.module)
    VerifyArenaPass().apply(ctx, source.module)
    return memory_plan(source.module)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_default_inplace_plan_beats_the_liveness_bound(models_dir, name):
    tflm, goal = TARGETS[name]
    plan = planned(models_dir / f"{name}.qdq.onnx")
    assert plan.inplace
    assert plan.arena_size <= goal < tflm
    assert plan.arena_size < plan.activation_no_overlap_bound  # only overlap gets below the liveness bound
