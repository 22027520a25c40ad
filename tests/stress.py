"""`make stress`: differential testing at scale (not part of make test).

    python tests/stress.py [--networks 2000] [--batch 50] [--jobs 2] [--seed N] [--qemu N] [--patched N]

Every random network (tests/test_differential_netgen.py: convolutions,
depthwise, pools, residual add/mul, concat, pad, fully connected, softmax) is
planned under every allocation strategy with in-place overlap on and off, and
each plan is checked by verify-arena. Each network is also compiled to C under
one of those plans (the plans rotate over the networks, so every strategy and
in-place setting gets its share), many networks per host program, and the
program's outputs are compared byte for byte with the interpreter's.

With `--qemu N`, N more random networks per core then run on QEMU
(Cortex-M4 on mps2-an386, Cortex-M55 on mps3-an547) linked with Arm's
CMSIS-NN built for the core, each planned for the core with in-place overlap
on and off, many networks per program; outputs must equal the interpreter's
and every kernel call's `*_get_buffer_size` the kernel model's, within the
plan (what `make target-check` does for 100 networks per core). It needs
arm-none-eabi-gcc, qemu-system-arm (`make arm-tools`) and the CMSIS-NN tree
(../shared/cmsis-nn or $CMSIS_NN).

With `--patched N` (500 under `make stress`), N more random networks whose
graph input starts a chain of window ops (after fold-pads; half of them
from the differential generator, half chains of 1-4 window ops) run with
patching on: a random stage end (the whole chain half the time) and a
random grid (1-4 tiles per axis, up to the stage output's size, more than
one tile), the plans rotating over the strategies and
in-place on and off as above. Every third network with one int8 input
streams it (--stream-input: the host program answers NAME_read_input_rows),
and then half of those run their first op alone in R x 1 row bands (what
--stream-input without --patch makes). Each patched plan is verified,
compiled to C and run on the host; its bytes must equal the interpreter's on
the patched module (which runs the tile loop) and on the unpatched network.

Prints the counts; exits 1 if any network mismatches or fails to plan.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_differential_netgen import random_network  # noqa: E402
from test_patch_split import random_chain, random_residual  # noqa: E402

from cmsis_opt.allocators import STRATEGIES  # noqa: E402
from cmsis_opt.context import make_context  # noqa: E402
from cmsis_opt.backend.c import emit_c  # noqa: E402
from cmsis_opt.dialects import cmsis  # noqa: E402
from cmsis_opt.dialects.utils import element_bytes, shape_of  # noqa: E402
from cmsis_opt.errors import CompileError  # noqa: E402
from cmsis_opt.hostbuild import HostModel, build_host, build_runtime  # noqa: E402
from cmsis_opt.interpreter import run_function  # noqa: E402
from cmsis_opt.ir import parse_ir  # noqa: E402
from cmsis_opt.passes.default import DefaultPipeline  # noqa: E402
from cmsis_opt.passes.fold_pads import FoldPadsPass  # noqa: E402
from cmsis_opt.passes.patch_split import stage_chain, stage_ends  # noqa: E402
from cmsis_opt.plan import the_function  # noqa: E402
from cmsis_opt.tools.opt import run_pipeline  # noqa: E402

PLANS = [(strategy, inplace) for inplace in (True, False) for strategy in STRATEGIES]


def network(seed: int, index: int) -> str:
    return random_network(np.random.default_rng([seed, index]), f"net{index}")


def inputs_of(module, seed: int, index: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, index, 1])
    func = next(iter(module.ops))
    return [rng.integers(-128, 128, size=shape_of(arg), dtype=np.int8) for arg in func.body.block.args]


def plan(text: str, name: str, strategy: str, inplace: bool):
    """The module planned by the default memory pipeline (verify-arena included) with this strategy."""
    return run_pipeline(parse_ir(text, name), [DefaultPipeline(inplace=inplace, strategy=strategy)])


def run_batch(seed: int, indices: list[int], runtime: list[Path], workdir: str) -> dict:
    """Plan every network of the batch under every plan, build one host program, compare outputs."""
    counts = {"networks": 0, "plans": 0, "mismatches": [], "failures": []}
    work = Path(workdir)
    models, sources, expected = [], [], {}
    for index in indices:
        text = network(seed, index)
        name = f"net{index}"
        chosen = PLANS[index % len(PLANS)]
        emitted = None
        for strategy, inplace in PLANS:
            try:
                module = plan(text, name, strategy, inplace)
            except CompileError as error:
                counts["failures"].append(f"{name} {strategy} inplace={inplace}: {error}")
                continue
            counts["plans"] += 1
            if (strategy, inplace) == chosen:
                emitted = module
        if emitted is None:
            continue
        header, c_source = emit_c(emitted, name)
        (work / f"{name}.h").write_text(header)
        (work / f"{name}.c").write_text(c_source)
        sources.append(work / f"{name}.c")
        func = next(iter(emitted.ops))
        outs = func.body.block.last_op.operands
        models.append(HostModel(name, [int(np.prod(shape_of(a))) for a in func.body.block.args],
                                [int(np.prod(shape_of(v))) for v in outs]))
        reference = parse_ir(text, name).module
        feed = inputs_of(reference, seed, index)
        want = np.concatenate([e.reshape(-1) for e in run_function(reference, feed)]).astype(np.int8)
        expected[index] = (feed, want)
    program = work / "stress_host"
    build_host(sources, models, program, runtime)
    for index, (feed, want) in expected.items():
        result = subprocess.run([str(program), f"net{index}"], input=b"".join(x.tobytes() for x in feed),
                                capture_output=True)
        got = np.frombuffer(result.stdout, dtype=np.int8)
        counts["networks"] += 1
        if result.returncode != 0 or not np.array_equal(got, want):
            strategy, inplace = PLANS[index % len(PLANS)]
            counts["mismatches"].append(f"net{index} ({strategy}, inplace={inplace}): exit {result.returncode}, "
                                        f"{int(np.sum(got != want)) if got.size == want.size else 'size'} differ")
    return counts


def batch_results(work, seed: int, batches: list, runtime: list[Path], tmp: str, jobs: int):
    """`work(seed, batch, runtime, directory)` of every batch on `jobs` processes, each batch in a directory of its
    own under `tmp`; yields the batches' counts in order."""
    dirs = []
    for k in range(len(batches)):
        d = Path(tmp) / f"batch{k}"
        d.mkdir()
        dirs.append(str(d))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(work, itertools.repeat(seed), batches, itertools.repeat(runtime), dirs)


