"""The kernel interface of the `cmsis` dialect: what the compiler knows about a CMSIS-NN call.

Every `cmsis` op that calls a kernel is a `KernelOp`, and its class is the one
place that says, for each CMSIS-NN build path (`cmsis_opt.targets.PATHS`):

- `kernel_function(path)`: the function the CMSIS-NN wrapper dispatches to;
- `scratch_bytes(path)`: what that function's `*_get_buffer_size` returns
  (bytes of `cmsis_nn_context.buf`);
- `access_order(path, operand)`: when the kernel reads each byte of input
  `operand` for the last time and writes each output byte (`AccessOrder`),
  or `NoOverlap(why)` where the output may never share a byte with it;
- `emit_c(c)`: the C call, through a `CEmitter`;
- `interpret(*inputs)`: the integer-exact result, on numpy arrays.

`max_safe_delta` and `planned_scratch` are derived the same way for every
kernel: a plan must hold on the target's path and on the portable C path,
which host builds of the same C run (CMSIS-NN's or `runtime/`). Within a
pass (`kernel_facts_scope`, entered with the memory plan's analysis scope)
they (and the ops' `window`) are computed once per op, kernel variant and path, and forgotten with
`forget_kernel_facts` when the pass changes the IR. An op whose
result is only another view of its operand's bytes (a reshape) has the
`IsView` trait instead: it calls nothing and has no buffer.

The interface follows xDSL's op interfaces (an abstract base class the op
inherits, as `xdsl/backend/register_allocatable.py` does).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar, cast

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, IntegerType, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, traits_def
from xdsl.traits import NoMemoryEffect, OpTrait

from cmsis_opt.targets import HOST_PATH, BuildPath

from .quant import UniformQuantizedType
from .utils import element_bytes, fail, shape_of

Q31_MAX = (1 << 31) - 1


class Activated(Protocol):
    """An op with CMSIS-NN's `cmsis_nn_activation` bounds: int8 act_min <= act_max."""

    @property
    def act_min(self) -> IntegerAttr[IntegerType]: ...

    @property
    def act_max(self) -> IntegerAttr[IntegerType]: ...


class Requantized(Activated, Protocol):
    """An op whose int32 accumulators (plus an optional int32 bias) are requantized to int8."""

    @property
    def output_offset(self) -> IntegerAttr[IntegerType]: ...

    @property
    def bias(self) -> DenseIntOrFPElementsAttr | None: ...


def int_range(value: SSAValue | UniformQuantizedType) -> tuple[int, int]:
    """[min, max] of a value's (or quantized type's) storage integer: [-128, 127] for int8, [-32768, 32767] for
    int16."""
    bits = 8 * element_bytes(value)
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def storage_dtype(value: SSAValue) -> type[np.signedinteger]:
    """The numpy type of a value's storage integers (`np.int8` or `np.int16`), for `interpret` results."""
    return np.int16 if element_bytes(value) == 2 else np.int8


def int_of(attr: IntegerAttr | None, default: int = 0) -> int:
    """The value of an integer property (`default` when it is absent)."""
    return default if attr is None else attr.value.data


class IsView(OpTrait):
    """The op's result is its first operand's bytes under another type: no kernel, no buffer of its own."""


_VIEW_CLASSES: dict[type, bool] = {}


def is_view(op: object) -> bool:
    """Whether `op` is an operation with the `IsView` trait (traits belong to the op class: kept per class)."""
    cls = type(op)
    found = _VIEW_CLASSES.get(cls)
    if found is None:
        found = _VIEW_CLASSES[cls] = issubclass(cls, Operation) and cls.has_trait(IsView)
    return found


def view_source(value: SSAValue) -> SSAValue:
    """The value whose bytes `value` holds: itself, unless it is the result of a view op."""
    while is_view(owner := value.owner):
        value = cast(Operation, owner).operands[0]
    return value


