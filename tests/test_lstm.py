"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8 and 16x8) as cmsis.lstm / arm_lstm_unidirectional_s8 and _s16, against
TensorFlow Lite Micro.

Random single-op TFLite models, built with the flatbuffer schema (the
builder of test_import_tflite), over batches, time-major and batch-major
sequences, cell clips and cell state scales, int8 and 16x8 (int16 activations,
int8 weights, int64 biases):
the interpreter after --quantize equals PyPI tflite-micro on random inputs,
and host programs built from the generated C, linked with our runtime
(under ASan and UBSan) and with the real CMSIS-NN (../shared/cmsis-nn,
skipped with a message without it), equal the interpreter byte for byte.
The converter-made models in tests/data/tflite (lstm, kws_lstm) are checked
in test_tflite_data.py. What CMSIS-NN's kernel lacks (peephole, projection,
layer normalisation, CIFG) is refused with one located error, and so is a
16x8 LSTM with int32 biases.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from host_programs import LIBRARIES, build_programs, program_for, run_program
from test_import_tflite import S, TfliteModel, options
from tflite_micro.python.tflite_micro import runtime

from cmsis_opt.api import Model
from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass
from cmsis_opt.targets import HOST_PATH


@dataclass(frozen=True)
class Case:
    batch: int
    steps: int
    features: int
    hidden: int
    time_major: bool = False
    clip: float = 10.0
    cell_power: int = -11


CASES = [
    Case(1, 6, 4, 8),  # the converter's shape (tests/data/tflite/lstm)
    Case(2, 5, 3, 4),  # two batches, batch major: the kernel's batch_offset
    Case(3, 4, 5, 3, time_major=True),  # time major
    Case(1, 7, 2, 5, clip=0.0),  # no clip
    Case(2, 3, 6, 7, time_major=True, clip=0.5, cell_power=-15),  # clipped hard, the finest cell scale
    Case(1, 9, 1, 1, cell_power=-8),  # one feature, one unit, a coarse cell state (left shift 4 into tanh)
]
GATES = 4
KINDS = ("INT8", "INT16")
"""int8, and the 16x8 scheme (int16 input, output and hidden state with zero point 0, int64 biases)."""


