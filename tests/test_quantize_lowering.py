"""The lowered cmsis graph computes what the QDQ nn graph means.

Each network (one requantizing layer on every path, so that rounding
differences cannot compound, except conv -> fc) is written in the `.net` language (NHWC, imported to the nn QDQ
form with the exporter's transposes), run once as float QDQ semantics and
once as the integer cmsis ops `--quantize` produced: fixed-point and float
requantization may differ by one step, never more.
"""

from __future__ import annotations

import numpy as np
import pytest

from cmsis_opt.context import make_context
from cmsis_opt.dialects import cmsis
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.netdsl import parse_net
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.passes.quantize import QuantizePass

NETWORKS = {
    "conv_pool_fc": """
        seed 3
        input x: 1x8x8x3, scale=0.05, zp=-5
        c = conv(x, filters=6, kernel=3, pad=1, act=relu, scale=0.08, zp=-128)
        p = maxpool(c, kernel=2)
        f = fc(p, units=5, scale=0.2, zp=3)
        output f
    """,
    "depthwise_relu6_avgpool": """
        seed 4
        input x: 1x9x9x4, scale=0.04, zp=2
        d = dwconv(x, kernel=3, stride=2, pad=1, mult=2, act=relu6, scale=0.03, zp=-128)
        a = avgpool(d, kernel=2, stride=1)
        output a
    """,
    "add_concat": """
        seed 5
        input x: 1x6x6x4, scale=0.05, zp=0
        input y: 1x6x6x4, scale=0.03, zp=-7
        s = add(x, y, act=relu)
        k = concat(s, x)
        output k
    """,
    "mul": """
        seed 5
        input x: 1x6x6x4, scale=0.05, zp=0
        input y: 1x6x6x4, scale=0.03, zp=-7
        m = mul(x, y, scale=0.1, zp=2)
        output m
    """,
    "pad_global_pool_softmax": """
        seed 6
        input x: 1x5x5x3, scale=0.05, zp=-10
        p = pad(x, pad=1)
        c = conv(p, filters=4, kernel=3, scale=0.1, zp=0)
        g = globalavgpool(c)
        f = fc(g, units=6, scale=0.15, zp=0)
        s = softmax(f)
        output s
    """,
}


def lowered(text: str):
    module = parse_net(text)
    reference = parse_net(text)
    QuantizePass().apply(make_context(), module)
    module.verify()
    return reference, module


@pytest.mark.parametrize("name", NETWORKS)
def test_lowering_matches_qdq_semantics_within_one_step(name):
    reference, module = lowered(NETWORKS[name])
    ops = [op for op in module.walk() if op.name.startswith(("nn.", "cmsis."))]
    assert ops and all(op.name.startswith("cmsis.") for op in ops)
    assert all("layer" in op.attributes for op in ops)
    args = module.ops.first.body.block.args
    rng = np.random.default_rng(0)
    for _ in range(3):
        xs = [rng.integers(-128, 128, size=arg.type.get_shape(), dtype=np.int8) for arg in args]
        (expected,) = run_function(reference, xs)
        (actual,) = run_function(module, xs)
        assert actual.shape == expected.shape
        diff = np.abs(actual.astype(np.int32) - expected.astype(np.int32))
        assert diff.max() <= 1, f"{name}: {diff.max()} steps apart"


def test_transposes_leave_no_trace_in_nhwc_graphs():
    _, module = lowered(NETWORKS["conv_pool_fc"])
    names = [op.name for op in module.ops.first.body.block.ops]
    assert names == ["cmsis.conv", "cmsis.max_pool", "cmsis.reshape", "cmsis.fully_connected", "func.return"]


def test_depthwise_filter_is_1hwc_with_channel_multiplier():
    _, module = lowered(NETWORKS["depthwise_relu6_avgpool"])
    (dw,) = [op for op in module.walk() if isinstance(op, cmsis.DepthwiseConvOp)]
    assert dw.filter.get_shape() == (1, 3, 3, 8) and dw.channel_multiplier == 2
    # ReLU6 with scale 0.03, zp -128: act_max = -128 + round(6 / 0.03) = 72
    assert (dw.act_min.value.data, dw.act_max.value.data) == (-128, 72)


GROUPED = """
func.func @grouped(%x: tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>> {
  %xf = nn.dequantize %x : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x4xf32>
  %t = nn.transpose %xf {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %w = nn.constant {value = dense<1> : tensor<4x2x1x1xi8>} : tensor<4x2x1x1x!quant.uniform<i8<-127:127>:f32, 0.25:0>>
  %wf = nn.dequantize %w : (tensor<4x2x1x1x!quant.uniform<i8<-127:127>:f32, 0.25:0>>) -> tensor<4x2x1x1xf32>
  %c = nn.conv2d %t, %wf {layer = "grouped", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %q = nn.quantize %c {layer = "grouped"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>
  %o = nn.transpose %q {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>
  func.return %o : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:0>>
}
"""


def test_grouped_convolution_is_an_error_naming_the_layer():
    module = parse_ir(GROUPED).module
    with pytest.raises(CompileError, match="layer 'grouped'.*2 groups of 2 channels"):
        QuantizePass().apply(make_context(), module)
