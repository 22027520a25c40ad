"""The PyTorch exports in tests/data/pytorch compiled to host programs and compared with onnxruntime.

    .venv/bin/python bench/pytorch_exports.py [--inputs 32] [--folder DIR]
    .venv/bin/python bench/pytorch_exports.py --single-layers MODEL.qdq_pt.onnx

For each committed model (float + --calibration, QDQ per channel and per tensor, TorchScript and
torch.export exporters): whether `cmsis-compile MODEL --host` compiles it (else the first line of
its error), and over seeded inputs the largest difference from onnxruntime in output LSBs, the
share of outputs equal, the allowance (one LSB per quantized layer), and the arena with in-place
on and off (`--no-inplace`). tests/test_pytorch_exports.py asserts the same numbers.

The oracle is onnxruntime 1.32 on the same file with graph optimizations off (ORT_DISABLE_ALL):
- a QDQ model: the same int8 input codes, dequantized, go in; onnxruntime's output is the
  dequantized int8 of its last QuantizeLinear, so its codes compare with ours exactly;
- a float model: we quantize with our own calibration, for which no onnxruntime QDQ model
  exists; the float model's output on the dequantized input codes is the reference, and the
  difference is measured in steps of our output scale (our codes dequantized, minus its float).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "pytorch"
BIN = Path(sys.executable).parent
INPUT_SEED = 7  # the inputs compared; the calibration sets use other seeds (make_exports.py)

# cmsis ops that only move int8 codes (no new scale): not counted as quantized layers
_MOVES = {"cmsis.max_pool", "cmsis.reshape", "cmsis.transpose", "cmsis.pad", "cmsis.concat"}


@dataclass(frozen=True)
class Export:
    """One committed model file: `family` (kws_dscnn, ...), exporter (ts, dynamo or onnx.helper),
    quantization (float, per-channel or per-tensor), and for a float model its calibration set."""

    path: Path
    family: str
    exporter: str
    quantization: str
    calibration: Path | None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_float(self) -> bool:
        return self.quantization == "float"


def exports(folder: Path = DATA) -> list[Export]:
    """Every .onnx file in `folder`, described by its name (FAMILY_EXPORTER[.qdq_pc|.qdq_pt].onnx)."""
    found = []
    for path in sorted(folder.glob("*.onnx")):
        stem, _, suffix = path.name.removesuffix(".onnx").partition(".")
        family, _, exporter = stem.rpartition("_")
        if exporter not in ("ts", "dynamo"):
            family, exporter = stem, "onnx.helper"
        quantization = {"": "float", "qdq_pc": "per-channel", "qdq_pt": "per-tensor"}[suffix]
        calibration = folder / f"{family}.cal.npz" if quantization == "float" else None
        found.append(Export(path, family, exporter, quantization, calibration))
    return found


def compile_model(export: Export, outdir: Path, inplace: bool = True, host: bool = True) -> subprocess.CompletedProcess:
    """`cmsis-compile MODEL -o OUTDIR [--host] [--calibration NAME.cal.npz] [--no-inplace]`."""
    command = [str(BIN / "cmsis-compile"), str(export.path), "-o", str(outdir), "--quiet"]
    if host:
        command.append("--host")
    if export.calibration is not None:
        command += ["--calibration", str(export.calibration)]
    if not inplace:
        command.append("--no-inplace")
    return subprocess.run(command, capture_output=True, text=True)


def header_quantization(header: str) -> dict[str, float]:
    """INPUT_SCALE, INPUT_ZERO_POINT, OUTPUT_SCALE, OUTPUT_ZERO_POINT from the generated header."""
    values = {}
    for key in ("INPUT_SCALE", "INPUT_ZERO_POINT", "OUTPUT_SCALE", "OUTPUT_ZERO_POINT"):
        match = re.search(rf"#define \w+_{key} \(?(-?[0-9.e+-]+)f?\)?\n", header)
        assert match is not None, f"{key} is not in the header"
        values[key] = float(match.group(1))
    return values


def quantized_layers(memory_json: Path) -> int:
    """The compiled program's calls that requantize (every call except the ones that only move codes)."""
    steps = json.loads(memory_json.read_text())["steps"]
    return sum(1 for step in steps if step["op"] not in _MOVES)


