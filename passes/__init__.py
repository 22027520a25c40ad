"""The passes, one module each, registered under the names the tools use (xDSL's lazy registry form)."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def _attach_target() -> type[ModulePass]:
    from cmsis_opt.passes.attach_target import AttachTargetPass

    return AttachTargetPass


def _quantize() -> type[ModulePass]:
    from cmsis_opt.passes.quantize import QuantizePass

    return QuantizePass


def _bufferize() -> type[ModulePass]:
    from cmsis_opt.passes.bufferize import BufferizePass

    return BufferizePass


def _liveness() -> type[ModulePass]:
    from cmsis_opt.passes.liveness import LivenessPass

    return LivenessPass


def _fold_pads() -> type[ModulePass]:
    from cmsis_opt.passes.fold_pads import FoldPadsPass

    return FoldPadsPass


def _patch_split() -> type[ModulePass]:
    from cmsis_opt.passes.patch_split import PatchSplitPass

    return PatchSplitPass


def _inplace_alias() -> type[ModulePass]:
    from cmsis_opt.passes.inplace_alias import InplaceAliasPass

    return InplaceAliasPass


def _arena_alloc() -> type[ModulePass]:
    from cmsis_opt.passes.arena_alloc import ArenaAllocPass

    return ArenaAllocPass


def _verify_arena() -> type[ModulePass]:
    from cmsis_opt.passes.verify_arena import VerifyArenaPass

    return VerifyArenaPass


def _default() -> type[ModulePass]:
    from cmsis_opt.passes.default import DefaultPipeline

    return DefaultPipeline


ALL_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "attach-target": _attach_target,
    "quantize": _quantize,
    "bufferize": _bufferize,
    "liveness": _liveness,
    "fold-pads": _fold_pads,
    "patch-split": _patch_split,
    "inplace-alias": _inplace_alias,
    "arena-alloc": _arena_alloc,
    "verify-arena": _verify_arena,
    "default": _default,
}
"""Pass name -> a function returning the pass class (imported on first use, as xDSL's registry does)."""
