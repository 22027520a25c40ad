"""results.md and the plots, from the numbers one run measured."""

from __future__ import annotations

from pathlib import Path

import pytorch_exports
import svg
from cmsis_opt import targets


def _n(value) -> str:
    return "-" if value is None else f"{value:,}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def paper_section(p: dict) -> list[str]:
    hand = p["hand_plan"]
    lines = ["## 1. The paper's experiment: the CMSIS-NN CIFAR-10 example", "",
             f"Target {p['target']}, arena alignment 16 bytes, optimal placement. The hand plan is derived from the "
             f"network: the largest output of an even step ({hand['even_buffer']:,} B) and of an odd step or the input "
             f"({hand['odd_buffer']:,} B) as two ping-pong buffers, plus the largest scratch ({hand['scratch']:,} B, "
             "im2col) outside them. Our plans put scratch in the same arena, so `arena` is the whole RAM they need.", ""]
    rows = [[r["label"], _n(r["activations"]), _n(r["scratch"]), _n(r["arena"]), f"{r['saving_pct']:+.1f}%",
             _n(r["device_ram"])] for r in p["rows"]]
    lines += _table(["plan", "activation bytes", "scratch bytes (largest)", "total (arena)", "saving vs (a)",
                     "device RAM (arena + stack)"], rows)
    best = min(p["rows"], key=lambda r: r["arena"])
    lines += [f"The paper reported a saving of more than 9% over the hand plan; the smallest plan here, {best['label']}, "
              f"saves {best['saving_pct']:.1f}% ({p['rows'][0]['arena'] - best['arena']:,} bytes).", "",
              f"Stack: {_n(p['stack'])} B, from {p['stack_source']}.", "",
              "(c) and (d) overlap only where CMSIS-NN documents or its code guarantees the read-before-write order; "
              "max pooling writes over its input only with `allow-undocumented=true` (c') and (d'), which rely on the "
              "current kernel code rather than its documentation.", ""]
    return lines


def depth_section(rows: list[dict]) -> list[str]:
    lines = ["## 2. Depth sweep", "",
             "CIFAR-10 family, 32x32x3 input, n blocks of conv 3x3 + ReLU (16 / 32 filters), a 2x2 max pool after "
             "every other block, then fc + softmax. Arena bytes (target cortex-m4, optimal placement, 2 s limit).", ""]
    lines += _table(["blocks", "no reuse", "hand ping-pong", "liveness only", "paper (elementwise + pool, undoc.)",
                     "ours", "ours, undoc.", "ours vs liveness", "ours, undoc. vs liveness", "ours vs no reuse"],
                    [[r["blocks"], _n(r["no_reuse"]), _n(r["hand"]), _n(r["liveness"]), _n(r["paper_pool"]),
                      _n(r["ours"]), _n(r["ours_undoc"]), f"{r['saving_pct']:.1f}%", f"{r['saving_undoc_pct']:.1f}%",
                      f"{r['saving_vs_no_reuse_pct']:.1f}%"] for r in rows])
    lines += ["Against a buffer per tensor (no reuse) the saving grows with depth, as the paper says; against "
              "liveness planning it stays flat on this family, because its peak is set by the first two blocks "
              "(the largest feature maps), which every deeper network shares.", ""]
    lines += ["![depth sweep](depth.svg)", ""]
    return lines


def peers_section(rows: list[dict]) -> list[str]:
    lines = ["## 3. Peers: TensorFlow Lite Micro on the same .tflite", "",
             "TFLM: the \"head\" (non-persistent) arena from `print_allocations()` of PyPI `tflite-micro`. Ours: the "
             "whole arena (activations and scratch). Ratios below 1 are smaller than TFLM; margin = saving vs TFLM.", ""]
    lines += _table(["model", "target", "TFLM", "no-overlap bound", "ours, in-place off", "ours, in-place on",
                     "off / TFLM", "on / TFLM", "on / no-overlap bound", "margin vs TFLM"],
                    [[r["model"], r["target"], _n(r["tflm"]), _n(r["no_overlap_bound"]), _n(r["ours_off"]), _n(r["ours_on"]),
                      f"{r['off_vs_tflm']:.2f}", f"{r['on_vs_tflm']:.2f}",
                      f"{r['on_vs_bound']:.2f}" if r["on_vs_bound"] else "-", f"{r['margin_pct']:+.1f}%"]
                     for r in rows])
    lines += ["![peers](peers.svg)", ""]
    return lines


