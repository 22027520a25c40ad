"""Small helpers shared by the dialects: numpy <-> dense attributes, shapes, checks."""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Sequence
from typing import NoReturn, cast

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float32Type,
    IntegerAttr,
    IntegerType,
    TensorType,
    f32,
    i32,
    i64,
)
from xdsl.dialects.func import FuncOp
from xdsl.ir import Attribute, BlockArgument, Operation, OpResult, SSAValue
from xdsl.utils.exceptions import VerifyException

from .quant import UniformQuantizedType

_NP_OF_WIDTH = {4: np.int8, 8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}


def numpy_dtype(element: Attribute) -> np.dtype:
    if isinstance(element, IntegerType):
        return np.dtype(_NP_OF_WIDTH[element.width.data])
    if isinstance(element, Float32Type):
        return np.dtype(np.float32)
    raise ValueError(f"no numpy type for {element}")


@functools.cache
def int_type(width: int) -> IntegerType:
    """The signless integer type of `width` bits, built once: attributes are immutable values, and building one
    runs xDSL's attribute verification, which verifiers and lowerings would otherwise repeat per op."""
    return IntegerType(width)


@functools.lru_cache(maxsize=4096)
def _tensor_type(element: Attribute, shape: tuple[int, ...]) -> TensorType:
    return TensorType(element, shape)


def tensor_type(element: Attribute, shape: Sequence[int]) -> TensorType:
    """`TensorType(element, shape)`, shared between the values that have it.

    A type is an immutable value, and building one builds and verifies an
    IntAttr per dimension: a model's importer and lowering ask for the same few
    types once per op. A per-axis quantized type belongs to one weight or bias
    and is built directly: looking it up would hash every one of its scales.
    """
    if isinstance(element, UniformQuantizedType) and element.per_axis:
        return TensorType(element, tuple(int(d) for d in shape))
    return _tensor_type(element, tuple(int(d) for d in shape))


def element_of_dtype(dtype: np.dtype) -> IntegerType | Float32Type:
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return f32
    if dtype.kind == "i":
        return int_type(dtype.itemsize * 8)
    raise ValueError(f"unsupported constant dtype {dtype}")


def dense(array: np.ndarray, element: IntegerType | None = None) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding `array`'s bytes (printed as hex when large).

    `element` i4 keeps int8 values in [-8, 7] as `tensor<...xi4>` (xDSL stores one byte per i4 element; the C
    backend packs two per byte, `pack_int4`).
    """
    array = np.ascontiguousarray(array)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    if element is not None and element.width.data == 4:
        if array.dtype != np.int8 or array.size and not (-8 <= int(array.min()) and int(array.max()) <= 7):
            raise ValueError("i4 constants hold int8 values in [-8, 7]")
        data = array.tobytes()
        return DenseIntOrFPElementsAttr(cast(TensorType[IntegerType | Float32Type], tensor_type(element, array.shape)),
                                        BytesAttr(data))
    stored = element_of_dtype(array.dtype)
    data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return DenseIntOrFPElementsAttr(cast(TensorType[IntegerType | Float32Type], tensor_type(stored, array.shape)),
                                    BytesAttr(data))


def is_int4(attr: DenseIntOrFPElementsAttr) -> bool:
    """Whether a constant holds int4 values (packed weights of CMSIS-NN's s4 kernels)."""
    element = attr.get_element_type()
    return isinstance(element, IntegerType) and element.width.data == 4


def pack_int4(values: np.ndarray) -> np.ndarray:
    """int4 values as CMSIS-NN's s4 kernels and TFLite's INT4 tensors store them: two per byte, the first in the low
    nibble, the flat array packed as one run (a row of odd length shares a byte with the next row); an odd count
    leaves the last high nibble 0. int8 bytes of ceil(n / 2) (`arm_nnfunctions.h`: "four sequential weights
    [0x1, 0x2, 0x3, 0x4] packed as [0x21, 0x43]"; TFLite's `tensor_utils::PackInt8IntoDenseInt4`)."""
    flat = np.asarray(values).reshape(-1).astype(np.int64) & 0xF
    if flat.size % 2:
        flat = np.append(flat, 0)
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).view(np.int8)


def unpack_int4(packed: np.ndarray, count: int) -> np.ndarray:
    """The first `count` int4 values of `pack_int4`'s bytes, as int8 in [-8, 7]."""
    raw = np.asarray(packed).reshape(-1).view(np.uint8)
    nibbles = np.stack([raw & 0xF, raw >> 4], axis=1).reshape(-1)[:count].astype(np.int16)
    return ((nibbles ^ 8) - 8).astype(np.int8)


