"""The kernel interface: which CMSIS-NN function each cmsis op runs, its scratch size, and where its output may start.

Each question is asked of the op (`KernelOp`) for a build path; the paths of the cores come from the one core table.
"""

from __future__ import annotations

import pytest

import test_kernels_helpers as make
from cmsis_opt import targets
from cmsis_opt.errors import CompileError

M0, M4, M55 = (targets.core(name).path for name in ("cortex-m0", "cortex-m4", "cortex-m55"))


def kernel_function(op, path):
    return op.kernel_function(path)


def scratch_bytes(op, path):
    return op.scratch_bytes(path)


def max_safe_delta(op, path, allow_undocumented=False):
    return op.max_safe_delta(path, allow_undocumented)


def test_every_core_runs_one_cmsis_nn_path():
    assert (M0, M4, M55) == ("c", "dsp", "mve")
    assert {c.path for c in targets.CORES.values()} == set(targets.PATHS)
    assert {name for name, c in targets.CORES.items() if c.path == "mve"} == {"cortex-m55", "cortex-m85"}


def test_same_shape_5x5_conv_runs_arm_convolve_s8_with_im2col_scratch():
    op = make.conv(h=32, w=32, c=32, oc=32, kh=5, kw=5, ph=2, pw=2)
    assert kernel_function(op, M4) == "arm_convolve_s8"
    # two int16 columns of 5*5*32 = 800 values on C/DSP; four int8 columns rounded to 16 on MVE
    assert scratch_bytes(op, M0) == scratch_bytes(op, M4) == 2 * 800 * 2 == 3200
    assert scratch_bytes(op, M55) == 4 * 800 == 3200


def test_conv_scratch_rounds_columns_per_path():
    op = make.conv(h=6, w=6, c=3, oc=4, kh=3, kw=3)  # 27 values per column
    assert scratch_bytes(op, M4) == 2 * 28 * 2
    assert scratch_bytes(op, M55) == 4 * 32


def test_pointwise_conv_dispatch_and_the_generic_switch():
    fast = make.conv(kh=1, kw=1, ph=0, pw=0)
    assert kernel_function(fast, M4) == "arm_convolve_1x1_s8_fast"
    assert scratch_bytes(fast, M4) == 0  # gcc build
    strided = make.conv(kh=1, kw=1, ph=0, pw=0, sh=2, sw=2)
    assert kernel_function(strided, M4) == "arm_convolve_1x1_s8"
    forced = make.conv(c=8, kh=1, kw=1, ph=0, pw=0, kernel="generic")
    assert kernel_function(forced, M4) == "arm_convolve_s8"
    assert scratch_bytes(forced, M4) == 2 * 8 * 2
    assert scratch_bytes(forced, M55) == 4 * 16


def test_one_row_conv_goes_to_1_x_n_when_stride_times_channels_is_a_multiple_of_4():
    assert kernel_function(make.conv(h=1, w=16, c=4, kh=1, kw=3, ph=0, pw=1), M4) == "arm_convolve_1_x_n_s8"
    assert kernel_function(make.conv(h=1, w=16, c=3, kh=1, kw=3, ph=0, pw=1), M4) == "arm_convolve_s8"


def test_depthwise_dispatch_per_path():
    three = make.depthwise(c=8, kh=3, kw=3, ph=1, pw=1)
    assert kernel_function(three, M0) == kernel_function(three, M4) == "arm_depthwise_conv_3x3_s8"
    assert kernel_function(three, M55) == "arm_depthwise_conv_s8_opt"
    assert scratch_bytes(three, M4) == 0
    assert scratch_bytes(three, M55) == 4 * 124 * 9
    five = make.depthwise(c=8, kh=5, kw=5, ph=2, pw=2)
    assert kernel_function(five, M4) == "arm_depthwise_conv_s8_opt"
    assert scratch_bytes(five, M4) == 8 * 25 * 2
    assert scratch_bytes(five, M0) == 0
    assert kernel_function(make.depthwise(c=4, mult=2), M4) == "arm_depthwise_conv_s8"
    assert kernel_function(make.depthwise(c=4, dh=2, dw=2, ph=0, pw=0, h=9, w=9), M4) == "arm_depthwise_conv_s8"


def test_other_kernels_and_their_scratch():
    # the MVE kernel's buffer holds kernel sums of the weights: a constant table, no scratch
    assert (kernel_function(make.fully_connected(m=10), M4), scratch_bytes(make.fully_connected(m=10), M55)) == ("arm_fully_connected_s8", 0)
    assert scratch_bytes(make.fully_connected(m=10), M4) == 0
    avg = make.pool("avg_pool", c=12)
    assert (kernel_function(avg, M4), scratch_bytes(avg, M4), scratch_bytes(avg, M0), scratch_bytes(avg, M55)) == ("arm_avgpool_s8", 48, 0, 0)
    assert kernel_function(make.pool("max_pool"), M4) == "arm_max_pool_s8"
    assert kernel_function(make.softmax(), M4) == "arm_softmax_s8"
    assert kernel_function(make.elementwise("add"), M4) == "arm_elementwise_add_s8"
    assert kernel_function(make.elementwise("mul"), M4) == "arm_elementwise_mul_s8"


def test_unknown_core_is_a_compile_error_with_the_closest_name():
    with pytest.raises(CompileError, match="unknown core 'cortex-a53'"):
        targets.core("cortex-a53")
    with pytest.raises(CompileError, match="did you mean 'cortex-m55'"):
        targets.core("cortex-m5")


