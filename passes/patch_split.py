"""`--patch-split`: the first ops of the graph, run tile by tile (`cmsis.patch_stage`).

    cmsis-opt model.mlir -p 'patch-split{ops=3 grid=2x2}'
    cmsis-opt model.mlir -p 'patch-split{ops=3 grid=2x2 stream-input=true}'

The stage is a run of window ops (cmsis.conv, cmsis.depthwise_conv,
cmsis.max_pool, cmsis.avg_pool) and int8 cmsis.add that starts at the
function's input: each op reads the input or earlier ops of the run, so
residual blocks may lie inside. `ops` is how many of them the stage takes, in
the function's order (0: all up to the last stage end); it must be a stage end
(`stage_ends`: later ops read only the last op's result). `grid` is rows x
columns of output tiles. The ops move into the body of one `cmsis.patch_stage` (see
dialects/cmsis_patch.py for the halo arithmetic and the tile loop); the
memory passes then see one kernel with a tile region as its scratch.
With `stream-input` the graph input is streamed: the generated C asks the
application for the rows of each tile's window (`NAME_read_input_rows`), and
the input has no bytes in the arena (the function must have one input).

Run it before the memory passes (on a planned function the records name the
stage's buffers). Errors (CompileError): no such stage, an op count that is
not a stage end, a grid that does not fit the stage output, an already
planned function.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp
from xdsl.ir import Block as IRBlock
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from cmsis_opt.allocators import Alias, Block, Problem, aligned_lower_bound
from cmsis_opt.context import make_context
from cmsis_opt.diagnostics import plural, progress
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.cmsis_patch import BODY_OPS, STAGE_OPS, BodyOp, PatchStageOp, chain_macs, op_macs
from cmsis_opt.dialects.utils import element_bytes, num_elements, shape_of
from cmsis_opt.errors import CompileError, UsageError
from cmsis_opt.passes.attach_target import ensure_target
from cmsis_opt.passes.common import CmsisPass
from cmsis_opt.passes.inplace_alias import FAST_1X1, dying_inputs, set_generic
from cmsis_opt.plan import Plan, analysis_scope, memory_plan, the_function
from cmsis_opt.targets import BuildPath

if TYPE_CHECKING:
    from cmsis_opt.passes.default import DefaultPipeline

WHERE = "patch-split"


def _stage_run(func: FuncOp) -> tuple[list[BodyOp], list[int]]:
    """The longest run of body ops at the start of the function that read only the first input (batch 1, NHWC)
    and each other's results, and the stage ends in it (op counts, ascending): n is an end when nothing after
    the first n ops reads the input or any of their results but the n-th op's."""
    run: list[BodyOp] = []
    block = func.body.block
    if not block.args:
        return run, []
    source: SSAValue = block.args[0]
    defined: set[SSAValue] = {source}
    for op in block.ops:
        if isinstance(op, (arena.BufferOp, arena.ScratchOp, arena.AliasOp)):
            continue
        if not isinstance(op, BODY_OPS) or any(v not in defined for v in op.operands) or any(
                len(shape_of(v)) != 4 or shape_of(v)[0] != 1 for v in (*op.operands, op.results[0])):
            break
        # the tile loop's copies, offsets and region are in int8 elements: an int16 (or wider) tensor ends the run
        if any(element_bytes(v) != 1 for v in (*op.operands, op.results[0])):
            break
        run.append(op)
        defined.add(op.results[0])
    ends: list[int] = []
    planning = (arena.BufferOp, arena.ScratchOp, arena.AliasOp)
    # each value's last reader: its place in the run, len(run) for a reader after the run (or the return)
    position: dict[Operation, int] = {op: i for i, op in enumerate(run)}
    last_reader = {id(v): max((position.get(u.operation, len(run)) for u in v.uses
                               if not isinstance(u.operation, planning)), default=-1) for v in defined}
    for n in range(1, len(run) + 1):
        inside = [source, *(op.results[0] for op in run[:n])]
        escaping = {v for v in inside if last_reader[id(v)] >= n}
        if escaping == {run[n - 1].results[0]}:
            ends.append(n)
    return run[:ends[-1]] if ends else [], ends