def to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The array held by a dense attribute (a read-only view, no copy)."""
    dtype = numpy_dtype(attr.get_element_type()).newbyteorder("<")
    shape = attr.get_shape()
    flat = np.frombuffer(attr.data.data, dtype=dtype)
    count = math.prod(shape)
    if flat.size == 1 and count != 1:  # splat
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


def _int_array(element: IntegerType, code: str, values: Sequence[int]) -> DenseArrayBase:
    """`DenseArrayBase.from_list(element, values)`, shared between the ops that have it (`_shared_int_array`)."""
    ints_ = tuple(int(v) for v in values)
    if len(ints_) <= 8:  # strides, pads, kernel sizes, permutations: the same few, once per op
        return _shared_int_array(code, ints_)
    return _packed_int_array(element, code, ints_)


@functools.lru_cache(maxsize=4096)
def _shared_int_array(code: str, ints_: tuple[int, ...]) -> DenseArrayBase:
    """A short array built once (keyed by its struct code, which names the element type: hashing the type would
    cost more than the look-up saves): attributes are immutable values, and building one verifies it."""
    return _packed_int_array(i64 if code == "q" else i32, code, ints_)


def _packed_int_array(element: IntegerType, code: str, ints_: tuple[int, ...]) -> DenseArrayBase:
    """Packed in one `struct` call when every value is in the signed range (what from_list's per-value
    normalisation leaves unchanged); other values take from_list's own path, which normalises the unsigned
    range or raises ValueError."""
    try:
        data = struct.pack(f"<{len(ints_)}{code}", *ints_)
    except struct.error:
        return DenseArrayBase.from_list(element, ints_)
    return DenseArrayBase(element, BytesAttr(data))


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    """Little-endian int64 values (`array<i64: ...>`)."""
    return _int_array(i64, "q", values)


def i32_array(values: Sequence[int]) -> DenseArrayBase:
    """Little-endian int32 values (`array<i32: ...>`)."""
    return _int_array(i32, "i", values)


_INT_CODES = ((i64, "q", 8), (i32, "i", 4))
"""struct codes of the element types `i64_array` and `i32_array` build, found by identity (no hashing)."""


def ints(attr: DenseArrayBase[IntegerType] | None) -> tuple[int, ...]:
    """The values of a dense integer array, as Python ints.

    The shared i64 and i32 element types (what `i64_array` and `i32_array`
    build, read once per op by verifiers, lowerings and the C backend) are
    unpacked by one `struct` call; any other type, or a buffer that is not a
    whole number of elements, takes `get_values` (which raises ValueError).
    """
    if attr is None:
        return ()
    element, data = attr.elt_type, attr.data.data
    for known, code, size in _INT_CODES:
        if element is known and len(data) % size == 0:
            return struct.unpack(f"<{len(data) // size}{code}", data)
    return tuple(int(v) for v in attr.get_values())


@functools.lru_cache(maxsize=4096)
def i32_attr(value: int) -> IntegerAttr:
    """`value : i32`, shared between ops (an attribute is an immutable value; building one verifies its range)."""
    return IntegerAttr(int(value), i32)


@functools.lru_cache(maxsize=4096)
def i64_attr(value: int) -> IntegerAttr:
    """`value : i64`, shared between ops (sizes, offsets, axes: the arena ops set several per buffer)."""
    return IntegerAttr(int(value), i64)


_SHAPES: dict[int, tuple[TensorType, tuple[int, ...]]] = {}
"""The shape of each tensor type object asked for, by id (with the type, which keeps the id its own)."""


def shape_of(value_or_type) -> tuple[int, ...]:
    """The dimensions of a tensor value or type (elements per axis).

    xDSL's `TensorType.get_shape` builds the tuple from the type's IntAttr
    dimensions on every call; a compile asks the same few shared type objects
    (`tensor_type`) tens of thousands of times, so each type's tuple is kept.
    Raises VerifyException for a value or type that is not a tensor.
    """
    type_ = getattr(value_or_type, "type", value_or_type)
    known = _SHAPES.get(id(type_))
    if known is not None and known[0] is type_:
        return known[1]
    if not isinstance(type_, TensorType):
        raise VerifyException(f"expected a tensor type, got {type_}")
    shape = tuple(type_.get_shape())
    if len(_SHAPES) >= 1 << 16:  # a long-lived process (the tests) compiles many models
        _SHAPES.clear()
    _SHAPES[id(type_)] = (type_, shape)
    return shape


def fail(op: Operation, field: str, message: str) -> NoReturn:
    """Raise the verifier error every op uses: `'op.name' field: message`."""
    raise VerifyException(f"'{op.name}' {field}: {message}")


def check_len(op: Operation, field: str, values: Sequence[int], length: int) -> None:
    if len(values) != length:
        fail(op, field, f"expected {length} values, got {len(values)}")


def check_slice(op: Operation, shape: Sequence[int], out: Sequence[int], starts: Sequence[int]) -> None:
    """A step-1 slice (nn.slice, cmsis.slice): one start per axis, the result's rank, every range inside the input."""
    check_len(op, "starts", starts, len(shape))
    if len(out) != len(shape):
        fail(op, "result", f"rank {len(out)} differs from the input's {len(shape)}")
    for axis, (start, size, full) in enumerate(zip(starts, out, shape, strict=True)):
        if start < 0 or size < 1 or start + size > full:
            fail(op, "starts", f"[{start}, {start + size}) is not inside [0, {full}) on axis {axis}")