class CmsisOp(IRDLOperation):
    """Common format and checks of `cmsis` ops: `cmsis.op %a {props} : (types) -> type`."""

    assembly_format = "operands attr-dict `:` functional-type(operands, results)"
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(NoMemoryEffect())

    STORAGE_WIDTHS: ClassVar[tuple[int, ...]] = (8,)
    """The activation widths the op's kernels take: (8,) for an `arm_*_s8` kernel only, (8, 16) where CMSIS-NN
    also has the `arm_*_s16` kernel of TFLite's 16x8 scheme (int16 activations, int8 weights)."""

    # -- checks shared by several ops ------------------------------------
    def quant(self, value: SSAValue, field: str) -> UniformQuantizedType:
        """The per-tensor quantization of `value`, stored in one of `STORAGE_WIDTHS`; a verifier error naming
        `field` otherwise."""
        type_ = value.type
        assert isinstance(type_, TensorType)
        q = type_.element_type
        if (not isinstance(q, UniformQuantizedType) or q.per_axis
                or q.storage_type.width.data not in self.STORAGE_WIDTHS):
            kinds = " or ".join(f"int{w}" for w in self.STORAGE_WIDTHS)
            fail(self, field, f"expected {kinds} per-tensor !quant.uniform elements, got {q}")
        if q.storage_type.width.data == 16 and q.zero_point != 0:  # the s16 kernels take no offsets
            fail(self, field, f"int16 activations have zero point 0 (TFLite's 16x8 scheme), got {q.zero_point}")
        return q

    def is_s16(self) -> bool:
        """Whether the op's first operand is int16 (its `arm_*_s16` kernel runs), not int8."""
        return element_bytes(self._operands[0]) == 2  # the tuple itself: no OpOperands view built per question

    def check_same_width(self, *values: SSAValue) -> None:
        """The operands and result of a kernel that does not convert between widths all have one width."""
        widths = [element_bytes(v) * 8 for v in values]
        if len(set(widths)) > 1:
            fail(self, "result", f"mixes int{widths[0]} and int{next(w for w in widths if w != widths[0])} "
                 "tensors (the s8 and s16 kernels take one width)")

    def check_range(self, field: str, value: int, low: int, high: int) -> None:
        if not low <= value <= high:
            fail(self, field, f"{value} is outside [{low}, {high}]")

    def check_activation(self) -> None:
        """For ops that are `Activated` (only they call it)."""
        activated = cast(Activated, self)
        low, high = int_of(activated.act_min), int_of(activated.act_max)
        lo, hi = int_range(self.results[0])
        self.check_range("act_min", low, lo, hi)
        self.check_range("act_max", high, lo, hi)
        if low > high:
            fail(self, "act_min", f"{low} is greater than act_max {high}")

    def check_offsets(self, pairs: Sequence[tuple[str, int, UniformQuantizedType, int]]) -> None:
        """Each (field, value, type, sign): value must equal sign * zero point."""
        for field, value, q, sign in pairs:
            lo, hi = int_range(q)
            low, high = (-hi, -lo) if sign < 0 else (lo, hi)
            self.check_range(field, value, low, high)
            if value != sign * q.zero_point:
                fail(
                    self,
                    field,
                    f"{value} does not match the zero point {q.zero_point} of its tensor "
                    f"(expected {sign * q.zero_point})",
                )

    def check_requant(self, mult_field: str, mults: Sequence[int], shift_field: str, shifts: Sequence[int]) -> None:
        for m in mults:
            self.check_range(mult_field, m, 0, Q31_MAX)
        for s in shifts:
            self.check_range(shift_field, s, -31, 30)

    def check_same_quant(self, a: SSAValue, b: SSAValue) -> None:
        qa, qb = self.quant(a, "input"), self.quant(b, "result")
        if qa != qb:
            fail(self, "result", f"quantization {qb} must equal the input's {qa}")

    def check_rank(self, value: SSAValue, field: str, rank: int) -> tuple[int, ...]:
        shape = shape_of(value)
        if len(shape) != rank:
            fail(self, field, f"expected rank {rank}, got shape {list(shape)}")
        return shape

    def check_shape(self, field: str, actual: Sequence[int], expected: Sequence[int]) -> None:
        if tuple(actual) != tuple(expected):
            fail(self, field, f"shape {list(actual)} does not match the expected {list(expected)}")


# =====================================================================================
# Access order: when each input byte is read for the last time, when each output byte
# is written. Time is a step counter over the kernel's loop nest; within one "unit" of
# work (e.g. a pair of output pixels) the model says whether reads precede writes.
# =====================================================================================

NEVER = -1
"""`last_read` of an input byte that the kernel never reads."""


@dataclass
class AccessOrder:
    """Per input byte: time of its last read; per output byte: time of its first and last write."""

    last_read: np.ndarray
    first_write: np.ndarray
    last_write: np.ndarray


