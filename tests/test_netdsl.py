"""The `.net` experiment language: what it builds and how it reports mistakes."""

import pytest

from cmsis_opt.dialects import nn
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.netdsl import parse_net
from cmsis_opt.ir import parse_ir, print_ir
from conftest import ROOT

RESIDUAL = """
input x: 1x8x8x4, scale=0.05, zp=-3
a = conv(x, filters=4, kernel=3, pad=1, act=relu)
b = dwconv(a, kernel=3, pad=same, mult=1)
s = add(a, b)
c = concat(s, x, axis=c)
g = globalavgpool(c)
f = fc(g, units=5)
output f
"""


def _ops(module, cls):
    return [op for op in module.walk() if isinstance(op, cls)]


def test_cifar10_example_has_the_example_layers():
    module = parse_net((ROOT / "examples" / "cifar10_cmsis.net").read_text(), "cifar10_cmsis.net")
    module.verify()
    convs = _ops(module, nn.Conv2DOp)
    assert [c.results[0].type.get_shape() for c in convs] == [(1, 32, 32, 32), (1, 16, 16, 16), (1, 32, 8, 8)]
    pools = _ops(module, nn.MaxPoolOp)
    assert [p.results[0].type.get_shape()[2:] for p in pools] == [(16, 16), (8, 8), (4, 4)]
    assert len(_ops(module, nn.FullyConnectedOp)) == 1 and len(_ops(module, nn.SoftmaxOp)) == 1


def test_branches_by_name_and_text_round_trip():
    module = parse_net(RESIDUAL, "res.net")
    module.verify()
    add = _ops(module, nn.AddOp)[0]
    assert add.attributes["layer"].data == "s"
    assert _ops(module, nn.Conv2DOp)[1].group.value.data == 4  # depthwise as a grouped conv
    text = print_ir(module)
    assert print_ir(parse_ir(text).module) == text


def test_same_seed_same_weights_other_seed_other_weights():
    base = "seed 3\ninput x: 1x4x4x2\nc = conv(x, filters=2, kernel=1)\noutput c\n"
    assert print_ir(parse_net(base)) == print_ir(parse_net(base))
    assert print_ir(parse_net(base)) != print_ir(parse_net(base.replace("seed 3", "seed 4")))


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("input x: 1x4x4x2\nc = conv(x, filters=2 kernel=1)\n", "net:2:23", "syntax error"),
        ("input x: 1x4x4x2\nc = conv(y, filters=2)\noutput c\n", "net:2:1", "unknown input 'y'"),
        ("input x: 1x4x4x2\nc = conv(x)\noutput c\n", "net:2:1", "needs filters="),
        ("input x: 1x4x4x2\nc = conv(x, filters=2, colour=red)\n", "net:2:1", "unknown option colour="),
        ("input x: 1x4x4x2\nc = frob(x)\n", "net:2:1", "unknown layer kind 'frob'"),
        ("input x: 1x4x4x2\nc = conv(x, filters=2, kernel=9)\noutput c\n", "net:2:1", "smaller than the 9x9 window"),
        ("input x: 1x4x4x2\nc = add(x, x, x)\n", "net:2:1", "add takes 2 inputs"),
        ("input x: 1x4x4x2\nc = conv(x, filters=2)\noutput d\n", "net:3:8", "output 'd' is not a layer"),
        ("input x: 1x4x4x2\n", "net", "no output"),
    ],
)
def test_errors_point_at_line_and_column(text, where, message):
    with pytest.raises(CompileError) as info:
        parse_net(text, "net")
    assert info.value.where == where
    assert message in info.value.message