def stage_chain(func: FuncOp) -> list[BodyOp]:
    """The ops a stage may take, in order: window ops and int8 adds from the function's first input (batch 1),
    up to the last stage end (`stage_ends`). A chain of window ops, or one with residual blocks inside."""
    return _stage_run(func)[0]


def stage_ends(func: FuncOp) -> list[int]:
    """The op counts `ops` that make a stage (ascending): after the first n ops of `stage_chain` only the n-th
    op's result is read by later ops. Inside a residual block (its fork read by the add still to come) no
    count is an end."""
    return _stage_run(func)[1]


def no_stage_reason(func: FuncOp) -> str:
    """Why `stage_chain(func)` is empty, and what to do where something can be done."""
    reason = "no stage: the function's input is not read by a conv, depthwise conv or pool alone (batch 1, NHWC)"
    args = func.body.block.args
    if len(args) > 1:
        reason += f"; a stage and a streamed input take a model with one input, this one has {len(args)}"
    if args and element_bytes(args[0]) != 1:
        return (f"no stage: the function's input is int{8 * element_bytes(args[0])}; patch stages and streamed inputs "
                "run int8 activations only (an int16 model compiles without --patch and --stream-input)")
    if args and any(isinstance(u.operation, cmsis.TransposeOp) for u in args[0].uses):
        reason += ("; here it is transposed first (a model input in NCHW order): with cmsis-compile --io-layout nhwc "
                   "(quantize{io-layout=nhwc}) the C API takes NHWC and the first layer reads the input directly")
    return reason


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
    chain, ends = _stage_run(func)
    if not chain:
        raise CompileError(no_stage_reason(func), WHERE)
    if ops > len(chain):
        raise CompileError(f"the stage chain has {len(chain)} ops, not {ops}", WHERE)
    if ops and ops not in ends:
        raise CompileError(f"{ops} ops is not a stage end: a residual block would be cut (later ops read more "
                           f"than the last op's result); stage ends: {', '.join(map(str, ends))}", WHERE)
    chain = chain[:ops] if ops else chain
    if stream_input and len(func.body.block.args) != 1:
        raise CompileError(f"a streamed input needs a model with one input, not {len(func.body.block.args)}", WHERE)
    if stream_input and element_bytes(func.body.block.args[0]) != 1:
        raise CompileError("a streamed input must be int8 (NAME_read_input_rows gives int8_t rows)", WHERE)
    _, h, w, _ = shape_of(chain[-1].output)
    if grid[0] > h or grid[1] > w:
        fitting = [n for n in ends if (n <= len(chain)
                                       and shape_of(chain[n - 1].output)[1] >= grid[0]
                                       and shape_of(chain[n - 1].output)[2] >= grid[1])]
        hint = (f"; a shorter stage fits it: ops (--patch-ops) {', '.join(map(str, fitting))}" if fitting
                else "; use a coarser grid")
        raise CompileError(f"a {grid[0]}x{grid[1]} grid does not fit the stage output of {h}x{w}{hint}", WHERE)
    last = chain[-1].results[0]
    anchor = chain[-1].next_op
    assert anchor is not None, "a function block ends with its return"
    stage = PatchStageOp(chain[0].operands[0], chain, grid, stream_input)
    func.body.block.insert_op_before(stage, anchor)
    stage.output.name_hint = last.name_hint  # the stage's result keeps the name its last op gave the value
    names = [a.data for op in (chain[0], chain[-1]) if isinstance(a := op.attributes.get("layer"), StringAttr)]
    if names:
        label = names[0] if len(chain) == 1 else f"{names[0]}..{names[-1]}"
        stage.attributes["layer"] = StringAttr(f"stage {label}")
    for use in [u for u in last.uses if u.operation.parent_op() is func]:
        use.operation.operands[use.index] = stage.output
    stage.verify()
    return stage