def arena_bytes(memory_json: Path) -> int:
    return int(json.loads(memory_json.read_text())["arena_bytes"])


@dataclass
class Comparison:
    """Our host program against onnxruntime over `inputs` inputs, in output LSBs (steps of our output scale)."""

    inputs: int
    outputs: int
    max_lsb: float  # largest |ours - onnxruntime| in output steps
    equal_pct: float  # share of outputs whose int8 codes are equal
    layers: int  # the allowance: one LSB per quantized layer

    @property
    def within(self) -> bool:
        return self.max_lsb <= self.layers


def onnxruntime_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3  # errors only: not its notes on the TorchScript exporter's unused Constant nodes
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_inputs(export: Export, count: int = 32) -> np.ndarray:
    """[count, 1, *sample shape] float32 inputs (each with its batch of one). A QDQ model: `count` new seeded
    samples of its family's generator (tests/data/pytorch/inputs.py). A float model: its calibration set (at
    least `count` samples), because values beyond the calibrated ranges saturate by design, which no allowance
    per layer covers."""
    if export.calibration is not None:
        samples = np.load(export.calibration)["inputs"]
        if len(samples) < count:
            raise ValueError(f"{export.calibration.name} holds {len(samples)} samples, fewer than {count}")
        return samples
    sys.path.insert(0, str(DATA))
    import inputs

    return inputs.samples(export.family, count, INPUT_SEED)[:, None]


def compare(export: Export, outdir: Path, count: int = 32) -> Comparison:
    """Run OUTDIR/NAME_host and onnxruntime on `test_inputs`, quantized with the header's input scale and zero
    point."""
    name = export.path.name.split(".")[0]
    q = header_quantization((outdir / f"{name}.h").read_text())
    session = onnxruntime_session(export.path)
    input_name = session.get_inputs()[0].name
    samples = test_inputs(export, count)
    ours_all, theirs_all = [], []
    for x in samples:
        codes = np.clip(np.round(x / q["INPUT_SCALE"]) + q["INPUT_ZERO_POINT"], -128, 127).astype(np.int8)
        run = subprocess.run([str(outdir / f"{name}_host")], input=codes.tobytes(), capture_output=True)
        if run.returncode != 0:
            raise RuntimeError(f"{name}_host exited {run.returncode}: {run.stderr.decode()[:300]}")
        ours_all.append(np.frombuffer(run.stdout, dtype=np.int8).astype(np.float64))
        real = ((codes.astype(np.float32) - np.float32(q["INPUT_ZERO_POINT"])) * np.float32(q["INPUT_SCALE"]))
        theirs_all.append(session.run(None, {input_name: real.astype(np.float32)})[0].reshape(-1))
    ours, theirs = np.stack(ours_all), np.stack(theirs_all).astype(np.float64)
    scale, zero = q["OUTPUT_SCALE"], q["OUTPUT_ZERO_POINT"]
    if export.is_float:
        difference = np.abs((ours - zero) * scale - theirs) / scale
        their_codes = np.clip(np.round(theirs / scale) + zero, -128, 127)
    else:
        # onnxruntime's output is DequantizeLinear of its int8 codes: dividing by the scale gives them back exactly
        their_codes = np.clip(np.round(theirs / scale) + zero, -128, 127)
        difference = np.abs(ours - their_codes)
    return Comparison(inputs=count, outputs=ours.size, max_lsb=float(difference.max()),
                      equal_pct=100.0 * float((ours == their_codes).mean()),
                      layers=quantized_layers(outdir / "memory.json"))


def error_line(stderr: str) -> str:
    """The `error:` line of a failed run (remarks come before it)."""
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    return lines[0] if lines else (stderr.strip().splitlines() or ["(no message)"])[-1]


@dataclass
class Row:
    export: Export
    error: str | None = None
    comparison: Comparison | None = None
    arena_inplace: int | None = None
    arena_no_inplace: int | None = None


def measure(export: Export, workdir: Path, count: int = 32) -> Row:
    """Compile with --host (in-place on), compare, and plan again with --no-inplace."""
    outdir = workdir / export.name
    result = compile_model(export, outdir)
    if result.returncode != 0:
        return Row(export, error=error_line(result.stderr))
    row = Row(export, comparison=compare(export, outdir, count), arena_inplace=arena_bytes(outdir / "memory.json"))
    plain = workdir / (export.name + ".no-inplace")
    again = compile_model(export, plain, inplace=False, host=False)
    if again.returncode == 0:
        row.arena_no_inplace = arena_bytes(plain / "memory.json")
    return row


