"""The memory report of a planned model: memory.json, a table for the terminal, a picture (memory.svg).

    plan = memory_plan(module)
    write_reports(plan, "out/")          # out/memory.json, out/memory.svg
    print(memory_table(plan))

Also a tool: `python -m cmsis_opt.report PLANNED.mlir [-o DIR]` prints the
table of IR planned by `cmsis-opt --arena-alloc` and writes both files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from html import escape

from xdsl.ir import Operation

from cmsis_opt.dialects.utils import ints
from cmsis_opt.plan import Buffer, Plan, layer_of

SHORT_KINDS = {
    "depthwise_conv": "dw", "fully_connected": "fc", "max_pool": "maxp", "avg_pool": "avgp", "softmax": "smax",
}
COLOURS = {"input": "#4e79a7", "output": "#59a14f", "activation": "#f28e2b", "scratch": "#9c9c9c"}

Scale = Callable[[float], float]
"""Steps or offsets to picture coordinates."""


def patch_stages(plan: Plan) -> list[dict]:
    """Each `cmsis.patch_stage` of the plan: its ops' layers, grid, tile region bytes and the halos' extra MACs
    (in percent of the stage's own)."""
    from cmsis_opt.dialects.cmsis_patch import PatchStageOp

    stages = []
    for step, op in enumerate(plan.steps):
        if not isinstance(op, PatchStageOp):
            continue
        tiled, whole = op.macs()
        region = plan.scratch(op)
        rows, cols = ints(op.grid)
        stages.append({"step": step, "layers": [layer_of(o) or o.name for o in op.ops()], "grid": f"{rows}x{cols}",
                       "tiles": rows * cols, "tile_region_bytes": region.size if region else 0,
                       "macs_tiled": tiled, "macs_whole": whole,
                       "overhead_percent": round(100.0 * (tiled - whole) / max(whole, 1), 2)})
    return stages


def memory_json(plan: Plan) -> dict:
    """Everything a benchmark or the C backend's caller wants to know about the arena."""
    load = plan.live_bytes()
    return {
        "function": plan.function,
        "arena_bytes": plan.arena_size,
        "lower_bound_bytes": plan.lower_bound,
        "activation_lower_bound_bytes": plan.activation_lower_bound,
        "scratch_bytes": plan.scratch_bytes,
        "strategy": plan.strategy,
        "target": plan.target,
        "alignment": plan.alignment,
        "inplace": plan.inplace,
        "patch_stages": patch_stages(plan),
        "steps": [
            {"step": i, "op": op.name, "layer": layer_of(op), "live_bytes": load[i] if i < len(load) else 0}
            for i, op in enumerate(plan.steps)
        ],
        "buffers": [
            {
                "name": b.name,
                "kind": b.kind,
                "offset": b.offset,
                "size": b.size,
                "first": b.first,
                "last": b.last,
                "alias_of": b.alias_of,
                "max_delta": b.max_delta,
                "shape": list(b.shape),
            }
            for b in plan.buffers
        ],
    }


def memory_table(plan: Plan) -> str:
    """A fixed-width summary: the totals, then one line per buffer."""
    lines = [
        f"arena {_n(plan.arena_size)} bytes, lower bound {_n(plan.lower_bound)} "
        f"(activations {_n(plan.activation_lower_bound)}), largest scratch {plan.scratch_bytes}; "
        f"strategy {plan.strategy or '-'}, target {plan.target or '-'}, in-place {'on' if plan.inplace else 'off'}"
    ]
    for stage in patch_stages(plan):
        lines.append(f"patch stage at step {stage['step']}: {len(stage['layers'])} ops run as {stage['grid']} tiles, "
                     f"tile region {stage['tile_region_bytes']} bytes, {stage['overhead_percent']:+.1f}% MACs "
                     "in the stage (halos)")
    rows = [("buffer", "kind", "offset", "size", "end", "steps", "alias")]
    for b in plan.buffers:
        steps = "-" if b.first is None else f"{b.first}..{b.last}"
        alias = f"{_short(b.alias_of)} <= {b.max_delta}" if b.alias_of else ""
        rows.append((_short(b.name), b.kind, _n(b.offset), str(b.size), _n(b.end), steps, alias))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        numbers = [c.rjust(w) for c, w in zip(r[2:6], widths[2:6], strict=True)]
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), *numbers, r[6]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _short(name: str, limit: int = 48) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


# -- the picture -------------------------------------------------------------

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 960, 540, 70, 20, 50, 60