@dataclass(frozen=True)
class NoOverlap:
    """The output may share no byte with the input, and why."""

    reason: str


class Trace:
    """Collects reads and writes given as broadcastable (time, byte index) arrays; byte -1 is no byte."""

    def __init__(self, in_size: int, out_size: int):
        self.last_read = np.full(in_size, NEVER, dtype=np.int64)
        self.first_write = np.full(out_size, np.iinfo(np.int64).max, dtype=np.int64)
        self.last_write = np.full(out_size, NEVER, dtype=np.int64)

    def read(self, time: np.ndarray, byte: np.ndarray) -> None:
        time, byte = (a.ravel() for a in np.broadcast_arrays(time, byte))
        keep = byte >= 0
        np.maximum.at(self.last_read, byte[keep], time[keep])

    def write(self, time: np.ndarray, byte: np.ndarray) -> None:
        time, byte = (a.ravel() for a in np.broadcast_arrays(time, byte))
        np.minimum.at(self.first_write, byte, time)
        np.maximum.at(self.last_write, byte, time)

    def done(self) -> AccessOrder:
        if (self.last_write == NEVER).any():
            raise AssertionError("kernel model leaves output bytes unwritten")
        return AccessOrder(self.last_read, self.first_write, self.last_write)


def element_span(elements: np.ndarray, element: int) -> np.ndarray:
    """The byte indices of element indices `elements` (any shape; -1 is none) of `element` bytes each, along a
    new last axis of length `element` (an int16 element i is bytes 2i and 2i + 1)."""
    elements = np.asarray(elements)[..., None]
    return np.where(elements >= 0, elements * element + np.arange(element), -1)


def elementwise_order(size: int, in_element: int = 1, out_element: int = 1) -> AccessOrder:
    """Element i is read (from every input) before element i is written, in increasing order.

    `size` counts elements; `in_element` / `out_element` are the bytes of
    one input / output element (2 for int16), so the order is in bytes.
    """
    t = Trace(size * in_element, size * out_element)
    i = np.arange(size)
    t.read(2 * i[:, None], element_span(i, in_element))
    t.write(2 * i[:, None] + 1, element_span(i, out_element))
    return t.done()


