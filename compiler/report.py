"""The memory report of a planned model: memory.json, a table for the terminal, a picture (memory.svg)
and a page holding both (memory.html).

    plan = memory_plan(module)
    write_reports(plan, "out/")          # out/memory.json, out/memory.svg, out/memory.html
    print(memory_table(plan))

Also a tool: `python -m cmsis_opt.report PLANNED.mlir [-o DIR]` prints the
table of IR planned by `cmsis-opt --arena-alloc` and writes the three files.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from html import escape

from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerType
from xdsl.ir import Operation

from cmsis_opt.dialects.kernel import kernel_fact
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


def constant_bytes(op: Operation) -> int:
    """Flash bytes of an op's constants (weights, biases, tables: its dense element properties, and those of the ops
    it holds), as the C backend stores them: width times count, int4 values two per byte (rounded up per array).

    Not counted: the per-channel multipliers and shifts, the parameter structs, and the MVE fully connected
    kernel-sum tables the C backend derives per build path.

    Kept per op within an analysis scope (`kernel_fact`): the JSON, the HTML
    table and the flash totals each ask for every step's figure.
    """
    return kernel_fact(op, ("constant_bytes",), lambda: _constant_bytes(op))


def _constant_bytes(op: Operation) -> int:
    total = 0
    for inner in op.walk():
        for attr in inner.properties.values():
            if isinstance(attr, DenseIntOrFPElementsAttr):
                element = attr.get_element_type()
                bits = element.width.data if isinstance(element, IntegerType) else 32
                count = 1
                for dim in attr.get_shape() or ():
                    count *= dim
                total += (count * bits + 7) // 8
    return total


def flash_bytes(plan: Plan) -> int:
    """Flash bytes of every step's constants (`constant_bytes`)."""
    return sum(constant_bytes(op) for op in plan.steps)


def memory_json(plan: Plan) -> dict:
    """Everything a benchmark or the C backend's caller wants to know about the arena, and the constants' flash."""
    load = plan.live_bytes()
    return {
        "function": plan.function,
        "arena_bytes": plan.arena_size,
        "flash_bytes": flash_bytes(plan),
        "overlap_bound_bytes": plan.overlap_bound() if plan.arena_size is not None else None,
        "no_overlap_bound_bytes": plan.no_overlap_bound,
        "activation_no_overlap_bound_bytes": plan.activation_no_overlap_bound,
        "scratch_bytes": plan.scratch_bytes,
        "strategy": plan.strategy,
        "target": plan.target,
        "alignment": plan.alignment,
        "inplace": plan.inplace,
        "patch_stages": patch_stages(plan),
        "steps": [
            {"step": i, "op": op.name, "layer": layer_of(op), "live_bytes": load[i] if i < len(load) else 0,
             "flash_bytes": constant_bytes(op)}
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
                "alias_of": b.alias_of,  # the first of `aliases` (kept for readers of one overlap per buffer)
                "max_delta": b.max_delta,
                "aliases": [{"source": source, "max_delta": delta} for source, delta in b.aliases],
                "shape": list(b.shape),
            }
            for b in plan.buffers
        ],
    }


def bounds_lines(plan: Plan) -> list[str]:
    """The arena and the two bounds, each with what it means (the terminal's and cmsis-compile's words)."""
    lines = []
    if plan.arena_size is not None:
        bound = plan.overlap_bound()
        lines.append(f"overlap bound {bound:,} bytes: no plan with these overlaps is smaller"
                     + (" (this plan reaches it)" if bound == plan.arena_size else ""))
    no_overlap, unaligned = plan.aligned_no_overlap_bound(), plan.no_overlap_bound
    padding = f"; {unaligned:,} live, offsets aligned to {plan.alignment}" if no_overlap != unaligned else ""
    line = (f"no-overlap bound {no_overlap:,} bytes (activations {plan.activation_no_overlap_bound:,}{padding}): "
            "no plan without overlap is smaller")
    if plan.arena_size is not None and plan.arena_size < no_overlap:
        saved = no_overlap - plan.arena_size
        line += f"; overlap saves {saved:,} ({100.0 * saved / no_overlap:.1f}%)"
    lines.append(line)
    return lines


