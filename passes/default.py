"""`-p default`: the pipeline `cmsis-compile` runs, as one named pass with the options that steer it.

    attach-target{core}        when `core` is given (else the module's target, or the default core)
    quantize{io-layout}        when the IR is still in the nn dialect
    fold-pads                  unless fold-pads=false
    patch-split{ops grid stream-input}  when patch is a grid RxC (patch-ops: how many ops the stage takes, 0 all)
    inplace-alias{kernel-switch allow-undocumented}   unless inplace=false
    arena-alloc{strategy alignment max-size search-nodes time-limit}
    verify-arena

Each step is the pass of that name; passes never run one another, only a
pipeline does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.allocators import SEARCH_NODES
from cmsis_opt.diagnostics import remark
from cmsis_opt.errors import UsageError
from cmsis_opt.passes.arena_alloc import ArenaAllocPass, Strategy
from cmsis_opt.passes.attach_target import AttachTargetPass
from cmsis_opt.passes.common import CmsisPass, Stage, stage_of
from cmsis_opt.passes.fold_pads import FoldPadsPass
from cmsis_opt.passes.inplace_alias import InplaceAliasPass
from cmsis_opt.passes.patch_split import PatchSplitPass
from cmsis_opt.passes.quantize import QuantizePass
from cmsis_opt.passes.verify_arena import VerifyArenaPass
from cmsis_opt.targets import CoreName


@dataclass(frozen=True)
class DefaultPipeline(CmsisPass):
    # the first line of a pass's docstring is its line in `cmsis-opt --help`, so it stays whole
    """The default pipeline (what cmsis-compile runs): [attach-target,] [quantize,] fold-pads, inplace-alias, arena-alloc, verify-arena."""  # noqa: E501

    name: ClassVar[str] = "default"
    STAGE: ClassVar[Stage] = "any"
    core: CoreName | None = None
    io_layout: Literal["model", "nhwc"] = "model"
    fold_pads: bool = True
    patch: str = "off"
    patch_ops: int = 0
    stream_input: bool = False
    inplace: bool = True
    kernel_switch: Literal["peak", "never", "always"] = "peak"
    allow_undocumented: bool = False
    strategy: Strategy = "auto"
    alignment: int = 16
    max_size: int = 0
    search_nodes: int = SEARCH_NODES
    time_limit: float | int = 60.0

    def __post_init__(self) -> None:
        """Bad options are usage errors named by this pass, before any IR is read: the steps' own checks run
        here on the options they would get."""
        super().__post_init__()
        where = f"pass '{self.name}'"
        if self.patch == "auto":  # the search compiles candidate pipelines: it is the driver's, not a pass's
            raise UsageError("patch=auto is a search that `cmsis-compile --patch auto` runs, planning each "
                             "candidate grid; in a pipeline give a grid ROWSxCOLUMNS (e.g. 2x2), or off", where)
        try:
            if self.patch != "off":
                PatchSplitPass(ops=self.patch_ops, grid=self.patch, stream_input=self.stream_input)
            ArenaAllocPass(strategy=self.strategy, alignment=self.alignment, max_size=self.max_size,
                           search_nodes=self.search_nodes, time_limit=self.time_limit)
        except UsageError as error:
            message = error.message.replace("option 'grid'", "option 'patch'")
            raise UsageError(message.replace("option 'ops'", "option 'patch-ops'"), where) from None

    def passes(self, module: ModuleOp) -> list[ModulePass]:
        """The passes this pipeline runs on `module`, in order."""
        steps: list[ModulePass] = []
        if self.core is not None:
            steps.append(AttachTargetPass(core=self.core))
        if stage_of(module) == "nn":
            steps.append(QuantizePass(io_layout=self.io_layout))
        elif self.io_layout != "model":
            remark(f"io-layout={self.io_layout} has no effect: the IR is already quantized, and quantize is the step "
                   "that chooses the C API's layout (give it the model before --quantize)", self.name)
        if self.patch == "off" and (self.patch_ops or self.stream_input):
            options = (("patch-ops", self.patch_ops), ("stream-input", self.stream_input))
            given = " and ".join(name for name, value in options if value)
            remark(f"{given} {'has' if ' and ' not in given else 'have'} no effect with patch=off: give a grid "
                   "(patch=RxC)", self.name)
        if self.fold_pads:
            steps.append(FoldPadsPass())
        if self.patch != "off":
            steps.append(PatchSplitPass(ops=self.patch_ops, grid=self.patch, stream_input=self.stream_input))
        if self.inplace:
            steps.append(InplaceAliasPass(kernel_switch=self.kernel_switch, allow_undocumented=self.allow_undocumented))
        steps.append(ArenaAllocPass(strategy=self.strategy, alignment=self.alignment, max_size=self.max_size,
                                    search_nodes=self.search_nodes, time_limit=self.time_limit))
        steps.append(VerifyArenaPass())
        return steps

    def run(self, module: ModuleOp) -> None:
        ctx = Context()
        for step in self.passes(module):
            step.apply(ctx, module)
