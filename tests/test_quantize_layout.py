"""Layout tracking (compiler/layout.py): which orders hold the same bytes, and what transposes do."""

import numpy as np

from cmsis_opt.layout import NCHW_TO_NHWC, after_transpose, flatten_columns, identity, inverse, same_bytes, stored_shape


def test_transposing_nhwc_data_to_nchw_only_changes_the_tracked_order():
    # an NHWC graph input (stored as is) viewed as NCHW is NCHW data stored NHWC
    assert after_transpose(identity(4), (0, 3, 1, 2)) == NCHW_TO_NHWC
    # and transposing back gives plain row-major again
    assert after_transpose(NCHW_TO_NHWC, (0, 2, 3, 1)) == identity(4)


def test_stored_shape_follows_the_order():
    assert stored_shape((1, 8, 5, 7), NCHW_TO_NHWC) == (1, 5, 7, 8)


def test_size_one_axes_do_not_change_the_bytes():
    assert same_bytes(identity(4), NCHW_TO_NHWC, (1, 1, 49, 10))  # C = 1
    assert same_bytes(identity(4), NCHW_TO_NHWC, (1, 16, 1, 1))  # H = W = 1
    assert not same_bytes(identity(4), NCHW_TO_NHWC, (1, 2, 3, 3))


def test_flatten_columns_map_stored_positions_to_logical_columns():
    logical = np.arange(2 * 2 * 3).reshape(1, 3, 2, 2)  # NCHW values = logical flat index
    stored = logical.transpose(NCHW_TO_NHWC).reshape(1, -1)
    assert flatten_columns((1, 3, 2, 2), NCHW_TO_NHWC).tolist() == stored[0].tolist()


def test_inverse_permutation():
    assert inverse((0, 2, 3, 1)) == (0, 3, 1, 2)
