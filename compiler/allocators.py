"""Placement strategies: give each block (size, live steps) an offset in one arena. Pure Python, no IR.

Two blocks live at a common step must not share a byte, except an alias pair
(`out` written over its input `src` by the op at `out`'s first step, where
`src` is read for the last time), which may overlap as long as
offset(out) - offset(src) <= max_delta. If `src` is read later, the alias
licenses nothing: the op would overwrite bytes still needed.

Every placement works on the same primitive: for a block and the blocks
already placed, the offsets it may not take form open intervals (lo, hi);
the free offsets are what is left. First fit takes the lowest free offset,
best fit the tightest gap.

Strategies: `naive` (no reuse), `greedy-by-size` (TensorFlow Lite Micro's
GreedyMemoryPlanner: sizes rounded up to the alignment, largest first, ties
to the block added last, lowest gap among blocks live at the same time),
`best-fit` (the best of several orders with best fit, first fit and a
two-sided fit that packs from both ends), `optimal` (branch and bound, see
`_Search`: complete without aliases; with aliases it proves a plan minimal
only by meeting the lower bound) and `auto` (the heuristics, then the search
if they miss the lower bound).

Lower bounds (`aligned_lower_bound`): the largest load of a step, less what
alias pairs may share there; the drift of alias chains (`chain_lower_bound`);
offsets rounded to the alignment at steps without aliases.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

STRATEGIES = ("auto", "naive", "greedy-by-size", "best-fit", "optimal")
INF = float("inf")


def align_up(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def align_down(value: int, alignment: int) -> int:
    return value // alignment * alignment


@dataclass(frozen=True)
class Block:
    """A buffer to place: `size` bytes live from step `first` to step `last` (inclusive)."""

    size: int
    first: int
    last: int
    name: str = ""


@dataclass(frozen=True)
class Alias:
    """Block `out` may overlap block `src` if offset(out) - offset(src) <= max_delta."""

    out: int
    src: int
    max_delta: int


@dataclass
class Problem:
    blocks: Sequence[Block]
    aliases: Sequence[Alias] = ()
    alignment: int = 1
    neighbours: list[list[tuple[int, int, int]]] = field(init=False, repr=False)
    bound: int | None = field(default=None, init=False, repr=False)  # aligned_lower_bound, once computed
    """Per block: (other block, relation, delta).

    relation 0 = disjoint, 1 = this is the alias out, 2 = this is the src."""

    def __post_init__(self) -> None:
        if self.alignment < 1:
            raise ValueError(f"alignment must be >= 1, got {self.alignment}")
        self.neighbours = _neighbours(self.blocks, self.aliases)

    @property
    def has_aliases(self) -> bool:
        return any(rel for row in self.neighbours for _, rel, _ in row)


@dataclass
class Placement:
    offsets: list[int]
    size: int
    strategy: str
    exact: bool = False
    """True when the size is proven minimal (it meets the lower bound, or the search finished)."""
    note: str = ""


def _neighbours(blocks: Sequence[Block], aliases: Sequence[Alias]) -> list[list[tuple[int, int, int]]]:
    """Pairs live at a common step, found by a sweep over the steps (no n^2 scan)."""
    licence: dict[tuple[int, int], int] = {}
    for a in aliases:
        key = (a.out, a.src)
        licence[key] = max(licence.get(key, a.max_delta), a.max_delta)
    order = sorted(range(len(blocks)), key=lambda i: blocks[i].first)
    active: list[int] = []
    rows: list[list[tuple[int, int, int]]] = [[] for _ in blocks]
    for i in order:
        b = blocks[i]
        active = [j for j in active if blocks[j].last >= b.first]
        for j in active:
            rel_i, rel_j, delta = 0, 0, 0
            for out, src in ((i, j), (j, i)):
                if (out, src) in licence and blocks[src].last == blocks[out].first:
                    delta = licence[(out, src)]
                    rel_i, rel_j = (1, 2) if out == i else (2, 1)
            rows[i].append((j, rel_i, delta))
            rows[j].append((i, rel_j, delta))
        active.append(i)
    return rows


def _forbidden(problem: Problem, i: int, offsets: Sequence[int | None]) -> list[tuple[int, int]]:
    """Open intervals (lo, hi) of offsets block i may not take, given the placed blocks."""
    blocks, s = problem.blocks, problem.blocks[i].size
    out: list[tuple[int, int]] = []
    for j, rel, delta in problem.neighbours[i]:
        y = offsets[j]
        if y is None:
            continue
        sj = blocks[j].size
        if rel == 0:
            lo, hi = y - s, y + sj
        elif rel == 1:  # i is the out, j its src
            lo, hi = max(y + delta, y - s), y + sj
        else:  # i is the src, j its out
            lo, hi = y - s, min(y + sj, y - delta)
        if hi - lo > 1:
            out.append((lo, hi))
    out.sort()
    return out


def free_segments(forbidden: list[tuple[int, int]], alignment: int) -> list[tuple[int, float]]:
    """Aligned offsets [a, b] (b may be INF) outside every open interval, lowest first."""
    segments: list[tuple[int, float]] = []
    x = 0
    for lo, hi in forbidden:
        if lo >= x:
            top = align_down(lo, alignment)
            if top >= x:
                segments.append((x, top))
        x = max(x, align_up(hi, alignment))
    segments.append((x, INF))
    return segments


def lowest_fit(problem: Problem, i: int, offsets: Sequence[int | None]) -> int:
    x, a = 0, problem.alignment
    for lo, hi in _forbidden(problem, i, offsets):
        if lo >= x:
            break
        x = max(x, align_up(hi, a))
    return x


def tightest_fit(problem: Problem, i: int, offsets: Sequence[int | None]) -> int:
    """The lowest offset of the free segment with the least room left over (the top if none is closed)."""
    best, best_slack = None, INF
    for a, b in free_segments(_forbidden(problem, i, offsets), problem.alignment):
        slack = b - a
        if best is None or slack < best_slack:
            best, best_slack = a, slack
    assert best is not None  # free_segments always ends with the open segment above every placed block
    return best


def arena_size(problem: Problem, offsets: Sequence[int], sizes: Sequence[int] | None = None) -> int:
    sizes = sizes or [b.size for b in problem.blocks]
    top = max((o + s for o, s in zip(offsets, sizes, strict=True)), default=0)
    return align_up(top, problem.alignment)


def place_in_order(problem: Problem, order: Sequence[int], fit: Callable = lowest_fit) -> list[int]:
    offsets: list[int | None] = [None] * len(problem.blocks)
    for i in order:
        offsets[i] = fit(problem, i, offsets)
    return _complete(offsets)


def _complete(offsets: Sequence[int | None]) -> list[int]:
    """The offsets of a placement in which every block has one."""
    placed = [x for x in offsets if x is not None]
    assert len(placed) == len(offsets), "a block was left without an offset"
    return placed


# -- lower bounds ------------------------------------------------------------


def _max_overlap(s_out: int, s_src: int, delta: int) -> int:
    """The most bytes out and src can share when offset(out) - offset(src) <= delta."""
    full = min(s_out, s_src)
    if delta >= min(0, s_src - s_out):
        return full
    return max(0, min(delta + s_out, s_src) - max(delta, 0))


def load_per_step(problem: Problem) -> list[int]:
    steps = max((b.last for b in problem.blocks), default=-1) + 1
    diff = [0] * (steps + 1)
    for b in problem.blocks:
        diff[b.first] += b.size
        diff[b.last + 1] -= b.size
    load, run = [], 0
    for t in range(steps):
        run += diff[t]
        load.append(run)
    return load


def _aligned_load_per_step(problem: Problem) -> list[int]:
    """Disjoint blocks at aligned offsets: every block but the top one takes its size rounded up."""
    a = problem.alignment
    steps = max((b.last for b in problem.blocks), default=-1) + 1
    total, waste = [0] * steps, [0] * steps
    for b in problem.blocks:
        rounded = align_up(b.size, a)
        for t in range(b.first, b.last + 1):
            total[t] += rounded
            waste[t] = max(waste[t], rounded - b.size)
    return [align_up(x - w, a) for x, w in zip(total, waste, strict=True)]


def _alias_savings(problem: Problem) -> dict[int, dict[int, dict[int, int]]]:
    """step -> out block -> src block -> the most bytes that pair can share."""
    savings: dict[int, dict[int, dict[int, int]]] = {}
    for i, row in enumerate(problem.neighbours):
        for j, rel, delta in row:
            if rel == 1:
                b_out, b_src = problem.blocks[i], problem.blocks[j]
                savings.setdefault(b_out.first, {}).setdefault(i, {})[j] = _max_overlap(b_out.size, b_src.size, delta)
    return savings


def lower_bound(problem: Problem) -> int:
    """No placement is smaller: the largest live load of a step, less what its alias pairs can share."""
    load = load_per_step(problem)
    for t, per_out in _alias_savings(problem).items():
        load[t] -= sum(min(problem.blocks[out].size, sum(pairs.values())) for out, pairs in per_out.items())
    return max(load, default=0)


def chain_lower_bound(problem: Problem, longest: int = 256) -> int:
    """The bound alias chains set: a -> b -> c ... each written over the last.

    If every pair of a run of the chain overlaps, each offset is at most the
    previous one plus its max_delta, so the first block sits at least the sum
    of the (negative) deltas above offset 0. If one pair of the run is kept
    apart instead, its step's load counts without that pair's saving. The
    arena is at least the smaller of the two, for every run.
    """
    a = problem.alignment
    load = load_per_step(problem)
    savings = _alias_savings(problem)
    successor: dict[int, tuple[int, int]] = {}
    apart: dict[int, int] = {}  # src block -> bound if its pair is kept apart
    for i, row in enumerate(problem.neighbours):
        for j, rel, delta in row:
            if rel == 2:  # i is the src of out j
                successor[i] = (j, align_down(delta, a))
                t = problem.blocks[j].first
                others = sum(v for k, v in savings.get(t, {}).get(j, {}).items() if k != i)
                apart[i] = load[t] - min(problem.blocks[j].size, others)
    best = 0
    for start in successor:
        total, cheapest_break, block = 0, INF, start
        for _ in range(longest):
            if block not in successor:
                break
            nxt, delta = successor[block]
            total += delta
            cheapest_break = min(cheapest_break, apart[block])
            best = max(best, int(min(problem.blocks[start].size - total, cheapest_break)))
            if problem.blocks[start].size - total >= cheapest_break:
                break  # longer runs cannot raise this start's bound any more
            block = nxt
    return best


def aligned_lower_bound(problem: Problem) -> int:
    """`lower_bound` with the alias chains, tightened for aligned offsets at the steps without alias pairs,
    rounded up."""
    if problem.bound is None:
        problem.bound = _aligned_lower_bound(problem)
    return problem.bound


def _aligned_lower_bound(problem: Problem) -> int:
    a = problem.alignment
    bound = max(align_up(lower_bound(problem), a), align_up(chain_lower_bound(problem), a))
    if a == 1:
        return bound
    alias_steps = {problem.blocks[i].first for i, row in enumerate(problem.neighbours)
                   if any(rel == 1 for _, rel, _ in row)}
    aligned = [x for t, x in enumerate(_aligned_load_per_step(problem)) if t not in alias_steps]
    return max([bound, *aligned])


# -- strategies --------------------------------------------------------------


def place_naive(problem: Problem) -> Placement:
    offsets, x = [], 0
    for b in problem.blocks:
        offsets.append(x)
        x = align_up(x + b.size, problem.alignment)
    return Placement(offsets, arena_size(problem, offsets), "naive")


def place_greedy_by_size(problem: Problem) -> Placement:
    """TensorFlow Lite Micro's GreedyMemoryPlanner, with alias pairs allowed to overlap."""
    a = problem.alignment
    sizes = [align_up(b.size, a) for b in problem.blocks]
    blocks = [Block(s, b.first, b.last, b.name) for s, b in zip(sizes, problem.blocks, strict=True)]
    rounded = Problem(blocks, problem.aliases, a)
    n = len(sizes)
    # TFLM fills its sort array from the tail, then bubble-sorts (stable) by size descending.
    order = sorted(reversed(range(n)), key=lambda i: -sizes[i])
    offsets = place_in_order(rounded, order, lowest_fit)
    return Placement(offsets, arena_size(problem, offsets, sizes), "greedy-by-size")


