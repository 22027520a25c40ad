"""`--patch-split`: the first ops of the graph, run tile by tile (`cmsis.patch_stage`).

    cmsis-opt model.mlir -p 'patch-split{ops=3 grid=2x2}'
    cmsis-opt model.mlir -p 'patch-split{ops=3 grid=2x2 stream-input=true}'

The stage is the chain of window ops (cmsis.conv, cmsis.depthwise_conv,
cmsis.max_pool, cmsis.avg_pool) that starts at the function's input: each op
reads the previous op's result, which nothing else reads. `ops` is how many of
them the stage takes (0: the whole chain); `grid` is rows x columns of output
tiles. The ops move into the body of one `cmsis.patch_stage` (see
dialects/cmsis_patch.py for the halo arithmetic and the tile loop); the
memory passes then see one kernel with a tile region as its scratch.
With `stream-input` the graph input is streamed: the generated C asks the
application for the rows of each tile's window (`NAME_read_input_rows`), and
the input has no bytes in the arena (the function must have one input).

Run it before the memory passes (on a planned function the records name the
stage's buffers). Errors (CompileError): no such stage, a grid that does not
fit the stage output, an already planned function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from cmsis_opt.context import make_context
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.cmsis_patch import STAGE_OPS, PatchStageOp, StageOp, chain_macs, op_macs
from cmsis_opt.dialects.utils import element_bytes, num_elements, shape_of
from cmsis_opt.errors import CompileError
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.plan import memory_plan, the_function

WHERE = "patch-split"


def stage_chain(func: FuncOp) -> list[StageOp]:
    """The longest chain of window ops from the function's first input (batch 1), first op first."""
    chain: list[StageOp] = []
    block = func.body.block
    if not block.args:
        return chain
    value: SSAValue = block.args[0]
    while True:
        uses = [u for u in value.uses if not isinstance(u.operation, (arena.BufferOp, arena.ScratchOp, arena.AliasOp))]
        if len(uses) != 1:
            break
        op = uses[0].operation
        if not isinstance(op, STAGE_OPS) or op.operands[0] != value or len(shape_of(value)) != 4 \
                or shape_of(value)[0] != 1:
            break
        chain.append(op)
        value = op.results[0]
    return chain