@dataclass(frozen=True)
class Window:
    """The geometry of an NHWC window op (conv, depthwise, pool): shapes, kernel, stride, padding, dilation."""

    n: int
    h: int
    w: int
    c: int
    oh: int
    ow: int
    oc: int
    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int = 1
    dw: int = 1
    in_element: int = 1
    """Bytes of one input element (1 for int8, 2 for int16)."""
    out_element: int = 1
    """Bytes of one output element."""

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(input bytes, output bytes, output pixels)."""
        pixels = self.n * self.oh * self.ow
        return self.n * self.h * self.w * self.c * self.in_element, pixels * self.oc * self.out_element, pixels

    def in_bytes(self, pixels: np.ndarray, select: np.ndarray | None = None) -> np.ndarray:
        """Input byte indices of `pixels` (any shape; -1 is none) times channels `select` (default all)."""
        return pixel_bytes(pixels, self.c, select, self.in_element)

    def out_bytes(self, pixels: np.ndarray, select: np.ndarray | None = None) -> np.ndarray:
        """Output byte indices of `pixels` times output channels `select` (default all)."""
        return pixel_bytes(pixels, self.oc, select, self.out_element)

    def taps(self) -> np.ndarray:
        """Input pixel index (within the whole tensor) under each window tap of each output pixel, -1 if padding.

        Shape (N*OH*OW, KH*KW); output pixels in raster order (batch, row, column).
        """
        oy, ox = np.divmod(np.arange(self.oh * self.ow), self.ow)
        ky, kx = np.divmod(np.arange(self.kh * self.kw), self.kw)
        iy = oy[:, None] * self.sh - self.ph + ky[None, :] * self.dh
        ix = ox[:, None] * self.sw - self.pw + kx[None, :] * self.dw
        valid = (iy >= 0) & (iy < self.h) & (ix >= 0) & (ix < self.w)
        one = np.where(valid, iy * self.w + ix, -1)
        batches = [np.where(one >= 0, one + b * self.h * self.w, -1) for b in range(self.n)]
        return np.concatenate(batches)

    def pixel_groups(self, size: int) -> np.ndarray:
        """Group number of each output pixel when a kernel takes `size` pixels at a time, restarting per batch."""
        per_batch = self.oh * self.ow
        groups = -(-per_batch // size)
        p = np.arange(self.n * per_batch)
        return (p // per_batch) * groups + (p % per_batch) // size


def pixel_bytes(pixels: np.ndarray, channels: int, select: np.ndarray | None = None,
                element: int = 1) -> np.ndarray:
    """Byte indices of `pixels` (any shape; -1 is none) times the channel indices `select` (default all), each
    channel `element` bytes wide: the last axis holds channel-major bytes (an int16 channel k is bytes 2k, 2k+1)."""
    chans = np.arange(channels) if select is None else np.asarray(select)
    elements = np.where(pixels[..., None] >= 0, pixels[..., None] * channels + chans, -1)
    if element == 1:
        return elements
    return element_span(elements, element).reshape(*elements.shape[:-1], -1)


def safe_delta(order: AccessOrder) -> int | None:
    """The largest d such that the output at input offset + d' is safe for every d' <= d; None if no overlap is.

    Placing output byte j on input byte j + d is unsafe when that input byte is
    last read no earlier than output byte j is first written. For each j the
    first such input byte is found on the running maximum of `last_read`.
    """
    in_size, out_size = order.last_read.size, order.first_write.size
    running = np.maximum.accumulate(order.last_read)
    first_unsafe = np.searchsorted(running, order.first_write, side="left")
    hit = first_unsafe < in_size
    if not hit.any():
        return in_size - 1
    smallest_unsafe = int((first_unsafe[hit] - np.nonzero(hit)[0]).min())
    best = smallest_unsafe - 1
    return None if best <= -out_size else best


_SAFE_DELTAS: dict[int, tuple[AccessOrder, int | None]] = {}


def _shared_safe_delta(order: AccessOrder) -> int | None:
    """`safe_delta`, kept per order object: kernels cache the orders of one shape (`conv_order`), so layers of one
    shape share the result. The cache holds the orders it keys by id, so an id is never reused while cached."""
    known = _SAFE_DELTAS.get(id(order))
    if known is not None and known[0] is order:
        return known[1]
    delta = safe_delta(order)
    if len(_SAFE_DELTAS) >= 64:  # the orders can be large arrays: keep few
        _SAFE_DELTAS.clear()
    _SAFE_DELTAS[id(order)] = (order, delta)
    return delta


# =====================================================================================
# C emission, as a kernel sees it
# =====================================================================================


class CEmitter(Protocol):
    """What `KernelOp.emit_c` writes through (`cmsis_opt.backend.c` implements it).

    Identifiers made by `array`/`struct`/`dims` are `static const` file-scope
    objects named after the model and the op's layer (`kws_conv1_weights`).
    """

    path: BuildPath
    """The CMSIS-NN build path the plan was made for."""

    alignment: int
    """Bytes every buffer, scratch region and the arena itself are aligned to (the plan's alignment)."""

    layer: str
    """The op's layer name, for comments."""

    ident: str
    """The op's identifier in C names (its layer name when short and plain, else `l<step>_<kind>`)."""

    def ptr(self, value: SSAValue) -> str:
        """A C expression of type `int8_t *`: where `value` lives in the arena."""
        ...

    def array(self, suffix: str, ctype: str, values: np.ndarray | Sequence[int]) -> str:
        """A constant array (flash) holding `values`; returns its identifier."""
        ...

    def struct(self, suffix: str, ctype: str, init: str) -> str:
        """A constant struct of type `ctype` initialised with `init`; returns its identifier."""
        ...

    def dims(self, suffix: str, values: Sequence[int]) -> str:
        """A constant `cmsis_nn_dims` {n, h, w, c}; returns its identifier."""
        ...

    def context(self, table: tuple[str, int] | None = None) -> str:
        """The op's `cmsis_nn_context`: its planned scratch region, or {NULL, 0}; returns its identifier.

        With `table` (identifier, bytes), the context points at that constant
        table instead: values the kernel reads from its buffer that depend on
        the weights only (MVE kernel sums), computed at compile time.
        """
        ...

    def scratch_query(self, expression: str) -> None:
        """The C expression (`*_get_buffer_size(...)`) of the buffer the call needs, in bytes.

        `NAME_check()` compares it with what the context gives (the linked
        library may be another CMSIS-NN than the plan assumed); host builds
        also check it before the call.
        """
        ...

    def call(self, function: str, args: Sequence[str], returns_status: bool = True) -> None:
        """The call itself; a returned `arm_cmsis_nn_status` is checked and returned on failure."""
        ...

    def prologue(self, lines: Sequence[str]) -> None:
        """C lines that run before the op's call (and before its comment)."""
        ...

    def function(self, name: str, definition: str) -> None:
        """A C function `name` the call needs that CMSIS-NN lacks (`cmsis_opt_lut_s8`).

        `definition` is its full text, a `static` definition; it is written
        once per file, before `NAME_invoke()`, however many ops ask for it.
        """
        ...

    # -- for ops that run other kernels on parts of their tensors (cmsis.patch_stage) --
    def scratch_ptr(self, offset: int) -> str:
        """A C expression of type `int8_t *`: `offset` bytes into the op's planned scratch region."""
        ...

    def copy_rows(self, dst: str, dst_stride: int, src: str, src_stride: int, rows: int, width: int,
                  comment: str) -> None:
        """`rows` memcpy's of `width` bytes each, the pointers advancing by their strides (bytes)."""
        ...

    def call_rows(self, function: str, args: Sequence[str], rows: int, comment: str) -> None:
        """`rows` calls of a status-returning `function`, in a loop whose counter `row` the `args` may use (e.g.
        `ptr + row * stride`); the first status that is not ARM_CMSIS_NN_SUCCESS is returned."""
        ...

    def read_input_rows(self, first_row: int, rows: int, line: str, dst: str, dst_stride: int, column_offset: int,
                        width: int, comment: str) -> None:
        """Rows [first_row, first_row + rows) of the streamed graph input, each asked of the application with
        `NAME_read_input_rows(row, 1, line)` into the one-row buffer `line`, then `width` bytes from
        `column_offset` copied to `dst` (rows `dst_stride` bytes apart). A nonzero answer makes NAME_invoke()
        return NAME_INPUT_READ_FAILED."""
        ...

    def read_whole_rows(self, first_row: int, rows: int, kept: int | None, shift: int, dst: str, row_bytes: int,
                        comment: str) -> None:
        """Rows [first_row, first_row + rows) of the streamed graph input (`row_bytes` each, whole rows) at `dst`.
        With `kept` (an int, possibly 0): the first `kept` rows are already at `dst + shift * row_bytes` (the
        previous window's) and are moved to `dst` with memmove; the other rows are asked of the application in
        one `NAME_read_input_rows(first_row + kept, rows - kept, dst + kept * row_bytes)` call (none when no row
        is left). With `kept` None, all rows are asked for in one call. A nonzero answer makes NAME_invoke()
        return NAME_INPUT_READ_FAILED."""
        ...

    def tile_loop(self, count: int, emit_tile: Callable[[int], None], notes: Sequence[str]) -> None:
        """One C `for` loop over `count` tiles. `emit_tile(k)` writes tile k through this emitter; every tile must
        write the same text but for decimal numbers, and the numbers that differ become the columns of a constant
        int32_t table with one row per tile (`notes[k]` its comment). CompileError (internal) otherwise."""
        ...

    def nested(self, op: KernelOp, pointers: dict[SSAValue, str], scratch: tuple[int, int] | None,
               suffix: str) -> None:
        """Emit `op` (not in the function: a tile-sized copy of a body op) with its tensors at `pointers` and its
        context at (offset, bytes) of this op's scratch region; its constants are named with `suffix`, and
        arrays equal to ones already written are shared."""
        ...


def c_tile(hw: Sequence[int]) -> str:
    """A `cmsis_nn_tile` initialiser from (h, w)."""
    return f"{{.w = {hw[1]}, .h = {hw[0]}}}"


def c_activation(op: Activated) -> str:
    """A `cmsis_nn_activation` initialiser from the op's act_min / act_max."""
    return f"{{.min = {int_of(op.act_min)}, .max = {int_of(op.act_max)}}}"


# =====================================================================================
# The interface
# =====================================================================================


_T = TypeVar("_T")
# a plain dict (a weak one costs a reference object per look-up): it lives as long as one pass, holding its ops
_FACTS: ContextVar[dict[Operation, dict[tuple, object]] | None] = ContextVar(
    "kernel_facts", default=None)


@contextmanager
def kernel_facts_scope() -> Iterator[None]:
    """Within the block, `planned_scratch` and `path_delta` are computed once per op, variant and path."""
    token = _FACTS.set({})
    try:
        yield
    finally:
        _FACTS.reset(token)


def forget_kernel_facts() -> None:
    """Drop what the current scope knows (a pass calls it, through `plan.invalidate`, after changing the IR)."""
    facts = _FACTS.get()
    if facts is not None:
        facts.clear()


def kernel_fact(op: Operation, key: tuple, compute: Callable[[], _T]) -> _T:
    """`compute()`, kept per op and `key` in the current facts scope (computed afresh outside one).

    The key holds the op's kernel variant (`kernel` property), so switching
    a convolution's kernel is seen even before the pass invalidates.
    """
    facts = _FACTS.get()
    if facts is None:
        return compute()
    known = facts.get(op)
    if known is None:
        known = facts[op] = {}
    full = (*key, op.properties.get("kernel"))
    if full not in known:
        known[full] = compute()
    return cast(_T, known[full])


class KernelOp(Operation, abc.ABC):
    """An op that is one call of a CMSIS-NN function (see the module docstring).

    `OVERLAP_FORBIDDEN_BY_API` names the documentation that forbids overlap
    where the code allows it (`arm_max_pool_s8`); such overlap is used only
    with `allow_undocumented`.
    """

    OVERLAP_FORBIDDEN_BY_API: ClassVar[str | None] = None

    @abc.abstractmethod
    def kernel_function(self, path: BuildPath) -> str:
        """The CMSIS-NN function that runs the op on `path`, after the wrappers' dispatch."""

    def scratch_bytes(self, path: BuildPath) -> int:
        """Bytes of arena scratch (`cmsis_nn_context.buf` in RAM) the call needs on `path`."""
        return 0

    def library_buffer_bytes(self, path: BuildPath) -> int:
        """What the library's `*_get_buffer_size` returns for the call on `path` (bytes): `scratch_bytes`, unless
        the op gives (part of) that buffer as a constant table instead of arena scratch."""
        return self.scratch_bytes(path)

    @abc.abstractmethod
    def access_order(self, path: BuildPath, operand: int) -> AccessOrder | NoOverlap:
        """The kernel's read/write order relative to input `operand` on `path`, or why no overlap is allowed."""

    @abc.abstractmethod
    def emit_c(self, c: CEmitter) -> None:
        """Write the call (and its constant arguments) through `c`."""

    @abc.abstractmethod
    def interpret(self, *inputs: np.ndarray) -> np.ndarray:
        """The int8 result for int8 NHWC `inputs`, exactly as the kernel computes it."""

    # -- derived, the same for every kernel -------------------------------
    def path_delta(self, path: BuildPath, operand: int = 0, allow_undocumented: bool = False) -> int | None:
        """How far past input `operand`'s first byte the output may start on `path` (bytes), or None."""
        if self.OVERLAP_FORBIDDEN_BY_API and not allow_undocumented:
            return None

        def compute() -> int | None:
            order = self.access_order(path, operand)
            return None if isinstance(order, NoOverlap) else _shared_safe_delta(order)

        return kernel_fact(self, ("path_delta", path, operand), compute)

    def planned_scratch(self, path: BuildPath) -> int:
        """Bytes of scratch the plan gives the call: the most `path` and the host's C path need."""
        return kernel_fact(self, ("planned_scratch", path),
                     lambda: max(self.scratch_bytes(path), self.scratch_bytes(HOST_PATH)))

    def max_safe_delta(self, path: BuildPath, allow_undocumented: bool = False, operand: int = 0) -> int | None:
        """How far past input `operand`'s start the output may begin (bytes, usually negative), or None.

        The stricter of `path` and the portable C path, which host builds run:
        the same plan must be safe wherever its C is tested.
        """
        paths: set[BuildPath] = {path, HOST_PATH}
        deltas = [self.path_delta(p, operand, allow_undocumented) for p in sorted(paths)]
        if any(d is None for d in deltas):
            return None
        return min(d for d in deltas if d is not None)


def kernel_ops(ops) -> list[KernelOp]:
    """The ops among `ops` that call a kernel, in order: the operator steps 0, 1, ..."""
    return [op for op in ops if isinstance(op, KernelOp)]