def _orders(problem: Problem) -> dict[str, list[int]]:
    """Block orders worth trying; the peak-load order places what is live at the busiest steps first."""
    blocks = problem.blocks
    n = range(len(blocks))
    load = load_per_step(problem)
    pressure = [max(load[b.first : b.last + 1], default=0) for b in blocks]
    return {
        "size": sorted(n, key=lambda i: (-blocks[i].size, blocks[i].first)),
        "pressure": sorted(n, key=lambda i: (-pressure[i], -blocks[i].size, blocks[i].first)),
        "lifetime": sorted(n, key=lambda i: (-(blocks[i].last - blocks[i].first), -blocks[i].size)),
        "area": sorted(n, key=lambda i: -blocks[i].size * (blocks[i].last - blocks[i].first + 1)),
        "birth": sorted(n, key=lambda i: (blocks[i].first, -blocks[i].last)),
        "reverse-birth": sorted(n, key=lambda i: (-blocks[i].first, blocks[i].last)),
    }


def two_sided_fit(ceiling: int) -> Callable:
    """A fit that packs from both ends of an arena of `ceiling` bytes.

    A block goes to the top end (the highest free offset that still ends
    below the ceiling) when the blocks it must avoid sit mostly low, else to
    the lowest free offset. Chains of buffers then alternate ends, as a
    hand-written ping-pong plan does.
    """

    def fit(problem: Problem, i: int, offsets: Sequence[int | None]) -> int:
        size, a = problem.blocks[i].size, problem.alignment
        placed = [(at, problem.blocks[j].size) for j, _, _ in problem.neighbours[i] if (at := offsets[j]) is not None]
        low = lowest_fit(problem, i, offsets)
        if not placed:
            return low
        centre = sum(x + s / 2 for x, s in placed) / len(placed)
        if centre >= ceiling / 2:
            return low
        for seg_lo, seg_hi in reversed(free_segments(_forbidden(problem, i, offsets), a)):
            top = min(seg_hi, align_down(ceiling - size, a))
            if top >= seg_lo:
                return int(top)
        return low

    return fit


