"""The one-step field accessors (`cmsis_opt.dialects.accessors`) read what xDSL's own accessors read."""

from __future__ import annotations

import pytest
from conftest import ROOT
from xdsl.irdl.operations import BaseAccessor, UniqueVariadicAccessor, VarIRConstruct

from cmsis_opt.context import make_context
from cmsis_opt.dialects.accessors import _FAST
from cmsis_opt.dialects.arena import ARENA
from cmsis_opt.dialects.cmsis import CMSIS
from cmsis_opt.dialects.nn import NN
from cmsis_opt.frontends import load
from cmsis_opt.passes.default import DefaultPipeline

FAST = tuple(_FAST.values())


def _fields(op):
    return [(name, accessor) for name, accessor in vars(type(op)).items() if isinstance(accessor, FAST)]


def test_every_single_operand_and_result_field_of_our_dialects_is_fast():
    """What stays xDSL's: variadic fields (a slice of the operands) and regions."""
    fast = left = 0
    for dialect in (NN, CMSIS, ARENA):
        for cls in dialect.operations:
            for accessor in vars(cls).values():
                if isinstance(accessor, FAST):
                    fast += 1
                elif isinstance(accessor, BaseAccessor):
                    kept = isinstance(accessor, UniqueVariadicAccessor) or accessor.construct == VarIRConstruct.REGION
                    assert kept, (cls.name, type(accessor).__name__)
                    left += 1
    assert fast > 100 and left < 10


@pytest.mark.parametrize("model", ["examples/cifar10_cmsis.net", "examples/tiny_conv.mlir"])
def test_fast_fields_equal_xdsls_on_every_op_of_a_model_before_and_after_the_pipeline(model):
    module = load(str(ROOT / model)).module
    seen = 0
    for stage in ("imported", "planned"):
        if stage == "planned":
            DefaultPipeline().apply(make_context(), module)
        for op in module.walk():
            for name, accessor in _fields(op):
                generic = BaseAccessor.__get__(accessor, op)  # xDSL's path: OpOperands view, then index()
                assert getattr(op, name) is generic, (stage, op.name, name)
                seen += 1
    assert seen > 10


def test_an_absent_optional_operand_reads_none():
    from cmsis_opt.dialects import nn

    module = load(str(ROOT / "examples" / "cifar10_cmsis.net")).module
    conv = next(op for op in module.walk() if isinstance(op, nn.Conv2DOp))
    assert conv.bias is not None
    bare = nn.Conv2DOp(conv.input, conv.weight, None, conv.output.type, [1, 1], [1, 1, 1, 1], [1, 1])
    assert bare.bias is None and BaseAccessor.__get__(type(bare).__dict__["bias"], bare) is None
    with pytest.raises(NotImplementedError):
        bare.bias = conv.bias
