"""`--attach-target`: record the Cortex-M core the model is compiled for.

Writes `#cmsis.target<"CORE", path = "...", cmsis_nn = "7.0.0">` on the
module (`cmsis_opt.dialects.cmsis.TargetAttr`); every later pass, the C
backend and the report read it from there. The memory passes record the
default core (`cmsis_opt.targets.DEFAULT_CORE`) when none is attached.

A plan is only valid for the core it was made for, so a module that already
has overlaps or offsets (`#arena.inplace`, `#arena.plan`) cannot be moved to
another core: attach the target before planning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from cmsis_opt import targets
from cmsis_opt.dialects import arena
from cmsis_opt.dialects.cmsis import TARGET_ATTR, TargetAttr, target_of
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.common import CmsisPass, Stage
from cmsis_opt.targets import CoreName


def ensure_target(module: ModuleOp) -> TargetAttr:
    """The module's target; the default core's, recorded on the module, when it has none."""
    found = target_of(module)
    if found is None:
        found = TargetAttr(targets.DEFAULT_CORE)
        module.attributes[TARGET_ATTR] = found
    return found


def is_planned(module: ModuleOp) -> bool:
    """Whether any function of the module has in-place overlaps or arena offsets recorded."""
    return any(
        arena.function_attr(f, arena.PlanAttr) is not None or arena.function_attr(f, arena.InplaceAttr) is not None
        for f in module.walk() if isinstance(f, FuncOp)
    )


@dataclass(frozen=True)
class AttachTargetPass(CmsisPass):
    """Record the Cortex-M core (and with it the CMSIS-NN build path) the model is compiled for."""

    name: ClassVar[str] = "attach-target"
    STAGE: ClassVar[Stage] = "any"
    FUNCTIONS: ClassVar[Literal["one", "some", "any"]] = "any"  # the target is the module's: any module has one
    core: CoreName = targets.DEFAULT_CORE

    def run(self, module: ModuleOp) -> None:
        old = target_of(module)
        if old is not None and old.core != self.core and is_planned(module):
            raise CompileError(f"the module is already planned for {old.core}; its overlaps and offsets do not hold on "
                               f"{self.core}: attach the target before --inplace-alias and --arena-alloc", self.name)
        module.attributes[TARGET_ATTR] = TargetAttr(targets.core(self.core).name)
