"""`cmsis.patch_stage`: window ops and residual adds run tile by tile over their output (patch-based execution).

    %y = cmsis.patch_stage %x {grid = array<i64: 2, 2>} : (tensor<1x8x8x4x!q>) -> tensor<1x4x4x8x!q> {
    ^bb0(%a : tensor<1x8x8x4x!q>):
      %b = cmsis.depthwise_conv %a {...}        3x3, stride 1, padding [1, 1]: 1x8x8x4 -> 1x8x8x4
      %c = cmsis.conv %b {...}                  3x3, stride 2, padding [1, 1]: 1x8x8x4 -> 1x4x4x8
      cmsis.yield %c : tensor<1x4x4x8x!q>
    }

The body holds the stage's ops at their full size (a template). The stage's
output is split into `grid` = [rows, columns] bands (band i of an axis of
size S covers [i*S // n, (i+1)*S // n)), taken in raster order. For each tile
the receptive field is chained back through the body, last op first, per
axis (Lin et al., MCUNetV2, NeurIPS 2021; the halo rule of TFLite's window
ops): output rows [o0, o1) of an op with window k, stride s, dilation d and
padding p read input rows [o0*s - p, (o1-1)*s - p + d*(k-1) + 1), clipped to
the input. On that tile each op runs as the same CMSIS-NN kernel on
tile-sized tensors: its padding is the part of the window above / left of the
image (0 inside), and CMSIS-NN's own bounds check pads below / right at the
image's far border. Every tile value is therefore the whole op's value, bit
for bit (padded taps add (zero point + input_offset) * w = 0 in both).

The body may also hold int8 `cmsis.add`s that join residual blocks: a value
with several readers is computed once per tile on the union (widest extent
per axis) of their needs (`tile_windows`); an add needs its output window of
both operands. A reader whose need is smaller reads at its offset inside the
window: a pointer offset for rows; a window op whose columns differ copies
its part out first (`PatchStageOp.crops`); an add runs one
arm_elementwise_add_s8 call per row.

One tile: copy its input window out of the stage input into the tile region,
run the body's kernels inside that region (a chain ping-pong: input at one
end, output at the other, the kernel's own scratch between; a body with adds
placed first-fit by `graph_layout`), copy the result tile into the stage
output. With one column of tiles (R x 1 bands) each result tile is whole
rows, one contiguous run of the NHWC stage output: the last op (a window op
or an add) writes it there directly, so the region holds no result tile and
nothing is copied out. The tile region is the op's scratch (`scratch_bytes`): the
largest tile's need, planned by --arena-alloc like any kernel scratch. The
access order (tile t reads its window at time 2t, writes its output tile at
2t + 1) lets --inplace-alias put the stage output over input rows that no
later tile reads.

With `stream_input` (--stream-input) the stage input is the graph input and
is not held at all: it has no bytes in the arena, and each tile's copy-in asks
the application for its window's rows through `NAME_read_input_rows`:

- a window narrower than the input: one row at a time, `(first_row, 1, line)`
  into a line buffer of one input row (W x C bytes) at the end of the tile
  region, then the window's columns are copied into the tile;
- a window of whole rows (every tile's window spans all W columns, e.g. a
  grid of R x 1 bands): all its rows in one call, straight into the tile
  (no line buffer). With one op in the stage and one column of tiles, the
  window's first rows that the previous tile's window also held (the halo)
  are kept: they are moved to the window's start with one memmove (the one
  op's input stays where it is, at the low end of the region), and only the
  new rows are asked for, so each input row is asked for once.

The interpreter reads the input as it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerType, TensorType, UnitAttr, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import IsTerminator, NoMemoryEffect

from cmsis_opt.targets import BuildPath

from .cmsis_conv import ConvOp, DepthwiseConvOp
from .cmsis_elementwise import AddOp
from .cmsis_pool import PoolOp
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, Trace
from .utils import element_bytes, fail, i64_array, ints, shape_of

TILE_ALIGN = 16
"""Bytes each buffer inside a tile region is rounded up to (the arena's default alignment)."""

StageOp = ConvOp | DepthwiseConvOp | PoolOp
STAGE_OPS = (ConvOp, DepthwiseConvOp, PoolOp)
"""The window ops a stage may hold."""
BodyOp = ConvOp | DepthwiseConvOp | PoolOp | AddOp
BODY_OPS = (ConvOp, DepthwiseConvOp, PoolOp, AddOp)
"""What a stage body may hold: window ops and the element-wise add that joins a residual block (int8)."""


def _up(value: int) -> int:
    return -(-value // TILE_ALIGN) * TILE_ALIGN


@irdl_op_definition
class YieldOp(IRDLOperation):
    """The value a `cmsis.patch_stage` body computes."""

    name = "cmsis.yield"
    assembly_format = "$values attr-dict `:` type($values)"
    values = var_operand_def(TensorType)
    traits = traits_def(IsTerminator(), NoMemoryEffect())

    def verify_(self) -> None:
        parent = self.parent_op()
        if parent is None or parent.name != "cmsis.patch_stage":
            fail(self, "values", "cmsis.yield ends the body of a cmsis.patch_stage only")


@dataclass(frozen=True)
class Geometry:
    """One op of the stage on one axis: effective window, stride, padding before, input and output sizes."""

    window: int
    stride: int
    pad: int
    size: int

    def needs(self, first: int, end: int) -> tuple[int, int, int]:
        """(first input row, end input row, padding before) that output rows [first, end) read."""
        start = first * self.stride - self.pad
        stop = (end - 1) * self.stride - self.pad + self.window
        return max(start, 0), min(stop, self.size), max(-start, 0)


def geometries_of(ops: Sequence[BodyOp]) -> list[tuple[Geometry, Geometry] | None]:
    """`geometry` of each window op of `ops`, None for an add."""
    return [None if isinstance(op, AddOp) else geometry(op) for op in ops]


def geometry(op: StageOp) -> tuple[Geometry, Geometry]:
    """The (height, width) geometry of a window op."""
    _, h, w, _ = shape_of(op.input)
    if isinstance(op, PoolOp):
        kernel, dilation = ints(op.kernel), (1, 1)
    else:
        kernel, dilation = op.filter.get_shape()[1:3], ints(op.dilation)
    stride, pad = ints(op.stride), ints(op.padding)
    height, width = (Geometry((kernel[a] - 1) * dilation[a] + 1, stride[a], pad[a], (h, w)[a]) for a in range(2))
    return height, width


def bands(size: int, count: int) -> list[tuple[int, int]]:
    """`count` near-equal [first, end) bands of `size` rows."""
    return [(i * size // count, (i + 1) * size // count) for i in range(count)]


@dataclass(frozen=True)
class TileStep:
    """One op of the body on one tile: the window it reads in its input tensor(s), its padding, its output window.

    For a window op, `rows`/`cols` is exactly what its output window needs (the
    halo rule); its input value's window may be larger (another reader needs
    more), and then the op reads at an offset inside it. For an element-wise
    add, `rows`/`cols` equals the output window and both operands are read
    there, at their own offsets."""

    rows: tuple[int, int]
    cols: tuple[int, int]
    padding: tuple[int, int]
    out_rows: tuple[int, int]
    out_cols: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int, int, int, int, int]:
        """What `tile_op` builds from (the step's place in the tensor aside): input rows, columns, the padding
        before, output rows and columns."""
        return (self.rows[1] - self.rows[0], self.cols[1] - self.cols[0], *self.padding,
                self.out_rows[1] - self.out_rows[0], self.out_cols[1] - self.out_cols[0])


Window = tuple[tuple[int, int], tuple[int, int]]
"""(rows, columns) of a value held on one tile, each [first, end) in the whole value's coordinates."""


def _union(a: Window | None, b: Window) -> Window:
    if a is None:
        return b
    return (min(a[0][0], b[0][0]), max(a[0][1], b[0][1])), (min(a[1][0], b[1][0]), max(a[1][1], b[1][1]))


def value_index(ops: Sequence[BodyOp]) -> dict[SSAValue, int]:
    """Each body op's result -> its value number (op i's result is i + 1; the stage input, any other value, is 0)."""
    return {op.results[0]: i + 1 for i, op in enumerate(ops)}


def operand_values(ops: Sequence[BodyOp]) -> list[list[int]]:
    """The value numbers (`value_index`) each body op reads."""
    index = value_index(ops)
    return [[index.get(v, 0) for v in op.operands] for op in ops]


def tile_windows(ops: Sequence[BodyOp], out_rows: tuple[int, int], out_cols: tuple[int, int],
                 geometries: Sequence[tuple[Geometry, Geometry] | None] | None = None
                 ) -> tuple[list[Window], list[TileStep]]:
    """The receptive field of one output tile, chained back through the body, last op first.

    Returns the window of every value (the stage input first, then each op's
    result) and each op's `TileStep`. A value's window is the union (on each
    axis, the widest extent) of what its readers need: a window op needs the
    halo rule's rows and columns of its output window, an add needs its output
    window of both operands. The last op's window is the output tile.
    `geometries`: `geometry` of each op (None for an add), when the caller has them."""
    reads = operand_values(ops)
    windows: list[Window | None] = [None] * (len(ops) + 1)
    windows[-1] = (out_rows, out_cols)
    steps: list[TileStep] = []
    for i in reversed(range(len(ops))):
        window = windows[i + 1]
        assert window is not None, "every body value is read inside the stage (verified)"
        rows, cols = window
        op = ops[i]
        if isinstance(op, AddOp):
            step = TileStep(rows, cols, (0, 0), rows, cols)
        else:
            known = None if geometries is None else geometries[i]
            gh, gw = geometry(op) if known is None else known
            r0, r1, pt = gh.needs(*rows)
            c0, c1, pl = gw.needs(*cols)
            step = TileStep((r0, r1), (c0, c1), (pt, pl), rows, cols)
        steps.append(step)
        for j in reads[i]:
            windows[j] = _union(windows[j], (step.rows, step.cols))
    assert all(w is not None for w in windows)
    return [w for w in windows if w is not None], steps[::-1]


def tile_steps(ops: Sequence[BodyOp], out_rows: tuple[int, int], out_cols: tuple[int, int],
               geometries: Sequence[tuple[Geometry, Geometry] | None] | None = None) -> list[TileStep]:
    """`tile_windows`' steps alone (first op first)."""
    return tile_windows(ops, out_rows, out_cols, geometries)[1]


def tile_op(op: StageOp, step: TileStep) -> StageOp:
    """`op` rebuilt on one tile: tile-sized input and output types, the tile's padding. Not verified: the far
    padding it implies may exceed what a whole-tensor op may have (CMSIS-NN bounds-checks every tap anyway)."""
    n, _, _, c = shape_of(op.input)
    _, _, _, oc = shape_of(op.output)
    in_type, out_type = op.input.type, op.output.type
    assert isinstance(in_type, TensorType) and isinstance(out_type, TensorType)
    rows, cols = step.rows[1] - step.rows[0], step.cols[1] - step.cols[0]
    orows, ocols = step.out_rows[1] - step.out_rows[0], step.out_cols[1] - step.out_cols[0]
    arg = Block(arg_types=[TensorType(in_type.element_type, [n, rows, cols, c])]).args[0]
    properties = dict(op.properties)
    properties["padding"] = i64_array(list(step.padding))
    return type(op).create(operands=[arg], result_types=[TensorType(out_type.element_type, [n, orows, ocols, oc])],
                           properties=properties, attributes=dict(op.attributes))


def layout(sizes: Sequence[tuple[int, int, int]]) -> tuple[int, list[tuple[int, int, int]]]:
    """Ping-pong placement of a chain inside one region: (region bytes, (input, output, scratch) offsets per op).

    `sizes` holds (input, output, scratch) bytes per op; op i's input sits at
    the low end when i is even, the high end when odd, its output at the other
    end and its scratch between, so consecutive ops hand over without a copy.
    """
    region = max(_up(i) + _up(o) + _up(s) for i, o, s in sizes)
    places = []
    for index, (i, o, _) in enumerate(sizes):
        if index % 2 == 0:
            places.append((0, region - _up(o), _up(i)))
        else:
            places.append((region - _up(i), 0, _up(o)))
    return region, places


@dataclass(frozen=True)
class TileLayout:
    """Where one tile's buffers sit in the tile region (byte offsets): each value (the stage input's window first,
    then each op's result), each op's kernel scratch, and each op's cropped input (None: the op reads its input
    value in place)."""

    region: int
    values: list[int]
    scratch: list[int]
    crops: list[int | None]


def chain_layout(sizes: Sequence[tuple[int, int, int]]) -> TileLayout:
    """`layout`'s ping-pong placement of a chain as a `TileLayout`."""
    region, places = layout(sizes)
    return TileLayout(region, [places[0][0], *(p[1] for p in places)], [p[2] for p in places], [None] * len(sizes))


def graph_layout(values: Sequence[tuple[int, int, int]], scratch: Sequence[int], crops: Sequence[int | None]
                 ) -> TileLayout:
    """First-fit placement of a body that is not a chain.

    `values` holds (bytes, first step, last step) per value, the stage input
    at step -1 (its copy-in) and the last value up to step len(scratch) (its
    copy-out); op i's scratch and cropped input (bytes, None: no crop) live
    at step i only. Buffers are placed in that order (values first, by
    creation), each at the lowest TILE_ALIGN offset clear of every placed
    buffer whose steps meet its own, so an op's output never overlaps its
    inputs or scratch, and a value dead before another is born may share
    its bytes."""
    items: list[tuple[int, int, int]] = list(values)
    items += [(s, i, i) for i, s in enumerate(scratch)]
    items += [(c, i, i) for i, c in enumerate(crops) if c is not None]
    offsets: list[int] = []
    for size, first, last in items:
        busy = sorted((offsets[k], offsets[k] + _up(items[k][0])) for k in range(len(offsets))
                      if items[k][1] <= last and first <= items[k][2] and items[k][0] > 0)
        at = 0
        for start, end in busy:
            if at + _up(size) <= start:
                break
            at = max(at, end)
        offsets.append(at)
    region = max((o + _up(s) for o, (s, _, _) in zip(offsets, items, strict=True)), default=0)
    n = len(values)
    placed_scratch = offsets[n:n + len(scratch)]
    rest = iter(offsets[n + len(scratch):])
    return TileLayout(region, offsets[:n], placed_scratch, [None if c is None else next(rest) for c in crops])


@irdl_op_definition
class PatchStageOp(CmsisOp, KernelOp):
    """Convs, depthwise convs, pools and residual adds run tile by tile; NHWC input [N, H, W, C] (module
    docstring)."""

    name = "cmsis.patch_stage"
    assembly_format = "$input attr-dict `:` `(` type($input) `)` `->` type($output) $body"

    input = operand_def(TensorType)
    output = result_def(TensorType)
    grid = prop_def(DenseArrayBase[IntegerType])
    stream_input = opt_prop_def(UnitAttr)
    body = region_def("single_block")

    def __init__(self, input: SSAValue, ops: Sequence[Operation], grid: Sequence[int], stream_input: bool = False):
        block = Block(arg_types=[input.type])
        for op in ops:
            for k, operand in enumerate(op.operands):
                if operand == input:
                    op.operands[k] = block.args[0]
            op.detach()
            block.add_op(op)
        last = ops[-1].results[0]
        block.add_op(YieldOp.create(operands=[last]))
        properties: dict[str, Attribute] = {"grid": DenseArrayBase.from_list(i64, list(grid))}
        if stream_input:
            properties["stream_input"] = UnitAttr()
        super().__init__(operands=[input], result_types=[last.type], properties=properties, regions=[Region(block)])

    # -- structure -----------------------------------------------------------
    def streams(self) -> bool:
        """The input is streamed: the application gives it row by row (NAME_read_input_rows), the arena holds none."""
        return self.stream_input is not None

    def line_bytes(self) -> int:
        """Bytes of one input row (W x C): the line buffer a streamed input's rows arrive in."""
        _, _, w, c = shape_of(self.input)
        return w * c

    def whole_rows(self) -> bool:
        """Every tile's stage input window (the union of its readers' needs) spans all the input's columns: a
        streamed window's rows go straight into the tile region, with no line buffer."""
        _, _, w, _ = shape_of(self.input)
        return all(windows[0][1] == (0, w) for windows, _ in self.tile_windows())

    def writes_output(self) -> bool:
        """One column of tiles: each output tile is whole rows, one contiguous run of the stage output (NHWC), so
        the last op (a window op or an add, whose rows are then the output's rows) writes it there itself: no
        room for it in the tile region, no copy out. The last value is read by no op of the body, so a chain and
        a body with adds alike lose only the copy."""
        return ints(self.grid)[1] == 1

    def keeps_halo(self) -> bool:
        """A streamed input whose tile windows are whole rows, one column of tiles, and one window op (a chain):
        each window keeps the rows the previous one held (they are still at the low end of the region, which the
        one op only reads) and asks only for its new rows. Chains only: a body with adds has more than one op."""
        return (self.streams() and ints(self.grid)[1] == 1 and len(self.ops()) == 1 and self.is_chain()
                and self.whole_rows())

    def line_buffer(self) -> bool:
        """A streamed input whose windows are narrower than a row: its rows arrive in a line buffer of one row."""
        return self.streams() and not self.whole_rows()

    def ops(self) -> list[BodyOp]:
        return [op for op in self.body.block.ops if isinstance(op, BODY_OPS)]

    def is_chain(self) -> bool:
        """Each op reads the previous op's result (the first, the stage input) and nothing else."""
        return all(reads == [i] for i, reads in enumerate(operand_values(self.ops())))

    def tiles(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """The output tiles (rows, columns) in raster order."""
        return grid_tiles(shape_of(self.output), ints(self.grid))

    def tile_plans(self) -> list[list[TileStep]]:
        return [steps for _, steps in self.tile_windows()]

    def tile_windows(self) -> list[tuple[list[Window], list[TileStep]]]:
        """`tile_windows` of each tile, in raster order."""
        ops = self.ops()
        geometries = geometries_of(ops)
        return [tile_windows(ops, r, c, geometries) for r, c in self.tiles()]

    def crops(self) -> list[bool]:
        """Per op: a window op whose needed columns differ from its input value's window on some tile copies the
        needed window out first (a kernel reads whole rows of its input); other offsets are pointer offsets."""
        ops = self.ops()
        reads = operand_values(ops)
        crop = [False] * len(ops)
        for windows, steps in self.tile_windows():
            for i, op in enumerate(ops):
                if not isinstance(op, AddOp) and windows[reads[i][0]][1] != steps[i].cols:
                    crop[i] = True
        return crop

    def verify_(self) -> None:
        grid = ints(self.grid)
        if len(grid) != 2 or min(grid) < 1:
            fail(self, "grid", f"expected two positive counts [rows, columns], got {list(grid)}")
        block = self.body.block
        if len(block.args) != 1 or block.args[0].type != self.input.type:
            fail(self, "body", "takes one argument of the stage input's type")
        ops = list(block.ops)
        if not ops or not isinstance(ops[-1], YieldOp) or len(ops[-1].operands) != 1:
            fail(self, "body", "ends with one cmsis.yield of the stage output")
        defined: set[SSAValue] = {block.args[0]}
        for op in ops[:-1]:
            if not isinstance(op, BODY_OPS):
                fail(self, "body", f"may hold convs, depthwise convs, pools and adds only, not '{op.name}'")
            if any(v not in defined for v in op.operands):
                fail(self, "body", "each op reads the stage input or earlier results of the body only")
            if any(len(shape_of(v)) != 4 or shape_of(v)[0] != 1 for v in (*op.operands, op.results[0])):
                fail(self, "body", "runs batch 1 NHWC tensors only")
            if any(element_bytes(v) != 1 for v in (*op.operands, op.results[0])):
                fail(self, "body", f"runs int8 tensors only: '{op.name}' has int16 or wider operands or result")
            defined.add(op.results[0])
        last = ops[-2].results[0] if len(ops) > 1 else None
        if last is None or ops[-1].operands[0] != last or last.type != self.output.type:
            fail(self, "body", "must yield the last op's result, of the stage output's type")
        for op in ops[:-2]:
            if not op.results[0].uses:
                fail(self, "body", "every result but the last must be read inside the stage")
        _, h, w, _ = shape_of(self.output)
        if grid[0] > h or grid[1] > w:
            fail(self, "grid", f"{grid[0]}x{grid[1]} tiles do not fit an output of {h}x{w}")

    # -- the kernel interface ------------------------------------------------
    def kernel_function(self, path: BuildPath) -> str:
        return "+".join(dict.fromkeys(op.kernel_function(path) for op in self.ops()))

    def _tile_layout(self, path: BuildPath, windows: Sequence[Window], steps: Sequence[TileStep],
                     crops: Sequence[bool]) -> TileLayout:
        """One tile's places in the tile region: `chain_layout` (ping-pong) for a chain, `graph_layout` otherwise."""
        ops = self.ops()
        scratch = []
        for op, s in zip(ops, steps, strict=True):
            if isinstance(op, AddOp):
                scratch.append(0)
                continue
            o = tile_op(op, s)
            scratch.append(o.planned_scratch(path))
            o.erase()
        channels = [shape_of(self.input)[3], *(shape_of(op.results[0])[3] for op in ops)]
        sizes = [(r[1] - r[0]) * (c[1] - c[0]) * ch for (r, c), ch in zip(windows, channels, strict=True)]
        if self.writes_output():  # the last op writes its band straight into the stage output
            sizes[-1] = 0
        if self.is_chain():
            return chain_layout([(sizes[i], sizes[i + 1], scratch[i]) for i in range(len(ops))])
        reads = operand_values(ops)
        last = [len(ops) if j == len(ops) else max(i for i, r in enumerate(reads) if j in r) for j in range(len(sizes))]
        values = [(size, j - 1, last[j]) for j, size in enumerate(sizes)]
        crop_bytes = [(s.rows[1] - s.rows[0]) * (s.cols[1] - s.cols[0]) * channels[reads[i][0]] if crops[i] else None
                      for i, s in enumerate(steps)]
        return graph_layout(values, scratch, crop_bytes)

    def _region_bytes(self, path: BuildPath) -> int:
        """The largest tile's need. Tiles of the same extents and padding need the same: each such shape is laid
        out once."""
        crops = self.crops()
        shapes: dict[tuple[object, ...], tuple[list[Window], list[TileStep]]] = {}
        for windows, steps in self.tile_windows():
            key = (tuple((r[1] - r[0], c[1] - c[0]) for r, c in windows), tuple(s.shape for s in steps))
            shapes[key] = (windows, steps)
        return max(self._tile_layout(path, w, s, crops).region for w, s in shapes.values())

    def scratch_bytes(self, path: BuildPath) -> int:
        """The tile region: the largest tile's need (the values' windows, cropped inputs and kernel scratch, each
        rounded to TILE_ALIGN bytes, placed by `chain_layout` or `graph_layout`; with one column of tiles no room
        for the result tile, `writes_output`), then, with a streamed input whose windows are narrower than a row,
        the line buffer of one input row."""
        return self._region_bytes(path) + (_up(self.line_bytes()) if self.line_buffer() else 0)

    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """Tile t copies its input window at time 2t and writes its output tile at 2t + 1. A streamed input has no
        bytes in the arena, so nothing may overlap it."""
        if self.streams():
            return NoOverlap("the input is streamed: it has no bytes in the arena")
        _, h, w, c = shape_of(self.input)
        _, oh, ow, oc = shape_of(self.output)
        in_index = np.arange(h * w * c).reshape(h, w, c)
        out_index = np.arange(oh * ow * oc).reshape(oh, ow, oc)
        t = Trace(h * w * c, oh * ow * oc)
        for k, ((r, c_), (windows, _)) in enumerate(zip(self.tiles(), self.tile_windows(), strict=True)):
            (r0, r1), (c0, c1) = windows[0]
            t.read(np.array(2 * k), in_index[r0:r1, c0:c1])
            t.write(np.array(2 * k + 1), out_index[r[0]:r[1], c_[0]:c_[1]])
        return t.done()

    def macs(self) -> tuple[int, int]:
        """(multiply-accumulates tile by tile, of the whole ops): the halo's recomputation is their difference."""
        return chain_macs(self.ops(), ints(self.grid))

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The tile loop itself: each tile's input window through the tile-sized ops, each op reading its operands
        at their offsets inside their windows, the last value written into the output."""
        (x,) = inputs
        out = np.zeros(shape_of(self.output), np.int8)
        ops = self.ops()
        reads = operand_values(ops)
        for (r, c), (windows, steps) in zip(self.tiles(), self.tile_windows(), strict=True):
            (r0, r1), (c0, c1) = windows[0]
            values = [x[:, r0:r1, c0:c1, :]]
            for op, s, operands in zip(ops, steps, reads, strict=True):
                parts = [_crop(values[j], windows[j], s) for j in operands]
                if isinstance(op, AddOp):
                    values.append(op.interpret(*parts))
                    continue
                o = tile_op(op, s)
                values.append(o.interpret(*parts))
                o.erase()
            out[:, r[0]:r[1], c[0]:c[1], :] = values[-1]
        return out

    def emit_c(self, c: CEmitter) -> None:
        """One loop over the tiles (`CEmitter.tile_loop`): a row-by-row copy of the tile's input window into the
        tile region, the body's calls inside the region, a copy of the result tile out. An op whose input window
        is wider than it reads gets a row-by-row copy of its part first (`crops`); an add runs row by row on its
        operands' rows at their offsets. What differs between tiles (window and output origins and sizes,
        padding, places in the region, offsets) is a row of the tile table."""
        _, _, w, ch = shape_of(self.input)
        _, _, ow, och = shape_of(self.output)
        ops = self.ops()
        reads = operand_values(ops)
        channels = [ch, *(shape_of(op.results[0])[3] for op in ops)]
        tiles = list(zip(self.tiles(), self.tile_windows(), strict=True))
        crops = self.crops()
        line = self._region_bytes(c.path) if self.line_buffer() else 0
        keep_halo = self.keeps_halo()

        def at(place: TileLayout, windows: Sequence[Window], j: int, rows: tuple[int, int],
               cols: tuple[int, int]) -> tuple[str, int]:
            """A pointer to value j's element (rows[0], cols[0]) inside its window, and the window's row bytes."""
            (r0, _), (c0, c1) = windows[j]
            stride = (c1 - c0) * channels[j]
            return c.scratch_ptr(place.values[j] + (rows[0] - r0) * stride + (cols[0] - c0) * channels[j]), stride

        def one(k: int) -> None:
            (r, cols), (windows, steps) = tiles[k]
            place = self._tile_layout(c.path, windows, steps, crops)
            (w0, w1), (v0, v1) = windows[0]
            rows, width = w1 - w0, (v1 - v0) * ch
            if self.streams() and not line:
                kept: int | None = 0 if keep_halo else None
                shift = 0
                if keep_halo and k > 0:
                    previous = tiles[k - 1][1][0][0][0]
                    kept = max(0, min(previous[1], w1) - w0)
                    shift = w0 - previous[0] if kept else 0
                c.read_whole_rows(w0, rows, kept, shift, c.scratch_ptr(place.values[0]), width,
                                  "read in: the tile's input window, whole rows: the rows the previous window "
                                  "also held are kept, the others asked for" if keep_halo
                                  else "read in: the tile's input window, whole rows")
            elif self.streams():
                c.read_input_rows(w0, rows, c.scratch_ptr(line), c.scratch_ptr(place.values[0]), width,
                                  v0 * ch, width, "read in: the tile's input window, row by row")
            else:
                start = (w0 * w + v0) * ch
                c.copy_rows(c.scratch_ptr(place.values[0]), width, f"{c.ptr(self.input)} + {start}", w * ch, rows,
                            width, "copy in: the tile's input window, row by row")
            band = c.ptr(self.output) + f" + {(r[0] * ow + cols[0]) * och}"
            last = len(ops) - 1
            for index, (op, s) in enumerate(zip(ops, steps, strict=True)):
                out = band if index == last and self.writes_output() else c.scratch_ptr(place.values[index + 1])
                if isinstance(op, AddOp):
                    lhs, rhs = (at(place, windows, j, s.rows, s.cols) for j in reads[index])
                    add_rows(c, op, lhs, rhs, (out, (s.cols[1] - s.cols[0]) * channels[index + 1]),
                             s.rows[1] - s.rows[0], f"op{index}")
                    continue
                src, stride = at(place, windows, reads[index][0], s.rows, s.cols)
                crop = place.crops[index]
                if crop is not None:
                    width = (s.cols[1] - s.cols[0]) * channels[reads[index][0]]
                    c.copy_rows(c.scratch_ptr(crop), width, src, stride, s.rows[1] - s.rows[0], width,
                                f"op{index} reads part of its input's window: copy that part, row by row")
                    src = c.scratch_ptr(crop)
                o = tile_op(op, s)
                scratch = o.planned_scratch(c.path)
                c.nested(o, {o.input: src, o.output: out},
                         (place.scratch[index], scratch) if scratch else None, f"op{index}")
                o.erase()
            if self.writes_output():
                return
            width = (cols[1] - cols[0]) * och
            c.copy_rows(c.ptr(self.output) + f" + {(r[0] * ow + cols[0]) * och}", ow * och,
                        c.scratch_ptr(place.values[-1]), width, r[1] - r[0], width,
                        "copy out: the result tile into the stage output, row by row")

        notes = [f"tile {k}: output rows {r[0]}-{r[1] - 1}, columns {cols[0]}-{cols[1] - 1}; "
                 f"input rows {ws[0][0][0]}-{ws[0][0][1] - 1}, columns {ws[0][1][0]}-{ws[0][1][1] - 1}"
                 for k, ((r, cols), (ws, _)) in enumerate(tiles)]
        c.tile_loop(len(tiles), one, notes)


def _crop(value: np.ndarray, window: Window, step: TileStep) -> np.ndarray:
    """The part of `value` (held on `window`) that `step` reads."""
    (r0, _), (c0, _) = window
    return value[:, step.rows[0] - r0:step.rows[1] - r0, step.cols[0] - c0:step.cols[1] - c0, :]


def add_rows(c: CEmitter, op: AddOp, lhs: tuple[str, int], rhs: tuple[str, int], out: tuple[str, int], rows: int,
             suffix: str) -> None:
    """`op` (arm_elementwise_add_s8) on `rows` rows of a tile: one call per row on (pointer, row bytes) of each
    operand and of the output, each row `out[1]` elements long."""
    args = [f"{lhs[0]} + row * {lhs[1]}", f"{rhs[0]} + row * {rhs[1]}",
            *op.scalar_args("input1_offset", "input1_multiplier", "input1_shift", "input2_offset", "input2_multiplier",
                            "input2_shift", "left_shift"),
            f"{out[0]} + row * {out[1]}",
            *op.scalar_args("output_offset", "output_multiplier", "output_shift", "act_min", "act_max"), str(out[1])]
    c.call_rows(op.kernel_function(c.path), args, rows,
                f"{suffix}: {op.name}, row by row at each operand's place in its window")


def grid_tiles(shape: Sequence[int], grid: Sequence[int]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (rows, columns) tiles of an NHWC `shape` split by `grid` = [rows, columns], in raster order."""
    return [(r, c) for r in bands(shape[1], grid[0]) for c in bands(shape[2], grid[1])]


def chain_macs(ops: Sequence[BodyOp], grid: Sequence[int]) -> tuple[int, int]:
    """(multiply-accumulates of the window ops of `ops` run tile by tile on `grid`, run whole; adds count 0)."""
    windowed = [(i, op) for i, op in enumerate(ops) if not isinstance(op, AddOp)]
    whole = sum(op_macs(op) for _, op in windowed)
    tiled = 0
    geometries = geometries_of(ops)
    for rows, cols in grid_tiles(shape_of(ops[-1].results[0]), grid):
        steps = tile_steps(ops, rows, cols, geometries)
        for i, op in windowed:
            tiled += op_macs(steps[i], op)
    return tiled, whole


def op_macs(op: StageOp | TileStep, like: StageOp | None = None) -> int:
    """Multiply-accumulates of a window op, or of op `like` on one tile `op`: output elements times window taps
    (times input channels, conv)."""
    if isinstance(op, TileStep):
        assert like is not None
        oh, ow = op.out_rows[1] - op.out_rows[0], op.out_cols[1] - op.out_cols[0]
        base = like
    else:
        _, oh, ow, _ = shape_of(op.output)
        base = op
    oc = shape_of(base.output)[3]
    if isinstance(base, PoolOp):
        kh, kw = ints(base.kernel)
        return oh * ow * oc * kh * kw
    _, kh, kw, ic = base.filter.get_shape()
    return oh * ow * oc * kh * kw * (ic if isinstance(base, ConvOp) else 1)


__all__ = ["BODY_OPS", "PatchStageOp", "TileLayout", "YieldOp", "add_rows", "bands", "chain_layout", "chain_macs",
           "geometries_of", "graph_layout", "grid_tiles", "layout", "op_macs", "operand_values", "tile_op",
           "tile_steps", "tile_windows", "value_index"]
