"""memory.json, the table, memory.svg and memory.html of a planned module."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run_tool
from test_memory_ir import Graph, module_of

from cmsis_opt.context import make_context
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.plan import memory_plan
from cmsis_opt.report import memory_json, memory_svg, memory_table, write_report

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLE = ROOT / "examples" / "cifar10_cmsis.net"


def planned_module():
    # x -> a written over x (24 bytes below it) -> b; plus a scratch-free add
    g = Graph().input("x", 100).fc("a", "x", 100).fc("b", "a", 40).add("c", "b", "b").output("c")
    text = g.text().replace("  func.return", "  arena.alias %a onto %x {max_delta = -24 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, "
                            "tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>\n  func.return")
    module = module_of(text)
    ArenaAllocPass(alignment=4).apply(make_context(), module)
    return module


def test_memory_json_has_the_totals_and_every_buffer():
    report = memory_json(memory_plan(planned_module()))
    # the overlap saves 60 bytes below the no-overlap bound; nothing beats the bound with the overlap
    assert report["arena_bytes"] == 140 and report["no_overlap_bound_bytes"] == 200
    assert report["overlap_bound_bytes"] == 140
    assert report["activation_no_overlap_bound_bytes"] == 200 and report["scratch_bytes"] == 0
    assert report["target"] == "cortex-m4" and report["inplace"] is False and report["strategy"].startswith("auto")
    a = next(b for b in report["buffers"] if b["name"] == "a")
    x = next(b for b in report["buffers"] if b["name"] == "input")
    assert a["alias_of"] == "input" and a["offset"] - x["offset"] == -24
    assert set(a) >= {"name", "offset", "size", "first", "last", "alias_of"}
    assert [s["live_bytes"] for s in report["steps"]] == [200, 140, 80]
    # the two layers' int8 weights (100 x 100, 40 x 100, no bias); the add has no constants
    assert report["flash_bytes"] == 14_000 and [s["flash_bytes"] for s in report["steps"]] == [10_000, 4_000, 0]
    json.dumps(report)  # plain JSON types only


def test_the_table_lists_every_buffer_with_its_alias():
    table = memory_table(memory_plan(planned_module()))
    lines = table.splitlines()
    assert lines[0].startswith("arena 140 bytes, largest scratch 0;")
    # each bound with its meaning; no number called a lower bound that the plan beats
    assert lines[1] == "  overlap bound 140 bytes: no plan with these overlaps is smaller (this plan reaches it)"
    assert lines[2] == ("  no-overlap bound 200 bytes (activations 200): no plan without overlap is smaller; "
                        "overlap saves 60 (30.0%)")
    assert "lower bound" not in table
    assert lines[3] == "  flash 14,000 bytes of constants (weights, biases, tables)"
    assert lines[4].split() == ["buffer", "kind", "offset", "size", "end", "steps", "alias"]
    row_a = next(line for line in lines if line.startswith("a "))
    assert row_a.split()[:6] == ["a", "activation", "0", "100", "100", "0..1"] and row_a.endswith("input <= -24")
    assert len(lines) == 5 + 4


def test_long_names_keep_their_distinctive_end():
    from cmsis_opt.report import _short

    names = [f"functional_1/activation_{i}/Relu;functional_1/batch_normalization_{i}/FusedBatchNormV3;"
             f"functional_1/conv2d_{i}/Conv2D" for i in (1, 2)]
    short = [_short(n) for n in names]
    assert all(len(s) == 48 for s in short) and short[0] != short[1]
    assert short[0].startswith("functional_1") and short[0].endswith("functional_1/conv2d_1/Conv2D")


def test_the_picture_has_one_labelled_rectangle_per_buffer_and_marks_the_overlap():
    plan = memory_plan(planned_module())
    root = ET.fromstring(memory_svg(plan))
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") != "peak"]
    assert len(titles) == len(plan.buffers)
    assert any(t.startswith("a (activation): [0, 100) steps 0..1") for t in titles)
    overlap = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray") == "4,3"]
    assert len(overlap) == 1 and "a over input: [24, 100)" in overlap[0].find(f"{SVG}title").text
    labels = {t.text for g in root.iter(f"{SVG}g") if g.get("class") != "peak" for t in g.iter(f"{SVG}text")}
    assert {"input", "a", "b", "c"} <= labels


def test_scratch_is_drawn_in_its_own_colour(tmp_path):
    from test_memory_passes import CONV_FUNC

    module = module_of(CONV_FUNC)
    ArenaAllocPass().apply(make_context(), module)
    root = ET.fromstring(memory_svg(memory_plan(module)))
    fills = {g.find(f"{SVG}title").text.split(" (")[1].split(")")[0]: g.find(f"{SVG}rect").get("fill")
             for g in root.iter(f"{SVG}g") if g.get("class") != "peak"}
    assert set(fills) == {"input", "output", "scratch"} and len(set(fills.values())) == 3


def test_write_report_writes_both_files(tmp_path):
    paths = write_report(planned_module(), str(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == ["memory.html", "memory.json", "memory.svg"]
    text = (tmp_path / "memory.json").read_text()
    module = planned_module()
    assert json.loads(text) == memory_json(memory_plan(module)) and json.loads(text)["arena_bytes"] == 140
    # a key per line and a record per line: a buffer's line is the record itself
    buffers = memory_json(memory_plan(module))["buffers"]
    lines = text.splitlines()
    assert all(any(json.loads(line.rstrip(",")) == b for line in lines if line.startswith("    {")) for b in buffers)
    assert sum(line.startswith('  "') for line in lines) == len(memory_json(memory_plan(module)))
    ET.parse(tmp_path / "memory.svg")


def test_the_report_module_runs_as_a_tool(tmp_path):
    from cmsis_opt.ir import print_ir

    source = tmp_path / "planned.mlir"
    source.write_text(print_ir(planned_module()))
    proc = run_tool("python", "-m", "cmsis_opt.report", str(source), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("arena 140 bytes") and (tmp_path / "memory.svg").exists()


def chain_plan(steps: int):
    """A planned chain of `steps` fully connected layers whose sizes vary (small ones among large)."""
    sizes = [16 if i % 7 == 3 else 64 + 16 * (i % 5) for i in range(steps + 1)]
    g = Graph().input("x", sizes[0])
    prev = "x"
    for i, size in enumerate(sizes[1:]):
        g.fc(f"layer_{i}", prev, size)
        prev = f"layer_{i}"
    module = module_of(g.output(prev).text())
    ArenaAllocPass(alignment=4).apply(make_context(), module)
    return memory_plan(module)


def _text_box(t: ET.Element) -> tuple[float, float, float]:
    """(left, right, baseline) of a text element, with the picture's upper estimate of character width."""
    from cmsis_opt.report import CHAR_PIXELS

    width = CHAR_PIXELS * len(t.text or "")
    shift = {"middle": width / 2, "end": width}.get(t.get("text-anchor", "start"), 0)
    left = float(t.get("x", 0)) - shift
    return left, left + width, float(t.get("y", 0))


