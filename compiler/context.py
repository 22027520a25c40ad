"""The one place that says which dialects the tools understand."""

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func

from cmsis_opt.dialects.arena import ARENA
from cmsis_opt.dialects.cmsis import CMSIS
from cmsis_opt.dialects.nn import NN
from cmsis_opt.dialects.quant import Quant

DIALECTS = {"builtin": lambda: Builtin, "func": lambda: Func, "quant": lambda: Quant,
            "nn": lambda: NN, "cmsis": lambda: CMSIS, "arena": lambda: ARENA}


def make_context() -> Context:
    ctx = Context()
    for get in DIALECTS.values():
        ctx.load_dialect(get())
    return ctx
