"""The allocator: budget and constraints respected, a known optimum on a small instance, and the
naive top-by-followers plan beside it."""

from __future__ import annotations

import itertools

import pytest

from audience.influencers.allocation import (
    AllocationError,
    AllocationRequest,
    Candidate,
    allocate,
    parse_rate_card,
    parse_tiers,
)


def _cand(
    author: str, followers: int, audience: list[str], country: str = "AU", audience_country: str = "AU"
) -> Candidate:
    return Candidate(author, followers, country, tuple((a, audience_country) for a in audience))


def _instance() -> tuple[list[Candidate], dict[str, float]]:
    # A celebrity reaching 6 accounts, two mid accounts that overlap heavily with it, and two small
    # accounts whose audiences are disjoint from everyone's.
    candidates = [
        _cand("celebrity", 1_000_000, ["a1", "a2", "a3", "a4", "a5", "a6"]),
        _cand("mid1", 50_000, ["a1", "a2", "a3", "b1"]),
        _cand("mid2", 40_000, ["a4", "a5", "b2"]),
        _cand("small1", 800, ["c1", "c2", "c3", "c4"]),
        _cand("small2", 500, ["d1", "d2", "d3"], country="NZ", audience_country="NZ"),
    ]
    costs = {"celebrity": 100.0, "mid1": 40.0, "mid2": 40.0, "small1": 30.0, "small2": 30.0}
    return candidates, costs


def _brute_force(candidates: list[Candidate], costs: dict[str, float], budget: float) -> float:
    best = 0.0
    for k in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, k):
            if sum(costs[c.author_id] for c in subset) <= budget:
                best = max(best, len({a for c in subset for a, _ in c.audience}))
    return best


def test_allocation_finds_the_known_optimum_and_beats_naive() -> None:
    # GIVEN the small instance and a budget of 100
    candidates, costs = _instance()
    # WHEN allocated
    result = allocate(candidates, AllocationRequest(budget=100), cost_of=costs)
    # THEN the optimum (by enumeration) is mid1 + small1 + small2 = 4 + 4 + 3 = 11 distinct accounts
    assert result.optimal.reach == _brute_force(candidates, costs, 100) == 11
    assert sorted(result.optimal.chosen) == ["mid1", "small1", "small2"]
    assert result.optimal.cost <= 100
    # and the naive plan spends it all on the celebrity (6 accounts)
    assert result.naive.chosen == ["celebrity"] and result.naive.reach == 6
    assert result.summary()["reach_vs_naive"] == pytest.approx(11 / 6, abs=1e-3)


def test_overlap_is_counted_once() -> None:
    candidates, costs = _instance()
    result = allocate(candidates, AllocationRequest(budget=180), cost_of=costs)
    union = {a for c in candidates if c.author_id in result.optimal.chosen for a, _ in c.audience}
    assert result.optimal.reach == len(union) == _brute_force(candidates, costs, 180)


def test_country_targets_and_minimums_are_respected() -> None:
    candidates, costs = _instance()
    # GIVEN a budget of 70 and at least 3 engaged accounts in NZ
    request = AllocationRequest(budget=70, country_minimums={"NZ": 3})
    result = allocate(candidates, request, cost_of=costs)
    # THEN the NZ account is chosen although an AU pair would reach more
    assert "small2" in result.optimal.chosen and result.optimal.reach_by_country["NZ"] >= 3
    assert result.optimal.cost <= 70
    # WHEN only NZ is targeted, only NZ candidates are eligible
    nz = allocate(candidates, AllocationRequest(budget=1000, countries=("NZ",)), cost_of=costs)
    assert nz.optimal.chosen == ["small2"]


def test_impossible_minimum_and_bad_inputs_are_clear_errors() -> None:
    candidates, costs = _instance()
    with pytest.raises(AllocationError, match="more than all candidates reach"):
        allocate(candidates, AllocationRequest(budget=100, country_minimums={"NZ": 10}), cost_of=costs)
    with pytest.raises(AllocationError, match="no allocation satisfies"):
        allocate(candidates, AllocationRequest(budget=20, country_minimums={"NZ": 1}), cost_of=costs)
    with pytest.raises(AllocationError, match="budget"):
        allocate(candidates, AllocationRequest(budget=0))
    with pytest.raises(AllocationError, match="line 3"):
        parse_rate_card("author_id,cost\na,10\nb,zero\n")
    with pytest.raises(AllocationError, match="start at 0"):
        parse_tiers("100:5")
    assert parse_tiers("0:50,1000:150") == ((0, 50.0), (1000, 150.0))


def test_flagged_accounts_are_left_out_unless_asked() -> None:
    flagged = Candidate("bot", 10, "AU", (("x1", "AU"), ("x2", "AU")), flagged=True)
    assert allocate([flagged], AllocationRequest(budget=100)).optimal.chosen == []
    assert allocate([flagged], AllocationRequest(budget=100, include_flagged=True)).optimal.chosen == ["bot"]


def test_greedy_safety_net_respects_the_budget() -> None:
    # GIVEN the small instance's groups, as the allocator builds them
    import numpy as np

    from audience.influencers.allocation import _greedy

    members = [frozenset({0}), frozenset({0, 1}), frozenset({2}), frozenset({2}), frozenset({3})]
    weights = np.array([3.0, 2.0, 4.0, 1.0, 1.0])
    costs = np.array([50.0, 40.0, 30.0, 100.0])
    # WHEN the greedy runs with a budget of 80
    chosen = _greedy(members, weights, costs, 80.0)
    # THEN it stays within budget and picks the best cost-effective pair (2: 5 per 30, then 0: 5 per 50)
    assert sorted(chosen) == [0, 2] and costs[chosen].sum() <= 80