def memory_table(plan: Plan) -> str:
    """A fixed-width summary: the arena, its bounds, then one line per buffer."""
    arena = "-" if plan.arena_size is None else f"{plan.arena_size:,}"
    lines = [
        f"arena {arena} bytes, largest scratch {plan.scratch_bytes}; "
        f"strategy {plan.strategy or '-'}, target {plan.target or '-'}, in-place {'on' if plan.inplace else 'off'}",
        *("  " + line for line in bounds_lines(plan)),
        f"  flash {flash_bytes(plan):,} bytes of constants (weights, biases, tables)",
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
    """`name` in at most `limit` characters: its start and its distinctive end, with '…' between.

    Exported names share long prefixes (`functional_1/activation_3/Relu;functional_1/...`)
    and differ at the end, so most of the room goes to the end.
    """
    if len(name) <= limit:
        return name
    head = limit // 4
    return name[:head] + "…" + name[len(name) - (limit - head - 1):]


def _fit(text: str, chars: float) -> str:
    """`text` cut to `chars` characters, ending in '…' when cut."""
    return text if len(text) <= chars else text[: max(int(chars) - 1, 0)] + "…"


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


# -- the picture -------------------------------------------------------------

HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 580, 70, 20, 90, 92
MIN_WIDTH, MAX_WIDTH, STEP_PIXELS = 960, 2400, 8
"""The picture is MIN_WIDTH wide, and wider (up to MAX_WIDTH) so a step gets STEP_PIXELS where that fits."""
MIN_DRAWN = 2.0
"""Smallest width and height of a drawn buffer (pixels): a small buffer is still seen and can be hovered."""
CHAR_PIXELS = 6.5
"""Width of one character of the 11-pixel labels (an upper estimate, so labels never overprint)."""


def _nice_every(steps: int, col: float, label_chars: int) -> int:
    """The step interval of the x labels: 1, 2, 5, 10, 20, 50, ... whichever first keeps labels apart."""
    room = label_chars * CHAR_PIXELS + 8
    every, factors = 1, (2, 2.5, 2)
    i = 0
    while every * col < room and every < steps:
        every = int(every * factors[i % 3])
        i += 1
    return every


def peak_of(plan: Plan) -> tuple[int, int, list[Buffer]] | None:
    """The step whose live buffers reach highest in the arena, that height (bytes) and the buffers live there."""
    placed = [b for b in plan.buffers if b.offset is not None and b.end is not None]
    if not placed:
        return None
    steps = max(len(plan.steps), 1)
    top = [0] * steps
    for b in placed:
        assert b.end is not None
        for t in range(b.first, min(b.last, steps - 1) + 1):
            top[t] = max(top[t], b.end)
    step = max(range(steps), key=lambda t: top[t])
    live = sorted((b for b in placed if b.live_at(step)), key=lambda b: -(b.offset or 0))
    return step, top[step], live


def describe(b: Buffer) -> str:
    """One line about a buffer: its tooltip in memory.svg and memory.html."""
    text = f"{b.name} ({b.kind}): [{_n(b.offset)}, {_n(b.end)}) steps {b.first}..{b.last}, {b.size} bytes"
    if b.shape:
        text += f", shape {'x'.join(map(str, b.shape))}"
    for src, delta in b.aliases:
        text += f", written over {src} (max_delta {delta})"
    return text


def memory_svg(plan: Plan) -> str:
    """Operator steps across, arena offsets up, one rectangle per buffer (hover: its details), the peak marked.

    Readable from a handful of steps to thousands: the picture widens with the
    steps (up to MAX_WIDTH), x labels are spaced so they never touch, every
    buffer is at least MIN_DRAWN pixels each way, a label is written only where
    it fits inside its buffer, and a legend says what colours, dashes and the
    peak band mean.
    """
    steps = max(len(plan.steps), 1)
    width = int(min(MAX_WIDTH, max(MIN_WIDTH, LEFT + RIGHT + STEP_PIXELS * steps)))
    placed = [b for b in plan.buffers if b.offset is not None and b.first is not None]
    arena = max([plan.arena_size or 0, *[b.end or 0 for b in placed], 1])
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    col = plot_w / steps
    arena_text = "-" if plan.arena_size is None else f"{plan.arena_size:,}"

    def x(step: float) -> float:
        return LEFT + step * col

    def y(offset: float) -> float:
        return TOP + plot_h - offset * plot_h / arena

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">'
        f'{escape(_fit(plan.function, 40))}: arena {arena_text} bytes, {len(plan.steps)} steps '
        f'({escape(plan.strategy or "unplanned")}, {escape(plan.target or "-")})</text>',
    ]
    for i, line in enumerate(bounds_lines(plan)):
        out.append(f'<text x="{LEFT}" y="{34 + 14 * i}" fill="#444">{escape(_fit(line, (width - LEFT) / CHAR_PIXELS))}'
                   "</text>")
    out.extend(_legend(LEFT, 64))
    out.append(f'<text x="{LEFT}" y="{HEIGHT - 10}" fill="#444">In a buffer: its name; where that does not fit, its op '
               "and step, or the step alone. Hover a buffer for its details.</text>")
    # axes and grid
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    for i in range(5):
        offset = round(arena * i / 4)
        out.append(f'<line x1="{LEFT - 4}" y1="{y(offset):.1f}" x2="{LEFT + plot_w}" y2="{y(offset):.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(offset) + 4:.1f}" text-anchor="end">{offset:,}</text>')
    every = _nice_every(steps, col, len(str(steps - 1)))
    for s in range(0, steps, every):
        out.append(f'<line x1="{x(s + 0.5):.1f}" y1="{TOP + plot_h}" x2="{x(s + 0.5):.1f}" y2="{TOP + plot_h + 3}" '
                   'stroke="#444"/>')
        out.append(f'<text x="{x(s + 0.5):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h + 30}" text-anchor="middle">operator step</text>')
    out.append(f'<text x="16" y="{TOP + plot_h / 2}" transform="rotate(-90 16 {TOP + plot_h / 2})" '
               'text-anchor="middle">arena offset (bytes)</text>')
    peak = peak_of(plan)
    if peak is not None:
        step, top, live = peak
        band = max(col, MIN_DRAWN)
        out.append(f'<rect x="{x(step + 0.5) - band / 2:.1f}" y="{TOP}" width="{band:.1f}" height="{plot_h}" '
                   'fill="#d62728" fill-opacity="0.08" stroke="#d62728" stroke-width="1"/>')
        out.append(f'<text x="{x(step + 0.5):.1f}" y="{TOP - 4}" text-anchor="middle" fill="#d62728" '
                   f'font-weight="bold">peak</text>')
        out.append(_peak_line(plan, step, top, live, LEFT, TOP + plot_h + 50, plot_w))
    taken: list[Box] = []  # the labels drawn so far: a label that would overprint one is left out
    for b in placed:
        out.append(_rect(b, x, y, taken))
    for b in placed:
        out.extend(_alias_overlaps(plan, b, x, y))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend(left: float, top: float) -> list[str]:
    out, at = [], left
    for kind, colour in COLOURS.items():
        out.append(f'<rect x="{at}" y="{top}" width="12" height="12" fill="{colour}" fill-opacity="0.6" '
                   f'stroke="{colour}"/>')
        out.append(f'<text x="{at + 16}" y="{top + 10}">{kind}</text>')
        at += 90
    out.append(f'<rect x="{at}" y="{top}" width="12" height="12" fill="none" stroke="#d62728" stroke-dasharray="3,2"/>')
    out.append(f'<text x="{at + 16}" y="{top + 10}">output written over its input</text>')
    at += 200
    out.append(f'<rect x="{at}" y="{top}" width="12" height="12" fill="#d62728" fill-opacity="0.08" stroke="#d62728"/>')
    out.append(f'<text x="{at + 16}" y="{top + 10}">peak step</text>')
    return out


