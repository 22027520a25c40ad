"""The `cmsis` dialect: one op per CMSIS-NN int8 kernel family, and the target a model is compiled for.

Activations are NHWC tensors of `!quant.uniform<i8:f32, scale:zp>`; each op
holds, as properties, exactly what its CMSIS-NN call takes (filters in OHWI /
1HWC / [out][in] layout, int32 biases, per-channel multipliers and shifts,
offsets, activation range, stride, padding, dilation). Offsets are redundant
with the zero points in the types, as they are in the CMSIS-NN call; the
verifiers check that they agree.

    %1 = cmsis.conv %0 {filter = dense<"0x..."> : tensor<8x3x3x3xi8>, bias = ..., multiplier = array<i32: ...>,
                        shift = array<i32: ...>, input_offset = 128 : i32, output_offset = -128 : i32,
                        act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>,
                        padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>}
         : (tensor<1x8x8x3x!quant.uniform<i8:f32, 0.5:-128>>) -> tensor<1x8x8x8x!quant.uniform<i8:f32, 0.25:-128>>

Each kernel op is a `KernelOp` (dialects/kernel.py): its class, in the module
of its kernel family beside this one, holds the kernel's dispatch, scratch,
access order, C call and integer semantics. The model's target is a
module attribute, set once (`--attach-target`, `cmsis-compile --target`):

    builtin.module attributes {cmsis.target = #cmsis.target<"cortex-m55", path = "mve", cmsis_nn = "7.0.0">} {...}
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Dialect, Operation, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from cmsis_opt import targets
from cmsis_opt.targets import BuildPath

from .accessors import fast_field_access
from .cmsis_activation import ActivationS16Op
from .cmsis_conv import ConvOp, DepthwiseConvOp, TransposeConvOp
from .cmsis_data import ConcatOp, PadOp, ReshapeOp, SliceOp, TransposeOp
from .cmsis_elementwise import AddOp, MulOp, SoftmaxOp
from .cmsis_fully_connected import FullyConnectedBase, FullyConnectedOp, FullyConnectedPerChannelOp
from .cmsis_lstm import LstmOp
from .cmsis_lut import LutOp, LutS16Op, SoftmaxS16TableOp
from .cmsis_patch import PatchStageOp, YieldOp
from .cmsis_pool import AvgPoolOp, MaxPoolOp
from .cmsis_reduce import MeanOp
from .cmsis_requantize import RequantizeOp
from .kernel import CmsisOp, IsView, KernelOp, kernel_ops, view_source

TARGET_ATTR = "cmsis.target"
"""The module attribute that holds the `TargetAttr`."""


@irdl_attr_definition
class TargetAttr(ParametrizedAttribute):
    """`#cmsis.target<"cortex-m55", path = "mve", cmsis_nn = "7.0.0">`: the core, its CMSIS-NN build path and
    the CMSIS-NN release the plan assumes. The path is the core's (cmsis_opt.targets.CORES)."""

    name = "cmsis.target"

    core_attr: StringAttr
    path_attr: StringAttr
    cmsis_nn_attr: StringAttr

    def __init__(self, core: str, cmsis_nn: str = targets.CMSIS_NN_VERSION):
        super().__init__(StringAttr(core), StringAttr(targets.core(core).path), StringAttr(cmsis_nn))

    @property
    def core(self) -> str:
        return self.core_attr.data

    @property
    def path(self) -> BuildPath:
        return targets.core(self.core).path

    @property
    def cmsis_nn(self) -> str:
        return self.cmsis_nn_attr.data

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list:
        with parser.in_angle_brackets():
            core = parser.parse_str_literal()
            fields = {"path": None, "cmsis_nn": targets.CMSIS_NN_VERSION}
            while parser.parse_optional_punctuation(",") is not None:
                key_at = parser.pos
                key = parser.parse_identifier()
                if key not in fields:
                    parser.raise_error(f"unknown field '{key}' (known: path, cmsis_nn)", key_at, parser.pos)
                parser.parse_punctuation("=")
                fields[key] = parser.parse_str_literal()
        path = fields["path"]
        if path is None:
            found = targets.CORES.get(core)
            path = found.path if found else ""
        return [StringAttr(core), StringAttr(path), StringAttr(fields["cmsis_nn"] or "")]

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f'<"{self.core}", path = "{self.path_attr.data}", cmsis_nn = "{self.cmsis_nn}">')

    def verify(self) -> None:
        found = targets.CORES.get(self.core)
        if found is None:
            raise VerifyException(
                f"cmsis.target: unknown core '{self.core}'{targets.did_you_mean(self.core, tuple(targets.CORES))}; "
                f"known: {', '.join(targets.CORES)}"
            )
        if self.path_attr.data != found.path:
            raise VerifyException(
                f'cmsis.target: {self.core} runs the CMSIS-NN path "{found.path}", not "{self.path_attr.data}"'
            )
        if not self.cmsis_nn:
            raise VerifyException("cmsis.target: cmsis_nn must name a CMSIS-NN release, e.g. \"7.0.0\"")


def target_of(op: Operation) -> TargetAttr | None:
    """The target recorded on the module that holds `op` (or on `op` itself, a module), if any."""
    module = op if isinstance(op, ModuleOp) else op.get_toplevel_object()
    attr = module.attributes.get(TARGET_ATTR) if isinstance(module, Operation) else None
    return attr if isinstance(attr, TargetAttr) else None


OPS = [ConvOp, DepthwiseConvOp, TransposeConvOp, FullyConnectedOp, MaxPoolOp, AvgPoolOp, SoftmaxOp, AddOp, MulOp, PadOp,
       ConcatOp, TransposeOp, ReshapeOp, LutOp, MeanOp, RequantizeOp, FullyConnectedPerChannelOp, PatchStageOp,
       LstmOp, SliceOp, ActivationS16Op, LutS16Op, SoftmaxS16TableOp]

CMSIS = fast_field_access(Dialect("cmsis", [*OPS, YieldOp], [TargetAttr]))

__all__ = [
    "CMSIS",
    "OPS",
    "TARGET_ATTR",
    "ActivationS16Op",
    "AddOp",
    "AvgPoolOp",
    "CmsisOp",
    "ConcatOp",
    "ConvOp",
    "DepthwiseConvOp",
    "FullyConnectedBase",
    "FullyConnectedOp",
    "FullyConnectedPerChannelOp",
    "IsView",
    "KernelOp",
    "LstmOp",
    "LutOp",
    "LutS16Op",
    "SoftmaxS16TableOp",
    "MaxPoolOp",
    "MeanOp",
    "MulOp",
    "PadOp",
    "PatchStageOp",
    "ReshapeOp",
    "RequantizeOp",
    "SliceOp",
    "SoftmaxOp",
    "TargetAttr",
    "TransposeOp",
    "YieldOp",
    "kernel_ops",
    "target_of",
    "view_source",
]