@dataclass(frozen=True)
class PatchSplitPass(CmsisPass):
    """Run the first window ops and residual adds tile by tile in one cmsis.patch_stage (ops = how many, a stage end, 0 all; grid = RxC; stream-input: the input arrives row by row)."""  # noqa: E501

    name: ClassVar[str] = "patch-split"
    ops: int = 0
    grid: str = "2x2"
    stream_input: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            parse_grid(self.grid)
        except CompileError as error:
            raise UsageError(f"option 'grid': {error.message}", f"pass '{self.name}'") from None
        if self.ops < 0:
            raise UsageError(f"option 'ops' must be >= 0 (0: every op the stage may take), got {self.ops}",
                             f"pass '{self.name}'")

    def run(self, module: ModuleOp) -> None:
        split_function(the_function(module), self.ops, parse_grid(self.grid), self.stream_input)


# -- the choice: --patch auto -------------------------------------------------------------


GRID_COUNTS = (1, 2, 3, 4, 5, 6, 8, 12, 16)
GRIDS = tuple(f"{r}x{c}" for r in GRID_COUNTS for c in GRID_COUNTS if (r, c) != (1, 1))
"""--patch auto's grids: rows x columns, each from GRID_COUNTS, more than one tile (square grids alone miss
VWW's best plan, 12x8)."""
TAIL = ("patch-split", "inplace-alias", "arena-alloc", "verify-arena")
"""The default pipeline's passes from patch-split on: run once per candidate (the ones before it run once)."""


@dataclass(frozen=True)
class Candidate:
    """One stage end and grid, with its real plan's arena bytes and the halos' extra multiply-accumulates.

    `bound` is `stage_bound`'s lower bound of `arena` (bytes; 0 for the unpatched plan, which is always planned).
    """

    ops: int
    grid: str
    arena: int
    extra_macs: int
    model_macs: int
    bound: int = 0
    seconds: float = dataclasses.field(default=0.0, compare=False)
    """Wall time of its real plan (the passes from patch-split on)."""

    @property
    def overhead(self) -> float:
        """Extra MACs in percent of the whole model's."""
        return 100.0 * self.extra_macs / max(self.model_macs, 1)

    @property
    def tiles(self) -> int:
        """Tiles of the grid (1: no stage)."""
        return 1 if self.grid == "off" else math.prod(parse_grid(self.grid))

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        """The order of the choice: smallest arena, then fewest extra MACs, then the coarsest grid, then the
        shortest stage (no stage first), then fewer rows (of R x C and C x R, the wider tiles). No two candidates
        share a key, so the choice is deterministic."""
        return order_key(self.arena, self.extra_macs, self.tiles, self.ops, self.rows)

    @property
    def rows(self) -> int:
        """Rows of the grid (0: no stage)."""
        return 0 if self.grid == "off" else parse_grid(self.grid)[0]


def order_key(arena_bytes: int, extra_macs: int, tiles: int, ops: int, rows: int) -> tuple[int, int, int, int, int]:
    return arena_bytes, extra_macs, tiles, ops, rows


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


def choose(found: Sequence[Candidate]) -> Candidate:
    """The candidate with the smallest `Candidate.key`: smallest arena, fewest extra MACs, coarsest grid."""
    return min(found, key=lambda c: c.key)


# -- the lower bound of a candidate's arena ------------------------------------------------


@dataclass
class Relaxed:
    """The unpatched function's placement problem, relaxed to what any kernel choice of inplace-alias allows.

    One block per plan buffer (`plan.buffers` order, sizes in bytes, live
    steps). Every input that dies at its op (not a graph output) licenses its
    op's output to overlap it with the op's `max_safe_delta` (the licence
    inplace-alias gives, `inplace` on). A 1x1 convolution the kernel switch
    may move from arm_convolve_1x1_s8_fast to arm_convolve_s8 counts with the
    smaller scratch and the larger delta of the two kernels, whichever
    kernel-switch setting runs.
    """

    plan: Plan
    blocks: list[Block]
    licences: dict[int, list[tuple[int, int]]]
    """Out block -> [(source block, max_delta)]."""
    index: dict[int, int]
    """id(buffer) -> block."""
    step_of: dict[int, int]
    """id(kernel op) -> step."""


