"""Large models through cmsis-compile: wall time and peak memory (not part of make test).

    python bench/large_models.py [--host] [--layers 5000] [--profile]

1. A MobileNetV2-1.0 at 224x224 (inverted residual blocks, ReLU6, global
   average pool, 1000-way classifier; about 3.5 M random weights, ~100 ops),
   built as a float ONNX model with onnx.helper and quantized to QDQ by
   onnxruntime's quantize_static (per-channel, two random calibration samples).
2. A synthetic chain of 5,000 convolutions in the .net format.

Each is compiled by cmsis-compile in a child process; the wall time and the
child's peak resident memory (from /usr/bin/time) are printed against the
limits (60 s, 2 GB). --profile runs the compile under cProfile and prints the
top functions. --host adds the host C build to the measured run: fine for
MobileNetV2, but gcc -O2 needs more than ten minutes and 2 GB for the
chain's one 5,000-call invoke function, so measure the chain without it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WALL_LIMIT = 60.0
RSS_LIMIT = 2 * 1024**3
# MobileNetV2: expansion t, output channels c, repeats n, first stride s
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class _Graph:
    def __init__(self, seed: int = 0, explicit_pads: bool = False):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0
        self.explicit_pads = explicit_pads

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def conv(self, x: str, cin: int, cout: int, kernel: int, stride: int = 1, group: int = 1, relu6: bool = True) -> str:
        name = self.name("conv")
        fan_in = cin // group * kernel * kernel
        w = (self.rng.standard_normal((cout, cin // group, kernel, kernel)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (self.rng.standard_normal(cout) * 0.01).astype(np.float32)
        self.inits += [numpy_helper.from_array(w, name + "_w"), numpy_helper.from_array(b, name + "_b")]
        pad = kernel // 2
        if pad and self.explicit_pads:  # a Pad node before a VALID convolution, as TensorFlow exports write it
            self.inits.append(numpy_helper.from_array(np.array([0, 0, pad, pad, 0, 0, pad, pad], np.int64), name + "_pads"))
            self.nodes.append(helper.make_node("Pad", [x, name + "_pads"], [name + "_padded"], name=name + "_pad",
                                               mode="constant"))
            x, pad = name + "_padded", 0
        self.nodes.append(helper.make_node("Conv", [x, name + "_w", name + "_b"], [name], name=name, group=group,
                                           kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4))
        if not relu6:
            return name
        self.nodes.append(helper.make_node("Clip", [name, "zero", "six"], [name + "_r6"], name=name + "_relu6"))
        return name + "_r6"

    def add(self, a: str, b: str) -> str:
        name = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [name], name=name))
        return name


def make_divisible(value: float, divisor: int = 8) -> int:
    """MobileNetV2's channel rounding for a width multiplier: to a multiple of 8, never below 90% of `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def mobilenet_v2(size: int = 224, classes: int = 1000, width: float = 1.0,
                 explicit_pads: bool = False) -> onnx.ModelProto:
    """A float MobileNetV2 with random weights; NHWC input (then a Transpose), as exporters from TFLite write.

    `width` is the width multiplier (channels rounded by `make_divisible`; the
    last 1x1 convolution keeps 1280 channels below 1.0); `explicit_pads`
    writes each 3x3 convolution's padding as a Pad node before it.
    """
    g = _Graph(explicit_pads=explicit_pads)
    g.inits += [numpy_helper.from_array(np.float32(0.0), "zero"), numpy_helper.from_array(np.float32(6.0), "six")]
    g.nodes.append(helper.make_node("Transpose", ["input"], ["input_nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
    first = make_divisible(32 * width)
    x = g.conv("input_nchw", 3, first, 3, stride=2)
    cin = first
    for t, channels, n, s in BLOCKS:
        c = make_divisible(channels * width)
        for k in range(n):
            stride = s if k == 0 else 1
            hidden = cin * t
            y = g.conv(x, cin, hidden, 1) if t != 1 else x
            y = g.conv(y, hidden, hidden, 3, stride=stride, group=hidden)
            y = g.conv(y, hidden, c, 1, relu6=False)
            x = g.add(x, y) if stride == 1 and cin == c else y
            cin = c
    last = make_divisible(1280 * max(1.0, width))
    x = g.conv(x, cin, last, 1)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    # the classifier as a 1x1 convolution (per-channel weights; a Gemm would need one weight scale)
    scores = g.conv("pooled", last, classes, 1, relu6=False)
    g.nodes.append(helper.make_node("Flatten", [scores], ["logits"], name="flatten"))
    graph = helper.make_graph(g.nodes, "mobilenet_v2",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, size, size, 3])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def quantized_mobilenet_v2(folder: Path, size: int = 224, width: float = 1.0, explicit_pads: bool = False,
                           name: str = "mobilenet_v2") -> Path:
    """MobileNetV2 quantized to QDQ by onnxruntime (per-channel weights, int8 activations): folder/NAME.onnx."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(1)
            self.samples = iter([{"input": rng.standard_normal((1, size, size, 3)).astype(np.float32)}
                                 for _ in range(2)])

        def get_next(self):
            return next(self.samples, None)

    float_path, qdq_path = folder / f"{name}.float.onnx", folder / f"{name}.onnx"
    onnx.save(mobilenet_v2(size, width=width, explicit_pads=explicit_pads), str(float_path))
    quantize_static(str(float_path), str(qdq_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    model = onnx.load(str(qdq_path))
    quantize_before_transpose(model)
    pool_keeps_quantization(model)
    onnx.save(model, str(qdq_path))
    return qdq_path


def pool_keeps_quantization(model: onnx.ModelProto) -> None:
    """Average pooling has no requantization in TFLite / CMSIS-NN: its output takes its input's scale and zero point."""
    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    inits = {t.name: t for t in graph.initializer}
    for pool in (n for n in graph.node if n.op_type == "GlobalAveragePool"):
        dq = producer[pool.input[0]]
        q = next(n for n in graph.node if n.op_type == "QuantizeLinear" and n.input[0] == pool.output[0])
        for src, dst in zip(dq.input[1:3], q.input[1:3]):
            inits[dst].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(inits[src]), dst))


