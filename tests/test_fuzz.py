"""Seeded fuzzing of the IR parser and verifiers, the passes, the C emitter and the ONNX importer.

Valid inputs (random networks from test_differential_netgen.py, small ONNX
models from tests/lit/import/Inputs/onnx_models.py) are damaged by hypothesis:
numbers swapped for hostile ones, characters deleted or repeated, tokens
inserted, ONNX attributes, shapes, types and bytes changed. Every run must end
in success or one `error:` line, never an internal error, a traceback or a
hang. Derandomized, so CI sees the same examples every time; `make fuzz`
raises the example count (CMSIS_OPT_FUZZ_EXAMPLES) and varies the seed.

Crashes found are kept in tests/fuzz_regressions/ and replayed by
test_kept_crash_cases_stay_fixed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from cmsis_opt.tools import compile as compile_tool
from cmsis_opt.tools import importer, opt
from test_differential_netgen import random_network

_spec = importlib.util.spec_from_file_location("onnx_models", ROOT / "tests" / "lit" / "import" / "Inputs" / "onnx_models.py")
onnx_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(onnx_models)

REGRESSIONS = Path(__file__).resolve().parent / "fuzz_regressions"
EXAMPLES = int(os.environ.get("CMSIS_OPT_FUZZ_EXAMPLES", "0"))
LONG = EXAMPLES > 0


def fuzz_settings(examples: int):
    """Quick and derandomized in make test; CMSIS_OPT_FUZZ_EXAMPLES=N (make fuzz): N random examples."""
    return settings(max_examples=EXAMPLES or examples, derandomize=not LONG, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)


MEMORY_PIPELINE = ["--bufferize", "--liveness", "--inplace-alias", "--arena-alloc", "--verify-arena"]
HOSTILE_NUMBERS = ["0", "-1", "1", "2", "-128", "127", "128", "-129", "255", "65535", "2147483647", "2147483648",
                   "-2147483648", "4294967296", "9223372036854775807", "99999999999999999999", "1e400", "nan", "0.0"]
TOKENS = ["{", "}", "(", ")", "<", ">", "[", "]", '"', ":", ",", "%v1", "%in0", "@", "!", "x", "?", "-", "0x", "\n",
          "i8", "i32", "f32", "tensor<", "array<i64: ", "dense<", "cmsis.add", "arena.buffer", "0x7fffffff"]


def _run(main, argv: list[str]) -> tuple[int, str]:
    """Run a tool's main in this process; its status and what it printed on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return status, err.getvalue()


def assert_clean(status: int, stderr: str, what: str) -> None:
    """Success, or exactly one located `error:` line: never an internal error or a traceback."""
    assert "internal error" not in stderr and "Traceback" not in stderr, f"{what}\n{stderr}"
    if status != 0:
        assert status in (1, 2), f"{what}\n{stderr}"
        errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, f"{what}\n{stderr}"


# -- textual IR -------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![%@\w.])-?\d+(?:\.\d+)?")
_ATTRIBUTE_NUMBER = re.compile(r"-?\d+(?= : i(?:32|64)\b)|(?<=array<i32: )-?\d+|(?<=array<i64: )-?\d+|(?<=, )-?\d+(?=[,>])")


@st.composite
def mutated_ir(draw) -> str:
    text = random_network(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), "fuzz")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["attribute"] * 6 + ["number", "delete", "insert", "repeat"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "attribute":  # one number of an integer attribute: the text still parses
            numbers = list(_ATTRIBUTE_NUMBER.finditer(text))
            m = numbers[draw(st.integers(0, len(numbers) - 1))]
            text = text[: m.start()] + draw(st.sampled_from(HOSTILE_NUMBERS[:16])) + text[m.end():]
        elif kind == "number":
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                m = numbers[draw(st.integers(0, len(numbers) - 1))]
                text = text[: m.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + text[m.end():]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        else:
            text = text[:at] + text[at: at + draw(st.integers(1, 60))] + text[at:]
    return text


def _ir_through_everything(text: str, tmp: Path) -> None:
    source = tmp / "fuzz.mlir"
    source.write_text(text)
    status, stderr = _run(opt.main, [str(source), *MEMORY_PIPELINE, "-o", str(tmp / "planned.mlir")])
    assert_clean(status, stderr, text)
    event("planned" if status == 0 else "rejected: " + re.sub(r"^error: [^ ]*:\d+:\d+: |^error: ", "", stderr)[:30])
    if status == 0:
        status, stderr = _run(opt.main, [str(tmp / "planned.mlir"), "-t", "c", "-o", str(tmp / "fuzz.c")])
        assert_clean(status, stderr, text)


@fuzz_settings(250)
@given(mutated_ir())
def test_damaged_ir_never_crashes_the_parser_passes_or_emitter(tmp_path_factory, text):
    _ir_through_everything(text, tmp_path_factory.mktemp("ir"))


@fuzz_settings(40)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["auto", "naive", "greedy-by-size", "best-fit", "optimal"]),
       st.booleans(), st.sampled_from(["cortex-m0", "cortex-m4", "cortex-m55"]))