def single_layers(export: Export, workdir: Path, count: int = 4) -> list[tuple[str, int | str]]:
    """Each quantized layer of a QDQ model alone, on the same int8 input codes as onnxruntime: the layer's output
    tensor and the largest difference in LSB (or why it was skipped). The inputs are the float tensors the full model
    computes (onnxruntime) before the layer's input QuantizeLinear, on `count` seeded inputs. End-to-end
    differences grow with depth where a layer's gain exceeds one; alone, every layer should be within 1 LSB."""
    import onnx
    from onnx import helper

    model = onnx.load(str(export.path))
    nodes = model.graph.node
    producer = {out: node for node in nodes for out in node.output}
    quantizers = [n for n in nodes if n.op_type == "QuantizeLinear" and n.input[0] in producer]
    probe = onnx.load(str(export.path))
    for q in quantizers:
        probe.graph.output.append(helper.make_tensor_value_info(q.input[0], onnx.TensorProto.FLOAT, None))
    probe_path = workdir / "probe.onnx"
    onnx.save(probe, str(probe_path))
    session = onnxruntime_session(probe_path)
    names = [o.name for o in session.get_outputs()]
    samples = test_inputs(export, count)
    graph_input = session.get_inputs()[0].name
    values = [{graph_input: x, **dict(zip(names, session.run(None, {graph_input: x}), strict=True))} for x in samples]
    results: list[tuple[str, int | str]] = []
    for index, q in enumerate(quantizers):
        layer = producer[q.input[0]]
        dequantized = [producer[i] for i in layer.input
                       if i in producer and producer[i].op_type == "DequantizeLinear"]
        sources = [producer.get(d.input[0]) for d in dequantized if d.input[0] in producer]
        sources = [s for s in sources if s is not None and s.op_type == "QuantizeLinear"]
        if len(sources) != 1:
            results.append((q.input[0], f"skipped: {len(sources)} quantized inputs"))
            continue
        output = next(n.output[0] for n in nodes if n.op_type == "DequantizeLinear" and n.input[0] == q.output[0])
        sub = workdir / f"layer{index}.onnx"
        try:
            onnx.utils.extract_model(str(export.path), str(sub), [sources[0].input[0]], [output])
        except Exception as error:  # onnx's extractor refuses some graphs (unsorted nodes)
            results.append((q.input[0], f"skipped: {str(error).splitlines()[0][:60]}"))
            continue
        single = Export(sub, export.family, export.exporter, export.quantization, None)
        outdir = workdir / f"layer{index}"
        compiled = compile_model(single, outdir)
        if compiled.returncode != 0:
            results.append((q.input[0], error_line(compiled.stderr)))
            continue
        quant = header_quantization((outdir / f"layer{index}.h").read_text())
        layer_session = onnxruntime_session(sub)
        worst = 0
        for value in values:
            x = value[sources[0].input[0]]
            codes = np.clip(np.round(x / quant["INPUT_SCALE"]) + quant["INPUT_ZERO_POINT"], -128, 127).astype(np.int8)
            real = (codes.astype(np.float32) - np.float32(quant["INPUT_ZERO_POINT"])) * np.float32(quant["INPUT_SCALE"])
            run = subprocess.run([str(outdir / f"layer{index}_host")], input=codes.tobytes(), capture_output=True)
            ours = np.frombuffer(run.stdout, dtype=np.int8).astype(np.int64)
            theirs = layer_session.run(None, {layer_session.get_inputs()[0].name: real.astype(np.float32)})[0]
            their_codes = np.clip(np.round(theirs.reshape(-1) / quant["OUTPUT_SCALE"]) + quant["OUTPUT_ZERO_POINT"],
                                  -128, 127).astype(np.int64)
            worst = max(worst, int(np.abs(ours - their_codes).max()))
        results.append((q.input[0], worst))
    return results