def memory_svg(plan: Plan) -> str:
    """Operator steps across, arena offsets up, one labelled rectangle per buffer."""
    steps = max(len(plan.steps), 1)
    placed = [b for b in plan.buffers if b.offset is not None and b.first is not None]
    arena = max([plan.arena_size or 0, *[b.end or 0 for b in placed], 1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    col = plot_w / steps

    def x(step: float) -> float:
        return LEFT + step * col

    def y(offset: float) -> float:
        return TOP + plot_h - offset * plot_h / arena

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">'
        f'{escape(plan.function)}: arena {_n(plan.arena_size)} bytes, lower bound {_n(plan.lower_bound)} '
        f'({escape(plan.strategy or "unplanned")}, {escape(plan.target or "-")})</text>',
    ]
    legend_x = LEFT
    for kind, colour in COLOURS.items():
        out.append(f'<rect x="{legend_x}" y="28" width="12" height="12" '
                   f'fill="{colour}" fill-opacity="0.6" stroke="{colour}"/>')
        out.append(f'<text x="{legend_x + 16}" y="38">{kind}</text>')
        legend_x += 100
    out.append(f'<rect x="{legend_x}" y="28" width="12" height="12" '
               'fill="none" stroke="#d62728" stroke-dasharray="3,2"/>')
    out.append(f'<text x="{legend_x + 16}" y="38">aliased overlap</text>')
    # axes and grid
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    for i in range(5):
        offset = round(arena * i / 4)
        out.append(f'<line x1="{LEFT - 4}" y1="{y(offset):.1f}" x2="{LEFT + plot_w}" y2="{y(offset):.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(offset) + 4:.1f}" text-anchor="end">{offset}</text>')
    every = max(1, steps // 40)
    for s in range(0, steps, every):
        out.append(f'<text x="{x(s + 0.5):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 28}" text-anchor="middle">operator step</text>')
    out.append(f'<text x="16" y="{TOP + plot_h / 2}" transform="rotate(-90 16 {TOP + plot_h / 2})" '
               'text-anchor="middle">arena offset (bytes)</text>')
    for b in placed:
        out.append(_rect(b, x, y))
    for b in placed:
        out.extend(_alias_overlaps(plan, b, x, y))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _rect(b: Buffer, x: Scale, y: Scale) -> str:
    assert b.offset is not None and b.end is not None  # only placed buffers are drawn
    colour = COLOURS.get(b.kind, "#888")
    x0, x1 = x(b.first), x(b.last + 1)
    y0, y1 = y(b.end), y(b.offset)
    title = f"{b.name} ({b.kind}): [{b.offset}, {b.end}) steps {b.first}..{b.last}, {b.size} bytes"
    parts = [
        f'<g><title>{escape(title)}</title>',
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 1):.1f}" height="{max(y1 - y0, 0.5):.1f}" '
        f'fill="{colour}" fill-opacity="0.55" stroke="{colour}" stroke-width="1"/>',
    ]
    width = x(b.first + 1) - x0 - 4  # the label sits in the first step's column, where the buffer is written
    if y1 - y0 >= 14:
        for label in _labels(b):
            if 6.5 * len(label) <= width:
                parts.append(f'<text x="{x0 + 3:.1f}" y="{y0 + 12:.1f}">{escape(label)}</text>')
                break
    parts.append("</g>")
    return "".join(parts)


def _labels(b: Buffer) -> list[str]:
    """Ways to name a buffer in its rectangle, longest first: the name, then its op kind and step."""
    if b.step is None:
        return [b.name, b.name[:3]]
    op = b.value.owner
    assert isinstance(op, Operation)  # a buffer written at a step holds the result of that step's op
    kind = op.name.split(".")[-1]
    short = SHORT_KINDS.get(kind, kind[:4])
    return [b.name, f"{kind} {b.step}", f"{short} {b.step}", f"{b.step}"]


def _alias_overlaps(plan: Plan, b: Buffer, x: Scale, y: Scale) -> list[str]:
    assert b.offset is not None and b.end is not None  # only placed buffers are drawn
    shapes = []
    for src_name, _ in b.aliases:
        src = plan.by_name(src_name)
        if src.offset is None or src.end is None or b.step is None:
            continue
        lo, hi = max(b.offset, src.offset), min(b.end, src.end)
        if lo < hi:
            shapes.append(
                f'<rect x="{x(b.step):.1f}" y="{y(hi):.1f}" '
                f'width="{x(b.step + 1) - x(b.step):.1f}" height="{y(lo) - y(hi):.1f}" '
                f'fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="4,3"><title>{escape(b.name)} over '
                f'{escape(src_name)}: [{lo}, {hi})</title></rect>'
            )
    return shapes


def write_reports(plan: Plan, directory: str) -> list[str]:
    """Write memory.json and memory.svg into `directory` (each in one step); returns their paths."""
    from cmsis_opt.output import write_atomic

    paths = [os.path.join(directory, "memory.json"), os.path.join(directory, "memory.svg")]
    write_atomic(paths[0], json.dumps(memory_json(plan), indent=2) + "\n")
    write_atomic(paths[1], memory_svg(plan))
    return paths


def write_report(module_or_plan, directory: str) -> list[str]:
    """`write_reports` for a planned module (or a Plan)."""
    from cmsis_opt.plan import memory_plan

    plan = module_or_plan if isinstance(module_or_plan, Plan) else memory_plan(module_or_plan)
    return write_reports(plan, directory)


def _main(argv: list[str]) -> int:
    import argparse

    from cmsis_opt.ir import parse_ir
    from cmsis_opt.output import read_input
    from cmsis_opt.plan import memory_plan

    parser = argparse.ArgumentParser(prog="python -m cmsis_opt.report",
                                     description="Print and save the memory report of planned IR.")
    parser.add_argument("input", help="IR after cmsis-opt --arena-alloc ('-' for stdin)")
    parser.add_argument("-o", "--output-dir", help="write memory.json and memory.svg here")
    args = parser.parse_args(argv)
    text, name = read_input(args.input)
    plan = memory_plan(parse_ir(text, name).module)
    sys.stdout.write(memory_table(plan))
    if args.output_dir:
        for path in write_reports(plan, args.output_dir):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    from cmsis_opt.tools import run_tool

    sys.exit(run_tool("report", lambda: _main(sys.argv[1:])))
