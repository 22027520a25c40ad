"""Layout tracking: how a value's stored bytes relate to its logical (ONNX) shape.

A value of logical shape S is stored as `transpose(logical, perm)`: stored
axis i holds logical axis perm[i]. NCHW activations kept NHWC have perm
(0, 2, 3, 1); a transpose op only changes the perm, it moves no byte. Two
perms describe the same bytes when they agree once size-1 axes are dropped.

A flatten of a value not stored in row-major order keeps `columns`: stored
column j of the 2-D result holds logical column columns[j]; a following
fully connected layer absorbs it by permuting its weight columns (any other
consumer gets the source transposed to row-major order, `flattened`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.ir import SSAValue

NCHW_TO_NHWC = (0, 2, 3, 1)


@dataclass(frozen=True, eq=False)
class Stored:
    """A lowered value and the order its bytes hold the logical tensor in."""

    value: SSAValue
    perm: tuple[int, ...]
    columns: np.ndarray | None = None
    flattened: tuple[Stored, tuple[int, ...]] | None = None
    """For a flatten with `columns`: the value it flattens and that value's logical shape."""


def identity(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def inverse(perm: Sequence[int]) -> tuple[int, ...]:
    result = [0] * len(perm)
    for i, p in enumerate(perm):
        result[p] = i
    return tuple(result)


def stored_shape(logical: Sequence[int], perm: Sequence[int]) -> tuple[int, ...]:
    return tuple(logical[p] for p in perm)


def same_bytes(a: Sequence[int], b: Sequence[int], logical: Sequence[int]) -> bool:
    """Whether storing `logical` in order a or order b gives the same byte sequence."""
    return [p for p in a if logical[p] != 1] == [p for p in b if logical[p] != 1]


def after_transpose(perm: Sequence[int], transpose: Sequence[int]) -> tuple[int, ...]:
    """The perm of `transpose(x, transpose)` when x is stored with `perm` (no data moves)."""
    inv = inverse(transpose)
    return tuple(inv[p] for p in perm)


def preferred(rank: int) -> tuple[int, ...]:
    """The order CMSIS-NN wants: NHWC for rank-4 (NCHW) tensors, row-major otherwise."""
    return NCHW_TO_NHWC if rank == 4 else identity(rank)


def flatten_columns(logical: Sequence[int], perm: Sequence[int]) -> np.ndarray | None:
    """For a [N, rest...] -> [N, K] flatten of a value stored with `perm`:
    the logical column held by each stored column, or None if the batch axis
    is not outermost (no column permutation can express it)."""
    significant = [p for p in perm if logical[p] != 1]
    if significant and 0 in significant and significant[0] != 0:
        return None
    inner = [p for p in perm if p != 0]
    index = np.arange(int(np.prod(logical[1:], dtype=np.int64))).reshape(tuple(logical[1:]))
    return index.transpose([p - 1 for p in inner]).reshape(-1)