def place_best_fit(problem: Problem) -> Placement:
    """The smallest of best fit, first fit and two-sided fit over several block orders."""
    best: Placement | None = None
    fits = [("best-fit", tightest_fit), ("first-fit", lowest_fit),
            ("two-sided", two_sided_fit(aligned_lower_bound(problem)))]
    for label, order in _orders(problem).items():
        for fit_name, fit in fits:
            offsets = place_in_order(problem, order, fit)
            size = arena_size(problem, offsets)
            if best is None or size < best.size:
                best = Placement(offsets, size, "best-fit", note=f"{fit_name}, {label} order")
    assert best is not None
    return best


def best_heuristic(problem: Problem) -> Placement:
    candidates = [place_best_fit(problem), place_greedy_by_size(problem)]
    return min(candidates, key=lambda p: p.size)


# -- exact search --------------------------------------------------------------


class _Search:
    """Depth-first branch and bound over placement sequences.

    Each step places one more block at the lowest offset the placed blocks
    leave free (and, for an alias pair, also exactly at its partner's offset
    plus or minus max_delta). Without aliases every gravity-packed placement
    comes from such a sequence taken in order of offset, so sequences are
    kept in non-decreasing offset order and the search is complete. A branch
    is cut when the lowest place left for any unplaced block already reaches
    the best size found.
    """

    def __init__(self, problem: Problem, best: Placement, deadline: float, max_nodes: int = 0):
        self.p = problem
        self.n = len(problem.blocks)
        self.best_offsets = list(best.offsets)
        self.best_size = best.size
        self.deadline = deadline
        self.max_nodes = max_nodes
        self.stopped_by = ""
        self.goal = aligned_lower_bound(problem)
        self.monotone = not problem.has_aliases
        self.offsets: list[int | None] = [None] * self.n
        self.timed_out = False
        self.nodes = 0
        self.priority = _orders(problem)["pressure"]

    def run(self) -> bool:
        """Search; True if it finished (the best found is optimal)."""
        if self.best_size > self.goal:
            self._dfs(0, -1, 0)
        return not self.timed_out

    def _candidates(self, i: int) -> list[int]:
        p, a = self.p, self.p.alignment
        xs = [lowest_fit(p, i, self.offsets)]
        for j, rel, delta in p.neighbours[i]:
            y = self.offsets[j]
            if y is None or rel == 0:
                continue
            x = align_down(y + delta, a) if rel == 1 else align_up(y - delta, a)
            if x >= 0 and x not in xs and self._fits(i, x):
                xs.append(x)
        return xs

    def _fits(self, i: int, x: int) -> bool:
        return all(not lo < x < hi for lo, hi in _forbidden(self.p, i, self.offsets))

    def _dfs(self, top: int, last: int, last_offset: int) -> None:
        if self.best_size <= self.goal or self.timed_out:
            return
        self.nodes += 1
        if self.max_nodes and self.nodes > self.max_nodes:
            self.timed_out, self.stopped_by = True, "nodes"
            return
        if time.monotonic() > self.deadline:
            self.timed_out, self.stopped_by = True, "time"
            return
        unplaced = [i for i in self.priority if self.offsets[i] is None]
        if not unplaced:
            size = align_up(top, self.p.alignment)
            if size < self.best_size:
                self.best_size, self.best_offsets = size, _complete(self.offsets)
            return
        moves = []
        for i in unplaced:
            for x in self._candidates(i):
                if self.monotone and (x < last_offset or (x == last_offset and i < last)):
                    continue
                end = align_up(max(top, x + self.p.blocks[i].size), self.p.alignment)
                if end < self.best_size:
                    moves.append((end, x, i))
        # the bound: every unplaced block still needs at least its lowest free place
        for i in unplaced:
            lowest_end = lowest_fit(self.p, i, self.offsets) + self.p.blocks[i].size
            if align_up(lowest_end, self.p.alignment) >= self.best_size:
                return
        moves.sort()
        for end, x, i in moves:
            if end >= self.best_size:
                break
            self.offsets[i] = x
            self._dfs(max(top, x + self.p.blocks[i].size), i, x)
            self.offsets[i] = None
            if self.best_size <= self.goal or self.timed_out:
                return


