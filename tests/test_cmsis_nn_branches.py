"""Every dispatch branch our ops reach in Arm's CMSIS-NN v7.0.0, run with the real library on its three build paths.

C: the library built for the host (the portable path), the plan made for
cortex-m0. DSP: Cortex-M4 on QEMU's mps2-an386. MVE: Cortex-M55 on QEMU's
mps3-an547. For each branch a one-kernel network that reaches it (built by
tests/cmsis_nn_cases.py, or read from ../shared/cases), planned by the
default pipeline with in-place overlap on and off (`kernel_switch=never`, so
in-place planning keeps the op on its branch instead of moving a peak 1x1
convolution to arm_convolve_s8, which conv_forced_generic covers); all networks of a path
run in one program (cmsis_opt.netbatch with runtime/qemu/batch_harness.c).
Per network and path:

1. the outputs equal the reference interpreter's, byte for byte;
2. the real `*_get_buffer_size` of the call (reported by NAME_check()
   through CMSIS_OPT_SCRATCH_REPORT) equals `op.scratch_bytes(path)` and is
   no more than the planned buffer, which is `op.planned_scratch(path)`: the
   most the target path and the host's C path need. It is larger than the
   call needs exactly where a case says so (`plan_larger`): the MVE 1xN
   convolution sizes one padded column, the C path's arm_convolve_s8 two
   im2col columns. The MVE fully connected layer's buffer is a constant
   table of kernel sums in flash (`kernel_sums`), not RAM: there the need
   equals the table, and `scratch_bytes` is 0;
3. the functions that really ran, seen by linking with `-Wl,--wrap` for
   each traced CMSIS-NN function (runtime/qemu/kernel_trace.c), are the
   case's chain, and `op.kernel_function(path)` names the one the wrapper
   dispatched to (the generated code's own call when it calls a kernel
   directly). Calls inside one library file are not seen: which branch of
   arm_transpose_s8 runs (rank 2 / 3 / 4, the MVE nhcw branch for perm
   (0, 1, 3, 2)) follows from its own conditions, given in each case.

Skips with a message without the CMSIS-NN tree (../shared/cmsis-nn or
$CMSIS_NN), a host C compiler, or arm-none-eabi-gcc / qemu-system-arm.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import cmsis_nn_cases as make
from cmsis_opt import cmsis_nn
from cmsis_opt.dialects.cmsis_fully_connected import FullyConnectedOp
from cmsis_opt.dialects.utils import shape_of
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import parse_ir
from cmsis_opt.netbatch import NetRun, batch_net, library_need, run_nets, tools_missing
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.plan import memory_plan, the_function
from cmsis_opt.tools.opt import run_pipeline

CASES_DIR = Path(__file__).resolve().parents[2] / "shared" / "cases"

# The build paths: (what runs them, the core the plan is made for).
PATHS = {"c": ("host", "cortex-m0"), "dsp": ("cortex-m4", "cortex-m4"), "mve": ("cortex-m55", "cortex-m55")}

W, CS8 = "arm_convolve_wrapper_s8", "arm_convolve_s8"
FAST, STRIDED, ONE_BY_N = "arm_convolve_1x1_s8_fast", "arm_convolve_1x1_s8", "arm_convolve_1_x_n_s8"
DW, DW3, DWO, DWG = ("arm_depthwise_conv_wrapper_s8", "arm_depthwise_conv_3x3_s8", "arm_depthwise_conv_s8_opt",
                     "arm_depthwise_conv_s8")
AVG, FC, TRANSPOSE = "arm_avgpool_s8", "arm_fully_connected_s8", "arm_transpose_s8"


@dataclass(frozen=True)
class Branch:
    """A network reaching one branch: `chains[path]` are the traced calls, outermost first (each calls the next)."""

    name: str
    wrapper: str
    branch: str
    text: str | None  # IR; None: read ../shared/cases/NAME.mlir at test time
    chains: dict[str, tuple[str, ...]]
    plan_larger: frozenset[str] = field(default_factory=frozenset)
    why: str = ""

    @staticmethod
    def of(name, wrapper, branch, text, c, dsp=None, mve=None, plan_larger=(), why=""):
        chains = {"c": c, "dsp": dsp or c, "mve": mve or dsp or c}
        return Branch(name, wrapper, branch, text, chains, frozenset(plan_larger), why)


CONV, DEPTHWISE = "arm_convolve_wrapper_s8", "arm_depthwise_conv_wrapper_s8"
BRANCHES = [
    # arm_convolve_wrapper_s8: padding 0, 1x1 filter, dilation 1 -> 1x1; stride 1 -> fast.
    Branch.of("conv_1x1_fast", CONV, "1x1 fast", make.conv("conv_1x1_fast", (1, 5, 6, 12), 7), (W, FAST)),
    Branch.of("conv_1x1_fast_batch2", CONV, "1x1 fast, 2 batches, odd channels",
              make.conv("conv_1x1_fast_batch2", (2, 3, 4, 5), 3), (W, FAST)),
    Branch.of("conv_1x1_strided", CONV, "1x1 strided",
              make.conv("conv_1x1_strided", (1, 7, 9, 5), 6, stride=(2, 2)), (W, STRIDED)),
    # One input row, 1xN filter, dilation 1, stride * C_IN % 4 == 0 -> 1xN, which runs arm_convolve_s8 on C/DSP.
    Branch.of("conv_1xn_same", CONV, "1xN, SAME padding",
              make.conv("conv_1xn_same", (1, 1, 10, 4), 6, kernel=(1, 3), pad=(0, 1)),
              (W, ONE_BY_N, CS8), mve=(W, ONE_BY_N), plan_larger={"mve"},
              why="MVE sizes one padded column (16 B); the plan keeps the C path's two im2col columns (48 B)"),
    Branch.of("conv_1xn_same_batch2", CONV, "1xN, SAME padding, 2 batches",
              make.conv("conv_1xn_same_batch2", (2, 1, 9, 4), 5, kernel=(1, 5), pad=(0, 2)),
              (W, ONE_BY_N, CS8), mve=(W, ONE_BY_N), plan_larger={"mve"}),
    Branch.of("conv_1xn_stride2", CONV, "1xN, stride 2, padding 1 each side",
              make.conv("conv_1xn_stride2", (1, 1, 7, 2), 4, kernel=(1, 3), stride=(1, 2), pad=(0, 1)),
              (W, ONE_BY_N, CS8), mve=(W, ONE_BY_N), plan_larger={"mve"}),
    # MVE 1xN: its padded sections do not add up to the output width -> its own call of arm_convolve_s8.
    Branch.of("conv_1xn_mve_fallback", CONV, "1xN, MVE falls back to arm_convolve_s8 inside",
              make.conv("conv_1xn_mve_fallback", (1, 1, 1, 4), 5, kernel=(1, 3), pad=(0, 1)),
              (W, ONE_BY_N, CS8)),
    # MVE 1xN returns ARM_CMSIS_NN_FAILURE for other than SAME padding: the generated code calls arm_convolve_s8.
    Branch.of("conv_1xn_left_pad_only", CONV, "1xN, left padding only (MVE: failure avoided)",
              make.conv("conv_1xn_left_pad_only", (1, 1, 10, 4), 6, kernel=(1, 3), pad=(0, 1), end=(0, 0)),
              (W, ONE_BY_N, CS8), mve=(CS8,)),
    # MVE 1xN, stride 2, SAME (1 left, 2 right): its right-edge im2col reads past the row -> arm_convolve_s8.
    Branch.of("conv_1xn_right_edge", CONV, "1xN, stride 2, kernel 5, SAME (MVE: wrong reads avoided)",
              make.conv("conv_1xn_right_edge", (1, 1, 8, 2), 4, kernel=(1, 5), stride=(1, 2), pad=(0, 1), end=(0, 2)),
              (W, ONE_BY_N, CS8), mve=(CS8,)),
    Branch.of("conv_one_row_not_1xn", CONV, "one row, stride * C_IN % 4 != 0: generic",
              make.conv("conv_one_row_not_1xn", (1, 1, 9, 3), 4, kernel=(1, 3), pad=(0, 1)), (W, CS8)),
    Branch.of("conv_generic", CONV, "generic 3x3",
              make.conv("conv_generic", (1, 6, 7, 3), 5, kernel=(3, 3), pad=(1, 1)), (W, CS8)),
    Branch.of("conv_generic_dilated", CONV, "generic, dilation 2, stride 2, 2 batches",
              make.conv("conv_generic_dilated", (2, 7, 7, 3), 4, kernel=(3, 3), stride=(2, 2), pad=(2, 2),
                        dilation=(2, 2)), (W, CS8)),
    Branch.of("conv_forced_generic", CONV, "1x1 forced to arm_convolve_s8 (kernel = generic)",
              make.conv("conv_forced_generic", (1, 4, 4, 8), 6, generic=True), (CS8,)),
    # arm_depthwise_conv_wrapper_s8 on MVE: one input channel, more than one output -> a convolution, which the
    # generated code calls itself with the filter transposed at compile time.
    Branch.of("dw1_min", DEPTHWISE, "MVE one input channel -> conv (../shared/cases/dw1_min.mlir)", None,
              (DW, DWG), mve=(W, CS8)),
    Branch.of("dw_one_channel_1x1", DEPTHWISE, "MVE one input channel -> 1x1 conv",
              make.depthwise("dw_one_channel_1x1", (1, 4, 4, 1), 3, kernel=(1, 1)), (DW, DWG), mve=(W, FAST)),
    Branch.of("dw_one_channel_3x3", DEPTHWISE, "MVE one input channel -> generic conv, stride 2",
              make.depthwise("dw_one_channel_3x3", (1, 7, 7, 1), 4, stride=(2, 2), pad=(1, 1)),
              (DW, DWG), mve=(W, CS8)),
    Branch.of("dw_one_channel_1xn", DEPTHWISE, "MVE one input channel -> 1xN conv, stride 4",
              make.depthwise("dw_one_channel_1xn", (1, 1, 13, 1), 2, kernel=(1, 3), stride=(1, 4), pad=(0, 1)),
              (DW, DWG), mve=(W, ONE_BY_N)),
    Branch.of("dw_one_channel_mult1", DEPTHWISE, "one input and one output channel: not converted (threshold 1)",
              make.depthwise("dw_one_channel_mult1", (1, 5, 5, 1), 1, pad=(1, 1)), (DW, DW3), mve=(DW, DWO)),
    # Multiplier 1, one batch, no dilation: 3x3 with padding <= 1 (not MVE), else opt (which is generic on C).
    Branch.of("dw_3x3", DEPTHWISE, "3x3 (opt on MVE)",
              make.depthwise("dw_3x3", (1, 6, 6, 8), 1, pad=(1, 1)), (DW, DW3), mve=(DW, DWO)),
    Branch.of("dw_3x3_stride2", DEPTHWISE, "3x3, stride 2, padding on top only",
              make.depthwise("dw_3x3_stride2", (1, 7, 8, 5), 1, stride=(2, 2), pad=(1, 0), end=(1, 1)),
              (DW, DW3), mve=(DW, DWO)),
    Branch.of("dw_opt", DEPTHWISE, "opt, 3x2 filter",
              make.depthwise("dw_opt", (1, 7, 7, 6), 1, kernel=(3, 2), pad=(1, 0), end=(1, 1)),
              (DW, DWO, DWG), dsp=(DW, DWO)),
    Branch.of("dw_opt_3x3_pad2", DEPTHWISE, "opt: 3x3 with padding 2",
              make.depthwise("dw_opt_3x3_pad2", (1, 5, 5, 4), 1, pad=(2, 2)), (DW, DWO, DWG), dsp=(DW, DWO)),
    Branch.of("dw_opt_130_channels", DEPTHWISE, "opt, 130 channels (MVE: two channel blocks)",
              make.depthwise("dw_opt_130_channels", (1, 4, 4, 130), 1, kernel=(2, 2)), (DW, DWO, DWG),
              dsp=(DW, DWO)),
    Branch.of("dw_generic_mult2", DEPTHWISE, "generic, multiplier 2",
              make.depthwise("dw_generic_mult2", (1, 5, 5, 3), 2, pad=(1, 1)), (DW, DWG)),
    Branch.of("dw_generic_mult4", DEPTHWISE, "generic, multiplier 4",
              make.depthwise("dw_generic_mult4", (1, 5, 5, 2), 4, pad=(1, 1)), (DW, DWG)),
    Branch.of("dw_generic_batch2", DEPTHWISE, "generic, 2 batches",
              make.depthwise("dw_generic_batch2", (2, 4, 4, 4), 1, pad=(1, 1)), (DW, DWG)),
    Branch.of("dw_generic_dilated", DEPTHWISE, "generic, dilation 2",
              make.depthwise("dw_generic_dilated", (1, 7, 7, 4), 1, pad=(2, 2), dilation=(2, 2)), (DW, DWG)),
    # Kernels with scratch or path-dependent code.
    Branch.of("avgpool", AVG, "3x3 stride 2, padded (DSP: one int32 per channel)",
              make.avg_pool("avgpool", (1, 6, 6, 5), (3, 3), (2, 2), pad=(1, 1)), (AVG,)),
    Branch.of("avgpool_batch2", AVG, "2x2 stride 1, 2 batches",
              make.avg_pool("avgpool_batch2", (2, 5, 4, 7), (2, 2), (1, 1)), (AVG,)),
    Branch.of("fc_two_batches", FC, "2 batches (MVE: kernel sums from a constant table)",
              make.fully_connected("fc_two_batches", 2, 20, 7), (FC,)),
    Branch.of("transpose_rank2", TRANSPOSE, "rank 2 (nhcw on dims {1, 1, n, h})",
              make.transpose("transpose_rank2", (5, 7), (1, 0)), (TRANSPOSE,)),
    Branch.of("transpose_rank3", TRANSPOSE, "rank 3 (default loop)",
              make.transpose("transpose_rank3", (3, 4, 5), (2, 0, 1)), (TRANSPOSE,)),
    Branch.of("transpose_rank4", TRANSPOSE, "rank 4 (default loop)",
              make.transpose("transpose_rank4", (2, 3, 4, 5), (0, 2, 1, 3)), (TRANSPOSE,)),
    Branch.of("transpose_rank4_reverse", TRANSPOSE, "rank 4, reversed (default loop)",
              make.transpose("transpose_rank4_reverse", (2, 3, 4, 5), (3, 2, 1, 0)), (TRANSPOSE,)),
    Branch.of("transpose_nhcw", TRANSPOSE, "rank 4, perm (0, 1, 3, 2) (MVE: the nhcw branch)",
              make.transpose("transpose_nhcw", (2, 3, 9, 5), (0, 1, 3, 2)), (TRANSPOSE,)),
]


def branch_text(branch: Branch) -> str:
    if branch.text is not None:
        return branch.text
    path = CASES_DIR / f"{branch.name}.mlir"
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared cases live beside the repository in ../shared/cases)")
    return path.read_text()


def c_name(branch: Branch, inplace: bool) -> str:
    return f"{branch.name}_{'inplace' if inplace else 'apart'}"


@dataclass
class Ran:
    module: object
    run: NetRun
    expected: bytes


def run_path(path: str, workdir: Path, branches=BRANCHES) -> dict[tuple[str, bool], Ran]:
    """Every branch network, in-place on and off, planned for `path`'s core and run there with the real library."""
    target, core = PATHS[path]
    library = cmsis_nn.build_library(target)
    nets, modules, expected = [], [], []
    for branch in branches:
        if branch.text is None and not (CASES_DIR / f"{branch.name}.mlir").is_file():
            continue
        text = branch_text(branch)
        reference = parse_ir(text).module
        inputs = make.inputs_for(branch.name, [shape_of(a) for a in the_function(reference).body.block.args])
        want = b"".join(np.asarray(y, dtype=np.int8).tobytes() for y in run_function(reference, inputs))
        for inplace in (True, False):
            pipeline = DefaultPipeline(core=core, inplace=inplace, kernel_switch="never")
            module = run_pipeline(parse_ir(text, branch.name), [pipeline])
            nets.append(batch_net(module, c_name(branch, inplace), workdir, inputs))
            modules.append((branch.name, inplace, module))
            expected.append(want)
    runs = run_nets(nets, target, workdir, library, trace=True)
    return {(name, inplace): Ran(module, run, want)
            for (name, inplace, module), run, want in zip(modules, runs, expected)}