def lstm_model(case: Case, seed: int, *, extra: dict[int, str] | None = None, kind: str = "INT8",
               bias_kind: str | None = None) -> bytes:
    """input -> UNIDIRECTIONAL_SEQUENCE_LSTM -> output with seeded weights and scales; `extra` adds optional
    tensors (index -> what) the kernel does not support. `kind` INT16 is the 16x8 scheme: the same float ranges
    at int16 scales, zero points 0, INT64 biases (`bias_kind` overrides the bias type)."""
    rng = np.random.default_rng(seed)
    m = TfliteModel()
    b, t, i, h = case.batch, case.steps, case.features, case.hidden
    seq = [t, b] if case.time_major else [b, t]
    wide = kind == "INT16"
    fine = 1 / 256 if wide else 1.0  # int16 steps for int8 ranges: 2^8 times finer
    in_scale = float(rng.uniform(0.01, 0.05)) * fine
    in_zp = int(rng.integers(-20, 20))
    x = m.tensor("input", [*seq, i], kind, scale=in_scale, zp=0 if wide else in_zp)
    out_scale, out_zp = float(rng.uniform(1 / 200, 1 / 100)) * fine, int(rng.integers(-10, 10))
    out_zp = 0 if wide else out_zp
    bias_kind = bias_kind or ("INT64" if wide else "INT32")
    tensors = [x]
    w_scales = rng.uniform(0.004, 0.02, 2 * GATES)
    for k in range(2 * GATES):  # input-to-gate, then recurrent-to-gate weights, gates i, f, c, o
        shape = [h, i] if k < GATES else [h, h]
        tensors.append(m.tensor(f"w{k}", shape, data=rng.integers(-127, 128, shape).astype(np.int8),
                                scale=w_scales[k]))
    tensors += [-1] * 3  # peephole
    for k in range(GATES):
        scale = np.float32(in_scale) * np.float32(w_scales[k])
        codes = (rng.integers(-4000, 4000, h) / fine).astype(np.int64)
        tensors.append(m.tensor(f"b{k}", [h], bias_kind, data=codes.astype(np.dtype(bias_kind.lower())),
                                scale=scale))
    tensors += [-1, -1]  # projection
    hidden_state = m.tensor("hidden_state", [b, h], kind, scale=out_scale, zp=out_zp)
    cell_state = m.tensor("cell_state", [b, h], "INT16", scale=2.0 ** case.cell_power, zp=0)
    for index in (hidden_state, cell_state):
        m.graph.tensors[index].isVariable = True
    tensors += [hidden_state, cell_state, -1, -1, -1, -1]
    for index, what in (extra or {}).items():
        shape = [h] if index in (9, 10, 11, 17, 20, 21, 22, 23) else [h, h]
        kind = "INT32" if index == 17 else "INT16" if index >= 20 else "INT8"
        tensors[index] = m.tensor(what, shape, kind, data=np.ones(shape, np.int8 if kind == "INT8" else
                                                                np.int32 if kind == "INT32" else np.int16),
                                  scale=0.01)
    y = m.tensor("output", [*seq, h], kind, scale=out_scale, zp=out_zp)
    opts = options("UnidirectionalSequenceLSTMOptionsT", fusedActivationFunction=S.ActivationFunctionType.TANH,
                   cellClip=case.clip, projClip=0.0, timeMajor=case.time_major, asymmetricQuantizeInputs=False)
    m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", tensors, [y], opts, "UnidirectionalSequenceLSTMOptions")
    return m.build([x], [y])


def quantized(path) -> Model:
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    return Model(module, path.stem)


def random_input(rng: np.random.Generator, case: Case, kind: str) -> np.ndarray:
    """A [batch, steps, features] (or time-major) input uniform over the whole int8 / int16 range."""
    shape = [case.steps, case.batch, case.features] if case.time_major else [case.batch, case.steps, case.features]
    info = np.iinfo(np.int16 if kind == "INT16" else np.int8)
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(info.dtype)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("index", range(len(CASES)))
def test_interpreter_equals_tflite_micro(tmp_path, index, kind):
    case = CASES[index]
    data = lstm_model(case, seed=index, kind=kind)
    path = tmp_path / f"lstm{index}.tflite"
    path.write_bytes(data)
    model = quantized(path)
    (op,) = [op for op in model.module.walk() if op.name == "cmsis.lstm"]
    assert (op.time_major is not None) == case.time_major
    assert op.kernel_function(HOST_PATH) == f"arm_lstm_unidirectional_s{kind.removeprefix('INT')}"
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(100 + index)
    for _ in range(3):
        x = random_input(rng, case, kind)
        tflm.set_input(x, 0)
        tflm.invoke()
        expected = tflm.get_output(0)
        (ours,) = run_function(model.module, [x])
        np.testing.assert_array_equal(ours, expected, err_msg=str(case))
        tflm.reset()  # TFLite Micro keeps variable tensors between invocations; the kernel starts from zero


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Every case in one host program per library (host_programs; the sources built with ASan and UBSan)."""
    tmp = tmp_path_factory.mktemp("lstm")
    modules = {}
    for kind in KINDS:
        for index, case in enumerate(CASES):
            path = tmp / f"lstm{kind}_{index}.tflite"
            path.write_bytes(lstm_model(case, seed=index, kind=kind))
            modules[f"lstm{kind}_{index}"] = import_model(str(path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CFLAGS", "-fsanitize=address,undefined -fno-sanitize-recover=all -pedantic -Wconversion")
        return build_programs(tmp, modules)


@pytest.mark.parametrize("library", LIBRARIES)
def test_host_programs_equal_the_interpreter(programs, library, tmp_path):
    program = program_for(programs, library)
    for kind in KINDS:
        for index, case in enumerate(CASES):
            path = tmp_path / f"lstm{kind}_{index}.tflite"
            path.write_bytes(lstm_model(case, seed=index, kind=kind))
            x = random_input(np.random.default_rng(200 + index), case, kind)
            (expected,) = quantized(path).interpret(x)
            got = run_program(program, f"lstm{kind}_{index}", [x], x.dtype.type).reshape(expected.shape)
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected, err_msg=f"{library} {kind} {case}")


def test_the_state_is_op_scratch_of_three_int16_buffers(tmp_path):
    """temp1, temp2 and the cell state: 3 x batch x hidden int16 values, planned for the LSTM's step only."""
    case = CASES[1]
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(case, seed=1))
    model = quantized(path).run("default")
    plan = model.plan()
    (op,) = [op for op in model.module.walk() if op.name == "cmsis.lstm"]
    region = plan.scratch(op)
    assert region is not None and region.size == 3 * case.batch * case.hidden * 2
    assert region.offset is not None and region.offset % 2 == 0


