"""The cmsis interpreter against TensorFlow Lite Micro, one random single-op TFLite model at a time.

Each model is built with the flatbuffer schema (the builder of
test_import_tflite), imported, lowered by --quantize, and run by both on
random int8 inputs: outputs must be identical. Scales, zero points, strides,
dilations, padding modes and fused activations are drawn at random per seed.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tflite_micro")

from test_import_tflite import S, TfliteModel, activation, options  # noqa: E402
from tflite_micro.python.tflite_micro import runtime  # noqa: E402

from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.frontends import import_model  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.passes.quantize import QuantizePass  # noqa: E402

SEEDS = range(4)


def _zp(rng) -> int:
    return int(rng.integers(-128, 128))


def elementwise(rng, kind: str) -> bytes:
    m, shape = TfliteModel(), [1, 4, 5, 3]
    s1, s2 = rng.uniform(0.005, 0.2, 2)
    a = m.tensor("a", shape, scale=s1, zp=_zp(rng))
    b = m.tensor("b", shape, scale=s2, zp=_zp(rng))
    out_scale = s1 * s2 * rng.uniform(5, 50) if kind == "MUL" else max(s1, s2) * rng.uniform(1, 3)
    y = m.tensor("y", shape, scale=out_scale, zp=_zp(rng))
    act = activation(str(rng.choice(["NONE", "RELU"])))
    opts = options(f"{kind.title()}OptionsT", fusedActivationFunction=act)
    m.op(kind, [a, b], [y], opts, f"{kind.title()}Options")
    return m.build([a, b], [y])


def convolution(rng, depthwise: bool) -> bytes:
    m, (h, w, c) = TfliteModel(), (9, 8, 3)
    in_scale = np.float32(rng.uniform(0.01, 0.1))
    x = m.tensor("x", [1, h, w, c], scale=in_scale, zp=_zp(rng))
    multiplier = int(rng.integers(1, 3))
    out_c = c * multiplier if depthwise else 5
    shape = [1, 3, 3, out_c] if depthwise else [out_c, 3, 3, c]
    w_scales = rng.uniform(0.002, 0.03, out_c).astype(np.float32)
    wt = m.tensor("w", shape, data=rng.integers(-127, 128, shape).astype(np.int8), scale=w_scales, axis=3 if depthwise else 0)
    bias = m.tensor("b", [out_c], "INT32", data=rng.integers(-3000, 3000, out_c).astype(np.int32),
                    scale=(in_scale * w_scales).astype(np.float32))
    stride, dilation = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    same = bool(rng.integers(0, 2))
    reach = 2 * dilation + 1
    out_hw = [-(-d // stride) for d in (h, w)] if same else [(d - reach) // stride + 1 for d in (h, w)]
    y = m.tensor("y", [1, *out_hw, out_c], scale=float(rng.uniform(0.02, 0.2)), zp=_zp(rng))
    common = dict(padding=S.Padding.SAME if same else S.Padding.VALID, strideH=stride, strideW=stride,
                  dilationHFactor=dilation, dilationWFactor=dilation,
                  fusedActivationFunction=activation(str(rng.choice(["NONE", "RELU", "RELU6"]))))
    if depthwise:
        opts = options("DepthwiseConv2DOptionsT", depthMultiplier=multiplier, **common)
        m.op("DEPTHWISE_CONV_2D", [x, wt, bias], [y], opts, "DepthwiseConv2DOptions")
    else:
        m.op("CONV_2D", [x, wt, bias], [y], options("Conv2DOptionsT", **common), "Conv2DOptions")
    return m.build([x], [y])


def pool(rng, kind: str) -> bytes:
    m, scale, zp = TfliteModel(), float(rng.uniform(0.01, 0.3)), _zp(rng)
    x = m.tensor("x", [1, 7, 6, 4], scale=scale, zp=zp)
    y = m.tensor("y", [1, 4, 3, 4], scale=scale, zp=zp)
    opts = options("Pool2DOptionsT", padding=S.Padding.SAME, strideH=2, strideW=2, filterHeight=3, filterWidth=3,
                   fusedActivationFunction=activation("NONE"))
    m.op(kind, [x], [y], opts, "Pool2DOptions")
    return m.build([x], [y])


def softmax(rng) -> bytes:
    m = TfliteModel()
    x = m.tensor("x", [1, 3, 10], scale=float(rng.uniform(0.01, 0.3)), zp=_zp(rng))
    y = m.tensor("y", [1, 3, 10], scale=1 / 256, zp=-128)
    m.op("SOFTMAX", [x], [y], options("SoftmaxOptionsT", beta=float(rng.uniform(0.3, 2.0))), "SoftmaxOptions")
    return m.build([x], [y])


MODELS = {
    "add": lambda rng: elementwise(rng, "ADD"),
    "mul": lambda rng: elementwise(rng, "MUL"),
    "conv": lambda rng: convolution(rng, depthwise=False),
    "depthwise": lambda rng: convolution(rng, depthwise=True),
    "max_pool": lambda rng: pool(rng, "MAX_POOL_2D"),
    "avg_pool": lambda rng: pool(rng, "AVERAGE_POOL_2D"),
    "softmax": softmax,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", MODELS)
def test_interpreter_equals_tflite_micro(tmp_path, kind, seed):
    rng = np.random.default_rng([seed, len(kind)])
    data = MODELS[kind](rng)
    path = tmp_path / f"{kind}.tflite"
    path.write_bytes(data)
    module = import_model(str(path))
    QuantizePass().apply(make_context(), module)
    assert any(op.name.startswith("cmsis.") for op in module.walk())
    tflm = runtime.Interpreter.from_bytes(data)
    func = next(iter(module.ops))
    for _ in range(3):
        inputs = [rng.integers(-128, 128, arg.type.get_shape()).astype(np.int8) for arg in func.body.block.args]
        for index, x in enumerate(inputs):
            tflm.set_input(x, index)
        tflm.invoke()
        (ours,) = run_function(module, inputs)
        np.testing.assert_array_equal(ours, tflm.get_output(0))
