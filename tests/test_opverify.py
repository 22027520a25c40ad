"""The short verification path (cmsis_opt.opverify): it takes the ops of a compiled model, and every error it
finds is worded by xDSL's own `Operation.verify`."""

import pytest
from xdsl.dialects.builtin import IntegerAttr, StringAttr, f32, i64
from xdsl.ir import Block

from cmsis_opt.context import make_context
from cmsis_opt.dialects import nn
from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import tensor_type
from cmsis_opt.frontends.netdsl import parse_net
from cmsis_opt.opverify import _short_path, verify_op
from cmsis_opt.passes.default import DefaultPipeline

NET = """input x: 1x8x8x4, scale=0.05, zp=-3
a = conv(x, filters=4, kernel=3, pad=1, act=relu)
b = dwconv(a, kernel=3, pad=same)
s = add(a, b)
c = concat(s, x, axis=c)
p = maxpool(c, kernel=2)
f = fc(p, units=5)
m = softmax(f)
output m
"""
# the ops Operation.verify checks in full: they hold a region, or end their block
FULL_PATH = {"builtin.module", "func.func", "func.return"}


def _paths(module) -> dict[str, set[bool]]:
    taken: dict[str, set[bool]] = {}
    for op in module.walk():
        taken.setdefault(op.name, set()).add(_short_path(op))
    return taken


def test_the_ops_of_a_model_take_the_short_path_before_and_after_planning():
    module = parse_net(NET, "net")
    for stage in ("imported", "planned"):
        taken = _paths(module)
        assert {name for name, paths in taken.items() if paths != {True}} == FULL_PATH, stage
        assert len(taken) > len(FULL_PATH) + 5, stage
        DefaultPipeline().apply(make_context(), module)


def _error(verify, op) -> str:
    with pytest.raises(Exception) as info:
        verify(op)
    return f"{type(info.value).__name__}: {info.value}"


def _input(shape=(1, 4, 4, 8)):
    return Block(arg_types=[tensor_type(UniformQuantizedType(0.1, 0), shape), tensor_type(f32, shape)]).args


@pytest.mark.parametrize("make", [
    # an operand too few (the count check)
    lambda: nn.DequantizeOp.create(operands=[], result_types=[tensor_type(f32, [1, 4, 4, 8])]),
    # a result that is no tensor (an operand constraint)
    lambda: nn.QuantizeOp.create(operands=[_input()[1]], result_types=[f32]),
    # a property of the wrong kind
    lambda: nn.ConcatOp.create(operands=list(_input()[1:]), result_types=[tensor_type(f32, [1, 4, 4, 8])],
                               properties={"axis": StringAttr("c")}),
    # a property no definition names
    lambda: nn.ConcatOp.create(operands=list(_input()[1:]), result_types=[tensor_type(f32, [1, 4, 4, 8])],
                               properties={"axis": IntegerAttr(1, i64), "colour": StringAttr("red")}),
    # the op's own verifier: the dequantized shape differs
    lambda: nn.DequantizeOp.create(operands=[_input()[0]], result_types=[tensor_type(f32, [1, 4, 4, 9])]),
])
def test_a_failing_op_gets_xdsls_own_error(make):
    op = make()
    assert not _safe_short_path(op)
    assert _error(verify_op, op) == _error(lambda o: o.verify(verify_nested_ops=False), op)


def _safe_short_path(op) -> bool:
    try:
        return _short_path(op)
    except Exception:  # a failing check: verify_op falls back to Operation.verify
        return False