def _assert_no_overprint(root: ET.Element) -> None:
    """No two texts of the picture overprint (11-pixel type: boxes from the baseline up 9 pixels, down 2), each inside it."""
    boxes = []
    for t in root.iter(f"{SVG}text"):
        left, right, base = _text_box(t)
        assert right <= float(root.get("width")) or t.get("transform"), t.text
        if not t.get("transform"):
            boxes.append((left, base - 9, right, base + 2, t.text))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_labels_of_buffers_at_one_step_do_not_overprint(tmp_path):
    """The example's input and the first conv's output share step 0 and their tops are 200 bytes apart."""
    proc = run_tool("cmsis-compile", str(EXAMPLE), "-o", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(tmp_path / "memory.svg").getroot()
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"input", "conv1", "pool1"} <= labels
    _assert_no_overprint(root)


@pytest.mark.parametrize("steps", [10, 300])
def test_the_picture_stays_readable(steps):
    from cmsis_opt.report import MIN_DRAWN

    plan = chain_plan(steps)
    root = ET.fromstring(memory_svg(plan))
    texts = list(root.iter(f"{SVG}text"))
    _assert_no_overprint(root)
    # step labels across the whole axis, the last step among the labelled range
    ticks = sorted(int(t.text) for t in texts if t.text and t.text.isdigit() and float(t.get("y", 0)) > 400)
    assert ticks[0] == 0 and ticks[-1] >= steps * 0.8 and len(ticks) >= min(steps, 10)
    # every buffer drawn at least MIN_DRAWN pixels each way, with its details as a tooltip
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") != "peak"]
    assert len(groups) == len(plan.buffers)
    for g in groups:
        r = g.find(f"{SVG}rect")
        assert float(r.get("width")) >= MIN_DRAWN and float(r.get("height")) >= MIN_DRAWN
        assert " bytes, shape " in g.find(f"{SVG}title").text
    # a legend and the peak step, named with what is live there
    legend = " ".join(t.text or "" for t in texts)
    assert all(kind in legend for kind in ("input", "output", "activation", "scratch", "peak step"))
    peak = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "peak")
    line = peak.find(f"{SVG}text").text
    assert line.startswith("peak at step ") and "live: " in line
    step = int(line.split("peak at step ")[1].split()[0])
    assert all(b.name in peak.find(f"{SVG}title").text for b in plan.live_at(step))


