"""Regenerate the PyTorch export test files in this folder (not run by the tests: torch is not a dependency).

    python3.11 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.13.0 onnxscript onnx onnxruntime==1.32.0
    /tmp/torchenv/bin/python tests/data/pytorch/make_exports.py [--out DIR] [--all]

Three networks written the way PyTorch users write them (torch.nn modules, BatchNorm after each
convolution, ReLU / ReLU6, adaptive average pooling or a mean, flatten or view, Linear), with
seeded random weights and BatchNorm statistics measured on the calibration set (two forward
passes in training mode), so that every layer's activations keep a sensible range:

- kws_dscnn: MLPerf Tiny's keyword-spotting DS-CNN, input 1x1x49x10 (NCHW MFCC features),
  12 classes; `x.view(x.size(0), -1)` flattens, as users write it.
- mobilenetv2_035: MobileNetV2 at width 0.35 (torchvision's block structure), input 1x3x96x96,
  2 classes (as MLPerf Tiny's visual wake words); `x.mean([2, 3])` pools, as torchvision does.
- resnet8: MLPerf Tiny's image-classification ResNet-8, input 1x3x32x32, 10 classes;
  `nn.AdaptiveAvgPool2d(1)` and `torch.flatten(x, 1)`.

Each is exported with the TorchScript exporter at opset 13 (`dynamo=False`; kws_dscnn with a
dynamic batch, as PyTorch's tutorials export) and with the default `torch.export` exporter
(`dynamo=True`, its default opset 20, weights in `NAME.onnx.data` beside the model, as it writes
them by default). Each float export is quantized by onnxruntime's `quantize_static` (QDQ format,
int8 activations and weights, MinMax calibration on the calibration set), per channel
(`.qdq_pc.onnx`) and per tensor (`.qdq_pt.onnx`). The calibration sets come from inputs.py
(seeded numpy generators the tests share).

Size: the committed files must stay well under 2 MB, and an int8 QDQ file holds a byte per weight
plus onnxruntime's node names, a float file four bytes per weight. So:
- MobileNetV2's last 1x1 convolution has 448 channels (1280 scaled with the width; torchvision keeps
  1280 below width 1) and its head 2 classes: 0.29 M weights; even so each of its QDQ files is
  0.45 to 0.63 MB, and only the per-channel TorchScript one is kept (0.52 MB).
- Float files (and calibration sets) are kept only for kws_dscnn, the smallest network, from both
  exporters (the float + --calibration tests compile them; the dynamo one exercises external data).
- resnet8 keeps its four QDQ files. Calibration sets hold 32 samples (kws_dscnn and hybrid_tiny, whose
  float models the tests compare on them) or 16 (images, at 8-bit levels, which compress).
`--all` also writes everything not kept (every float export, calibration set and QDQ file).

Last, `hybrid_tiny.onnx`: a small float network whose weights are stored as int8 initializers
behind DequantizeLinear (weight-only quantization, symmetric per output channel), which neither
exporter writes; it is built from a TorchScript export by rewriting its weight initializers with
onnx.helper.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import inputs  # noqa: E402  (the seeded input generators, shared with the tests)

SEED = 2024


# -- the networks -------------------------------------------------------------------------


def conv_bn_relu(cin: int, cout: int, kernel, stride=1, padding=0, groups=1, relu6=False) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True),
    )


class DSCNN(nn.Module):
    """MLPerf Tiny's keyword-spotting DS-CNN: a 10x4 stride-2 convolution, four depthwise-separable blocks."""

    def __init__(self, classes: int = 12, width: int = 64):
        super().__init__()
        # (49 + 2*5 - 10) // 2 + 1 = 25 rows, (10 + 2*1 - 4) // 2 + 1 = 5 columns, as TF's 'same' padding gives
        self.stem = conv_bn_relu(1, width, (10, 4), stride=2, padding=(5, 1))
        self.dropout1 = nn.Dropout(0.2)
        blocks = []
        for _ in range(4):
            blocks.append(conv_bn_relu(width, width, 3, padding=1, groups=width))
            blocks.append(conv_bn_relu(width, width, 1))
        self.blocks = nn.Sequential(*blocks)
        self.dropout2 = nn.Dropout(0.4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.dropout1(self.stem(x))
        x = self.dropout2(self.blocks(x))
        x = self.pool(x)
        return self.fc(x.view(x.size(0), -1))


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's rounding of scaled channel counts (never more than 10% below the scaled value)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_bn_relu(cin, hidden, 1, relu6=True))
        layers.append(conv_bn_relu(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, relu6=True))
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's MobileNetV2 structure at a width multiplier; the last 1x1 convolution scaled with it."""

    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1)]

    def __init__(self, width: float = 0.35, classes: int = 2):
        super().__init__()
        cin = make_divisible(32 * width)
        last = make_divisible(1280 * width)
        layers: list[nn.Module] = [conv_bn_relu(3, cin, 3, stride=2, padding=1, relu6=True)]
        for expand, channels, repeats, stride in self.SETTINGS:
            cout = make_divisible(channels * width)
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn_relu(cin, last, 1, relu6=True))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.mean([2, 3]))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet8(nn.Module):
    """MLPerf Tiny's CIFAR-10 ResNet-8: a 3x3 stem and three residual stacks of 16, 32 and 64 channels."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3, padding=1)
        self.stack1 = BasicBlock(16, 16, 1)
        self.stack2 = BasicBlock(16, 32, 2)
        self.stack3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stack3(self.stack2(self.stack1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class Tiny(nn.Module):
    """The float network behind hybrid_tiny.onnx: convolution, ReLU, convolution, ReLU, flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(torch.flatten(x, 1))