def test_random_valid_networks_always_plan(tmp_path_factory, seed, strategy, inplace, target):
    tmp = tmp_path_factory.mktemp("net")
    (tmp / "net.mlir").write_text(random_network(np.random.default_rng(seed), "net"))
    passes = [f"--attach-target=core={target}", "--bufferize", "--liveness",
              *(["--inplace-alias"] if inplace else []),
              f"--arena-alloc=strategy={strategy} time-limit=0.5", "--verify-arena"]
    status, stderr = _run(opt.main, [str(tmp / "net.mlir"), *passes, "-o", str(tmp / "out.mlir")])
    assert status == 0, stderr


# -- ONNX -------------------------------------------------------------------------------------

ONNX_BASES = ["qdq_conv", "qdq_dense", "residual", "concat", "pad", "ceil_pool", "same_conv", "mul_depthwise", "conv_bn"]
HOSTILE_INTS = [0, -1, 1, 2, 3, 7, -7, 1000, 2**31 - 1, -(2**31), 2**40]
DTYPES = [TensorProto.FLOAT, TensorProto.INT8, TensorProto.UINT8, TensorProto.INT32, TensorProto.INT64,
          TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BOOL, TensorProto.STRING, 0]


def _mutate_model(model: onnx.ModelProto, draw) -> None:
    graph = model.graph
    kind = draw(st.sampled_from(["attribute", "attribute", "dim", "dtype", "input", "init", "drop_node", "opset"]))
    if kind == "attribute":
        attrs = [a for node in graph.node for a in node.attribute if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)]
        if attrs:
            a = attrs[draw(st.integers(0, len(attrs) - 1))]
            if a.type == onnx.AttributeProto.INT:
                a.i = draw(st.sampled_from(HOSTILE_INTS))
            elif a.ints:
                a.ints[draw(st.integers(0, len(a.ints) - 1))] = draw(st.sampled_from(HOSTILE_INTS))
            else:
                a.ints.append(draw(st.sampled_from(HOSTILE_INTS)))
    elif kind == "dim":
        infos = [*graph.input, *graph.output]
        info = infos[draw(st.integers(0, len(infos) - 1))]
        dims = info.type.tensor_type.shape.dim
        if dims:
            dims[draw(st.integers(0, len(dims) - 1))].dim_value = draw(st.sampled_from([0, 1, 2, 5, 1000, 2**31]))
    elif kind == "dtype":
        infos = [*graph.input, *graph.output]
        infos[draw(st.integers(0, len(infos) - 1))].type.tensor_type.elem_type = draw(st.sampled_from(DTYPES))
    elif kind == "input":
        nodes = [n for n in graph.node if n.input]
        if nodes:
            node = nodes[draw(st.integers(0, len(nodes) - 1))]
            names = [i.name for i in graph.input] + [t.name for t in graph.initializer] + [o for n in graph.node for o in n.output]
            node.input[draw(st.integers(0, len(node.input) - 1))] = draw(st.sampled_from(names + ["", "nowhere"]))
    elif kind == "init" and graph.initializer:
        tensor = graph.initializer[draw(st.integers(0, len(graph.initializer) - 1))]
        array = onnx.numpy_helper.to_array(tensor)
        choice = draw(st.sampled_from(["zero", "negate", "reshape", "scalar", "huge"]))
        if choice == "zero":
            array = np.zeros_like(array)
        elif choice == "negate":
            array = (-array.astype(np.float64)).astype(array.dtype) if array.dtype != np.bool_ else array
        elif choice == "reshape":
            array = array.reshape(-1)
        elif choice == "scalar":
            array = array.reshape(-1)[:1].reshape(()) if array.size else array
        else:
            info = np.iinfo(array.dtype) if array.dtype.kind in "iu" else None
            array = np.full_like(array, info.max if info else np.float32(3.0e38))
        tensor.CopyFrom(onnx.numpy_helper.from_array(array, tensor.name))
    elif kind == "drop_node" and len(graph.node) > 1:
        del graph.node[draw(st.integers(0, len(graph.node) - 1))]
    elif kind == "opset":
        model.opset_import[0].version = draw(st.sampled_from([1, 6, 10, 11, 13, 19, 21, 99]))