@pytest.mark.parametrize("extra, what", [
    ({9: "cell_to_input"}, "peephole connections"),
    ({16: "projection"}, "a projection layer"),
    ({20: "input_layer_norm"}, "layer normalisation"),
])
def test_what_the_kernel_lacks_is_refused_with_one_located_line(tmp_path, extra, what):
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(CASES[0], seed=0, extra=extra))
    with pytest.raises(CompileError) as refused:
        import_model(str(path))
    message = str(refused.value)
    assert "\n" not in message and "'output' (UNIDIRECTIONAL_SEQUENCE_LSTM)" in message
    assert f"{what} is not supported" in message and "arm_lstm_unidirectional_s8" in message


def test_a_16x8_lstm_with_int32_biases_is_refused(tmp_path):
    """TFLite Micro's 16x8 LSTM reads its biases as int64; TensorFlow's MLIR quantizer writes them as int32
    (tests/data/tflite/make_models.py). Such a model is refused with one located line, not given a wrong number."""
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(CASES[0], seed=0, kind="INT16", bias_kind="INT32"))
    with pytest.raises(CompileError) as refused:
        Model.load(path).run("quantize")
    message = str(refused.value)
    assert "\n" not in message
    assert "(nn.lstm): its bias is not an int64 quantized constant (TFLite's 16x8 LSTM bias)" in message


def test_a_float_lstm_has_no_cell_state_scale_and_is_refused_naming_the_layer():
    """nn.lstm without cell_scale (a float model) cannot take TFLite's int8 parameters."""
    text = """
    func.func @f(%x: tensor<1x2x1x!quant.uniform<i8:f32, 0.02:0>>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.01:0>> {
      %xf = nn.dequantize %x : (tensor<1x2x1x!quant.uniform<i8:f32, 0.02:0>>) -> tensor<1x2x1xf32>
      %w = nn.constant {value = dense<1> : tensor<4x1xi8>} : tensor<4x1x!quant.uniform<i8:f32, 0.01:0>>
      %wf = nn.dequantize %w : (tensor<4x1x!quant.uniform<i8:f32, 0.01:0>>) -> tensor<4x1xf32>
      %b = nn.constant {value = dense<0> : tensor<4xi32>} : tensor<4x!quant.uniform<i32:f32, 0.0002:0>>
      %bf = nn.dequantize %b : (tensor<4x!quant.uniform<i32:f32, 0.0002:0>>) -> tensor<4xf32>
      %y = nn.lstm %xf, %wf, %wf, %bf {cell_activation = "tanh", cell_clip = 0.0 : f32, layer = "rnn"}
           : (tensor<1x2x1xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4xf32>) -> tensor<1x2x1xf32>
      %q = nn.quantize %y {layer = "rnn"} : (tensor<1x2x1xf32>) -> tensor<1x2x1x!quant.uniform<i8:f32, 0.01:0>>
      func.return %q : tensor<1x2x1x!quant.uniform<i8:f32, 0.01:0>>
    }
    """
    with pytest.raises(CompileError, match=r"layer 'rnn' \(nn.lstm\): the int16 cell state's scale is unknown"):
        Model.from_text(text).run("quantize")