def test_memory_html_is_one_page_with_the_picture_tooltips_and_the_table(tmp_path):
    from cmsis_opt.report import memory_html

    plan = chain_plan(12)
    page = memory_html(plan)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<table>" in page
    assert "src=" not in page and "href=" not in page and "<script" not in page  # nothing loaded from elsewhere
    for b in plan.buffers:
        assert f">{b.name}</td>" in page
    assert page.count("<title>") >= len(plan.buffers) + 1  # the page's and one tooltip per buffer
    assert 'class="peak"' in page


def test_memory_html_has_the_flash_of_every_layer():
    from cmsis_opt.report import memory_html

    page = memory_html(memory_plan(planned_module()))
    assert "<li>flash 14,000 bytes of constants (weights, biases, tables)</li>" in page
    layers = page.split("<th>flash bytes</th>", 1)[1]
    # steps 0 and 1: the two fully connected layers' weights; step 2: the add, none
    assert [row.rsplit('<td class="n">', 1)[1].split("<")[0] for row in layers.split("<tr>")[1:]] == \
        ["10,000", "4,000", "0"]


def _png_pixels(data: bytes) -> list[bytes]:
    """The rows of an 8-bit RGB or RGBA PNG, unfiltered (PNG specification, section 9)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, header = 8, b"", b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return rows


def test_memory_html_renders_in_headless_chromium(tmp_path):
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); memory.html was not rendered")
    plan = chain_plan(40)
    write_report(plan, str(tmp_path))
    shot = tmp_path / "shot.png"
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,800",
                           f"--screenshot={shot}", (tmp_path / "memory.html").as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), proc.stderr[-2000:]
    rows = _png_pixels(shot.read_bytes())
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), 3)]
    colours = set(pixels)
    # not blank: text, the picture's kind colours and the table's lines are drawn on the white page
    dark = sum(1 for p in pixels if max(p) < 100)
    assert len(colours) > 20 and dark > 500, (len(colours), dark)
    activation = bytes.fromhex("f28e2b")  # drawn at 55% over white: more red than green than blue
    assert any(p[0] > 200 and p[0] > p[1] + 40 > p[2] + 60 for p in pixels), activation


def test_memory_json_lists_every_overlap_of_a_buffer():
    """A residual add may write over both of its inputs: memory.json's `aliases` holds both (`alias_of` the first)."""
    from cmsis_opt.passes.inplace_alias import InplaceAliasPass

    g = Graph().input("x", 64).fc("a", "x", 64).fc("b", "a", 64).add("c", "a", "b").output("c")
    module = module_of(g.text())
    InplaceAliasPass().apply(make_context(), module)
    ArenaAllocPass().apply(make_context(), module)
    plan = memory_plan(module)
    c = next(b for b in memory_json(plan)["buffers"] if b["name"] == "c")
    expected = [{"source": source, "max_delta": delta} for source, delta in next(b for b in plan.buffers
                                                                                  if b.name == "c").aliases]
    assert c["aliases"] == expected and {a["source"] for a in c["aliases"]} == {"a", "b"}
    assert c["alias_of"] == c["aliases"][0]["source"] and c["max_delta"] == c["aliases"][0]["max_delta"]


def test_scratch_has_bytes_and_no_shape():
    """A kernel's scratch (`cmsis_nn_context.buf`) is bytes: memory.json gives it no tensor shape of its own."""
    from cmsis_opt.frontends import load
    from cmsis_opt.passes.default import DefaultPipeline

    module = load(str(ROOT / "examples" / "cifar10_cmsis.net")).module
    DefaultPipeline().apply(make_context(), module)
    buffers = memory_json(memory_plan(module))["buffers"]
    scratch = [b for b in buffers if b["kind"] == "scratch"]
    assert scratch and all(b["shape"] == [] and b["size"] > 0 for b in scratch)
    assert next(b for b in buffers if b["name"] == "conv1")["shape"] == [1, 32, 32, 32]
    assert next(b for b in buffers if b["name"] == "prob")["shape"] == [1, 10]