def conv_out_size(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int = 1
) -> int:
    effective = (kernel - 1) * dilation + 1
    return (size + pad_begin + pad_end - effective) // stride + 1


def window_expressible(size: int, out: int, kernel: int, stride: int, pad_begin: int, dilation: int = 1) -> bool:
    """Whether a CMSIS-NN window op can compute `out` positions from `size` with only `pad_begin` given.

    CMSIS-NN takes the padding before the first row/column and implies the far
    side from the output size (it bounds-checks every tap). Expressible when the
    near padding is smaller than the effective window, the implied far padding
    is at most the near padding + 1 (TFLite SAME) and smaller than the window,
    and that padding gives exactly `out` (`check_window` in dialects/cmsis_conv.py).
    """
    eff = (kernel - 1) * dilation + 1
    if pad_begin >= eff:
        return False
    end = max((out - 1) * stride + eff - size - pad_begin, 0)
    return end <= pad_begin + 1 and end < eff and conv_out_size(size, kernel, stride, pad_begin, end, dilation) == out


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


def element_bytes(value: SSAValue | Attribute) -> int:
    """Bytes of one element of a tensor value or type: its (storage) integer or float width in bytes, at least 1
    (int8 and `!quant.uniform<i8:...>` 1, int16 2, f32 4)."""
    # Exact-class tests first: `isinstance` against xDSL's abstract classes (SSAValue, and any class that does
    # not match exactly) goes through ABCMeta.__instancecheck__, and this runs tens of thousands of times a compile.
    if type(value) is OpResult or type(value) is BlockArgument or isinstance(value, SSAValue):
        type_ = value.type
    else:
        type_ = value
    element = type_.element_type if isinstance(type_, TensorType) else type_
    if type(element) is IntegerType:
        return max(1, element.width.data // 8)
    if isinstance(element, UniformQuantizedType):
        element = element.storage_type
    width = getattr(getattr(element, "width", None), "data", 8)
    return max(1, width // 8)


# -- attributes of a function's arguments and results ----------------------------------
# func.func keeps them as arrays of dictionaries (arg_attrs, res_attrs) parallel to its
# arguments and results; these keep the arrays the right length as arguments change.


def _func_attrs(func: FuncOp, kind: str) -> list[dict[str, Attribute]]:
    count = len(func.body.block.args) if kind == "arg" else len(func.function_type.outputs.data)
    stored = func.arg_attrs if kind == "arg" else func.res_attrs
    found = [dict(d.data) for d in stored.data] if stored is not None else []
    return (found + [{} for _ in range(count)])[:count]


def _store_func_attrs(func: FuncOp, kind: str, attrs: list[dict[str, Attribute]]) -> None:
    value = ArrayAttr([DictionaryAttr(d) for d in attrs]) if any(attrs) else None
    if kind == "arg":
        func.arg_attrs = value
    else:
        func.res_attrs = value


def func_attr(func: FuncOp, kind: str, index: int, key: str) -> Attribute | None:
    """Attribute `key` of argument (`kind` "arg") or result ("res") `index` of `func`, if set."""
    attrs = _func_attrs(func, kind)
    return attrs[index].get(key) if index < len(attrs) else None


def set_func_attr(func: FuncOp, kind: str, index: int, key: str, value: Attribute | None) -> None:
    """Set (or, with None, remove) attribute `key` of argument or result `index`."""
    attrs = _func_attrs(func, kind)
    if value is None:
        attrs[index].pop(key, None)
    else:
        attrs[index][key] = value
    _store_func_attrs(func, kind, attrs)


def replace_arg(func: FuncOp, arg: BlockArgument, new_type: Attribute) -> BlockArgument:
    """A new argument of `new_type` in `arg`'s place, with `arg`'s attributes; `arg`'s uses must be moved
    by the caller before `drop_arg`."""
    attrs = _func_attrs(func, "arg")
    new_arg = func.body.block.insert_arg(new_type, arg.index)
    attrs.insert(new_arg.index, dict(attrs[new_arg.index]))
    _store_func_attrs(func, "arg", attrs)
    return new_arg


def drop_arg(func: FuncOp, arg: BlockArgument) -> None:
    """Erase an argument without uses, and its attributes."""
    attrs = _func_attrs(func, "arg")
    del attrs[arg.index]
    func.body.block.erase_arg(arg)
    _store_func_attrs(func, "arg", attrs)