def relaxed_problem(func: FuncOp, path: BuildPath, inplace: bool, allow_undocumented: bool) -> Relaxed:
    """`Relaxed` of an unplanned function (before inplace-alias). The IR is left as it was."""
    plan = memory_plan(func)
    index = {id(b): i for i, b in enumerate(plan.buffers)}
    blocks = [Block(b.size, b.first, b.last, b.name) for b in plan.buffers]
    licences: dict[int, list[tuple[int, int]]] = {}
    for step, op in enumerate(plan.steps):
        dying = dying_inputs(op, step, plan)
        operands = [list(op.operands).index(v) for v in dying]
        variants = [(op.planned_scratch(path), [op.max_safe_delta(path, allow_undocumented, i) for i in operands])]
        if dying and isinstance(op, cmsis.ConvOp) and op.kernel_function(path) == FAST_1X1:
            kept = op.properties.get("kernel")
            set_generic(op, True)
            variants.append((op.planned_scratch(path), [op.max_safe_delta(path, allow_undocumented, i)
                                                         for i in operands]))
            if kept is None:
                del op.properties["kernel"]
            else:
                op.properties["kernel"] = kept
        scratch = plan.scratch(op)
        if scratch is not None:
            s = index[id(scratch)]
            blocks[s] = dataclasses.replace(blocks[s], size=min(size for size, _ in variants))
        if not inplace:
            continue
        out = index[id(plan.buffer(op.results[0]))]
        for k, value in enumerate(dying):
            deltas = [delta for _, d in variants if (delta := d[k]) is not None]
            if deltas:
                licences.setdefault(out, []).append((index[id(plan.buffer(value))], max(deltas)))
    return Relaxed(plan, blocks, licences, index, {id(op): i for i, op in enumerate(plan.steps)})


def detached_stage(chain: Sequence[BodyOp], grid: tuple[int, int]) -> PatchStageOp:
    """A `cmsis.patch_stage` of copies of `chain` on a block argument of its own (the function is left as it was;
    erase the stage when done)."""
    holder = IRBlock(arg_types=[chain[0].operands[0].type])
    mapping: dict[SSAValue, SSAValue] = {chain[0].operands[0]: holder.args[0]}
    copies: list[BodyOp] = []
    for op in chain:
        copy = op.clone(value_mapper=mapping)
        holder.add_op(copy)
        mapping[op.results[0]] = copy.results[0]
        copies.append(copy)
    return PatchStageOp(holder.args[0], copies, grid)


