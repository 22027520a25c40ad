"""The placement strategies of cmsis_opt.allocators, on blocks alone (no IR)."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from cmsis_opt.allocators import (
    STRATEGIES,
    Alias,
    Block,
    Problem,
    aligned_lower_bound,
    arena_size,
    chain_lower_bound,
    lower_bound,
    overlaps,
    place,
    place_greedy_by_size,
)


def brute_force_minimum(p: Problem) -> int:
    """The smallest arena over every aligned offset assignment (tiny problems only)."""
    limit = sum(-(-b.size // p.alignment) * p.alignment for b in p.blocks)
    best = None
    for offsets in itertools.product(range(0, limit + 1, p.alignment), repeat=len(p.blocks)):
        if not overlaps(p, list(offsets)):
            size = arena_size(p, offsets)
            best = size if best is None else min(best, size)
    return best


def random_problem(rng: random.Random, n: int, with_aliases: bool) -> Problem:
    blocks = []
    for i in range(n):
        first = rng.randrange(5)
        blocks.append(Block(rng.choice([1, 2, 3, 5, 8]), first, rng.randrange(first, 5), f"b{i}"))
    aliases = []
    if with_aliases:
        for out, src in itertools.permutations(range(n), 2):
            if blocks[src].last == blocks[out].first and rng.random() < 0.4:
                aliases.append(Alias(out, src, rng.randrange(-4, 3)))
    return Problem(blocks, aliases, rng.choice([1, 1, 2, 4]))


@pytest.mark.parametrize("with_aliases", [False, True])
def test_every_strategy_is_valid_and_optimal_matches_brute_force(with_aliases):
    rng = random.Random(7 + with_aliases)
    for _ in range(120):
        p = random_problem(rng, rng.randrange(2, 5), with_aliases)
        for strategy in STRATEGIES:
            result = place(p, strategy, time_limit=2.0)
            assert overlaps(p, result.offsets) == [], (strategy, p)
            assert all(x % p.alignment == 0 for x in result.offsets)
            assert result.size >= aligned_lower_bound(p) >= lower_bound(p) - p.alignment
        if sum(b.size for b in p.blocks) <= 16:
            assert place(p, "optimal", 2.0).size == brute_force_minimum(p), p


def test_naive_stacks_every_block():
    p = Problem([Block(10, 0, 0), Block(20, 1, 1), Block(5, 2, 2)], alignment=16)
    result = place(p, "naive")
    assert result.offsets == [0, 16, 48] and result.size == 64


def test_greedy_by_size_is_tflite_micros_planner():
    # TFLM: sizes rounded up to 16, largest first, ties go to the buffer added last,
    # each at the lowest gap among the buffers live at the same time.
    p = Problem([Block(100, 0, 1), Block(40, 1, 2), Block(40, 2, 3), Block(100, 3, 4)], alignment=16)
    result = place_greedy_by_size(p)
    # order: #3 (112) at 0, #0 (112) at 0, #2 (48) above #3, #1 (48): its neighbours #0 [0,112) and #2 [112,160)
    assert result.offsets == [0, 160, 112, 0]
    assert result.size == 208


def test_greedy_by_size_misses_what_best_fit_finds():
    # a known weakness: size order puts the two long-lived mid-size blocks apart
    blocks = [Block(60, 0, 1), Block(40, 1, 3), Block(60, 2, 3), Block(40, 0, 0), Block(100, 4, 4)]
    p = Problem(blocks)
    assert lower_bound(p) == 100
    assert place(p, "best-fit").size == 100
    assert place(p, "auto").size == 100 and place(p, "auto").exact


def test_an_alias_lets_the_output_start_max_delta_before_its_input():
    # out (100 bytes) written over its input (100 bytes) trailing by 24: together 124
    p = Problem([Block(100, 0, 0, "in"), Block(100, 0, 1, "out")], [Alias(1, 0, -24)])
    for strategy in ("best-fit", "optimal", "auto"):
        result = place(p, strategy)
        assert result.offsets[1] - result.offsets[0] == -24, strategy
        assert result.size == 124
    assert lower_bound(p) == 124


def test_an_alias_holds_whichever_block_comes_first_in_the_list():
    # the same pair as above with the output listed before its input (both born at step 0)
    p = Problem([Block(100, 0, 1, "out"), Block(100, 0, 0, "in")], [Alias(0, 1, -24)])
    for strategy in ("best-fit", "optimal", "auto"):
        result = place(p, strategy)
        assert result.offsets[0] - result.offsets[1] == -24, strategy
        assert result.size == 124 and not overlaps(p, result.offsets)
    assert lower_bound(p) == aligned_lower_bound(p) == 124
    assert overlaps(p, [24, 0])  # the output 24 bytes after its input: not licensed


def test_an_alias_delta_is_rounded_down_to_the_alignment():
    p = Problem([Block(100, 0, 0, "in"), Block(100, 0, 1, "out")], [Alias(1, 0, -20)], alignment=16)
    result = place(p, "auto")
    assert result.offsets[1] - result.offsets[0] == -32 and result.size == 144


def test_an_alias_only_licenses_the_one_step_the_pair_shares():
    # the input is still read after the op that writes out: no overlap allowed at all
    p = Problem([Block(100, 0, 1, "in"), Block(100, 0, 1, "out")], [Alias(1, 0, 0)])
    assert place(p, "auto").size == 200 and lower_bound(p) == 200


def test_chains_of_aliases_drift_down_by_their_deltas():
    # a -> b -> c -> d, each written 100 bytes below the last: 1000 + 300, proven by the chain bound
    blocks = [Block(1000, i, i + 1) for i in range(4)]
    p = Problem(blocks, [Alias(i + 1, i, -100) for i in range(3)])
    assert lower_bound(p) == 1100 and chain_lower_bound(p) == 1300
    result = place(p, "auto")
    assert result.size == 1300 and result.exact


def test_optimal_beats_the_heuristics_where_they_fall_short():
    # found by random search: every heuristic order leaves a hole somewhere
    sizes_and_steps = [(7, 2, 3), (7, 4, 5), (17, 1, 1), (13, 4, 4), (3, 1, 5), (3, 2, 3), (5, 1, 4), (17, 5, 5)]
    p = Problem([Block(*b) for b in sizes_and_steps])
    assert min(place(p, s).size for s in ("greedy-by-size", "best-fit")) == 31
    optimal = place(p, "optimal")
    assert optimal.size == lower_bound(p) == 28 and optimal.exact
    assert place(p, "auto").size == 28


def test_two_sided_fit_alternates_the_ends_of_a_chain():
    # each block meets only its neighbours: the best plan puts them at alternate ends
    sizes = [90, 40, 60, 40, 40, 80, 50]
    p = Problem([Block(s, i, i + 1) for i, s in enumerate(sizes)])
    assert lower_bound(p) == 130
    assert place(p, "greedy-by-size").size == 160
    result = place(p, "best-fit")
    assert result.size == 130 and result.note.startswith("two-sided")


def test_a_5000_buffer_chain_plans_in_seconds():
    blocks = [Block(100 + (i * 37) % 500, i, i + 1) for i in range(5000)]
    p = Problem(blocks, alignment=16)
    start = time.monotonic()
    result = place(p, "auto", time_limit=5.0)
    assert time.monotonic() - start < 5.0
    assert result.exact and overlaps(p, result.offsets) == []
    start = time.monotonic()
    assert place(p, "greedy-by-size").size == result.size
    assert time.monotonic() - start < 2.0


def test_the_exact_search_stops_at_its_time_limit_and_says_so():
    rng = random.Random(13)  # a problem whose optimum the search cannot prove in 0.3 s
    blocks = []
    for i in range(60):
        first = rng.randrange(30)
        blocks.append(Block(rng.randrange(1, 200), first, min(29, first + rng.randrange(6))))
    p = Problem(blocks, alignment=4)
    start = time.monotonic()
    result = place(p, "optimal", time_limit=0.3)
    assert time.monotonic() - start < 3.0
    assert overlaps(p, result.offsets) == []
    assert not result.exact and result.size > aligned_lower_bound(p)
    assert result.strategy == "optimal (time limit: best found)" and "not proven minimal" in result.note
    assert result.size <= place(p, "best-fit").size


def test_the_node_budget_makes_the_search_repeatable_and_says_so():
    rng = random.Random(13)  # the same problem as above: its optimum is not proven in 2,000 nodes
    blocks = []
    for i in range(60):
        first = rng.randrange(30)
        blocks.append(Block(rng.randrange(1, 200), first, min(29, first + rng.randrange(6))))
    p = Problem(blocks, alignment=4)
    runs = [place(p, "optimal", time_limit=60.0, max_nodes=2_000) for _ in range(3)]
    assert all(overlaps(p, r.offsets) == [] for r in runs)
    assert len({(r.size, tuple(r.offsets)) for r in runs}) == 1
    result = runs[0]
    assert not result.exact and result.strategy == "optimal (search budget: best found)"
    assert result.note == "search budget of 2000 nodes reached: best plan found, not proven minimal"
    # a larger budget never plans a larger arena: the search only keeps improvements
    assert place(p, "optimal", time_limit=60.0, max_nodes=20_000).size <= result.size <= place(p, "best-fit").size


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown strategy"):
        place(Problem([Block(1, 0, 0)]), "random")