def tally(total: dict, counts: dict, prefix: str = "") -> None:
    """Add a batch's mismatches and failures to `total`, printing each."""
    for key in ("mismatches", "failures"):
        total[key] += counts[key]
        for line in counts[key]:
            print(f"{prefix}{key[:-1]}: {line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--qemu", type=int, default=0, metavar="N",
                        help="also N random networks per core on QEMU with the real CMSIS-NN (default 0)")
    parser.add_argument("--patched", type=int, default=0, metavar="N",
                        help="also N random networks with patching on, random stage ends and grids (default 0)")
    args = parser.parse_args(argv)
    host_status = host_stress(args) if args.networks > 0 else 0
    patched_status = patched_stress(args.patched, args.seed, args.batch, args.jobs) if args.patched > 0 else 0
    qemu_status = qemu_stress(args.qemu, args.seed, args.jobs) if args.qemu > 0 else 0
    return host_status or patched_status or qemu_status


# -- patched networks ------------------------------------------------------------------------


def patched_network(seed: int, index: int) -> str:
    """Even indices: a network of the differential generator; indices 1 mod 4: a chain of 1-4 window ops and a
    1x1 conv, 3 mod 4: inverted residual blocks (tests/test_patch_split.py), so deeper stages, with their halos,
    and stages past residual adds get their share."""
    rng = np.random.default_rng([seed, 7, index])
    if index % 2 == 0:
        return random_network(rng, f"pnet{index}")
    if index % 4 == 3:
        return random_residual(rng)
    while (text := random_chain(rng, int(rng.integers(1, 5)))) is None:
        pass
    return text