#: Default node budget of the exact search: about 3 s on a 2020s host core. The
#: budget, not the clock, is what normally ends a search, so one model plans
#: to the same arena on any machine and under any load; the time limit is only
#: a cap for slow hosts.
SEARCH_NODES = 100_000


def search_optimal(problem: Problem, time_limit: float, start: Placement | None = None,
                   max_nodes: int = SEARCH_NODES) -> Placement:
    """Branch and bound from the best heuristic plan.

    Stops after `max_nodes` search nodes (0: no budget) or `time_limit`
    seconds, whichever comes first; the result says which (`note`) and is
    then the best plan found, not proven minimal.
    """
    start = start or best_heuristic(problem)
    search = _Search(problem, start, time.monotonic() + time_limit, max_nodes)
    finished = search.run()
    goal_met = search.best_size <= search.goal
    exact = goal_met or (finished and search.monotone)
    if exact:
        note = "meets the lower bound" if goal_met else f"search finished ({search.nodes} nodes)"
        strategy = "optimal"
    elif finished:
        note = f"search over alias-anchored placements finished ({search.nodes} nodes); not proven minimal"
        strategy = "optimal"
    else:
        if search.stopped_by == "nodes":
            note = f"search budget of {max_nodes} nodes reached: best plan found, not proven minimal"
            strategy = "optimal (search budget: best found)"
        else:
            note = (
                f"time limit {time_limit:g} s reached after {search.nodes} nodes: best plan found, not proven minimal"
            )
            strategy = "optimal (time limit: best found)"
    return Placement(search.best_offsets, search.best_size, strategy, exact, note)