def allocator_section(a: dict) -> list[str]:
    lines = ["## 4. Allocator quality", "",
             "Placement problems with the in-place alias pairs (kernel-switch never, cortex-m4, alignment 16). "
             "`bound` is the aligned lower bound (live bytes less what alias pairs may share); CPU seconds to plan. "
             "The exact search (optimal, auto) stops at a node budget: {:,} nodes on the models, {:,} on the "
             "random graphs.".format(*a.get("search_nodes", [0, 0])), ""]
    lines += _table(["problem", "strategy", "arena", "bound", "over bound", "seconds", "proven minimal"],
                    [[r["problem"], r["strategy"], _n(r["arena"]), _n(r["bound"]), _n(r["over_bound"]),
                      f"{r['seconds']:.4f}", "yes" if r["exact"] else "no"] for r in a["models"]])
    lines += [f"On {a['random_count']} random branching graphs (seeded; convs, residual adds, concats, pools):", ""]
    lines += _table(["strategy", "graphs", "at the bound", "mean over (B)", "worst over (B)", "mean over (%)",
                     "worst over (%)", "mean seconds", "worst seconds"],
                    [[r["strategy"], r["problems"], r["at_bound"], f"{r['mean_over']:.0f}", _n(r["worst_over"]),
                      f"{r['mean_over_pct']:.1f}", f"{r['worst_over_pct']:.1f}", f"{r['mean_seconds']:.4f}",
                      f"{r['worst_seconds']:.4f}"] for r in a["random"]])
    lines += ["Where `optimal` is above the bound but proven minimal, the bound is not reachable, not the search weak.", ""]
    return lines


def compile_section(c: dict) -> list[str]:
    lines = ["## 5. Compile time (`cmsis-compile`, whole pipeline and C emission)", "",
             "Wall time depends on the machine's load; CPU time (user + sys of the process) is the steadier figure. "
             + (f"Models and chains of at most 1,000 layers: the run with the least CPU of {c['repeats']}."
                if c.get("repeats") else ""), ""]
    kws = c["models"].get("kws_dscnn", {}).get("cpu")

    def vs_kws(r: dict) -> str:
        return f"{r['cpu'] / kws:.2f}" if kws and r["status"] == "ok" else "-"

    def mb(r: dict) -> str:
        return f"{r['max_rss_mb']:.0f}" if "max_rss_mb" in r else "-"

    if "targets" in c:
        lines += _table(["target", "measured", "limit", "holds"],
                        [[t["target"], "-" if t["measured"] is None else f"{t['measured']:.2f}", f"{t['limit']:g}",
                          {True: "yes", False: "NO", None: "not measured"}[t["holds"]]] for t in c["targets"]])
    lines += _table(["model", "wall s", "CPU s", "CPU / kws_dscnn", "peak MB", "status"],
                    [[name, f"{r['wall']:.1f}", f"{r['cpu']:.1f}", vs_kws(r), mb(r), r["status"]]
                     for name, r in c["models"].items()])
    for chain in c["chains"]:
        k = chain["kernel"]
        lines += [f"Chain of {k}x{k} convolutions on 4x4x8 "
                  + ("(no kernel-switch candidates):" if k == 3 else "(every layer a kernel-switch=peak candidate):"), ""]
        lines += _table(["layers", "wall s", "CPU s", "CPU / kws_dscnn", "peak MB", "status"],
                        [[r["layers"], f"{r['wall']:.1f}", f"{r['cpu']:.1f}", vs_kws(r), mb(r), r["status"]]
                         for r in chain["rows"]])
        exp, above = chain["exponent"], chain["exponent_above_startup"]
        text = f"Fitted exponent (CPU time ~ layers^k): k = {exp:.2f}" if exp is not None else "No exponent fitted"
        text += f"; above the start-up cost of the smallest chain: k = {above:.2f}." if above is not None else "."
        lines += [text, ""]
    return lines


def runtime_section(rows: list[dict]) -> list[str]:
    lines = ["## 6. Runtime cost of in-place (callgrind, host build of the generated C)", "",
             "Instructions executed inside `NAME_invoke` (one inference), host program built with cc -O2 against "
             "runtime/ (the portable C path of the kernels). `off`: no overlap; `never`: full in-place, no kernel "
             "switch; `peak`: 1x1 convolutions at the peak lowered to the generic convolution; `switch L`: only L.", ""]
    table = []
    for r in rows:
        off = r["off"]
        for key, v in r.items():
            if isinstance(v, dict):
                label = key if not key.startswith("switch ") else "switch " + key.split(";")[-1]
                table.append([r["model"], label, _n(v["instructions"]), f"{v['ratio_vs_off']:.4f}", _n(v["arena"]),
                              _n(off["arena"] - v["arena"]), f"{v['extra_instructions_vs_never']:+,}",
                              "yes" if r["outputs_equal"] else "NO"])
    lines += _table(["model", "variant", "instructions", "ratio vs off", "arena", "bytes saved vs off",
                     "instructions vs never", "outputs equal (all variants)"], table)
    lines += ["`switch L` rows saving 0 bytes: several layers share the peak, so only switching all of them "
              "(`peak`) lowers it. These counts are for the portable C path of the host runtime, where the generic "
              "convolution can even be the quicker kernel; on DSP or MVE builds the kernels' relative costs differ, "
              "so a switch's cost on a device is to be measured there.", ""]
    return lines