_results: dict[str, dict] = {}


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """path -> the results of run_path, each path built and run once."""
    if not os.environ.get("CMSIS_NN") and not cmsis_nn.DEFAULT_TREE.is_dir():
        pytest.skip(f"no CMSIS-NN source tree at {cmsis_nn.DEFAULT_TREE} and $CMSIS_NN unset "
                    "(these tests run the real library)")

    def get(path: str):
        missing = tools_missing(PATHS[path][0])
        if missing:
            pytest.skip(f"cannot run the {path.upper()} path: {missing}")
        if path not in _results:
            _results[path] = run_path(path, tmp_path_factory.mktemp(f"branches-{path}"))
        return _results[path]

    return get


def dispatched(calls: list[tuple[int, str]]) -> str:
    """The function the generated code's call ended in: what a wrapper dispatched to, else the call itself."""
    top = calls[0][1]
    return calls[1][1] if top in (W, DW) and len(calls) > 1 else top


@pytest.mark.parametrize("inplace", [True, False], ids=["inplace", "apart"])
@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("branch", BRANCHES, ids=[b.name for b in BRANCHES])
def test_branch_runs_exact_with_the_planned_buffer_and_the_modelled_function(branch, path, inplace, ran):
    branch_text(branch)  # skips a shared case that is absent
    result = ran(path)[(branch.name, inplace)]
    run = result.run
    assert run.check == 0 and run.status == 0, f"check {run.check}, invoke {run.status}:\n" + "\n".join(run.log)
    assert run.output == result.expected, (f"outputs differ in {sum(a != b for a, b in zip(run.output, result.expected))}"
                                           f" of {len(result.expected)} bytes")

    (op,) = memory_plan(result.module).steps
    assert tuple(f for _, f in run.calls) == branch.chains[path], run.calls
    assert [d for d, _ in run.calls] == list(range(len(run.calls)))  # each call made by the one before it
    assert op.kernel_function(path) == dispatched(run.calls)

    region = memory_plan(result.module).scratch(op)
    planned = region.size if region is not None else 0
    assert planned == op.planned_scratch(path)
    if branch.wrapper == TRANSPOSE:
        assert run.scratch == [] and op.scratch_bytes(path) == 0  # arm_transpose_s8 takes no buffer
        return
    ((call, needed, given),) = run.scratch
    assert call == 1
    assert needed == library_need(op, path)
    if isinstance(op, FullyConnectedOp) and path == "mve":
        assert op.scratch_bytes(path) == 0 and given == needed == 4 * len(op.kernel_sums())  # flash, not arena
    else:
        assert given == planned
        assert needed <= planned
        assert (planned > needed) == (path in branch.plan_larger), \
            f"planned {planned}, needed {needed}: {branch.why or 'no case for a larger plan'}"


