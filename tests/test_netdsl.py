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


# -- the line reader and lark read every text alike --------------------------------------------------------------

_SPELLINGS = [
    RESIDUAL,
    "seed 7\n\tinput x: 1x4x4x2,scale=5e-3 , zp=+3  # a comment\n\n# only a comment\n"
    "c=conv( x ,filters=2,kernel=1x1,pad=same)\noutput c , x\n",
    "input in.put_1: 1x16, scale=.5, zp=-128\nf = fc(in.put_1, units=4, act=relu6)\noutput f",
    "input x: 1x4x4x2\nc = conv(x, filters=2.5e+1, scale=1., zp=-0)\noutput c\n",
]

# texts the line reader leaves to lark: a keyword as a name's prefix, '\r', an empty argument list, a bad token
_DECLINED = [
    "input x: 1x4x4x2\nseedling = conv(x, filters=2)\noutput seedling\n",
    "input x: 1x4x4x2\r\nc = conv(x, filters=2)\r\noutput c\r\n",
    "input x: 1x4x4x2\nc = globalavgpool()\noutput c\n",
    "input x: 1x4x4x2\nc = conv(x, filters=2 kernel=1)\n",
    "input x: 1x4x4x2\nc = conv(x, filters=2, kernel=1x)\n",
    "seed 1.5\ninput x: 1x4x4x2\n",
    "output\n",
    "input x 1x4x4x2\n",
]


def _net_files():
    import importlib.util

    spec = importlib.util.spec_from_file_location("compile_time", ROOT / "bench" / "compile_time.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    chain_net = bench.chain_net
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in sorted(ROOT.glob("**/*.net")) if ".venv" not in p.parts}
    texts["chain of 50"] = chain_net(50)
    texts["1x1 chain of 5"] = chain_net(5, kernel=1)
    return texts


@pytest.mark.parametrize("text", [*_net_files().values(), *_SPELLINGS], ids=[*_net_files(), *map(str, range(4))])
def test_line_reader_reads_as_the_grammar_does(text):
    """Every statement, word, argument, line and column the line reader gives is the one lark's parse gives."""
    from cmsis_opt.frontends.netdsl import _read_lark, _read_lines

    fast = _read_lines(text)
    assert fast is not None, "the line reader declined a text in the common spelling"
    assert fast == _read_lark(text, "net")


@pytest.mark.parametrize("text", _DECLINED)
def test_line_reader_leaves_other_texts_to_lark(text):
    from cmsis_opt.frontends.netdsl import _read_lark, _read_lines

    assert _read_lines(text) is None
    try:
        expected = _read_lark(text, "net")
    except CompileError as error:
        with pytest.raises(CompileError) as info:
            parse_net(text, "net")
        assert (info.value.where, info.value.message) == (error.where, error.message)
    else:
        assert expected  # lark reads it: parse_net goes on from lark's statements