def patch_draw(seed: int, index: int) -> tuple[int, tuple[int, int]] | None:
    """(stage ops, grid) for patched network `index`, drawn from its chain after fold-pads; None without a chain."""
    module = parse_ir(patched_network(seed, index), f"pnet{index}").module
    FoldPadsPass().apply(make_context(), module)
    func = the_function(module)
    chain, ends = stage_chain(func), stage_ends(func)
    if not chain:
        return None
    rng = np.random.default_rng([seed, 8, index])
    adds = [i for i, op in enumerate(chain) if isinstance(op, cmsis.AddOp)]
    past = [e for e in ends if adds and e > adds[0]]  # stage ends that take a residual block in
    ops = ends[-1] if rng.random() < 0.4 else int(rng.choice(past if past and rng.random() < 0.6 else ends))
    _, h, w, _ = shape_of(chain[ops - 1].results[0])
    while True:  # one tile only where the stage output is a single pixel
        grid = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
        if grid != (1, 1) or h * w == 1:
            return ops, grid


def patched_draws(count: int, seed: int) -> list[tuple[int, int, tuple[int, int]]]:
    """(network index, stage ops, grid) of the first `count` random networks that have a stage chain."""
    found = []
    index = 0
    while len(found) < count:
        draw = patch_draw(seed, index)
        if draw is not None:
            found.append((index, *draw))
        index += 1
    return found


def run_patched_batch(seed: int, draws: list[tuple[int, int, tuple[int, int]]], runtime: list[Path],
                      workdir: str) -> dict:
    """Plan each network patched, check the interpreter on it against the unpatched one, build one host program
    for the batch and compare its outputs."""
    counts: dict = {"networks": 0, "mismatches": [], "failures": []}
    work = Path(workdir)
    models, sources, expected = [], [], {}
    for index, ops, grid in draws:
        text, name = patched_network(seed, index), f"pnet{index}"
        strategy, inplace = PLANS[index % len(PLANS)]
        args = the_function(parse_ir(text, name).module).body.block.args
        stream = index % 3 == 0 and len(args) == 1 and element_bytes(args[0]) == 1
        folded = parse_ir(text, name).module
        FoldPadsPass().apply(make_context(), folded)
        if stream and index % 2 == 0 and 1 in stage_ends(the_function(folded)):  # the first op alone, in row bands
            height = shape_of(stage_chain(the_function(folded))[0].results[0])[1]
            ops, grid = 1, (int(np.random.default_rng([seed, 9, index]).integers(1, min(height, 4) + 1)), 1)
        where = (f"{name} (stage of {ops} ops, {grid[0]}x{grid[1]} tiles, {strategy}, inplace={inplace}"
                 f"{', input streamed' if stream else ''})")
        try:
            module = run_pipeline(parse_ir(text, name), [DefaultPipeline(
                inplace=inplace, strategy=strategy, patch=f"{grid[0]}x{grid[1]}", patch_ops=ops, stream_input=stream)])
        except CompileError as error:
            counts["failures"].append(f"{where}: {error}")
            continue
        reference = parse_ir(text, name).module
        feed = inputs_of(reference, seed, index)
        want = np.concatenate([e.reshape(-1) for e in run_function(reference, feed)]).astype(np.int8)
        tiled = np.concatenate([e.reshape(-1) for e in run_function(module, feed)]).astype(np.int8)
        if not np.array_equal(tiled, want):
            counts["mismatches"].append(f"{where}: the interpreter's tile loop differs from the unpatched network "
                                        f"in {int(np.sum(tiled != want))} bytes")
        header, c_source = emit_c(module, name)
        (work / f"{name}.h").write_text(header)
        (work / f"{name}.c").write_text(c_source)
        sources.append(work / f"{name}.c")
        func = the_function(module)
        models.append(HostModel(name, [int(np.prod(shape_of(a))) for a in func.body.block.args],
                                [int(np.prod(shape_of(v))) for v in func.body.block.last_op.operands],
                                shape_of(func.body.block.args[0])[1] if stream else 0))
        expected[name] = (where, feed, want)
    if models:
        program = work / "patched_host"
        build_host(sources, models, program, runtime)
        for name, (where, feed, want) in expected.items():
            result = subprocess.run([str(program), name], input=b"".join(x.tobytes() for x in feed),
                                    capture_output=True)
            got = np.frombuffer(result.stdout, dtype=np.int8)
            counts["networks"] += 1
            if result.returncode != 0 or not np.array_equal(got, want):
                counts["mismatches"].append(f"{where}: host C exit {result.returncode}, "
                                            f"{int(np.sum(got != want)) if got.size == want.size else 'size'} differ")
    return counts