def stage_bound(relaxed: Relaxed, chain: Sequence[BodyOp], ops: int, grid: tuple[int, int], path: BuildPath,
                alignment: int, inplace: bool, allow_undocumented: bool, stream_input: bool = False) -> int:
    """No plan the default pipeline makes with the first `ops` ops of `chain` run as `grid` tiles has a smaller
    arena (bytes, rounded up to `alignment`). Cheap: no pass runs, only the stage's tile region and access order.

    The argument. A plan that verify-arena accepts keeps every two buffers
    live at a common step apart, except an `arena.alias` pair (the output
    over an input read for the last time there), which may overlap when
    offset(out) - offset(src) <= max_delta (cmsis_opt.allocators). Relaxing
    that problem (fewer steps, shorter lives, smaller blocks, wider
    licences) keeps the real placement feasible, so
    `allocators.aligned_lower_bound` of the relaxed problem is at most the
    real arena. The relaxed problem holds, from the stage's step on:

    - at the stage step, everything the plan must hold there: the whole
      stage input (the first tile reads its window at the start, the last
      tile at the end, so the input lives through the step), the stage
      output, the tile region (the stage's scratch: the largest tile's
      window, its ping-pong intermediates and kernel scratch), and every
      other buffer live across the stage, with the one licence inplace-alias
      can give there: the output over the input with the stage's own
      `max_safe_delta`, computed exactly as inplace-alias does, from the
      tiles' raster access order;
    - after the stage, the unpatched function's steps, which the stage
      leaves as they are (it replaces only chain ops, whose values die
      inside it), with `Relaxed`'s licences and scratch.

    With `stream_input` the stage input has no bytes in the arena, so the
    relaxed problem leaves it out (and the tile region's line buffer, which
    only makes the bound lower).

    The bound knows nothing of how well the allocator packs, so the real
    arena may be above it, never below. The halo MACs play no part.
    """
    cut = relaxed.step_of[id(chain[ops - 1])]
    plan = relaxed.plan
    stage = detached_stage(chain[:ops], grid)
    try:
        region = stage.planned_scratch(path)
        delta = stage.max_safe_delta(path, allow_undocumented, 0) if inplace else None
    finally:
        stage.erase()
    last = chain[ops - 1]
    # the stage's inner values and scratch live inside the stage only (the tile region stands for them), and the
    # stage input comes back below with the stage's own life and licence
    dropped = {relaxed.index[id(plan.buffer(chain[0].operands[0]))]}
    for op in chain[:ops - 1]:
        dropped.add(relaxed.index[id(plan.buffer(op.results[0]))])
    for op in chain[:ops]:
        scratch = plan.scratch(op)
        if scratch is not None:
            dropped.add(relaxed.index[id(scratch)])
    new: dict[int, int] = {}
    blocks: list[Block] = []
    for i, b in enumerate(relaxed.blocks):
        if b.last >= cut and i not in dropped:
            new[i] = len(blocks)
            blocks.append(Block(b.size, max(b.first, cut) - cut, b.last - cut, b.name))
    aliases = [Alias(new[out], new[src], d) for out, pairs in relaxed.licences.items() if out in new
               and relaxed.blocks[out].first > cut for src, d in pairs if src in new]
    if not stream_input:
        blocks.append(Block(plan.buffer(chain[0].operands[0]).size, 0, 0, "stage input"))
    if delta is not None and not stream_input:
        aliases.append(Alias(new[relaxed.index[id(plan.buffer(last.results[0]))]], len(blocks) - 1, delta))
    if region:
        blocks.append(Block(region, 0, 0, "tile region"))
    return aligned_lower_bound(Problem(blocks, aliases, alignment))


# -- the search ------------------------------------------------------------------------------


@dataclass
class Choice:
    """What `search` found: the choice, the candidates planned for real, and those skipped by their bound."""

    choice: Candidate
    planned: list[Candidate]
    skipped: list[tuple[int, str, int]]
    """(ops, grid, bound) of each candidate never planned: its bound alone put it behind the choice."""


def _steps(base: DefaultPipeline, grid: str, ops: int, module: ModuleOp) -> tuple[list[ModulePass], list[ModulePass]]:
    """The default pipeline's passes on `module`, split into those before patch-split and the rest (TAIL)."""
    steps = dataclasses.replace(base, patch=grid, patch_ops=ops).passes(module)
    first = next(i for i, step in enumerate(steps) if step.name in TAIL)
    return steps[:first], steps[first:]