# The MLPerf Tiny .tflite of the same network in ../shared/models, on which section 3 of `make bench` measures
# TensorFlow Lite Micro's arena: the TFLM figure to set beside ours. Same layers and shapes (DS-CNN 64 channels wide,
# ResNet-8 16/32/64), but TFLite's NHWC input, so no boundary transpose. mobilenetv2_035 has none: MLPerf Tiny's
# visual wake words network is a MobileNetV1.
TFLM_PEERS = {"kws_dscnn": "kws_dscnn", "resnet8": "ic_resnet8"}


def tflm_figures() -> dict[str, int]:
    """TFLite Micro's arena ("head" bytes, as section 3 of `make bench` measures) on each TFLM_PEERS .tflite in
    ../shared/models; empty where those are absent."""
    from common import MODELS_DIR
    from peers import tflm_head_bytes

    paths = {name: MODELS_DIR / f"{name}.int8.tflite" for name in sorted(set(TFLM_PEERS.values()))}
    return {name: tflm_head_bytes(path) for name, path in paths.items() if path.exists()}


def as_dict(row: Row) -> dict:
    """A row as results.json keeps it: model, exporter, quantization, and either `error` or the measured numbers."""
    e = row.export
    out: dict = {"file": e.name, "model": e.family, "exporter": e.exporter, "quantization": e.quantization}
    if row.comparison is None:
        out["error"] = row.error
        return out
    c = row.comparison
    out.update(layers=c.layers, inputs=c.inputs, max_lsb=c.max_lsb, equal_pct=c.equal_pct, within=c.within,
               arena_inplace=row.arena_inplace, arena_no_inplace=row.arena_no_inplace)
    return out


def bench_rows(count: int = 32, folder: Path = DATA) -> list[dict]:
    """Every export in `folder` (default: the committed ones) measured (see `measure`), as `as_dict` rows."""
    with tempfile.TemporaryDirectory(prefix="pytorch-exports-") as work:
        return [as_dict(measure(export, Path(work), count)) for export in exports(folder)]


def table(rows: list[dict], tflm: dict[str, int] | None = None) -> str:
    """Markdown table of `bench_rows`; `tflm` maps an MLPerf Tiny model name (TFLM_PEERS) to TFLite Micro's arena
    bytes on its .tflite, when measured."""
    tflm = tflm or {}
    lines = ["| model | exporter | quantization | quantized layers | arena in-place | arena no in-place "
             "| TFLM, same network (.tflite) | max LSB diff | outputs equal |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        head = f"| {r['model']} | {r['exporter']} | {r['quantization']} "
        if "error" in r:
            lines.append(head + f"| does not compile: {r['error'].removeprefix('error: ')} | | | | | |")
            continue
        peer = tflm.get(TFLM_PEERS.get(r["model"], ""))
        no_inplace = "-" if r["arena_no_inplace"] is None else f"{r['arena_no_inplace']:,}"
        lines.append(head + f"| {r['layers']} | {r['arena_inplace']:,} | {no_inplace} "
                     f"| {'-' if peer is None else f'{peer:,}'} | {r['max_lsb']:.2f} | {r['equal_pct']:.1f}% |")
    return "\n".join(lines)


NOTE = ("Max LSB diff: QDQ models, |our int8 codes - onnxruntime's| (onnxruntime 1.32, graph optimizations off, "
        "on the same input codes); float models compiled with `--calibration`, |ours dequantized - the float "
        "model| in steps of our output scale. The allowance is one LSB per quantized layer (the layers column).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=32, help="seeded inputs per model (default 32)")
    parser.add_argument("--folder", type=Path, default=DATA,
                        help="the exports to measure (default tests/data/pytorch; `make_exports.py --all --out DIR` "
                             "writes every combination there, the committed subset included)")
    parser.add_argument("--single-layers", metavar="FILE",
                        help="instead: compare each quantized layer of this QDQ model alone (see single_layers)")
    args = parser.parse_args(argv)
    if args.single_layers:
        path = Path(args.single_layers).resolve()
        export = next(e for e in exports(path.parent) if e.name == path.name)
        with tempfile.TemporaryDirectory(prefix="pytorch-layers-") as work:
            for name, result in single_layers(export, Path(work)):
                print(f"{name}: {result}")
        return 0
    print(table(bench_rows(args.inputs, args.folder.resolve()), tflm_figures()))
    print(f"\n{args.inputs} seeded inputs per model. {NOTE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