def place_auto(problem: Problem, time_limit: float, max_nodes: int = SEARCH_NODES) -> Placement:
    best = best_heuristic(problem)
    goal = aligned_lower_bound(problem)
    if best.size <= goal:
        return Placement(best.offsets, best.size, f"auto ({best.strategy})", True, "meets the lower bound")
    result = search_optimal(problem, time_limit, best, max_nodes)
    if result.size < best.size:
        return Placement(result.offsets, result.size, f"auto ({result.strategy})", result.exact, result.note)
    return Placement(best.offsets, best.size, f"auto ({best.strategy})", result.exact, result.note)


def place(problem: Problem, strategy: str, time_limit: float = 60.0, max_nodes: int = SEARCH_NODES) -> Placement:
    """Run one strategy by name; `time_limit` (seconds) and `max_nodes` bound the exact search."""
    if strategy == "naive":
        return place_naive(problem)
    if strategy == "greedy-by-size":
        return place_greedy_by_size(problem)
    if strategy == "best-fit":
        return place_best_fit(problem)
    if strategy == "optimal":
        return search_optimal(problem, time_limit, max_nodes=max_nodes)
    if strategy == "auto":
        return place_auto(problem, time_limit, max_nodes)
    raise ValueError(f"unknown strategy '{strategy}' (known: {', '.join(STRATEGIES)})")


def overlaps(problem: Problem, offsets: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs that break the rules (empty for a valid placement): a quick self-check for tests."""
    bad = []
    for i, row in enumerate(problem.neighbours):
        for j, rel, delta in row:
            if j < i:
                continue
            lo_i, hi_i = offsets[i], offsets[i] + problem.blocks[i].size
            lo_j, hi_j = offsets[j], offsets[j] + problem.blocks[j].size
            if lo_i < hi_j and lo_j < hi_i:
                if rel == 1 and offsets[i] - offsets[j] <= delta:
                    continue
                if rel == 2 and offsets[j] - offsets[i] <= delta:
                    continue
                bad.append((i, j))
    return bad
