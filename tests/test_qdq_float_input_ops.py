"""QDQ models whose float graph input passes through ops before its first QuantizeLinear (quantize_static may
leave a MaxPool or a Transpose there): an op that gives the same int8 codes whether the quantization runs
before or after it (a MaxPool: QuantizeLinear is monotone, so the code of the max is the max of the codes; a
Transpose or Reshape moves values) lets the C API take the int8 input at that QuantizeLinear's scale, and the
results equal onnxruntime's exactly on the pool (1 LSB per quantized layer after it: the convolution). Any
other op there (an AveragePool rounds differently once its input is quantized) is one error naming it.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import run_tool
from onnx import TensorProto, helper, numpy_helper

from onnx_oracle import assert_within_steps, int8_io, kernels, quantized

pytest.importorskip("onnxruntime")


def model_with(first: list, rng) -> onnx.ModelProto:
    """x [1, 3, 8, 8] float -> `first` (reading "x", writing "p") -> QuantizeLinear -> DequantizeLinear ->
    Conv 3x3 to 5 channels (int8 weights, int32 bias) -> QuantizeLinear -> DequantizeLinear -> y."""
    s_x, s_w, s_y = 0.02, 0.01, 0.05
    w = rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8)
    b = rng.integers(-500, 500, 5).astype(np.int32)
    inits = [numpy_helper.from_array(np.float32(v), k) for k, v in (("s_x", s_x), ("s_w", s_w), ("s_y", s_y),
                                                                     ("s_b", np.float32(s_x) * np.float32(s_w)))]
    inits += [numpy_helper.from_array(np.int8(z), k) for k, z in (("z_x", 3), ("z_w", 0), ("z_y", -5))]
    inits += [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
              numpy_helper.from_array(np.int32(0), "z_b")]
    node = helper.make_node
    nodes = [*first,
             node("QuantizeLinear", ["p", "s_x", "z_x"], ["pq"], name="p_q"),
             node("DequantizeLinear", ["pq", "s_x", "z_x"], ["pd"], name="p_dq"),
             node("DequantizeLinear", ["w", "s_w", "z_w"], ["wd"], name="w_dq"),
             node("DequantizeLinear", ["b", "s_b", "z_b"], ["bd"], name="b_dq"),
             node("Conv", ["pd", "wd", "bd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             node("QuantizeLinear", ["c", "s_y", "z_y"], ["cq"], name="c_q"),
             node("DequantizeLinear", ["cq", "s_y", "z_y"], ["y"], name="y_dq")]
    shape = [1, 5, 4, 4] if any(n.op_type.endswith("Pool") for n in first) else [1, 5, 8, 8]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


FIRST = {
    "maxpool": [helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2])],
    "transpose_maxpool": [
        helper.make_node("Transpose", ["x"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["t"], ["u"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("MaxPool", ["u"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2])],
}


@pytest.mark.parametrize("form", FIRST)
def test_a_maxpool_before_the_first_quantize_runs_on_the_int8_input(tmp_path, form):
    path = str(tmp_path / f"{form}.onnx")
    onnx.save(model_with(FIRST[form], np.random.default_rng(1)), path)
    module = quantized(path)
    assert "cmsis.max_pool" in kernels(module)
    q_in, _, shape = int8_io(module)
    assert (q_in.scale, q_in.zero_point) == (float(np.float32(0.02)), 3)  # the QuantizeLinear's, after the pool
    rng = np.random.default_rng(2)
    assert_within_steps(path, module, [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(20)],
                        end_to_end=1)


def test_an_average_pool_before_the_first_quantize_is_one_error_naming_it(tmp_path):
    path = str(tmp_path / "avg.onnx")
    first = [helper.make_node("AveragePool", ["x"], ["p"], name="avg", kernel_shape=[2, 2], strides=[2, 2])]
    onnx.save(model_with(first, np.random.default_rng(1)), path)
    result = run_tool("cmsis-compile", path, "-o", str(tmp_path / "out"))
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert errors[0].startswith("error: pass 'quantize': layer 'avg' (nn.avg_pool): reads the float graph input "
                                "before its first QuantizeLinear"), errors[0]
    assert "--calibration" in errors[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "avg.c").exists()
