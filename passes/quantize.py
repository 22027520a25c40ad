"""Lower the nn dialect to int8 cmsis ops, with TFLite's exact requantization parameters."""

from dataclasses import dataclass
from typing import ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from cmsis_opt.passes.not_implemented import not_implemented


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Lower the nn dialect to int8 cmsis ops, with TFLite's exact requantization parameters."""

    name: ClassVar[str] = "quantize"
    calibration: str = ""
    method: str = "minmax"
    percentile: float = 99.99

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise not_implemented(self.name)
