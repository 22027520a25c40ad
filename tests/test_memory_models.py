"""The memory passes on the four MLPerf Tiny reference models (cortex-m4)."""

from __future__ import annotations

import pytest

from cmsis_opt.context import make_context
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.passes.liveness import LivenessPass
from cmsis_opt.passes.quantize import QuantizePass
from cmsis_opt.passes.verify_arena import VerifyArenaPass
from cmsis_opt.plan import memory_plan

MODELS = ("kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1")

# bytes of activations live at the busiest step (graph input and output included)
ACTIVATION_LOWER_BOUND = {"kws_dscnn": 16000, "ic_resnet8": 49152, "ad_autoencoder": 768, "vww_mobilenetv1": 55296}
# TensorFlow Lite Micro's greedy planner on the same tensors (plus our scratch, which TFLM plans apart)
TFLM_GREEDY = {"kws_dscnn": 16000, "ad_autoencoder": 768, "vww_mobilenetv1": 73728}


@pytest.fixture(scope="module")
def lowered(models_dir):
    from cmsis_opt.frontends.tflite import import_tflite

    modules = {}
    for name in MODELS:
        module = import_tflite(str(models_dir / f"{name}.int8.tflite"))
        QuantizePass().apply(make_context(), module)
        modules[name] = module
    return modules


def plan_of(module, *passes):
    module = module.clone()
    for p in passes:
        p.apply(make_context(), module)
    VerifyArenaPass().apply(make_context(), module)
    return memory_plan(module)


@pytest.mark.parametrize("name", MODELS)
def test_without_inplace_auto_reaches_the_lower_bound(lowered, name):
    plan = plan_of(lowered[name], LivenessPass(), ArenaAllocPass())
    assert plan.activation_no_overlap_bound == ACTIVATION_LOWER_BOUND[name]
    assert plan.arena_size == plan.no_overlap_bound
    assert plan.no_overlap_bound - plan.activation_no_overlap_bound <= plan.scratch_bytes


@pytest.mark.parametrize("name", sorted(TFLM_GREEDY))
def test_greedy_by_size_reproduces_tflite_micro(lowered, name):
    plan = plan_of(lowered[name], LivenessPass(), ArenaAllocPass(strategy="greedy-by-size"))
    assert plan.arena_size == TFLM_GREEDY[name]


def test_every_strategy_gives_a_valid_plan_on_resnet(lowered):
    sizes = {}
    for strategy in ("naive", "greedy-by-size", "best-fit", "optimal", "auto"):
        sizes[strategy] = plan_of(lowered["ic_resnet8"], LivenessPass(), ArenaAllocPass(strategy=strategy)).arena_size
    assert sizes["naive"] > sizes["greedy-by-size"] >= sizes["optimal"] == sizes["auto"]