def test_same_shape_5x5_conv_output_trails_two_rows_and_two_pixels():
    op = make.conv(h=32, w=32, c=32, oc=32, kh=5, kw=5, ph=2, pw=2)
    # input pixel (y, x) is last read by output pixel (y+2, x+2): 2*32+2 = 66 pixels of 32 bytes
    assert max_safe_delta(op, M4) == -(2 * 32 + 2) * 32


def test_overlap_is_forbidden_where_the_kernel_rereads_or_the_api_says_so():
    assert max_safe_delta(make.conv(kh=1, kw=1, ph=0, pw=0), M4) is None
    assert max_safe_delta(make.conv(kh=1, kw=1, ph=0, pw=0), M55) is None  # the host's C path re-reads
    assert max_safe_delta(make.fully_connected(), M4) is None
    pool = make.pool("max_pool", h=8, w=8, c=4, kh=2, kw=2, sh=2, sw=2)
    assert max_safe_delta(pool, M4) is None
    assert max_safe_delta(pool, M4, allow_undocumented=True) is not None


def test_elementwise_and_softmax_run_exactly_in_place():
    for op in (make.elementwise("add"), make.elementwise("mul"), make.softmax((2, 10))):
        for target in (M0, M4, M55):
            assert max_safe_delta(op, target) == 0


def test_target_delta_is_the_stricter_of_its_path_and_the_c_path():
    op = make.depthwise(h=6, w=6, c=130, kh=3, kw=3)  # MVE blocks channels by 124
    assert max_safe_delta(op, M55) == min(op.path_delta("mve"), op.path_delta("c"))
    assert max_safe_delta(op, M55) < max_safe_delta(op, M4)


def test_mve_fully_connected_kernel_sums_are_the_bias_plus_input_offset_times_row_sums():
    import numpy as np

    op = make.fully_connected(m=3)
    weights = np.asarray(op.filter.get_values(), np.int64).reshape(op.filter.get_shape())
    offset = op.input_offset.value.data
    assert op.kernel_sums().tolist() == (offset * weights.sum(axis=1)).tolist()


def test_mve_depthwise_with_one_input_channel_runs_as_a_convolution():
    op = make.depthwise(h=8, w=8, c=1, mult=4, kh=3, kw=3)  # one input channel, four outputs
    assert op.runs_as_conv(M55) and not op.runs_as_conv(M4)
    assert kernel_function(op, M55) == "arm_convolve_s8" and kernel_function(op, M4) == "arm_depthwise_conv_s8"
    # the convolution's im2col on MVE (4 columns of ceil16(3*3*1)); the filter is transposed at compile time
    assert scratch_bytes(op, M55) == 4 * 16
    assert op.filter_as_conv().shape == (4, 3, 3, 1)


def test_mve_1_x_n_with_other_than_same_padding_calls_arm_convolve_s8_itself():
    same = make.conv(h=1, w=16, c=4, kh=1, kw=3, ph=0, pw=1)
    assert kernel_function(same, M55) == "arm_convolve_1_x_n_s8"
    left_only = make.conv(h=1, w=16, c=4, kh=1, kw=3, ph=0, pw=2, out=(1, 16))  # left 2, right 0: the MVE kernel fails
    assert kernel_function(left_only, M55) == "arm_convolve_s8" and kernel_function(left_only, M4) == "arm_convolve_1_x_n_s8"


def test_mve_1_x_n_whose_right_columns_read_past_the_row_calls_arm_convolve_s8_itself():
    """Width 8, kernel 5, stride 2, SAME padding (1 left, 2 right): the MVE 1xN's right-edge im2col holds
    pixels 5..8 (8 is past the row) and one padding pixel; checked on QEMU in test_cmsis_nn_branches.py."""
    strided = make.conv(h=1, w=8, c=2, kh=1, kw=5, sh=1, sw=2, ph=0, pw=1, out=(1, 4))
    assert kernel_function(strided, M55) == "arm_convolve_s8" and kernel_function(strided, M4) == "arm_convolve_1_x_n_s8"
    assert scratch_bytes(strided, M55) == 4 * 16  # arm_convolve_s8's four MVE im2col columns of 10 bytes
    odd = make.conv(h=1, w=7, c=2, kh=1, kw=3, sh=1, sw=2, ph=0, pw=1, out=(1, 4))  # total padding 2: 1 each side
    assert kernel_function(odd, M55) == "arm_convolve_1_x_n_s8"
    stride_one = make.conv(h=1, w=9, c=4, kh=1, kw=5, ph=0, pw=2)
    assert kernel_function(stride_one, M55) == "arm_convolve_1_x_n_s8"


def test_the_plan_gives_the_most_the_target_and_the_host_path_need():
    one_by_n = make.conv(h=1, w=16, c=4, kh=1, kw=3, ph=0, pw=1)
    assert scratch_bytes(one_by_n, M55) < scratch_bytes(one_by_n, M0)  # MVE sizes one padded column
    assert one_by_n.planned_scratch(M55) == scratch_bytes(one_by_n, M0)
    five = make.depthwise(c=8, kh=5, kw=5, ph=2, pw=2)
    assert five.planned_scratch(M4) == scratch_bytes(five, M4) > scratch_bytes(five, M0) == 0
