"""The passes, one module each, registered under the names the tools use."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def _quantize():
    from cmsis_opt.passes.quantize import QuantizePass

    return QuantizePass


def _bufferize():
    from cmsis_opt.passes.bufferize import BufferizePass

    return BufferizePass


def _liveness():
    from cmsis_opt.passes.liveness import LivenessPass

    return LivenessPass


def _inplace_alias():
    from cmsis_opt.passes.inplace_alias import InplaceAliasPass

    return InplaceAliasPass


def _arena_alloc():
    from cmsis_opt.passes.arena_alloc import ArenaAllocPass

    return ArenaAllocPass


def _verify_arena():
    from cmsis_opt.passes.verify_arena import VerifyArenaPass

    return VerifyArenaPass


ALL_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "quantize": _quantize,
    "bufferize": _bufferize,
    "liveness": _liveness,
    "inplace-alias": _inplace_alias,
    "arena-alloc": _arena_alloc,
    "verify-arena": _verify_arena,
}