def _peak_line(plan: Plan, step: int, top: int, live: list[Buffer], left: float, base: float, room: float) -> str:
    """What is live at the peak step, as much as fits in `room` pixels (the rest counted)."""
    where = f"step {step} ({_short(layer_of(plan.steps[step]) or plan.steps[step].name, 40)})" if plan.steps \
        else "the graph inputs"
    head = f"peak at {where}: top {top:,} bytes; live: "
    parts = [f"{_short(b.name, 32)} ({b.kind}, {b.size:,})" for b in live]
    text, shown = head, 0
    for part in parts:
        candidate = text + ("" if shown == 0 else ", ") + part
        more = f" and {len(parts) - shown - 1} more" if shown + 1 < len(parts) else ""
        if len(candidate + more) * CHAR_PIXELS > room:
            break
        text, shown = candidate, shown + 1
    if shown < len(parts):
        text += f" and {len(parts) - shown} more"
    title = "; ".join(describe(b) for b in live)
    return (f'<g class="peak"><title>{escape(title)}</title><text x="{left}" y="{base}" fill="#d62728">'
            f'{escape(text)}</text></g>')


Box = tuple[float, float, float, float]  # left, top, right, bottom, in pixels


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _rect(b: Buffer, x: Scale, y: Scale, taken: list[Box]) -> str:
    """The buffer's rectangle and, where one fits inside it without overprinting a label in `taken`, its label
    (the label's box is then added to `taken`)."""
    assert b.offset is not None and b.end is not None  # only placed buffers are drawn
    colour = COLOURS.get(b.kind, "#888")
    x0, x1 = x(b.first), x(b.last + 1)
    y0, y1 = y(b.end), y(b.offset)
    w, h = max(x1 - x0, MIN_DRAWN), max(y1 - y0, MIN_DRAWN)
    parts = [
        f'<g><title>{escape(describe(b))}</title>',
        f'<rect x="{x0:.1f}" y="{y1 - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{colour}" fill-opacity="0.55" stroke="{colour}" stroke-width="1"/>',
    ]
    room = x(b.first + 1) - x0 - 4  # the label sits in the first step's column, where the buffer is written
    if y1 - y0 >= 14:
        # at the rectangle's top, else at its bottom where it is tall enough for both
        tops = [y0 + 1] + ([y1 - 15] if y1 - y0 >= 30 else [])
        placed = next(((label, top) for label in _labels(b) for top in tops
                       if CHAR_PIXELS * len(label) <= room
                       and not any(_overlaps((x0 + 3, top, x0 + 3 + CHAR_PIXELS * len(label), top + 14), t)
                                   for t in taken)), None)
        if placed is not None:
            label, top = placed
            taken.append((x0 + 3, top, x0 + 3 + CHAR_PIXELS * len(label), top + 14))
            parts.append(f'<text x="{x0 + 3:.1f}" y="{top + 11:.1f}">{escape(label)}</text>')
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