def lstm_events(case: Case, element: int = 1):
    """arm_lstm_unidirectional_s8's (element 1) or _s16's (element 2 bytes) loop nest as ("r", input byte) /
    ("w", output byte) events: per step, each of the four gates reads every batch's input row, then every
    batch's output row is written."""
    b, t, i, h = case.batch, case.steps, case.features * element, case.hidden * element

    def row(batch: int, step: int, width: int) -> range:
        start = (step * b + batch if case.time_major else batch * t + step) * width
        return range(start, start + width)

    for step in range(t):
        for _gate in range(GATES):
            for batch in range(b):
                yield from (("r", byte) for byte in row(batch, step, i))
        for batch in range(b):
            yield from (("w", byte) for byte in row(batch, step, h))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("index", range(len(CASES)))
def test_access_order_is_the_byte_replay_and_tight(tmp_path, index, kind):
    """The output may start max_safe_delta bytes past the input's start: no input byte is read after an output
    byte landed on it; one byte later, one is (the model is exact)."""
    from test_kernels_bruteforce import overwritten_read

    case = CASES[index]
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(case, seed=index, kind=kind))
    (op,) = [op for op in quantized(path).module.walk() if op.name == "cmsis.lstm"]
    delta = op.max_safe_delta(HOST_PATH)
    assert delta is not None
    events = list(lstm_events(case, 2 if kind == "INT16" else 1))
    assert not overwritten_read(events, delta)
    assert overwritten_read(events, delta + 1)


def test_an_onnx_lstm_is_refused_with_the_reason_and_one_line(tmp_path):
    """ONNX LSTM (float, or between QDQ pairs as onnxruntime leaves it): no cell state scale to map onto the
    kernel; one error line naming the node, exit 1, nothing written."""
    onnx = pytest.importorskip("onnx")
    from conftest import run_tool
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(0, 0.5, shape).astype(np.float32), name)
             for name, shape in (("W", (1, 16, 3)), ("R", (1, 16, 4)))]
    node = helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="rnn", hidden_size=4)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5, 1, 1, 4])], inits)
    path = tmp_path / "lstm.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    proc = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "node 'rnn' (LSTM)" in lines[0]
    assert "arm_lstm_unidirectional_s8" in lines[0] and "UNIDIRECTIONAL_SEQUENCE_LSTM" in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("inplace", ["on", "off"])
def test_kws_lstm_host_program_exact_in_place_on_and_off(tmp_path, inplace, library):
    """The keyword LSTM model (tests/data/tflite) with and without in-place overlap against TFLite Micro."""
    from conftest import ROOT
    from host_programs import compile_host

    model = ROOT / "tests" / "data" / "tflite" / "kws_lstm.int8.tflite"
    extra = ["--no-inplace"] if inplace == "off" else []
    program = compile_host(model, tmp_path / "out", "net", library, *extra)
    ref = np.load(model.with_suffix(".npz"))
    run = subprocess.run([str(program)], input=ref["input_0"].tobytes(), capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    np.testing.assert_array_equal(np.frombuffer(run.stdout, np.int8), ref["output_0"].reshape(-1))


def test_an_arena_aligned_to_one_byte_is_refused(tmp_path):
    """The kernel's int16 gate buffers and cell state need an even address (a Cortex-M0 faults otherwise)."""
    from conftest import ROOT, run_tool

    model = ROOT / "tests" / "data" / "tflite" / "lstm.int8.tflite"
    proc = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"), "--alignment", "1")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "(cmsis.lstm)" in lines[0] and "--alignment 2 or more" in lines[0]
    assert not (tmp_path / "out").exists()
