"""Plots as hand-written SVG: a line chart, a grouped bar chart and a scatter chart, no plotting library needed."""

from __future__ import annotations

from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 360, 70, 250, 40, 50


def nice_max(value: float) -> float:
    """A round top for the y axis at or above `value`, with five round grid steps."""
    import math

    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value / 5))
    return 5 * next(m * power for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if 5 * m * power >= value)


def _frame(title: str, ylabel: str, ymax: float) -> list[str]:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2 - RIGHT / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<text x="14" y="{TOP + (H - TOP - BOTTOM) / 2}" transform="rotate(-90 14 {TOP + (H - TOP - BOTTOM) / 2})" '
           f'text-anchor="middle">{escape(ylabel)}</text>']
    for k in range(6):
        value = ymax * k / 5
        y = _y(value, ymax)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    out.append(f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="black"/>')
    return out


def _y(value: float, ymax: float) -> float:
    return H - BOTTOM - (H - TOP - BOTTOM) * value / ymax


def _legend(names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = TOP + 18 * i
        out.append(f'<rect x="{W - RIGHT + 12}" y="{y}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{W - RIGHT + 30}" y="{y + 10}">{escape(name)}</text>')
    return out


def line_chart(title: str, xlabel: str, ylabel: str, xs: list[float], series: dict[str, list[float]]) -> str:
    ymax = nice_max(max(max(v) for v in series.values()))
    x0, x1 = min(xs), max(xs)
    span = (x1 - x0) or 1

    def px(x: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * (x - x0) / span

    out = _frame(title, ylabel, ymax)
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{x:g}</text>')
    out.append(f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{H - 12}" text-anchor="middle">{escape(xlabel)}</text>')
    for i, values in enumerate(series.values()):
        colour = COLOURS[i % len(COLOURS)]
        dash = f' stroke-dasharray="{4 + 2 * i},3"' if i else ""
        points = " ".join(f"{px(x):.1f},{_y(v, ymax):.1f}" for x, v in zip(xs, values))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{_y(v, ymax):.1f}" r="3" fill="{colour}"/>' for x, v in zip(xs, values)]
    return "\n".join(out + _legend(list(series)) + ["</svg>"]) + "\n"


def bar_chart(title: str, ylabel: str, groups: list[str], series: dict[str, list[float]]) -> str:
    ymax = nice_max(max(max(v) for v in series.values()))
    out = _frame(title, ylabel, ymax)
    slot = (W - LEFT - RIGHT) / len(groups)
    width = slot * 0.8 / len(series)
    for g, group in enumerate(groups):
        x = LEFT + slot * g + slot * 0.1
        out.append(f'<text x="{LEFT + slot * (g + 0.5):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{escape(group)}</text>')
        for s, values in enumerate(series.values()):
            top = _y(values[g], ymax)
            out.append(f'<rect x="{x + s * width:.1f}" y="{top:.1f}" width="{width * 0.9:.1f}" '
                       f'height="{H - BOTTOM - top:.1f}" fill="{COLOURS[s % len(COLOURS)]}"/>')
    return "\n".join(out + _legend(list(series)) + ["</svg>"]) + "\n"


def scatter_chart(title: str, xlabel: str, ylabel: str, series: dict[str, list[tuple[float, float]]],
                  marks: dict[str, tuple[float, float | None]] | None = None) -> str:
    """Points (x, y) per series, one colour each, on linear axes from 0. `marks`: a labelled ring around the point
    (x, y), or a dashed vertical line at x where y is None."""
    marks = marks or {}
    ymax = nice_max(max(y for points in series.values() for _, y in points))
    xs = [x for points in series.values() for x, _ in points] + [x for x, _ in marks.values()]
    xmax = nice_max(max(xs))

    def px(x: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * x / xmax

    out = _frame(title, ylabel, ymax)
    for k in range(6):
        x = xmax * k / 5
        out.append(f'<text x="{px(x):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{x:g}</text>')
    out.append(f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{H - 12}" text-anchor="middle">{escape(xlabel)}</text>')
    for i, points in enumerate(series.values()):
        colour = COLOURS[i % len(COLOURS)]
        out += [f'<circle cx="{px(x):.1f}" cy="{_y(y, ymax):.1f}" r="4" fill="{colour}" fill-opacity="0.8"/>'
                for x, y in points]
    for label, (x, y) in marks.items():
        if y is None:
            out.append(f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{H - BOTTOM}" stroke="#888" '
                       f'stroke-dasharray="5,4"/>')
            out.append(f'<text x="{px(x) + 4:.1f}" y="{TOP + 12}">{escape(label)}</text>')
        else:
            out.append(f'<circle cx="{px(x):.1f}" cy="{_y(y, ymax):.1f}" r="9" fill="none" stroke="black" '
                       f'stroke-width="1.5"/>')
            out.append(f'<text x="{px(x) + 12:.1f}" y="{_y(y, ymax) + 4:.1f}">{escape(label)}</text>')
    return "\n".join(out + _legend(list(series)) + ["</svg>"]) + "\n"