def device_section(d: dict) -> list[str]:
    lines = ["## 7. Device cost of in-place (QEMU, Arm's CMSIS-NN)", ""]
    if "note" in d:
        return lines + [f"Skipped: {d['note']}.", ""]
    lines += [f"Instructions per inference: `NAME_invoke`, from its first instruction to its return, on QEMU's "
              f"mps2-an386 (Cortex-M4, CMSIS-NN's DSP path) and mps3-an547 (Cortex-M55, MVE), linked with "
              f"{d['library']}; counted by the plugin runtime/qemu/plugin/icount.c, the mean over the "
              f"{d['inputs']} reference inputs (each count exact; every output equal to TFLite Micro's). "
              "`off`: `--no-inplace`; `never`: in-place, `--kernel-switch never`; `peak`: the default, in-place "
              "with the 1x1 convolutions at the memory peak lowered to `arm_convolve_s8`. Arena in bytes.", ""]
    plans = ("off", "never", "peak")
    table = [[r["model"], r["core"], *(f"{r[p]['instructions']:,.0f}" for p in plans),
              f"{r['never_vs_off']:.4f}", f"{r['peak_vs_off']:.4f}", *(_n(r[p]["arena"]) for p in plans)]
             for r in d["rows"]]
    lines += _table(["model", "core", "instructions, off", "never", "peak", "never / off", "peak / off",
                     "arena, off", "never", "peak"], table)
    spread = max((max(r[p]["per_input"]) - min(r[p]["per_input"])) / min(r[p]["per_input"])
                 for r in d["rows"] for p in plans)
    apart = max(abs(sum(r["never"]["per_input"]) - sum(r["off"]["per_input"])) / len(r["off"]["per_input"])
                for r in d["rows"])
    lines += [f"In-place alone (`never`) keeps every kernel: it runs within {apart:.0f} instructions per inference of "
              "`off` (the same kernels on other addresses). The counts differ between inputs by up to "
              f"{100 * spread:.2f}% (saturation and clamping branches in the kernels) and not at all between two runs "
              "of one input. Instructions are not cycles: QEMU models no pipeline, wait states or caches. "
              f"Measured in {d['seconds']:.0f} s.", ""]
    return lines


def pytorch_section(rows: list[dict], peers: list[dict] | None) -> list[str]:
    tflm = {r["model"]: r["tflm"] for r in peers or [] if r["target"] == targets.DEFAULT_CORE}
    return ["## 8. PyTorch exports: compiled with --host, compared with onnxruntime", "",
            "The networks of tests/data/pytorch (seeded random weights), exported by the TorchScript exporter at "
            "opset 13 (ts) and by torch.export (dynamo), as float models compiled with `--calibration` and as "
            "onnxruntime `quantize_static` QDQ models (int8, per channel / per tensor), all for "
            f"{targets.DEFAULT_CORE}, 32 seeded inputs each. TFLM: TensorFlow Lite Micro's arena (section 3) on the "
            "MLPerf Tiny .tflite of the same network, whose input is NHWC (no boundary transpose); `-` where there "
            "is none.", "", pytorch_exports.table(rows, tflm), "", pytorch_exports.NOTE, ""]