# -- what is written ------------------------------------------------------------------------

# name: (network, calibration samples, the exporters whose float files are kept beside the QDQ files,
#        the QDQ files kept as (exporter, suffix) pairs)
ALL_QDQ = (("ts", "qdq_pc"), ("ts", "qdq_pt"), ("dynamo", "qdq_pc"), ("dynamo", "qdq_pt"))
MODELS = {
    "kws_dscnn": (DSCNN, 32, ("ts", "dynamo"), ALL_QDQ),
    "mobilenetv2_035": (MobileNetV2, 16, (), (("ts", "qdq_pc"),)),
    "resnet8": (ResNet8, 16, (), ALL_QDQ),
}
# The TorchScript export of these networks declares a dynamic batch (dynamic_axes), as PyTorch's tutorials do;
# with it, kws_dscnn's `x.view(x.size(0), -1)` becomes Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
DYNAMIC_BATCH = {"kws_dscnn"}


def randomize(model: nn.Module, calibration: np.ndarray) -> None:
    """Seeded random BatchNorm affine parameters, and running statistics measured on `calibration`.

    PyTorch's default statistics (mean 0, variance 1) leave activations growing or vanishing
    layer after layer with random weights; measured statistics keep every layer near unit spread,
    as a trained network's are."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.2, 0.4)
            module.momentum = None  # a cumulative average over the passes below
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.from_numpy(calibration))
    model.eval()


# -- export and quantization --------------------------------------------------------------------


def export(model: nn.Module, example: torch.Tensor, path: Path, exporter: str, dynamic_batch: bool = False) -> None:
    if exporter == "ts":
        axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=13,
                          input_names=["input"], output_names=["output"], dynamic_axes=axes)
    else:
        torch.onnx.export(model, (example,), str(path), dynamo=True)  # default opset, external data


def quantize(float_path: Path, out_path: Path, calibration: np.ndarray, per_channel: bool) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    input_name = onnx.load(str(float_path), load_external_data=False).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(calibration)

        def get_next(self):
            sample = next(self.samples, None)
            return None if sample is None else {input_name: sample[None]}

    quantize_static(str(float_path), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)


def hybrid(float_path: Path, out_path: Path) -> None:
    """Every weight initializer (rank >= 2) as int8 codes behind a DequantizeLinear: symmetric, per output channel."""
    model = onnx.load(str(float_path))
    graph = model.graph
    kept, nodes = [], []
    for init in graph.initializer:
        value = numpy_helper.to_array(init)
        if value.ndim < 2:
            kept.append(init)
            continue
        axis = 0  # Conv OIHW and Gemm transB=1 [out, in] weights: output channels first
        peak = np.abs(value.reshape(value.shape[0], -1)).max(axis=1)
        scale = (np.where(peak > 0, peak, 1.0) / 127.0).astype(np.float32)
        shaped = scale.reshape(-1, *([1] * (value.ndim - 1)))
        codes = np.clip(np.round(value / shaped), -127, 127).astype(np.int8)
        base = init.name
        kept += [numpy_helper.from_array(codes, base + "_quantized"), numpy_helper.from_array(scale, base + "_scale"),
                 numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), base + "_zero_point")]
        nodes.append(helper.make_node("DequantizeLinear", [base + "_quantized", base + "_scale", base + "_zero_point"],
                                      [base], name=base + "_DequantizeLinear", axis=axis))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + rest)
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    parser.add_argument("--all", action="store_true",
                        help="also keep the float exports, calibration sets and QDQ files that are not committed")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pytorch-exports-"))
    try:
        for index, (name, (network, count, floats, qdq)) in enumerate(MODELS.items()):
            torch.manual_seed(SEED + index)
            calibration = inputs.samples(name, count, SEED + index)
            model = network()
            randomize(model, calibration)
            example = torch.from_numpy(calibration[:1])
            if floats or args.all:
                np.savez_compressed(args.out / f"{name}.cal.npz", inputs=calibration[:, None])  # [N, *input shape]
            for exporter in ("ts", "dynamo"):
                stem = f"{name}_{exporter}"
                float_path = (args.out if exporter in floats or args.all else scratch) / f"{stem}.onnx"
                export(model, example, float_path, exporter, name in DYNAMIC_BATCH)
                for suffix, per_channel in (("qdq_pc", True), ("qdq_pt", False)):
                    folder = args.out if (exporter, suffix) in qdq or args.all else scratch
                    quantize(float_path, folder / f"{stem}.{suffix}.onnx", calibration, per_channel)
        torch.manual_seed(SEED + 10)
        calibration = inputs.samples("hybrid_tiny", 32, SEED + 10)
        export(Tiny().eval(), torch.from_numpy(calibration[:1]), scratch / "tiny.onnx", "ts")
        hybrid(scratch / "tiny.onnx", args.out / "hybrid_tiny.onnx")
        np.savez_compressed(args.out / "hybrid_tiny.cal.npz", inputs=calibration[:, None])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        for leftover in args.out.glob("*-inferred.onnx"):  # onnxruntime's calibration writes these beside the model
            leftover.unlink()


if __name__ == "__main__":
    main()
