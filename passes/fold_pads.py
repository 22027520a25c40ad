"""`--fold-pads`: a `cmsis.pad` whose only reader is a window op becomes that op's own padding.

`cmsis.pad` pads with its tensor's zero point (the only padding the quantize
pass lowers: real 0). Its rows and columns then cost a kernel call and a
buffer, where the convolution after it could have skipped them for free:

    %p = cmsis.pad %x {pre_pad = [0, 1, 1, 0], post_pad = [0, 1, 1, 0]}     1x8x8xC -> 1x10x10xC
    %y = cmsis.conv %p {padding = [0, 0], ...}                              3x3, 1x10x10xC -> 1x8x8xK
becomes
    %y = cmsis.conv %x {padding = [1, 1], ...}                              1x8x8xC -> 1x8x8xK

When it is exact (bit for bit):

- `cmsis.conv` and `cmsis.depthwise_conv`: a padded position holds the zero
  point, so it adds (zp + input_offset) * w = 0 to the accumulator, exactly
  what CMSIS-NN's skipped taps add (it bounds-checks every tap against the
  input). Always exact.
- `cmsis.max_pool`: `arm_max_pool_s8` skips padded taps, while an explicit
  pad makes the zero point a candidate of the maximum. The results agree when
  act_min >= zero point (a fused ReLU): clamp(max(m, zp)) = clamp(m) then.
  Only then is a max pool folded.
- `cmsis.avg_pool`: never (the explicit pad's values count in the mean,
  `arm_avgpool_s8` divides by the valid taps only).

What is representable: CMSIS-NN takes the padding before the first row and
column only (`padding.h`, `padding.w`) and implies the far side from the
output size. The pad's pre rows/columns add to the op's padding; its post
rows/columns become implied padding. The folded op must pass its own
verifier (`check_window` in dialects/cmsis_conv.py: padding smaller than the
window, far-side padding at most the near side's + 1, the output size
consistent); a pad that would break it stays, as does one that pads the
batch or the channels, or whose result has another reader.

A pad that stays has a real access order (`PadOp.access_order`), so
--inplace-alias lets its output overlap its input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation
from xdsl.utils.exceptions import VerifyException

from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.kernel import int_of
from cmsis_opt.dialects.quant import quant_of
from cmsis_opt.dialects.utils import i64_array, ints
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import the_function

WHERE = "fold-pads"


def folded(pad: cmsis.PadOp) -> tuple[Operation, Operation] | None:
    """(the reader of `pad`, that reader rebuilt to read the pad's input with the padding in its own window), or
    None where folding is not exact or not representable. The new op is not inserted: the caller swaps it in."""
    uses = list(pad.output.uses)
    if len(uses) != 1:
        return None
    reader = uses[0].operation
    if not isinstance(reader, (cmsis.ConvOp, cmsis.DepthwiseConvOp, cmsis.MaxPoolOp)):
        return None
    pre, post = ints(pad.pre_pad), ints(pad.post_pad)
    if pre[0] or post[0] or pre[3] or post[3]:
        return None
    if isinstance(reader, cmsis.MaxPoolOp):
        q = quant_of(pad.output.type)
        if q is None or int_of(reader.act_min) < q.zero_point:
            return None
    top, left = ints(reader.padding)
    properties = dict(reader.properties)
    properties["padding"] = i64_array([top + pre[1], left + pre[2]])
    new = type(reader).create(operands=[pad.input], result_types=[r.type for r in reader.results],
                              properties=properties, attributes=dict(reader.attributes))
    try:
        new.verify()
    except VerifyException:
        new.erase()
        return None
    return reader, new


def fold_function(func: FuncOp) -> int:
    """Fold every pad of `func` that may be folded; returns how many were.

    Raises CompileError when a pad would be folded in a function the memory
    passes have already planned (their records name the pad's buffer).
    """
    planned = arena.function_attr(func, arena.PlanAttr) or arena.function_attr(func, arena.InplaceAttr) or any(
        isinstance(op, (arena.BufferOp, arena.ScratchOp, arena.AliasOp)) for op in func.body.block.ops)
    count = 0
    for pad in [op for op in func.body.block.ops if isinstance(op, cmsis.PadOp)]:
        found = folded(pad)
        if found is None:
            continue
        reader, new = found
        if planned:
            new.erase()
            raise CompileError("the function is already planned: run --fold-pads before the memory passes", WHERE)
        block = func.body.block
        block.insert_op_before(new, reader)
        reader.results[0].replace_all_uses_with(new.results[0])
        reader.detach()
        reader.erase()
        pad.detach()
        pad.erase()
        count += 1
    return count


@dataclass(frozen=True)
class FoldPadsPass(CmsisPass):
    """Fold each zero-point cmsis.pad into the padding of the conv, depthwise conv or max pool that alone reads it."""

    name: ClassVar[str] = "fold-pads"

    def run(self, module: ModuleOp) -> None:
        fold_function(the_function(module))


__all__ = ["FoldPadsPass", "fold_function", "folded"]
