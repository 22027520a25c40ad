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
        ("input x: 1x4x4x2\nc = conv(x, filters=2, colour=red)\n", "net:2:24", "unknown option colour="),
        ("input x: 1x4x4x2\nc = conv(x, filters=2, dilation=0)\n", "net:2:24", "dilation must be at least 1, got 0"),
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


# -- padding at least the window, options given twice ------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, where, message",
    [
        ("conv1 = conv(x, filters=8, kernel=5, pad=9)", "net:2:38",
         "layer 'conv1': pad 9 must be smaller than kernel 5: CMSIS-NN needs padding smaller than the window; "
         "use pad=4 or less"),
        ("c = conv(x, filters=8, kernel=3, pad=3)", "net:2:34", "pad 3 must be smaller than kernel 3"),
        ("c = conv(x, filters=8, kernel=3, kw=5, pad=3)", "net:2:40", "pad 3 must be smaller than kernel 3x5"),
        ("c = conv(x, filters=8, kernel=3, dilation=3, pad=7)", "net:2:46",
         "pad 7 must be smaller than the dilated kernel 7 (kernel 3, dilation 3): CMSIS-NN needs padding smaller "
         "than the window; use pad=6 or less"),
        ("d = dwconv(x, kernel=1, pad=1)", "net:2:25",
         "layer 'd': pad 1 must be smaller than kernel 1: CMSIS-NN needs padding smaller than the window; use pad=0"),
        ("p = maxpool(x, kernel=2, pad=3)", "net:2:26", "layer 'p': pad 3 must be smaller than kernel 2"),
        ("p = avgpool(x, kernel=3, stride=1, pad=3)", "net:2:36", "layer 'p': pad 3 must be smaller than kernel 3"),
    ],
)
def test_a_pad_not_smaller_than_the_window_is_an_error_at_the_pad(layer, where, message):
    """CMSIS-NN (as TFLite) needs padding < (kernel - 1) * dilation + 1 per axis (check_window in
    dialects/cmsis_conv.py): refused at import, at the `pad=` option, not by a pass after it."""
    name = layer.split(" ")[0]
    with pytest.raises(CompileError) as info:
        parse_net(f"input x: 1x16x16x3\n{layer}\noutput {name}\n", "net")
    assert info.value.where == where
    assert message in info.value.message


@pytest.mark.parametrize("layer", [
    "c = conv(x, filters=8, kernel=5, pad=4)",
    "c = conv(x, filters=8, kernel=3, dilation=3, pad=6)",  # the dilated window is 7
    "c = dwconv(x, kernel=3, kw=5, pad=2)",
    "c = maxpool(x, kernel=2, pad=1)",
    "c = avgpool(x, kernel=3, stride=2, pad=same, ceil=true)",
])
def test_a_pad_just_below_the_window_compiles(layer):
    from cmsis_opt.context import make_context
    from cmsis_opt.passes.quantize import QuantizePass

    module = parse_net(f"input x: 1x16x16x3\n{layer}\noutput c\n", "net")
    module.verify()
    QuantizePass().apply(make_context(), module)
    module.verify()  # the cmsis window ops' verifiers (padding < window) accept it


def test_ceil_mode_whose_far_pad_cmsis_nn_cannot_express_is_an_error_at_ceil():
    """kernel 2, stride 4, pad 1 on 5 pixels with ceil=true: the last window needs a far pad of 4."""
    with pytest.raises(CompileError) as info:
        parse_net("input x: 1x5x5x3\np = avgpool(x, kernel=2, stride=4, pad=1, ceil=true)\noutput p\n", "net")
    assert info.value.where == "net:2:43"
    assert info.value.message == (
        "layer 'p': ceil=true on input 5x5 with kernel 2, stride 4 needs a far-edge pad of 4; CMSIS-NN pools pad "
        "the far edge by at most pad + 1 (2) and less than the kernel; use ceil=false or a stride and pad whose "
        "windows end inside the input")


def test_a_negative_pad_layer_is_an_error_at_its_key():
    with pytest.raises(CompileError) as info:
        parse_net("input x: 1x5x5x3\np = pad(x, pad=-1)\noutput p\n", "net")
    assert (info.value.where, info.value.message) == ("net:2:12", "layer 'p': pad must be at least 0, got -1")


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("input x: 1x4x4x2\nconv1 = conv(x, filters=32, filters=8, kernel=3)\noutput conv1\n", "net:2:29",
         "layer 'conv1': 'filters' given twice (at 2:17 and here); give it once"),
        ("input x: 1x4x4x2, scale=0.5, zp=1, scale=0.25\nc = conv(x, filters=2)\noutput c\n", "net:1:36",
         "input 'x': 'scale' given twice (at 1:19 and here); give it once"),
        ("input x: 1x4x4x2\np = maxpool(x, kernel=2, kernel=2)\noutput p\n", "net:2:26",
         "layer 'p': 'kernel' given twice (at 2:16 and here); give it once"),
        # read by lark (a '\r'): the same places
        ("input x: 1x4x4x2\r\nconv1 = conv(x, filters=32, filters=8, kernel=3)\r\noutput conv1\r\n", "net:2:29",
         "layer 'conv1': 'filters' given twice (at 2:17 and here); give it once"),
    ],
)
def test_an_option_given_twice_is_an_error_at_its_second_place(text, where, message):
    with pytest.raises(CompileError) as info:
        parse_net(text, "net")
    assert (info.value.where, info.value.message) == (where, message)


def test_cli_reports_a_pad_as_large_as_the_kernel_in_one_located_line(tmp_path):
    from conftest import run_tool

    (tmp_path / "n.net").write_text("input x: 1x16x16x3\nconv1 = conv(x, filters=8, kernel=5, pad=9)\noutput conv1\n")
    result = run_tool("cmsis-compile", "n.net", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: n.net:2:38: layer 'conv1': pad 9 must be smaller than kernel 5: CMSIS-NN needs padding smaller than "
        "the window; use pad=4 or less"]
    assert not (tmp_path / "out").exists()
