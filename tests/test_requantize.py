"""cmsis.requantize (our cmsis_opt_requantize_s8): TFLite's int8 -> int8 QUANTIZE bit for bit.

Single-op TFLite models with random scales and zero points against
tflite-micro, in the interpreter and in the C (runtime/ and Arm's CMSIS-NN);
and a softmax quantized by onnxruntime at 1/255 (arm_softmax_s8 writes 1/256,
then one requantization) within 1 LSB of onnxruntime (one quantized layer).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from cmsis_opt.context import make_context
from cmsis_opt.frontends import import_model
from cmsis_opt.interpreter import run_function
from cmsis_opt.passes.quantize import QuantizePass

pytest.importorskip("tflite_micro")

from host_programs import LIBRARIES, program_for  # noqa: E402
from onnx_oracle import int8_io, layer_differences  # noqa: E402
from test_import_tflite import TfliteModel  # noqa: E402
from tflm_oracle import check_program_against_tflm, tflite_programs, tflm_outputs  # noqa: E402


def quantize_model(rng, shape) -> bytes:
    """One int8 -> int8 QUANTIZE: scale ratio from 1/40 to 40, any zero points."""
    m = TfliteModel()
    s_in = float(rng.uniform(0.005, 0.5))
    x = m.tensor("x", list(shape), scale=s_in, zp=int(rng.integers(-128, 128)))
    y = m.tensor("y", list(shape), scale=s_in * float(np.exp(rng.uniform(-3.7, 3.7))), zp=int(rng.integers(-128, 128)))
    m.op("QUANTIZE", [x], [y])
    return m.build([x], [y])


SHAPES = [(1, 10), (1, 4, 5, 3), (1, 2, 7), (1, 1, 1, 1), (1, 300)]


@pytest.mark.parametrize("seed", range(6))
def test_tflite_int8_quantize_is_bit_exact(tmp_path, seed):
    rng = np.random.default_rng(seed)
    shape = SHAPES[seed % len(SHAPES)]
    data = quantize_model(rng, shape)
    path = tmp_path / "q.tflite"
    path.write_bytes(data)
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    assert [op.name for op in next(iter(module.ops)).body.block.ops if op.name.startswith("cmsis.")] == \
        ["cmsis.requantize"]
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(5)]
    inputs.append(np.arange(-128, 128, dtype=np.int8).repeat(-(-int(np.prod(shape)) // 256))[: int(np.prod(shape))]
                  .reshape(shape))
    for x, want in zip(inputs, tflm_outputs(data, inputs), strict=True):
        np.testing.assert_array_equal(run_function(module, [x])[0], want)


@pytest.fixture(scope="module")
def quantize_programs(tmp_path_factory):
    rng = np.random.default_rng(11)
    return tflite_programs(tmp_path_factory.mktemp("requantize"),
                           {f"q{k}": (quantize_model(rng, shape), shape) for k, shape in enumerate(SHAPES * 2)})


@pytest.mark.parametrize("library", LIBRARIES)
def test_tflite_int8_quantize_in_c_is_bit_exact(quantize_programs, library):
    programs, models = quantize_programs
    check_program_against_tflm(program_for(programs, library), models, np.random.default_rng(5), count=4)


def softmax_model(rng) -> onnx.ModelProto:
    """float x -> Q -> DQ -> Softmax -> Q(1/255, -128) -> DQ: what onnxruntime's quantize_static writes."""
    s_in = np.float32(rng.uniform(0.02, 0.2))
    inits = [helper.make_tensor("s_in", TensorProto.FLOAT, [], [s_in]),
             helper.make_tensor("zp_in", TensorProto.INT8, [], [int(rng.integers(-50, 50))]),
             helper.make_tensor("s_out", TensorProto.FLOAT, [], [np.float32(1 / 255)]),
             helper.make_tensor("zp_out", TensorProto.INT8, [], [-128])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_in", "zp_in"], ["xq"], name="xq"),
             helper.make_node("DequantizeLinear", ["xq", "s_in", "zp_in"], ["xd"], name="xd"),
             helper.make_node("Softmax", ["xd"], ["p"], name="softmax", axis=-1),
             helper.make_node("QuantizeLinear", ["p", "s_out", "zp_out"], ["pq"], name="pq"),
             helper.make_node("DequantizeLinear", ["pq", "s_out", "zp_out"], ["y"], name="y")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 12])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


@pytest.mark.parametrize("seed", range(4))
def test_softmax_at_onnxruntimes_scale_is_within_one_step(tmp_path, seed):
    """Allowance: 1 LSB (one quantized layer: the softmax and its requantization)."""
    rng = np.random.default_rng(seed)
    path = str(tmp_path / "softmax.onnx")
    onnx.save(softmax_model(rng), path)
    module = import_model(path)
    QuantizePass().apply(make_context(), module)
    _, _, shape = int8_io(module)
    inputs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(200)]
    differences = layer_differences(path, module, inputs)
    assert list(differences) == ["softmax"] and differences["softmax"] <= 1
