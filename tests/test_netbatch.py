"""cmsis_opt.netbatch: many networks in one program, their outputs, buffer reports and kernel calls.

The host runs use runtime/ (no CMSIS-NN tree needed) or the real library;
the QEMU runs (target-check's random networks on a few networks) skip with a
message without arm-none-eabi-gcc / qemu-system-arm or the CMSIS-NN tree.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import cmsis_nn_cases as make
from cmsis_opt import cmsis_nn
from cmsis_opt.dialects.utils import shape_of
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.netbatch import QEMU_DIR, _pack, batch_net, run_nets, tools_missing, traced_functions
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.plan import the_function
from cmsis_opt.tools import target_check
from cmsis_opt.tools.opt import run_pipeline

from test_differential_netgen import random_network

needs_host = pytest.mark.skipif(tools_missing("host") is not None, reason=f"host: {tools_missing('host')}")


def _planned(text: str, name: str, core: str = "cortex-m0", inplace: bool = True):
    return run_pipeline(parse_ir(text, name), [DefaultPipeline(core=core, inplace=inplace)])


def _inputs(text: str, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, size=shape_of(a), dtype=np.int8)
            for a in the_function(parse_ir(text).module).body.block.args]


def _expected(text: str, inputs) -> bytes:
    return b"".join(np.asarray(y, dtype=np.int8).tobytes() for y in run_function(parse_ir(text).module, inputs))


def _tree_or_skip():
    if not os.environ.get("CMSIS_NN") and not cmsis_nn.DEFAULT_TREE.is_dir():
        pytest.skip(f"no CMSIS-NN source tree at {cmsis_nn.DEFAULT_TREE} and $CMSIS_NN unset")


def test_the_traced_functions_are_cmsis_nn_functions_with_wrappers():
    functions = traced_functions()
    assert {"arm_convolve_wrapper_s8", "arm_convolve_s8", "arm_depthwise_conv_wrapper_s8", "arm_transpose_s8",
            "arm_avgpool_s8", "arm_fully_connected_s8"} <= set(functions)
    header = (QEMU_DIR.parent / "include" / "arm_nnfunctions.h").read_text()
    for function in functions:
        assert re.search(rf"\b{function}\(", header), function


def test_networks_are_packed_into_programs_the_board_holds():
    assert _pack([(10, 1), (10, 1), (10, 1)], (25, 100)) == [[0, 1], [2]]
    assert _pack([(5, 60), (5, 60), (5, 10)], (100, 100)) == [[0], [1, 2]]
    assert _pack([(50, 1)], (10, 10)) == [[0]]  # one network alone, even when over: the link then says so


@needs_host
def test_several_networks_with_several_inputs_and_outputs_run_exact_on_the_host(tmp_path):
    texts, nets, wants = {}, [], []
    for index in range(40):  # the generator's networks include two inputs and a second output now and then
        text = random_network(np.random.default_rng([11, index]), f"n{index}")
        texts[index] = text
        inputs = _inputs(text, index)
        nets.append(batch_net(_planned(text, f"n{index}"), f"n{index}", tmp_path, inputs))
        wants.append(_expected(text, inputs))
    assert any(len(n.input_sizes) > 1 for n in nets) and any(len(n.output_sizes) > 1 for n in nets)
    runs = run_nets(nets, "host", tmp_path, None)
    assert [r.output == w for r, w in zip(runs, wants)] == [True] * len(nets)
    assert all(r.check == 0 and r.status == 0 for r in runs)
    assert any(r.scratch for r in runs) and all(needed <= planned for r in runs for _, needed, planned in r.scratch)


@needs_host
def test_a_plan_short_of_buffer_stops_the_network_and_names_the_call(tmp_path):
    text = make.conv("short", (1, 6, 6, 4), 3, kernel=(3, 3), pad=(1, 1))
    inputs = _inputs(text, 1)
    net = batch_net(_planned(text, "short"), "short", tmp_path, inputs)
    source = net.source.read_text()
    shrunk = re.sub(r"(short_ctx = \{\.buf = short_arena \+ \d+, \.size = )(\d+)\}",
                    lambda m: f"{m.group(1)}{int(m.group(2)) - 4}}}", source)
    assert shrunk != source
    net.source.write_text(shrunk)
    other = batch_net(_planned(text, "fine"), "fine", tmp_path, inputs)
    short, fine = run_nets([net, other], "host", tmp_path, None)
    assert short.check == 1 and short.status is None and short.output is None
    ((call, needed, planned),) = short.scratch
    assert call == 1 and planned == needed - 4
    assert fine.ok and fine.output == _expected(text, inputs)


@needs_host
def test_the_trace_shows_what_the_real_wrapper_dispatched_to(tmp_path):
    _tree_or_skip()
    text = make.conv("pointwise", (1, 3, 3, 8), 4)
    planned = _planned(text, "pointwise", inplace=False)  # in-place planning would run a peak 1x1 as arm_convolve_s8
    net = batch_net(planned, "pointwise", tmp_path, _inputs(text, 2))
    (run,) = run_nets([net], "host", tmp_path, cmsis_nn.build_library("host"), trace=True)
    assert run.calls == [(0, "arm_convolve_wrapper_s8"), (1, "arm_convolve_1x1_s8_fast")]


@pytest.mark.parametrize("core", list(target_check.CORES))
def test_random_networks_on_qemu_with_the_real_library_and_a_wrong_output_found(core, tmp_path):
    """target-check's random section on four networks; one expected output altered must be reported."""
    _tree_or_skip()
    missing = tools_missing(core)
    if missing:
        pytest.skip(f"cannot run {core} on QEMU: {missing}")
    prepared = target_check.prepare_all(4, 5, (core,), jobs=1)
    wrong = prepared[2]
    wrong.expected = bytes([wrong.expected[0] ^ 1]) + wrong.expected[1:]
    result = target_check.check_random(prepared, core, tmp_path, cmsis_nn.build_library(core))
    assert result.exact == {True: 3, False: 3} and result.reports > 0
    assert len(result.problems) == 2 and all("net2_" in p and "1 of" in p for p in result.problems), result.problems
    assert not result.ok
