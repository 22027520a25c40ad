"""Smoke test of `make bench`: the quick subset runs and its numbers tell the paper's story."""

import json
import subprocess
import sys
import xml.dom.minidom

from conftest import ROOT


def run_quick_bench(out):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((out / "results.json").read_text())


def test_quick_bench_reproduces_the_cifar10_hand_plan_and_beats_it(tmp_path):
    results = run_quick_bench(tmp_path)
    paper = results["paper"]
    # the hand plan is derived from the network, and matches the CMSIS-NN example's
    assert paper["hand_plan"] == {"even_buffer": 32768, "odd_buffer": 8192, "activations": 40960,
                                  "scratch": 3200, "arena": 44160}
    rows = {row["key"]: row for row in paper["rows"]}
    # liveness alone cannot beat the ping-pong activations (the peak is pool 1's input and output)
    assert rows["liveness"]["activations"] == 40960
    # overlapping outputs with inputs where the kernels allow goes below it
    assert rows["ours_undoc"]["arena"] < rows["paper_pool"]["arena"] < rows["liveness"]["arena"]
    assert rows["ours_undoc"]["saving_pct"] > 9.0

    # every depth: full in-place never needs more than liveness alone
    for row in results["depth"]:
        assert row["ours"] <= row["liveness"] and row["ours_undoc"] <= row["ours"]

    # every strategy stays at or above the lower bound; auto is never beaten by a heuristic
    by_problem = {}
    for row in results["allocators"]["models"] + results["allocators"]["random_rows"]:
        assert row["arena"] >= row["bound"]
        by_problem.setdefault(row["problem"], {})[row["strategy"]] = row["arena"]
    for sizes in by_problem.values():
        assert sizes["auto"] <= min(sizes["greedy-by-size"], sizes["best-fit"])

    text = (tmp_path / "results.md").read_text()
    assert "## 1. The paper's experiment" in text and "| (a) hand plan" in text
    svg = xml.dom.minidom.parse(str(tmp_path / "depth.svg"))
    assert svg.documentElement.tagName == "svg"
    assert svg.getElementsByTagName("polyline")


def test_patching_table_times_the_choice_and_the_vww_plot_shows_every_candidate(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import patching

    def candidate(ops, grid, arena, extra, seconds):
        return {"ops": ops, "grid": grid, "arena": arena, "extra_macs": extra, "model_macs": 1000, "bound": 0,
                "seconds": seconds}

    found = [candidate(0, "off", 900, 0, 1.0), candidate(1, "2x2", 800, 50, 2.0), candidate(2, "4x4", 700, 120, 3.0),
             candidate(2, "8x8", 600, 400, 4.0)]
    row = {"model": "vww_test", "off": 900, "choice": found[2], "overhead": 12.0, "candidates": found,
           "seconds": 10.0, "count": 4, "within": 3, "planned": 2, "auto_seconds": 2.5, "compile_seconds": 3.25,
           "same_choice": True}
    lines = patching.table([row])
    assert "`--patch auto` s" in lines[0] and "planning all within 15% s" in lines[0]
    # 3 candidates within 15%, 2 planned by the pruned search, its 3.2 s against the 6.0 s of the three plans
    assert lines[2] == "| vww_test | 900 | 2 | 4x4 | 700 | 22.2% | 12.0 | 3 | 2 | 3.2 | 6.0 |"
    patching.write_plots([row], tmp_path)
    svg = xml.dom.minidom.parse(str(tmp_path / "patching_vww.svg"))
    circles = svg.getElementsByTagName("circle")
    assert len(circles) == len(found) + 1  # a point per candidate and the ring around the choice
    assert any("--patch auto: 2 ops, 4x4" in t.firstChild.data for t in svg.getElementsByTagName("text"))
    assert (tmp_path / "patching.svg").exists()


def test_streamed_table_gives_bands_region_and_arena_or_why_not():
    sys.path.insert(0, str(ROOT / "bench"))
    import patching

    rows = [{"model": "a", "off": 9536, "grid": "3x1", "arena": 9536, "region": 400},
            {"model": "b", "off": 768, "grid": None, "arena": None, "region": None, "why": "no stage"}]
    lines = patching.streamed_table(rows)
    assert lines[2] == "| a | 9,536 | 3 | 400 | 9,536 |"
    assert lines[3] == "| b | 768 | none: no stage | | |"