def quantize_before_transpose(model: onnx.ModelProto) -> None:
    """input -> Transpose -> QuantizeLinear becomes input -> QuantizeLinear -> Transpose (int8 NHWC input)."""
    nodes = model.graph.node
    transpose = next(n for n in nodes if n.op_type == "Transpose" and n.input[0] == "input")
    quantize = next(n for n in nodes if n.op_type == "QuantizeLinear" and n.input[0] == transpose.output[0])
    quantized = quantize.output[0]
    quantize.input[0], quantize.output[0] = "input", "input_q"
    transpose.input[0], transpose.output[0] = "input_q", quantized
    order = [n for n in nodes if n is not transpose]
    order.insert(order.index(quantize) + 1, transpose)
    copies = [onnx.NodeProto.FromString(n.SerializeToString()) for n in order]
    del nodes[:]
    nodes.extend(copies)


def chain_net(layers: int) -> str:
    """`layers` 3x3 convolutions in a row on a 1x8x8x8 tensor."""
    lines = ["seed 1", "input x: 1x8x8x8, scale=0.0078125, zp=0"]
    prev = "x"
    for i in range(layers):
        lines.append(f"l{i} = conv({prev}, filters=8, kernel=3, pad=1, act=relu)")
        prev = f"l{i}"
    lines.append(f"output {prev}")
    return "\n".join(lines) + "\n"


def measure(model: Path, out: Path, *options: str, profile: bool = False) -> dict:
    """Wall seconds and peak RSS (bytes) of one cmsis-compile child process."""
    command = [sys.executable, "-m", "cmsis_opt.tools.compile", str(model), "-o", str(out), "--quiet", *options]
    if profile:
        stats = out.parent / (model.stem + ".prof")
        command = [sys.executable, "-m", "cProfile", "-o", str(stats), *command[1:]]
    # this child's own peak RSS, from /usr/bin/time (RUSAGE_CHILDREN would give the largest child so far)
    command = ["/usr/bin/time", "-f", "peak-rss-kb %M", *command]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"cmsis-compile {model.name} failed:\n{result.stderr}")
    rss = int(result.stderr.strip().splitlines()[-1].split()[-1]) * 1024
    if profile:
        import pstats

        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(25)
    return {"wall": wall, "rss": rss, "summary": next((line for line in result.stdout.splitlines() if "arena" in line), "")}


def report(name: str, figures: dict) -> bool:
    ok = figures["wall"] < WALL_LIMIT and figures["rss"] < RSS_LIMIT
    print(f"{name}: {figures['wall']:.1f} s wall, peak RSS {figures['rss'] / 1024**2:.0f} MiB "
          f"({'within' if ok else 'OVER'} the {WALL_LIMIT:.0f} s / {RSS_LIMIT / 1024**3:.0f} GB limits)")
    if figures["summary"]:
        print(f"    {figures['summary']}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", action="store_true", help="also build the host program (C compile of the weights)")
    parser.add_argument("--layers", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile each compile and print the top functions")
    parser.add_argument("--only", choices=("mobilenet", "chain"), help="measure one model only")
    args = parser.parse_args(argv)
    options = ["--host"] if args.host else []
    ok = True
    with tempfile.TemporaryDirectory(prefix="cmsis-large-") as tmp:
        folder = Path(tmp)
        if args.only in (None, "mobilenet"):
            start = time.perf_counter()
            path = quantized_mobilenet_v2(folder)
            model = onnx.load(str(path))
            weights = sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == TensorProto.INT8)
            print(f"MobileNetV2-1.0 224x224 QDQ: {weights:,} int8 weights, {len(model.graph.node)} ONNX nodes "
                  f"(built and quantized in {time.perf_counter() - start:.0f} s)")
            ok &= report("  cmsis-compile", measure(path, folder / "mobilenet_out", *options, profile=args.profile))
        if args.only in (None, "chain"):
            net = folder / "chain.net"
            net.write_text(chain_net(args.layers))
            print(f"{args.layers}-layer conv chain (.net)")
            ok &= report("  cmsis-compile", measure(net, folder / "chain_out", *options, profile=args.profile))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
