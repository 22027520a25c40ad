"""Small helpers shared by the dialects: numpy <-> dense attributes, shapes, checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    IntegerAttr,
    IntegerType,
    TensorType,
    f32,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import VerifyException

_NP_OF_WIDTH = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}


def numpy_dtype(element: Attribute) -> np.dtype:
    if isinstance(element, IntegerType):
        return np.dtype(_NP_OF_WIDTH[element.width.data])
    if isinstance(element, Float32Type):
        return np.dtype(np.float32)
    raise ValueError(f"no numpy type for {element}")


def element_of_dtype(dtype: np.dtype) -> IntegerType | Float32Type:
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return f32
    if dtype.kind == "i":
        return IntegerType(dtype.itemsize * 8)
    raise ValueError(f"unsupported constant dtype {dtype}")


def dense(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding `array`'s bytes (printed as hex when large)."""
    array = np.ascontiguousarray(array)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    element = element_of_dtype(array.dtype)
    data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return DenseIntOrFPElementsAttr(TensorType(element, array.shape), BytesAttr(data))


def to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The array held by a dense attribute (a read-only view, no copy)."""
    dtype = numpy_dtype(attr.get_element_type()).newbyteorder("<")
    shape = attr.get_shape()
    flat = np.frombuffer(attr.data.data, dtype=dtype)
    count = int(np.prod(shape)) if shape else 1
    if flat.size == 1 and count != 1:  # splat
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def i32_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i32, [int(v) for v in values])


def ints(attr: DenseArrayBase[IntegerType] | None) -> tuple[int, ...]:
    return () if attr is None else tuple(int(v) for v in attr.get_values())


def i32_attr(value: int) -> IntegerAttr:
    return IntegerAttr(int(value), i32)


def shape_of(value_or_type) -> tuple[int, ...]:
    type_ = getattr(value_or_type, "type", value_or_type)
    if not isinstance(type_, TensorType):
        raise VerifyException(f"expected a tensor type, got {type_}")
    return tuple(type_.get_shape())


def fail(op: Operation, field: str, message: str) -> NoReturn:
    """Raise the verifier error every op uses: `'op.name' field: message`."""
    raise VerifyException(f"'{op.name}' {field}: {message}")


def check_len(op: Operation, field: str, values: Sequence[int], length: int) -> None:
    if len(values) != length:
        fail(op, field, f"expected {length} values, got {len(values)}")


def conv_out_size(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int = 1
) -> int:
    effective = (kernel - 1) * dilation + 1
    return (size + pad_begin + pad_end - effective) // stride + 1


def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """numpy/ONNX multidirectional broadcasting, or None if incompatible."""
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + tuple(a), (1,) * (len(a) - len(b)) + tuple(b), strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def window_patches(x: np.ndarray, kernel, stride, pad_before, dilation, out_hw, fill) -> np.ndarray:
    """The receptive field of every output pixel of an NHWC window op: [N, OH, OW, KH, KW, C].

    Positions outside the input (padding, including any implied bottom/right
    padding the output size needs) hold `fill`.
    """
    (kh, kw), (sh, sw), (pt, pl), (dh, dw), (oh, ow) = kernel, stride, pad_before, dilation, out_hw
    _, h, w, _ = x.shape
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    need_h, need_w = (oh - 1) * sh + eh, (ow - 1) * sw + ew
    pb, pr = max(need_h - h - pt, 0), max(need_w - w - pl, 0)
    padded = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    view = sliding_window_view(padded, (eh, ew), axis=(1, 2))  # [N, H', W', C, EH, EW]
    view = view[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, :, ::dh, ::dw]
    return view.transpose(0, 1, 2, 4, 5, 3)


def num_elements(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