def patched_stress(count: int, seed: int, batch: int, jobs: int) -> int:
    """`count` random networks with patching on: host C and the interpreter's tile loop against the unpatched
    network; 1 on any mismatch or planning failure."""
    start = time.monotonic()
    draws = patched_draws(count, seed)
    total: dict = {"networks": 0, "mismatches": [], "failures": []}
    with tempfile.TemporaryDirectory(prefix="cmsis-stress-patched-") as tmp:
        runtime = build_runtime(Path(tmp))
        batches = [draws[i:i + batch] for i in range(0, len(draws), batch)]
        for done, counts in enumerate(batch_results(run_patched_batch, seed, batches, runtime, tmp, jobs), 1):
            total["networks"] += counts["networks"]
            tally(total, counts, "patched ")
            print(f"patched batch {done}/{len(batches)}: {total['networks']} networks, "
                  f"{len(total['mismatches'])} mismatches, {time.monotonic() - start:.0f} s", flush=True)
    tiles = sum(g[0] * g[1] for _, _, g in draws)
    print(f"patched: {total['networks']} networks with patching on ({sum(d[1] for d in draws)} stage ops, "
          f"{tiles} tiles in all), host C and the interpreter's tile loop against the unpatched network, "
          f"mismatches: {len(total['mismatches'])}, planning failures: {len(total['failures'])}, "
          f"{time.monotonic() - start:.0f} s")
    return 1 if total["mismatches"] or total["failures"] else 0


def qemu_stress(count: int, seed: int, jobs: int) -> int:
    """`count` random networks per QEMU core, in-place on and off, against the interpreter; 1 on any problem."""
    from cmsis_opt.cmsis_nn import build_library
    from cmsis_opt.netbatch import tools_missing
    from cmsis_opt.tools import target_check

    cores = tuple(target_check.CORES)
    for core in cores:
        missing = tools_missing(core)
        if missing:
            print(f"error: cannot run {core} on QEMU: {missing}", file=sys.stderr)
            return 1
    try:
        libraries = {core: build_library(core) for core in cores}
    except CompileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    start = time.monotonic()
    prepared = target_check.prepare_all(count, seed, cores, jobs)
    print(f"qemu: {count} networks generated, interpreted and planned for {', '.join(cores)} "
          f"(in-place on and off) in {time.monotonic() - start:.0f} s", flush=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="cmsis-stress-qemu-") as tmp:
        for core in cores:
            result = target_check.check_random(prepared, core, Path(tmp), libraries[core], jobs)
            for problem in result.problems:
                print(f"problem: {problem}", flush=True)
            print(f"qemu: {target_check.random_summary(result)}", flush=True)
            failed = failed or not result.ok
    print(f"qemu: {count} networks per core on {len(cores)} cores, {time.monotonic() - start:.0f} s in all")
    return 1 if failed else 0


def host_stress(args) -> int:
    """The host part: every strategy, in-place on and off, C against the interpreter."""
    start = time.monotonic()
    total = {"networks": 0, "plans": 0, "mismatches": [], "failures": []}
    with tempfile.TemporaryDirectory(prefix="cmsis-stress-") as tmp:
        runtime = build_runtime(Path(tmp))
        batches = [list(range(i, min(i + args.batch, args.networks))) for i in range(0, args.networks, args.batch)]
        for done, counts in enumerate(batch_results(run_batch, args.seed, batches, runtime, tmp, args.jobs), 1):
            for key in ("networks", "plans"):
                total[key] += counts[key]
            tally(total, counts)
            print(f"batch {done}/{len(batches)}: {total['networks']} networks, {total['plans']} plans verified, "
                  f"{len(total['mismatches'])} mismatches, {time.monotonic() - start:.0f} s", flush=True)
    print(f"stress: {total['networks']} networks compiled to C and run, {total['plans']} plans checked by "
          f"verify-arena ({len(STRATEGIES)} strategies x in-place on/off), mismatches: {len(total['mismatches'])}, "
          f"planning failures: {len(total['failures'])}, {time.monotonic() - start:.0f} s")
    return 1 if total["mismatches"] or total["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