# -- the page -----------------------------------------------------------------

_CSS = """body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } ul { padding-left: 1.2em; }
.picture { overflow-x: auto; border: 1px solid #ccc; }
.picture g:hover rect { stroke: #000; stroke-width: 2; }
table { border-collapse: collapse; margin-top: 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.name { max-width: 40em; overflow-wrap: anywhere; }
tr.peak td { background: #fdecec; }"""


def memory_html(plan: Plan, svg: str | None = None) -> str:
    """One self-contained page: the arena and its bounds, the picture (a tooltip per buffer), the buffer table and
    the layer table (each step's live bytes and the flash of its constants).

    Nothing is loaded from elsewhere (no script, no external style or font),
    so the file can be mailed or archived as it is. Rows of the buffers live
    at the peak step are highlighted. `svg`: the picture, when already drawn.
    """
    peak = peak_of(plan)
    at_peak = {id(b) for b in peak[2]} if peak else set()
    title = f"{plan.function}: arena {_n(plan.arena_size)} bytes"
    rows = []
    for b in plan.buffers:
        alias = "; ".join(f"over {src} (max_delta {delta})" for src, delta in b.aliases)
        cells = [f'<td class="name" title="{escape(describe(b))}">{escape(b.name)}</td>', f"<td>{b.kind}</td>",
                 f"<td>{'x'.join(map(str, b.shape)) or '-'}</td>", f'<td class="n">{b.size:,}</td>',
                 f'<td class="n">{_n(b.offset)}</td>', f'<td class="n">{_n(b.end)}</td>',
                 f'<td class="n">{b.first}..{b.last}</td>', f"<td>{escape(alias)}</td>"]
        marked = ' class="peak"' if id(b) in at_peak else ""
        rows.append(f"<tr{marked}>{''.join(cells)}</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("buffer", "kind", "shape", "bytes", "offset", "end", "steps", "alias"))
    load = plan.live_bytes()
    layer_rows = [f'<tr><td class="n">{i}</td><td class="name">{escape(layer_of(op) or "-")}</td>'
                  f'<td>{escape(op.name)}</td><td class="n">{(load[i] if i < len(load) else 0):,}</td>'
                  f'<td class="n">{constant_bytes(op):,}</td></tr>' for i, op in enumerate(plan.steps)]
    layer_head = "".join(f"<th>{h}</th>" for h in ("step", "layer", "op", "live bytes", "flash bytes"))
    facts = [*bounds_lines(plan), f"flash {flash_bytes(plan):,} bytes of constants (weights, biases, tables)",
             f"strategy {plan.strategy or '-'}, target {plan.target or '-'}, "
             f"alignment {_n(plan.alignment)}, in-place {'on' if plan.inplace else 'off'}"]
    if peak is not None:
        facts.append(f"peak at {plan.step_name(peak[0]) if plan.steps else 'the graph inputs'}: "
                     f"top {peak[1]:,} bytes, {len(peak[2])} buffers live (highlighted below)")
    svg = svg if svg is not None else memory_svg(plan)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{escape(title)}</title>",
        f"<style>\n{_CSS}\n</style>", "</head>", "<body>", f"<h1>{escape(title)}</h1>",
        "<ul>", *(f"<li>{escape(f)}</li>" for f in facts), "</ul>",
        '<div class="picture">', svg, "</div>",
        f"<table><thead><tr>{head}</tr></thead><tbody>", *rows, "</tbody></table>",
        f"<table><thead><tr>{layer_head}</tr></thead><tbody>", *layer_rows, "</tbody></table>",
        "</body>", "</html>", ""])


REPORT_FILES = ("memory.json", "memory.svg", "memory.html")


def json_text(report: dict) -> str:
    """`report` as JSON text: one key per line, and each record of a list of records (steps, buffers) on a line.

    Equal to `json.dumps(report)` when parsed. Not `indent=`: an indented dump runs the json module's Python
    encoder, and a model of a thousand layers has thousands of records; each line here is a compact dump,
    which takes its C encoder.
    """
    lines = []
    for key, value in report.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            body = ",\n    ".join(json.dumps(item) for item in value)
            text = f"[\n    {body}\n  ]"
        else:
            text = json.dumps(value)
        lines.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_reports(plan: Plan, directory: str) -> list[str]:
    """Write memory.json, memory.svg and memory.html into `directory` (each in one step); returns their paths."""
    from cmsis_opt.output import write_atomic

    paths = [os.path.join(directory, name) for name in REPORT_FILES]
    write_atomic(paths[0], json_text(memory_json(plan)))
    svg = memory_svg(plan)
    write_atomic(paths[1], svg)
    write_atomic(paths[2], memory_html(plan, svg))
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
    parser.add_argument("-o", "--output-dir", help="write memory.json, memory.svg and memory.html here")
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
