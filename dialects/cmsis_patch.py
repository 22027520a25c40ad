"""`cmsis.patch_stage`: a chain of window ops run tile by tile over its output (patch-based execution).

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

One tile: copy its input window out of the stage input into the tile region,
run the body's kernels ping-pong inside that region (input at one end, output
at the other, the kernel's own scratch between), copy the result tile into
the stage output. With one column of tiles (R x 1 bands) each result tile is
whole rows, one contiguous run of the NHWC stage output: the last op writes
it there directly, so the region holds no result tile and nothing is copied
out. The tile region is the op's scratch (`scratch_bytes`): the
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
from .cmsis_pool import PoolOp
from .kernel import AccessOrder, CEmitter, CmsisOp, KernelOp, NoOverlap, Trace
from .utils import fail, i64_array, ints, num_elements, shape_of

TILE_ALIGN = 16
"""Bytes each buffer inside a tile region is rounded up to (the arena's default alignment)."""

StageOp = ConvOp | DepthwiseConvOp | PoolOp
STAGE_OPS = (ConvOp, DepthwiseConvOp, PoolOp)


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
    """One op of the body on one tile: its input window in the op's input tensor, its padding, its output."""

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


def tile_steps(ops: Sequence[StageOp], out_rows: tuple[int, int], out_cols: tuple[int, int],
               geometries: Sequence[tuple[Geometry, Geometry]] | None = None) -> list[TileStep]:
    """The receptive field of one output tile, chained back through `ops` (returned first op first).

    `geometries`: `geometry` of each op, when the caller has them (one computation for many tiles)."""
    steps = []
    rows, cols = out_rows, out_cols
    for index in reversed(range(len(ops))):
        gh, gw = geometry(ops[index]) if geometries is None else geometries[index]
        r0, r1, pt = gh.needs(*rows)
        c0, c1, pl = gw.needs(*cols)
        steps.append(TileStep((r0, r1), (c0, c1), (pt, pl), rows, cols))
        rows, cols = (r0, r1), (c0, c1)
    return steps[::-1]


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


@irdl_op_definition
class PatchStageOp(CmsisOp, KernelOp):
    """A chain of convs, depthwise convs and pools run tile by tile; NHWC input [N, H, W, C] (module docstring)."""

    name = "cmsis.patch_stage"
    assembly_format = "$input attr-dict `:` `(` type($input) `)` `->` type($output) $body"

    input = operand_def(TensorType)
    output = result_def(TensorType)
    grid = prop_def(DenseArrayBase[IntegerType])
    stream_input = opt_prop_def(UnitAttr)
    body = region_def("single_block")

    def __init__(self, input: SSAValue, ops: Sequence[Operation], grid: Sequence[int], stream_input: bool = False):
        block = Block(arg_types=[input.type])
        first = ops[0]
        first.operands[0] = block.args[0]
        for op in ops:
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
        """Every tile's input window spans all the input's columns: a streamed window's rows go straight into the
        tile region, with no line buffer."""
        _, _, w, _ = shape_of(self.input)
        return all(steps[0].cols == (0, w) for steps in self.tile_plans())

    def writes_output(self) -> bool:
        """One column of tiles: each output tile is whole rows, one contiguous run of the stage output (NHWC), so
        the last op writes it there itself: no room for it in the tile region, no copy out."""
        return ints(self.grid)[1] == 1

    def keeps_halo(self) -> bool:
        """A streamed input whose tile windows are whole rows, one column of tiles, and one op: each window keeps
        the rows the previous one held (they are still at the low end of the region, which the one op only
        reads) and asks only for its new rows."""
        return self.streams() and ints(self.grid)[1] == 1 and len(self.ops()) == 1 and self.whole_rows()

    def line_buffer(self) -> bool:
        """A streamed input whose windows are narrower than a row: its rows arrive in a line buffer of one row."""
        return self.streams() and not self.whole_rows()

    def ops(self) -> list[StageOp]:
        return [op for op in self.body.block.ops if isinstance(op, STAGE_OPS)]

    def tiles(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """The output tiles (rows, columns) in raster order."""
        return grid_tiles(shape_of(self.output), ints(self.grid))

    def tile_plans(self) -> list[list[TileStep]]:
        ops = self.ops()
        geometries = [geometry(op) for op in ops]
        return [tile_steps(ops, r, c, geometries) for r, c in self.tiles()]

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
        previous: SSAValue = block.args[0]
        for op in ops[:-1]:
            if not isinstance(op, STAGE_OPS):
                fail(self, "body", f"may hold convs, depthwise convs and pools only, not '{op.name}'")
            if op.operands[0] != previous or len(list(previous.uses)) != 1:
                fail(self, "body", "must be a chain: each op reads the previous op's result only")
            if shape_of(op.input)[0] != 1:
                fail(self, "body", "runs batch 1 only")
            previous = op.results[0]
        if ops[-1].operands[0] != previous or previous.type != self.output.type:
            fail(self, "body", "must yield the last op's result, of the stage output's type")
        _, h, w, _ = shape_of(self.output)
        if grid[0] > h or grid[1] > w:
            fail(self, "grid", f"{grid[0]}x{grid[1]} tiles do not fit an output of {h}x{w}")

    # -- the kernel interface ------------------------------------------------
    def kernel_function(self, path: BuildPath) -> str:
        return "+".join(dict.fromkeys(op.kernel_function(path) for op in self.ops()))

    def _tile_layout(self, path: BuildPath, steps: Sequence[TileStep]) -> tuple[int, list[tuple[int, int, int]]]:
        ops = [tile_op(op, s) for op, s in zip(self.ops(), steps, strict=True)]
        sizes = [(num_elements(shape_of(o.input)), num_elements(shape_of(o.output)), o.planned_scratch(path))
                 for o in ops]
        if self.writes_output():  # the last op writes its band straight into the stage output
            sizes[-1] = (sizes[-1][0], 0, sizes[-1][2])
        for o in ops:
            o.erase()
        return layout(sizes)

    def _region_bytes(self, path: BuildPath) -> int:
        """The largest tile's ping-pong need. Tiles of the same extents and padding need the same: each such shape
        is laid out once."""
        shapes = {tuple(s.shape for s in steps): steps for steps in self.tile_plans()}
        return max(self._tile_layout(path, steps)[0] for steps in shapes.values())

    def scratch_bytes(self, path: BuildPath) -> int:
        """The tile region: the largest tile's ping-pong need (inputs, outputs and kernel scratch, each rounded to
        TILE_ALIGN bytes), then, with a streamed input whose windows are narrower than a row, the line buffer of one
        input row."""
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
        for k, ((r, c_), steps) in enumerate(zip(self.tiles(), self.tile_plans(), strict=True)):
            first = steps[0]
            t.read(np.array(2 * k), in_index[first.rows[0]:first.rows[1], first.cols[0]:first.cols[1]])
            t.write(np.array(2 * k + 1), out_index[r[0]:r[1], c_[0]:c_[1]])
        return t.done()

    def macs(self) -> tuple[int, int]:
        """(multiply-accumulates tile by tile, of the whole ops): the halo's recomputation is their difference."""
        return chain_macs(self.ops(), ints(self.grid))

    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The tile loop itself: each tile's window through the tile-sized ops, written into the output."""
        (x,) = inputs
        out = np.zeros(shape_of(self.output), np.int8)
        for (r, c), steps in zip(self.tiles(), self.tile_plans(), strict=True):
            first = steps[0]
            value = x[:, first.rows[0]:first.rows[1], first.cols[0]:first.cols[1], :]
            for op, s in zip(self.ops(), steps, strict=True):
                o = tile_op(op, s)
                value = o.interpret(value)
                o.erase()
            out[:, r[0]:r[1], c[0]:c[1], :] = value
        return out

    def emit_c(self, c: CEmitter) -> None:
        """One loop over the tiles (`CEmitter.tile_loop`): a row-by-row copy of the tile's input window into the
        tile region, the body's calls inside the region, a copy of the result tile out. What differs between
        tiles (window and output origins and sizes, padding, places in the region) is a row of the tile table."""
        _, _, w, ch = shape_of(self.input)
        _, _, ow, och = shape_of(self.output)
        tiles = list(zip(self.tiles(), self.tile_plans(), strict=True))
        line = self._region_bytes(c.path) if self.line_buffer() else 0
        keep_halo = self.keeps_halo()

        def one(k: int) -> None:
            (r, cols), steps = tiles[k]
            _, places = self._tile_layout(c.path, steps)
            first = steps[0]
            rows, width = first.rows[1] - first.rows[0], (first.cols[1] - first.cols[0]) * ch
            if self.streams() and not line:
                kept: int | None = 0 if keep_halo else None
                shift = 0
                if keep_halo and k > 0:
                    previous = tiles[k - 1][1][0].rows
                    kept = max(0, min(previous[1], first.rows[1]) - first.rows[0])
                    shift = first.rows[0] - previous[0] if kept else 0
                c.read_whole_rows(first.rows[0], rows, kept, shift, c.scratch_ptr(places[0][0]), width,
                                  "read in: the tile's input window, whole rows: the rows the previous window "
                                  "also held are kept, the others asked for" if keep_halo
                                  else "read in: the tile's input window, whole rows")
            elif self.streams():
                c.read_input_rows(first.rows[0], rows, c.scratch_ptr(line), c.scratch_ptr(places[0][0]), width,
                                  first.cols[0] * ch, width, "read in: the tile's input window, row by row")
            else:
                start = (first.rows[0] * w + first.cols[0]) * ch
                c.copy_rows(c.scratch_ptr(places[0][0]), width, f"{c.ptr(self.input)} + {start}", w * ch, rows,
                            width, "copy in: the tile's input window, row by row")
            band = c.ptr(self.output) + f" + {(r[0] * ow + cols[0]) * och}"
            last = len(steps) - 1
            for index, (op, s, (at_in, at_out, at_scratch)) in enumerate(zip(self.ops(), steps, places, strict=True)):
                o = tile_op(op, s)
                scratch = o.planned_scratch(c.path)
                out = band if index == last and self.writes_output() else c.scratch_ptr(at_out)
                c.nested(o, {o.input: c.scratch_ptr(at_in), o.output: out},
                         (at_scratch, scratch) if scratch else None, f"op{index}")
                o.erase()
            if self.writes_output():
                return
            width = (cols[1] - cols[0]) * och
            c.copy_rows(c.ptr(self.output) + f" + {(r[0] * ow + cols[0]) * och}", ow * och,
                        c.scratch_ptr(places[-1][1]), width, r[1] - r[0], width,
                        "copy out: the result tile into the stage output, row by row")

        notes = [f"tile {k}: output rows {r[0]}-{r[1] - 1}, columns {cols[0]}-{cols[1] - 1}; "
                 f"input rows {s[0].rows[0]}-{s[0].rows[1] - 1}, columns {s[0].cols[0]}-{s[0].cols[1] - 1}"
                 for k, ((r, cols), s) in enumerate(tiles)]
        c.tile_loop(len(tiles), one, notes)


def grid_tiles(shape: Sequence[int], grid: Sequence[int]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (rows, columns) tiles of an NHWC `shape` split by `grid` = [rows, columns], in raster order."""
    return [(r, c) for r in bands(shape[1], grid[0]) for c in bands(shape[2], grid[1])]


def chain_macs(ops: Sequence[StageOp], grid: Sequence[int]) -> tuple[int, int]:
    """(multiply-accumulates of `ops` run tile by tile on `grid`, run whole)."""
    whole = sum(op_macs(op) for op in ops)
    tiled = 0
    geometries = [geometry(op) for op in ops]
    for rows, cols in grid_tiles(shape_of(ops[-1].output), grid):
        for op, s in zip(ops, tile_steps(ops, rows, cols, geometries), strict=True):
            tiled += op_macs(s, op)
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


__all__ = ["PatchStageOp", "YieldOp", "bands", "chain_macs", "grid_tiles", "layout", "op_macs", "tile_op",
           "tile_steps"]