def test_every_branch_is_reached_and_the_cases_are_distinct():
    """The wrappers' branches the cases claim; a typo in a chain would leave a branch unchecked."""
    reached = {(path, chain[:2]) for b in BRANCHES for path, chain in b.chains.items()}
    for path in PATHS:
        for chain in [(W, FAST), (W, STRIDED), (W, ONE_BY_N), (W, CS8), (CS8,), (DW, DWO), (DW, DWG), (AVG,), (FC,),
                      (TRANSPOSE,)]:
            assert (path, chain) in reached, (path, chain)
    assert ("dsp", (DW, DW3)) in reached and ("c", (DW, DW3)) in reached
    assert ("mve", (W, ONE_BY_N, CS8)) in {(p, c) for b in BRANCHES for p, c in b.chains.items()}
    assert len({b.name for b in BRANCHES}) == len(BRANCHES)


def branch_table(paths=tuple(PATHS)) -> str:
    """The audit as a markdown table (run this file as a script to print it)."""
    import tempfile

    lines = ["| wrapper | branch | path | network | function(s) run | real buffer | planned | exact (in-place / apart) |",
             "|---|---|---|---|---|---:|---:|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            results = run_path(path, Path(tmp) / path)
            for b in BRANCHES:
                if (b.name, True) not in results:
                    continue
                exact = []
                for inplace in (True, False):
                    r = results[(b.name, inplace)]
                    exact.append("yes" if r.run.ok and r.run.output == r.expected else "NO")
                r = results[(b.name, True)]
                needed = r.run.scratch[0][1] if r.run.scratch else 0
                given = r.run.scratch[0][2] if r.run.scratch else 0
                lines.append(f"| {b.wrapper} | {b.branch} | {path} | {b.name} | {' > '.join(f for _, f in r.run.calls)} "
                             f"| {needed} | {given} | {' / '.join(exact)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(branch_table(tuple(sys.argv[1:]) or tuple(PATHS)))
