"""memory.json, the table and memory.svg of a planned module."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from conftest import run_tool
from test_memory_ir import Graph, module_of

from cmsis_opt.context import make_context
from cmsis_opt.passes.arena_alloc import ArenaAllocPass
from cmsis_opt.plan import memory_plan
from cmsis_opt.report import memory_json, memory_svg, memory_table, write_report

SVG = "{http://www.w3.org/2000/svg}"


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
    assert report["arena_bytes"] == 140 and report["lower_bound_bytes"] == 200
    assert report["activation_lower_bound_bytes"] == 200 and report["scratch_bytes"] == 0
    assert report["target"] == "cortex-m4" and report["inplace"] is False and report["strategy"].startswith("auto")
    a = next(b for b in report["buffers"] if b["name"] == "a")
    x = next(b for b in report["buffers"] if b["name"] == "input")
    assert a["alias_of"] == "input" and a["offset"] - x["offset"] == -24
    assert set(a) >= {"name", "offset", "size", "first", "last", "alias_of"}
    assert [s["live_bytes"] for s in report["steps"]] == [200, 140, 80]
    json.dumps(report)  # plain JSON types only


def test_the_table_lists_every_buffer_with_its_alias():
    table = memory_table(memory_plan(planned_module()))
    lines = table.splitlines()
    assert lines[0].startswith("arena 140 bytes, lower bound 200")
    assert lines[1].split() == ["buffer", "kind", "offset", "size", "end", "steps", "alias"]
    row_a = next(line for line in lines if line.startswith("a "))
    assert row_a.split()[:6] == ["a", "activation", "0", "100", "100", "0..1"] and row_a.endswith("input <= -24")
    assert len(lines) == 2 + 4


def test_the_picture_has_one_labelled_rectangle_per_buffer_and_marks_the_overlap():
    plan = memory_plan(planned_module())
    root = ET.fromstring(memory_svg(plan))
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert len(titles) == len(plan.buffers)
    assert any(t.startswith("a (activation): [0, 100) steps 0..1") for t in titles)
    overlap = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray") == "4,3"]
    assert len(overlap) == 1 and "a over input: [24, 100)" in overlap[0].find(f"{SVG}title").text
    labels = {t.text for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}text")}
    assert {"input", "a", "b", "c"} <= labels


def test_scratch_is_drawn_in_its_own_colour(tmp_path):
    from test_memory_passes import CONV_FUNC

    module = module_of(CONV_FUNC)
    ArenaAllocPass().apply(make_context(), module)
    root = ET.fromstring(memory_svg(memory_plan(module)))
    fills = {g.find(f"{SVG}title").text.split(" (")[1].split(")")[0]: g.find(f"{SVG}rect").get("fill") for g in root.iter(f"{SVG}g")}
    assert set(fills) == {"input", "output", "scratch"} and len(set(fills.values())) == 3


def test_write_report_writes_both_files(tmp_path):
    paths = write_report(planned_module(), str(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == ["memory.json", "memory.svg"]
    assert json.loads((tmp_path / "memory.json").read_text())["arena_bytes"] == 140
    ET.parse(tmp_path / "memory.svg")


def test_the_report_module_runs_as_a_tool(tmp_path):
    from cmsis_opt.ir import print_ir

    source = tmp_path / "planned.mlir"
    source.write_text(print_ir(planned_module()))
    proc = run_tool("python", "-m", "cmsis_opt.report", str(source), "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("arena 140 bytes") and (tmp_path / "memory.svg").exists()