def patching_section(rows: list[dict], streamed: list[dict] | None = None) -> list[str]:
    import patching

    lines = ["## 9. Patch-based execution of the first stage (cortex-m4)", "",
             "`cmsis-compile --patch auto`: the smallest arena whose halos cost at most 15% of the model's "
             "multiply-accumulates, over every stage end and grid. The input is held whole (no streaming). "
             "`--patch auto` plans only the candidates whose proven lower bound (`patch_split.stage_bound`) "
             "does not already lose to the best plan found, best bound first; its choice is the one planning "
             "every candidate gives (checked on each row). Its seconds include the final pipeline run with the "
             "choice; the last column sums the real plans of every candidate within 15%, what `--patch auto` "
             "cost before the bounds. Measured by `python bench/patching.py --mobilenet --stream --large` (the rows "
             "of section 9 of `make bench`) on a loaded 2-core machine.", ""]
    lines += patching.table(rows)
    lines += ["", "![arena against MAC overhead](patching.svg)", ""]
    if streamed:
        lines += ["With the input streamed (`cmsis-compile --patch auto --stream-input`: the graph input takes no "
                  "arena bytes, the stage asks for its rows; `patch_split.search` alone, within 15%). A stage may "
                  "hold residual blocks; MobileNetV2-1.0 224x224 (`bench/large_models.py`, pads written out) is "
                  "measured here only.", "", *patching.auto_streamed_table(streamed), ""]
    vww = [r for r in rows if r["model"].startswith("vww")]
    if vww:
        r = vww[0]
        c = r["choice"]
        lines += ["## 10. VWW: every candidate stage and grid", "",
                  f"Each point is one stage end (1 to {max(x['ops'] for x in r['candidates'])} ops) and grid of "
                  f"vww_mobilenetv1, planned for real: arena bytes against the extra multiply-accumulates of "
                  f"its halos ({r['count']} candidates within 50%). Finer grids shrink the tile region and cost "
                  f"more halo; a stage that ends before the peak layer saves nothing. The ring is the "
                  f"`--patch auto` choice within 15% ({c['ops']} ops, {c['grid']}: {c['arena']:,} bytes, "
                  f"{r['overhead']:.1f}% extra MACs), against {r['off']:,} bytes layer by layer.", "",
                  "![VWW candidates](patching_vww.svg)", ""]
    return lines


def write(results: dict, out: Path) -> None:
    lines = ["# Benchmarks", "", f"Measured by `python bench/run.py` in {results['seconds']:.0f} s"
             + (" (--quick subset)" if results["quick"] else "") + "; raw numbers in results.json.", ""]
    lines += paper_section(results["paper"])
    rows = results["paper"]["rows"]
    (out / "cifar10.svg").write_text(svg.bar_chart(
        "CIFAR-10 example: RAM of each plan", "bytes", [r["label"][:4].strip() for r in rows],
        {"arena (activations + scratch)": [r["arena"] for r in rows]}))
    lines += ["![CIFAR-10 plans](cifar10.svg)", ""]
    lines += depth_section(results["depth"])
    depth = results["depth"]
    (out / "depth.svg").write_text(svg.line_chart(
        "Arena bytes by depth (CIFAR-10 family)", "conv blocks", "arena bytes", [r["blocks"] for r in depth],
        {"hand ping-pong": [r["hand"] for r in depth], "liveness only": [r["liveness"] for r in depth],
         "paper (elementwise+pool)": [r["paper_pool"] for r in depth], "ours": [r["ours"] for r in depth],
         "ours, undocumented": [r["ours_undoc"] for r in depth]}))
    if "peers" in results:
        lines += peers_section(results["peers"])
        m4 = [r for r in results["peers"] if r["target"] == "cortex-m4"]
        (out / "peers.svg").write_text(svg.bar_chart(
            "Arena bytes, cortex-m4", "bytes", [r["model"].split("_")[0] for r in m4],
            {"TFLM": [r["tflm"] for r in m4], "no-overlap bound": [r["no_overlap_bound"] for r in m4],
             "ours, in-place off": [r["ours_off"] for r in m4], "ours, in-place on": [r["ours_on"] for r in m4]}))
    lines += allocator_section(results["allocators"])
    if "compile" in results:
        lines += compile_section(results["compile"])
    if "runtime" in results:
        lines += runtime_section(results["runtime"])
    if "device" in results:
        lines += device_section(results["device"])
    if "pytorch" in results:
        lines += pytorch_section(results["pytorch"], results.get("peers"))


    if "patching" in results:
        import patching

        lines += patching_section(results["patching"], results.get("patching_streamed"))
        patching.write_plots(results["patching"], out)
    if "streamed" in results:
        import patching

        lines += ["## 11. `--stream-input` alone: the first layer in bands of rows (cortex-m4)", "",
                  "Without `--patch`, `--stream-input` runs the first layer alone as R x 1 bands of rows, R the "
                  "band count with the smallest arena (then the fewest bands); the input has no bytes in the "
                  "arena, and each input row is asked for once. It pays only when the first layer's input is "
                  "part of the peak (docs/patching.md).", "", *patching.streamed_table(results["streamed"]), ""]
    (out / "results.md").write_text("\n".join(lines))
