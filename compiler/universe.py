"""Makes the dialects and passes visible to plain `xdsl-opt` (entry point `xdsl.universe`)."""

from xdsl.universe import Universe

from cmsis_opt.context import DIALECTS
from cmsis_opt.passes import ALL_PASSES

CMSIS_OPT_UNIVERSE = Universe(
    all_dialects={name: get for name, get in DIALECTS.items() if name in ("quant", "nn", "cmsis", "arena")},
    all_passes=dict(ALL_PASSES),
)