def parse_grid(text: str) -> tuple[int, int]:
    """`RxC` -> (R, C); CompileError otherwise."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise CompileError(f"grid '{text}' is not ROWSxCOLUMNS (e.g. 2x2)", WHERE)
    return int(parts[0]), int(parts[1])


def split_function(func: FuncOp, ops: int, grid: tuple[int, int], stream_input: bool = False) -> PatchStageOp:
    """Move the first `ops` ops of the stage chain (0: all) into a `cmsis.patch_stage` with `grid` tiles; with
    `stream_input`, the stage streams the graph input (CompileError unless the function has exactly one input)."""
    if arena.function_attr(func, arena.PlanAttr) or any(
            isinstance(op, (arena.BufferOp, arena.ScratchOp, arena.AliasOp)) for op in func.body.block.ops):
        raise CompileError("the function is already planned: run --patch-split before the memory passes", WHERE)
    if any(isinstance(op, cmsis.PatchStageOp) for op in func.body.block.ops):
        raise CompileError("the function already has a patch stage", WHERE)
    chain = stage_chain(func)
    if not chain:
        raise CompileError("no stage: the function's input is not read by a conv, depthwise conv or pool alone "
                           "(batch 1, NHWC)", WHERE)
    if ops > len(chain):
        raise CompileError(f"the stage chain has {len(chain)} ops, not {ops}", WHERE)
    chain = chain[:ops] if ops else chain
    if stream_input and len(func.body.block.args) != 1:
        raise CompileError(f"a streamed input needs a model with one input, not {len(func.body.block.args)}", WHERE)
    if stream_input and element_bytes(func.body.block.args[0]) != 1:
        raise CompileError("a streamed input must be int8 (NAME_read_input_rows gives int8_t rows)", WHERE)
    _, h, w, _ = shape_of(chain[-1].output)
    if grid[0] > h or grid[1] > w:
        raise CompileError(f"a {grid[0]}x{grid[1]} grid does not fit the stage output of {h}x{w}", WHERE)
    last = chain[-1].results[0]
    anchor = chain[-1].next_op
    assert anchor is not None, "a function block ends with its return"
    stage = PatchStageOp(chain[0].operands[0], chain, grid, stream_input)
    func.body.block.insert_op_before(stage, anchor)
    stage.output.name_hint = last.name_hint  # the stage's result keeps the name its last op gave the value
    names = [a.data for op in (chain[0], chain[-1]) if isinstance(a := op.attributes.get("layer"), StringAttr)]
    if names:
        stage.attributes["layer"] = StringAttr(f"stage {names[0]}..{names[-1]}")
    for use in [u for u in last.uses if u.operation.parent_op() is func]:
        use.operation.operands[use.index] = stage.output
    stage.verify()
    return stage


@dataclass(frozen=True)
class PatchSplitPass(CmsisPass):
    """Run the first window ops tile by tile in one cmsis.patch_stage (ops = how many, 0 all; grid = RxC; stream-input: the input arrives row by row)."""  # noqa: E501

    name: ClassVar[str] = "patch-split"
    ops: int = 0
    grid: str = "2x2"
    stream_input: bool = False

    def run(self, module: ModuleOp) -> None:
        split_function(the_function(module), self.ops, parse_grid(self.grid), self.stream_input)




# -- the choice: --patch auto -------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One stage end and grid, with its real plan's arena bytes and the halos' extra multiply-accumulates."""

    ops: int
    grid: str
    arena: int
    extra_macs: int
    model_macs: int

    @property
    def overhead(self) -> float:
        """Extra MACs in percent of the whole model's."""
        return 100.0 * self.extra_macs / max(self.model_macs, 1)


def model_macs(func: FuncOp) -> int:
    """Multiply-accumulates of the function's window ops (a stage's at their whole size) and fully connected ops."""
    total = 0
    for op in func.body.block.ops:
        if isinstance(op, STAGE_OPS):
            total += op_macs(op)
        elif isinstance(op, PatchStageOp):
            total += op.macs()[1]
        elif isinstance(op, cmsis.FullyConnectedOp):
            total += num_elements(op.filter.get_shape())
    return total


GRIDS = ("2x2", "3x3", "4x4", "5x5", "6x6", "8x8")


def candidates(unplanned: ModuleOp, pipeline: Callable[[str, int], ModulePass],
               max_overhead: float) -> list[Candidate]:
    """The unpatched plan (grid "off") and every stage end and grid of GRIDS whose halos cost at most
    `max_overhead` percent more multiply-accumulates, each planned for real by `pipeline(grid, ops)`."""
    plain = unplanned.clone()
    pipeline("off", 0).apply(make_context(), plain)
    func = the_function(plain)
    total = model_macs(func)
    found = [Candidate(0, "off", memory_plan(plain).arena_size or 0, 0, total)]
    chain = stage_chain(func)
    for ops in range(1, len(chain) + 1):
        _, h, w, _ = shape_of(chain[ops - 1].output)
        for grid in GRIDS:
            rows, cols = parse_grid(grid)
            if rows * 2 > h or cols * 2 > w:
                continue
            tiled, whole = chain_macs(chain[:ops], (rows, cols))
            if 100.0 * (tiled - whole) / max(total, 1) > max_overhead:
                continue
            module = unplanned.clone()
            pipeline(grid, ops).apply(make_context(), module)
            found.append(Candidate(ops, grid, memory_plan(module).arena_size or 0, tiled - whole, total))
    return found


def choose(found: Sequence[Candidate]) -> Candidate:
    """The smallest arena; among equals the fewest extra MACs, then no patching."""
    return min(found, key=lambda c: (c.arena, c.extra_macs, c.ops))


__all__ = ["Candidate", "PatchSplitPass", "candidates", "choose", "model_macs", "parse_grid", "split_function",
           "stage_chain"]