def row_bands(height: int) -> list[int]:
    """Band counts R of the R x 1 grids over `height` output rows that give distinct band heights (at least 2
    bands, at least 1 row each), fewest bands first: ceil(height / b) for band heights b = 1 .. height // 2;
    [1] (one band, the whole input in one window) for a height of 1."""
    return sorted({-(-height // b) for b in range(1, height // 2 + 1)} - {1}) or [1]


def search(unplanned: ModuleOp, base: DefaultPipeline, max_overhead: float, prune: bool = True,
           rows_only: bool = False) -> Choice:
    """--patch auto: the stage end and grid (or none) whose real plan has the smallest `Candidate.key`.

    The candidates: no stage, and every stage end and grid of GRIDS (each
    tile at least 2x2 output pixels) whose halos cost at most `max_overhead`
    percent of the model's multiply-accumulates. The passes before
    patch-split run once; each planned candidate runs the rest of `base`
    (patch-split with its stage and grid, inplace-alias, arena-alloc,
    verify-arena) on a copy.

    With `prune`, the candidates are visited in the order of
    (`stage_bound`, extra MACs, tiles, ops, rows) and the visit stops at the first
    whose tuple, its bound standing in for its arena, comes after the best
    key found: its real key, and every later candidate's, can only be
    larger. The choice is the exhaustive one (`prune=False`), usually after
    a few real plans. Raises what the passes raise (CompileError).

    With `rows_only` (--stream-input without --patch) the candidates are the
    first op alone as R x 1 row bands, R from `row_bands` (no halo is
    recomputed, so no MACs are added), and the unpatched plan is no
    candidate: the smallest arena wins, then the fewest bands. The choice
    is then never grid "off" (CompileError when no op can start a stage).
    """
    prepared = unplanned.clone()
    head, _ = _steps(base, "off", 0, prepared)
    for step in head:
        step.apply(make_context(), prepared)
    func = the_function(prepared)
    total = model_macs(func)

    def planned(ops: int, grid: str, extra: int, bound: int) -> Candidate:
        start = time.perf_counter()
        module = prepared.clone()
        for step in _steps(base, grid, ops, module)[1]:
            step.apply(make_context(), module)
        return Candidate(ops, grid, memory_plan(module).arena_size or 0, extra, total, bound,
                         time.perf_counter() - start)

    best: Candidate | None = None if rows_only else planned(0, "off", 0, 0)
    found = [] if best is None else [best]
    pending: list[tuple[tuple[int, int, int, int, int], str]] = []
    with analysis_scope():
        chain, ends = _stage_run(func)
        if rows_only and 1 not in ends:
            if not ends:
                raise CompileError(no_stage_reason(func), WHERE)
            raise CompileError(f"the input is read by more than the first op (a residual block starts at the input): "
                               f"no first layer alone takes its rows; --patch auto --stream-input (or --patch RxC "
                               f"--patch-ops N --stream-input, stage ends {', '.join(map(str, ends))}) streams it "
                               "through a stage", WHERE)
        path = ensure_target(prepared).path
        relaxed = relaxed_problem(func, path, base.inplace, base.allow_undocumented) if chain else None
        for ops in [1] if rows_only else ends:
            _, h, w, _ = shape_of(chain[ops - 1].output)
            grids = [f"{r}x1" for r in row_bands(h)] if rows_only else GRIDS
            for grid in grids:
                rows, cols = parse_grid(grid)
                if not rows_only and (rows * 2 > h or cols * 2 > w):
                    continue
                tiled, whole = chain_macs(chain[:ops], (rows, cols))
                if not rows_only and 100.0 * (tiled - whole) / max(total, 1) > max_overhead:
                    continue
                bound = 0 if relaxed is None else stage_bound(relaxed, chain, ops, (rows, cols), path, base.alignment,
                                                              base.inplace, base.allow_undocumented, base.stream_input)
                pending.append((order_key(bound, tiled - whole, rows * cols, ops, rows), grid))
    pending.sort()
    skipped: list[tuple[int, str, int]] = []
    what = "band count" if rows_only else "candidate stage"
    shown = False
    try:
        for at, (lower, grid) in enumerate(pending):
            bound, extra, _, ops, _ = lower
            if prune and best is not None and lower > best.key:
                skipped = [(k[3], g, k[0]) for k, g in pending[at:]]
                break
            so_far = "" if best is None else f"; smallest arena so far {best.arena:,} bytes"
            progress(f"{'--stream-input' if rows_only else '--patch auto'}: planning {at + 1} of at most "
                     f"{plural(len(pending), what)}{so_far}")
            shown = True
            found.append(planned(ops, grid, extra, bound))
            best = found[-1] if best is None else min(best, found[-1], key=lambda c: c.key)
    finally:
        if shown:
            progress(None)
    assert best is not None, "a stage chain has at least one row band (its first op's output has rows)"
    return Choice(best, found, skipped)


def candidates(unplanned: ModuleOp, base: DefaultPipeline, max_overhead: float) -> list[Candidate]:
    """Every candidate of `search` planned for real (no pruning): the unpatched plan (grid "off") first."""
    return search(unplanned, base, max_overhead, prune=False).planned


__all__ = ["GRIDS", "GRID_COUNTS", "Candidate", "Choice", "PatchSplitPass", "Relaxed", "candidates", "choose",
           "detached_stage", "model_macs", "no_stage_reason", "parse_grid", "relaxed_problem", "row_bands", "search",
           "split_function", "stage_bound", "stage_chain", "stage_ends"]
