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