@st.composite
def mutated_onnx(draw) -> bytes:
    model = onnx_models.MODELS[draw(st.sampled_from(ONNX_BASES))]()
    for _ in range(draw(st.integers(1, 3))):
        _mutate_model(model, draw)
    data = bytearray(model.SerializeToString())
    if draw(st.booleans()) and draw(st.booleans()):  # one time in four: damage the bytes too
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


@fuzz_settings(400)
@given(mutated_onnx())
def test_damaged_onnx_models_never_crash_the_importer_or_quantizer(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("onnx")
    (tmp / "m.onnx").write_bytes(data)
    status, stderr = _run(importer.main, [str(tmp / "m.onnx"), "-o", str(tmp / "m.mlir")])
    assert_clean(status, stderr, data.hex())
    if status == 0:
        status, stderr = _run(opt.main, [str(tmp / "m.mlir"), "--quantize", *MEMORY_PIPELINE, "-o", str(tmp / "q.mlir")])
        assert_clean(status, stderr, data.hex())


NET_SEED = (ROOT / "examples" / "cifar10_cmsis.net").read_text()
NET_TOKENS = ["=", ",", "(", ")", "x", "0", "-1", "1e9", "99999999999", "nan", "conv(", "add(", "concat(", "output ",
              "input y: 1x0x4x2, scale=0, zp=300", "kernel=0", "stride=0", "pad=-3", "filters=0", "units=0", "\n"]


@st.composite
def mutated_net(draw) -> str:
    text = NET_SEED
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text) - 1))
        kind = draw(st.sampled_from(["number", "number", "delete", "insert"]))
        if kind == "number":
            numbers = list(_NUMBER.finditer(text))
            m = numbers[draw(st.integers(0, len(numbers) - 1))]
            text = text[: m.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + text[m.end():]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        else:
            text = text[:at] + draw(st.sampled_from(NET_TOKENS)) + text[at:]
    return text


@fuzz_settings(60)
@given(mutated_net())
def test_damaged_net_files_never_crash_the_compiler(tmp_path_factory, text):
    tmp = tmp_path_factory.mktemp("net")
    (tmp / "m.net").write_text(text)
    status, stderr = _run(compile_tool.main, [str(tmp / "m.net"), "-o", str(tmp / "out"), "--quiet"])
    assert_clean(status, stderr, text)


@fuzz_settings(200)
@given(mutated_net())
def test_the_net_line_reader_reads_damaged_files_as_the_grammar_does(text):
    """The line reader (netdsl's fast path) either declines a text or reads it exactly as lark's GRAMMAR does."""
    from cmsis_opt.frontends.netdsl import _read_lark, _read_lines

    fast = _read_lines(text)
    if fast is not None:
        assert fast == _read_lark(text, "m.net"), text


TFLITE_SEED_MODEL = ROOT.parent / "shared" / "models" / "kws_dscnn.int8.tflite"


@st.composite
def mutated_tflite(draw) -> bytes:
    data = bytearray(TFLITE_SEED_MODEL.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, min(len(data), 4096) - 1)) if draw(st.booleans()) else draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.mark.skipif(not TFLITE_SEED_MODEL.exists(), reason=f"reference model {TFLITE_SEED_MODEL} not found")
@fuzz_settings(100)
@given(mutated_tflite())
def test_damaged_tflite_models_never_crash_the_importer(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("tflite")
    (tmp / "m.tflite").write_bytes(data)
    status, stderr = _run(importer.main, [str(tmp / "m.tflite"), "-o", str(tmp / "m.mlir")])
    assert_clean(status, stderr, f"damaged model kept in {tmp / 'm.tflite'}")


# -- kept crash cases -------------------------------------------------------------------------


def _regressions() -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob("*") if p.suffix in (".mlir", ".onnx", ".net", ".tflite"))


@pytest.mark.parametrize("case", _regressions(), ids=lambda p: p.name)
def test_kept_crash_cases_stay_fixed(case, tmp_path):
    """Each file once crashed a tool; it must now compile or fail with one error line."""
    status, stderr = _run(compile_tool.main, [str(case), "-o", str(tmp_path / "out")])
    assert_clean(status, stderr, case.name)
    expected = case.with_suffix(case.suffix + ".expected")
    if expected.exists():
        assert expected.read_text().strip() in stderr


def test_non_ascii_layer_names_survive_a_round_trip():
    """Found by the ONNX fuzzer: xDSL lexes a printed non-ASCII string as bytes, so the layer name stopped being a string."""
    from cmsis_opt.ir import parse_ir, print_ir

    text = random_network(np.random.default_rng(3), "net").replace('layer = "', 'layer = "couche_é_', 1)
    printed = print_ir(parse_ir(text).module)
    assert "couche_\\C3\\A9_" in printed
    assert print_ir(parse_ir(printed).module) == printed
