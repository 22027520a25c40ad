"""The `quant` dialect: uniformly quantized element types, spelled as in MLIR.

    !quant.uniform<i8:f32, 0.0039215688593685627:-128>            per tensor
    !quant.uniform<i8<-127:127>:f32:0, {0.5:0, 0.25:0}>           per axis 0

`real = (stored - zero_point) * scale`. Scales are float32 values (TFLite
stores them so); they print as the shortest decimal that reads back to the
same double, so a round trip through text keeps every bit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatData,
    IntAttr,
    IntegerType,
    Signedness,
    TensorType,
    f32,
    i8,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException


def format_float(value: float) -> str:
    """A float literal the xDSL lexer reads back to exactly `value`."""
    text = repr(float(value))
    mantissa, sep, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + sep + exponent


_F32_OVERFLOW = 2.0**128 * (1 - 2.0**-25)
"""The least magnitude that rounds to infinity in float32 (FLT_MAX plus half its last place)."""


def as_f32(value: float | np.floating) -> float:
    """`value` rounded to float32 (to nearest, even), as a Python float; beyond float32's range, +-inf.

    The range is checked first: numpy's cast gives the same infinity but prints a RuntimeWarning on stderr.
    """
    value = float(value)  # a numpy scalar compared with the bound would cast the bound to its own type
    if abs(value) >= _F32_OVERFLOW:
        return math.copysign(math.inf, value)
    return float(np.float32(value))


# Doubles in [FLT_MIN, 3.4e38] round to a positive, finite float32 (FLT_MAX is 3.4028235e38), so the verifier
# converts only scales outside it (tiny, huge, NaN, <= 0) to find what float32 makes of them.
_F32_SAFE_LOW = 1.1754943508222875e-38
_F32_SAFE_HIGH = 3.4e38


@functools.cache
def _int_attr(value: int) -> IntAttr:
    """IntAttr(value), built once per value: zero points and storage bounds repeat in every type."""
    return IntAttr(value)


def _storage_bounds(storage: IntegerType) -> tuple[int, int]:
    width = storage.width.data
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def _type_name(storage: IntegerType) -> str:
    prefix = {Signedness.SIGNED: "si", Signedness.UNSIGNED: "ui"}.get(storage.signedness.data, "i")
    return f"{prefix}{storage.width.data}"


def _parse_storage(parser: AttrParser) -> tuple[IntegerType, int, int]:
    storage = parser.parse_type()
    if not isinstance(storage, IntegerType):
        parser.raise_error("expected an integer storage type such as i8")
    low, high = _storage_bounds(storage)
    if parser.parse_optional_punctuation("<") is not None:
        low = parser.parse_integer(allow_boolean=False)
        parser.parse_punctuation(":")
        high = parser.parse_integer(allow_boolean=False)
        parser.parse_punctuation(">")
    return storage, low, high


def _parse_scale_zp(parser: AttrParser) -> tuple[float, int]:
    scale = float(parser.parse_number())
    zero_point = 0
    if parser.parse_optional_punctuation(":") is not None:
        zero_point = parser.parse_integer(allow_boolean=False)
    return scale, zero_point


def _verify_common(
    storage: IntegerType, low: int, high: int, scales: Sequence[float], zps: Sequence[int]
) -> None:
    if storage.width.data not in (4, 8, 16, 32, 64) or storage.signedness.data == Signedness.UNSIGNED:
        raise VerifyException(
            f"quant.uniform: storage type must be i4, i8, i16, i32 or i64, got {_type_name(storage)}"
        )
    lo, hi = _storage_bounds(storage)
    if not lo <= low <= high <= hi:
        raise VerifyException(
            f"quant.uniform: storage range [{low}, {high}] is not inside [{lo}, {hi}]"
        )
    for scale in scales:
        if _F32_SAFE_LOW <= scale <= _F32_SAFE_HIGH:  # rounds to a positive finite float32: no conversion needed
            continue
        if not (math.isfinite(as_f32(scale)) and as_f32(scale) > 0):  # scales are float32
            why = "must be a positive finite number"
            if math.isfinite(scale) and scale > 0:  # a real positive number that float32 cannot hold
                why = ("is 0 in float32, where scales are held (it underflows)" if as_f32(scale) == 0
                       else "is infinite in float32, where scales are held (it overflows)")
            raise VerifyException(f"quant.uniform: scale {why}, got {scale}")
    for zp in zps:
        if not low <= zp <= high:
            raise VerifyException(
                f"quant.uniform: zero point {zp} is outside the storage range [{low}, {high}]"
            )


@irdl_attr_definition
class UniformQuantizedType(ParametrizedAttribute, TypeAttribute):
    """Scale and zero point for a whole tensor, or one pair per index of `axis`."""

    name = "quant.uniform"

    storage_type: IntegerType
    storage_min: IntAttr
    storage_max: IntAttr
    expressed_type: Attribute
    axis_attr: IntAttr  # -1: one scale for the whole tensor
    scales_attr: ArrayAttr[FloatData]
    zero_points_attr: ArrayAttr[IntAttr]

    def __init__(
        self,
        scales: float | Sequence[float],
        zero_points: int | Sequence[int] = 0,
        axis: int | None = None,
        storage_type: IntegerType = i8,
        storage_min: int | None = None,
        storage_max: int | None = None,
        expressed_type: Attribute = f32,
    ):
        if isinstance(scales, int | float):
            scales = [scales]
        if isinstance(zero_points, int):
            zero_points = [zero_points] * len(scales)
        low, high = _storage_bounds(storage_type)
        super().__init__(
            storage_type,
            _int_attr(low if storage_min is None else int(storage_min)),
            _int_attr(high if storage_max is None else int(storage_max)),
            expressed_type,
            _int_attr(-1 if axis is None else int(axis)),
            ArrayAttr([FloatData(float(s)) for s in scales]),
            ArrayAttr([_int_attr(int(z)) for z in zero_points]),
        )

    @property
    def axis(self) -> int | None:
        return None if self.axis_attr.data < 0 else self.axis_attr.data

    @property
    def per_axis(self) -> bool:
        return self.axis_attr.data >= 0

    @property
    def scales(self) -> list[float]:
        return [s.data for s in self.scales_attr.data]

    @property
    def zero_points(self) -> list[int]:
        return [z.data for z in self.zero_points_attr.data]

    @property
    def scale(self) -> float:
        """The per-tensor scale (the first one of a per-axis type)."""
        return self.scales_attr.data[0].data

    @property
    def zero_point(self) -> int:
        return self.zero_points_attr.data[0].data

    @property
    def qmin(self) -> int:
        return self.storage_min.data

    @property
    def qmax(self) -> int:
        return self.storage_max.data

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            storage, low, high = _parse_storage(parser)
            parser.parse_punctuation(":")
            expressed = parser.parse_type()
            axis = -1
            if parser.parse_optional_punctuation(":") is not None:
                axis = parser.parse_integer(allow_boolean=False, allow_negative=False)
            parser.parse_punctuation(",")
            if axis < 0:
                pairs = [_parse_scale_zp(parser)]
            else:
                pairs = parser.parse_comma_separated_list(
                    parser.Delimiter.BRACES, lambda: _parse_scale_zp(parser)
                )
        return [
            storage,
            IntAttr(low),
            IntAttr(high),
            expressed,
            IntAttr(axis),
            ArrayAttr([FloatData(s) for s, _ in pairs]),
            ArrayAttr([IntAttr(z) for _, z in pairs]),
        ]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.storage_type)
            if (self.qmin, self.qmax) != _storage_bounds(self.storage_type):
                printer.print_string(f"<{self.qmin}:{self.qmax}>")
            printer.print_string(":")
            printer.print_attribute(self.expressed_type)
            pairs = [f"{format_float(s)}:{z}" for s, z in zip(self.scales, self.zero_points, strict=True)]
            if self.per_axis:
                printer.print_string(f":{self.axis}, {{{', '.join(pairs)}}}")
            else:
                printer.print_string(f", {pairs[0]}")

    def verify(self) -> None:
        if len(self.scales) != len(self.zero_points) or not self.scales:
            raise VerifyException("quant.uniform: needs one zero point per scale")
        if not self.per_axis and len(self.scales) != 1:
            raise VerifyException("quant.uniform: a per-tensor type has exactly one scale")
        _verify_common(self.storage_type, self.qmin, self.qmax, self.scales, self.zero_points)


def quant_of(type_: Attribute) -> UniformQuantizedType | None:
    """The quantized element type of a tensor type, if it has one."""
    if isinstance(type_, TensorType) and isinstance(type_.element_type, UniformQuantizedType):
        return type_.element_type
    return None


Quant = Dialect("quant", [], [UniformQuantizedType])
