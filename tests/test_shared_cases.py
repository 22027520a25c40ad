"""Every model in ../shared/cases, compiled as a user would (`cmsis-compile MODEL -o DIR`, a float model with its
`NAME.cal.npz`): what the generated header says about the C API's inputs and outputs.

The header's NAME_INPUT_LAYOUT / NAME_OUTPUT_LAYOUT must name the order of the bytes the C API takes and
gives. With `--io-layout model` those are the model's own tensors, row-major in their declared shape; what the
axes of a rank-4 one mean is read here from the ONNX graph itself, independently of the compiler: an input a
Transpose(perm 0,3,1,2) turns into a convolution's input is NHWC, one a Conv / pool reads directly is NCHW, an
output a Transpose(perm 0,2,3,1) of a convolution's result gives is NHWC (QuantizeLinear, DequantizeLinear and
element-wise ops in between keep the axes). A TFLite model is NHWC throughout. With `--io-layout nhwc` every
rank-4 tensor is NHWC, except an NCHW one whose bytes are the same in NHWC order (one channel, or 1x1
pixels): no transpose is needed, and the header keeps its NCHW shape and label. A tensor of another rank is "row-major" (its bytes in the order of its shape).
"""

from __future__ import annotations

import re
from pathlib import Path

import onnx
import pytest
from conftest import ROOT, run_tool

CASES = ROOT.parent / "shared" / "cases"
MODELS = sorted(p for p in CASES.glob("*") if p.suffix in (".onnx", ".tflite")) if CASES.is_dir() else []
_NCHW_READERS = ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool")
_SAME_AXES = ("QuantizeLinear", "DequantizeLinear", "Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid",
              "LeakyRelu", "Tanh", "Identity")


def _needs_cases():
    if not MODELS:
        pytest.skip(f"no models in {CASES} (the shared failing-input cases live beside the repository)")


def onnx_layout(path: Path, name: str, is_input: bool) -> str:
    """The meaning of a rank-4 graph input's or output's axes, from the ONNX graph (see the module docstring)."""
    graph = onnx.load(str(path), load_external_data=False).graph
    perm_of = {n.output[0]: list(next((a.ints for a in n.attribute if a.name == "perm"), [])) for n in graph.node}
    if is_input:
        frontier = [name]
        while frontier:
            tensor = frontier.pop()
            for node in (n for n in graph.node if tensor in n.input[:1]):
                if node.op_type == "Transpose" and perm_of[node.output[0]] == [0, 3, 1, 2]:
                    return "NHWC"
                if node.op_type in _NCHW_READERS:
                    return "NCHW"
                if node.op_type in _SAME_AXES:
                    frontier.append(node.output[0])
    else:
        producer = {out: n for n in graph.node for out in n.output}
        tensor = name
        while tensor in producer:
            node = producer[tensor]
            if node.op_type == "Transpose" and perm_of[tensor] == [0, 2, 3, 1]:
                return "NHWC"
            if node.op_type in _NCHW_READERS:
                return "NCHW"
            if node.op_type not in _SAME_AXES:
                break
            tensor = node.input[0]
    raise AssertionError(f"{path.name}: no Conv, pool or Transpose tells the axes of '{name}'")


def header_io(header: str) -> list[tuple[list[int], str]]:
    """(shape, layout) of each input, then each output, as the header states them."""
    found = re.findall(r"#define \w+_(?:INPUT|OUTPUT)(?:_\d+)?_SHAPE \{([\d, ]+)\}\n"
                       r"#define \w+_(?:INPUT|OUTPUT)(?:_\d+)?_LAYOUT \"([\w-]+)\"", header)
    return [([int(d) for d in shape.split(",")], layout) for shape, layout in found]


def compile_header(path: Path, outdir: Path, *args: str) -> str:
    calibration = path.with_name(path.name.split(".")[0] + ".cal.npz")
    if ".qdq." not in path.name and path.suffix == ".onnx" and calibration.is_file():
        args = (*args, "--calibration", str(calibration))
    proc = run_tool("cmsis-compile", str(path), "-o", str(outdir), "--name", "net", "--quiet", *args)
    assert proc.returncode == 0, proc.stderr
    return (outdir / "net.h").read_text()


@pytest.mark.parametrize("io_layout", ["model", "nhwc"])
@pytest.mark.parametrize("path", MODELS, ids=[p.name for p in MODELS])
def test_the_header_states_the_layout_of_the_bytes_the_c_api_takes_and_gives(tmp_path, path: Path, io_layout):
    _needs_cases()
    stated = header_io(compile_header(path, tmp_path / "out", "--io-layout", io_layout))
    if path.suffix == ".onnx":
        graph = onnx.load(str(path), load_external_data=False).graph
        initializers = {i.name for i in graph.initializer}
        names = [(v.name, True) for v in graph.input if v.name not in initializers]
        names += [(v.name, False) for v in graph.output]
    else:
        names = [("", True)] * (len(stated) - 1) + [("", False)]
    assert len(stated) == len(names), stated
    for (shape, layout), (name, is_input) in zip(stated, names, strict=True):
        if len(shape) != 4:
            expected = "row-major"
        elif path.suffix == ".tflite":
            expected = "NHWC"
        elif io_layout == "nhwc":
            own = onnx_layout(path, name, is_input)
            expected = own if own == "NCHW" and (shape[1] == 1 or shape[2] * shape[3] == 1) else "NHWC"
        else:
            expected = onnx_layout(path, name, is_input)
        assert layout == expected, (path.name, name or ("input" if is_input else "output"), shape, layout)
