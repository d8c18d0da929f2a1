"""Budget allocation: which influencers to sponsor for the most distinct engaged accounts, as an
integer program solved by HiGHS (``scipy.optimize.milp``).

Model (budgeted maximum coverage, ``docs/influencers.md``):

* ``x_i`` in {0, 1}: sponsor candidate ``i`` (one post) at cost ``c_i`` from the rate card;
* each candidate's *audience* is the set of accounts that engaged with them in the window (their
  authentic resharers), each with a country. Accounts engaged by exactly the same candidates are
  merged into one group ``g`` of weight ``w_g`` (the model stays small, the answer is unchanged);
* ``0 <= z_g <= 1`` and ``z_g <= sum of x_i over candidates reaching g``: a group counts once however
  many chosen candidates reach it (overlap counted once; "approximately" because the window's
  engaged accounts stand for the next post's);
* maximise ``sum w_g z_g`` subject to ``sum c_i x_i <= budget`` and, per target country ``k``,
  ``sum of w_g z_g over groups in k >= minimum_k``.

The naive allocation (top accounts by followers until the budget runs out) is evaluated with the same
coverage so the two are comparable.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

DEFAULT_TIERS: tuple[tuple[int, float], ...] = (
    (0, 50.0),
    (1_000, 150.0),
    (10_000, 600.0),
    (100_000, 2_500.0),
    (1_000_000, 10_000.0),
)
"""Cost of one sponsored post by follower tier (followers >= threshold): a plain market-rate card."""


class AllocationError(ValueError):
    """Bad allocation input (rate card, budget, constraints); the message says what to fix."""


@dataclass(frozen=True)
class Candidate:
    author_id: str
    followers: float | None
    country: str | None
    audience: tuple[tuple[str, str | None], ...]
    """(account id, country) of the accounts that engaged with this candidate."""
    hashtags: tuple[str, ...] = ()
    flagged: bool = False


@dataclass(frozen=True)
class AllocationRequest:
    budget: float
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    country_minimums: Mapping[str, float] = field(default_factory=dict)
    include_flagged: bool = False
    time_limit_seconds: float = 8.0
    relative_gap: float = 0.01
    """HiGHS stops within 1% of the optimum, or at the time limit with the best plan found and its
    proven gap (both reported)."""


@dataclass
class Plan:
    chosen: list[str]
    cost: float
    reach: float
    reach_by_country: dict[str, float]

    def cost_per_engagement(self) -> float | None:
        return round(self.cost / self.reach, 4) if self.reach else None


@dataclass
class AllocationResult:
    optimal: Plan
    naive: Plan
    status: str
    candidates: int
    groups: int
    seconds: float
    rows: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        ratio = self.optimal.reach / self.naive.reach if self.naive.reach else None
        return {
            "status": self.status,
            "candidates": self.candidates,
            "audience_groups": self.groups,
            "seconds": round(self.seconds, 3),
            "optimal": _plan_dict(self.optimal),
            "naive": _plan_dict(self.naive),
            "reach_vs_naive": None if ratio is None else round(ratio, 3),
        }


def _plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "influencers": len(plan.chosen),
        "cost": round(plan.cost, 2),
        "expected_engaged_reach": round(plan.reach, 2),
        "cost_per_engagement": plan.cost_per_engagement(),
        "reach_by_country": {k: round(v, 2) for k, v in sorted(plan.reach_by_country.items())},
    }


def tier_cost(followers: float | None, tiers: Sequence[tuple[int, float]] = DEFAULT_TIERS) -> float:
    count = followers or 0
    cost = tiers[0][1]
    for threshold, price in tiers:
        if count >= threshold:
            cost = price
    return cost


def parse_rate_card(text: str) -> dict[str, float]:
    """A CSV with ``author_id,cost`` columns (a header row is required)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"author_id", "cost"} <= set(reader.fieldnames):
        raise AllocationError("the rate card needs a header with author_id and cost columns")
    card: dict[str, float] = {}
    for number, row in enumerate(reader, start=2):
        try:
            cost = float(row["cost"])
        except (TypeError, ValueError):
            raise AllocationError(f"rate card line {number}: cost {row['cost']!r} is not a number") from None
        if not cost > 0:
            raise AllocationError(f"rate card line {number}: cost must be positive")
        card[str(row["author_id"]).strip()] = cost
    return card


def parse_tiers(text: str) -> tuple[tuple[int, float], ...]:
    """``"0:50,1000:150,10000:600"``: cost per post for accounts with at least that many followers."""
    try:
        tiers = tuple(
            sorted(
                (int(a), float(b)) for a, b in (part.split(":") for part in text.split(",") if part.strip())
            )
        )
    except ValueError:
        raise AllocationError("tiers must look like 0:50,1000:150,10000:600 (followers:cost)") from None
    if not tiers or tiers[0][0] != 0 or any(cost <= 0 for _, cost in tiers):
        raise AllocationError("tiers must start at 0 followers and have positive costs")
    return tiers


def _eligible(candidates: Iterable[Candidate], request: AllocationRequest) -> list[Candidate]:
    countries = {c.upper() for c in request.countries}
    topics = {t.lower().lstrip("#") for t in request.topics}
    out = []
    for c in candidates:
        if c.flagged and not request.include_flagged:
            continue
        if countries and not (
            (c.country or "").upper() in countries
            or any((k or "").upper() in countries for _, k in c.audience)
        ):
            continue
        if topics and not topics & {h.lower() for h in c.hashtags}:
            continue
        if c.audience:
            out.append(c)
    return out


def _coverage(
    chosen: Sequence[int], members: Sequence[frozenset[int]], weights: np.ndarray, countries: Sequence[str]
) -> tuple[float, dict[str, float]]:
    picked = frozenset(chosen)
    reach = 0.0
    by_country: dict[str, float] = defaultdict(float)
    for g, who in enumerate(members):
        if who & picked:
            reach += float(weights[g])
            by_country[countries[g]] += float(weights[g])
    return reach, dict(by_country)


def _greedy(
    members: Sequence[frozenset[int]], weights: np.ndarray, costs: np.ndarray, budget: float
) -> list[int]:
    """Cost-effective lazy greedy for budgeted maximum coverage (Khuller et al. 1999), with the best
    single affordable candidate as the fallback: the MILP's safety net on very large instances."""
    import heapq

    groups_of: dict[int, list[int]] = defaultdict(list)
    for g, who in enumerate(members):
        for i in who:
            groups_of[i].append(g)
    covered = np.zeros(len(members), dtype=bool)
    heap = [(-float(weights[gs].sum()) / costs[i], i) for i, gs in groups_of.items() if costs[i] <= budget]
    heapq.heapify(heap)
    chosen: list[int] = []
    spent = 0.0
    while heap:
        _, i = heapq.heappop(heap)
        if spent + costs[i] > budget:
            continue
        gain = float(weights[[g for g in groups_of[i] if not covered[g]]].sum()) if groups_of[i] else 0.0
        ratio = gain / costs[i]
        if heap and ratio < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-ratio, i))  # stale: re-queue with its current gain
            continue
        if gain <= 0:
            break
        chosen.append(i)
        spent += costs[i]
        covered[groups_of[i]] = True
    affordable = [i for i in groups_of if costs[i] <= budget]
    if affordable:
        best = max(affordable, key=lambda i: float(weights[groups_of[i]].sum()))
        greedy_reach = float(weights[covered].sum())
        if float(weights[groups_of[best]].sum()) > greedy_reach:
            return [best]
    return chosen


def allocate(
    candidates: Iterable[Candidate],
    request: AllocationRequest,
    cost_of: Mapping[str, float] | None = None,
    tiers: Sequence[tuple[int, float]] = DEFAULT_TIERS,
) -> AllocationResult:
    if not request.budget > 0:
        raise AllocationError("budget must be positive")
    started = time.perf_counter()
    pool = _eligible(candidates, request)
    if cost_of is not None:
        pool = [c for c in pool if c.author_id in cost_of]
    costs = np.array(
        [cost_of[c.author_id] if cost_of is not None else tier_cost(c.followers, tiers) for c in pool],
        dtype="float64",
    )
    target = {k.upper() for k in request.countries}

    # Accounts reached by the same candidates (and in the same country) form one group.
    reached_by: dict[tuple[str, str], set[int]] = defaultdict(set)  # (account, country) -> candidates
    for i, c in enumerate(pool):
        for account, country in c.audience:
            reached_by[(account, (country or "??").upper())].add(i)
    group_weight: dict[tuple[frozenset[int], str], float] = defaultdict(float)
    for (_, country), who in reached_by.items():
        if target and country not in target:
            continue  # only the target markets' engaged accounts count
        group_weight[(frozenset(who), country)] += 1.0
    members = [who for who, _ in group_weight]
    countries = [country for _, country in group_weight]
    weights = np.array(list(group_weight.values()), dtype="float64")
    n, m = len(pool), len(members)

    naive_order = sorted(range(n), key=lambda i: (-(pool[i].followers or 0), pool[i].author_id))
    naive, spent = [], 0.0
    for i in naive_order:
        if spent + costs[i] <= request.budget + 1e-9:
            naive.append(i)
            spent += costs[i]

    for country, minimum in request.country_minimums.items():
        available = float(sum(w for w, k in zip(weights, countries, strict=True) if k == country.upper()))
        if minimum > available:
            raise AllocationError(
                f"minimum {minimum:g} engaged accounts in {country.upper()} is more than all candidates reach there ({available:g})"
            )

    if n == 0 or m == 0:
        empty = Plan([], 0.0, 0.0, {})
        return AllocationResult(
            empty, empty, "no eligible candidates", n, m, time.perf_counter() - started, []
        )

    # Accounts only one candidate reaches are that candidate's own: their weight goes straight onto
    # x_i. Only accounts shared by several candidates need a coverage variable z_g (and a row).
    country_arr = np.array(countries)
    own = np.zeros(n)
    own_by_country: dict[str, np.ndarray] = {k.upper(): np.zeros(n) for k in request.country_minimums}
    shared = []
    for g, group in enumerate(members):
        if len(group) == 1:
            (i,) = group
            own[i] += weights[g]
            if country_arr[g] in own_by_country:
                own_by_country[country_arr[g]][i] += weights[g]
        else:
            shared.append(g)
    k = len(shared)
    shared_weights = weights[shared] if k else np.zeros(0)
    # Variables: x (n binaries) then z (k continuous in [0, 1]).
    objective = np.concatenate([-own, -shared_weights])
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, g in enumerate(shared):
        rows.append(row)
        cols.append(n + row)
        vals.append(1.0)
        for i in members[g]:
            rows.append(row)
            cols.append(i)
            vals.append(-1.0)
    constraints = [
        LinearConstraint(np.concatenate([costs, np.zeros(k)])[None, :], -np.inf, request.budget),
    ]
    if k:
        constraints.append(
            LinearConstraint(coo_array((vals, (rows, cols)), shape=(k, n + k)).tocsr(), -np.inf, 0.0)
        )
    for country, minimum in request.country_minimums.items():
        key = country.upper()
        shared_part = np.where(country_arr[shared] == key, shared_weights, 0.0) if k else np.zeros(0)
        row_values = np.concatenate([own_by_country[key], shared_part])
        constraints.append(LinearConstraint(row_values[None, :], minimum, np.inf))
    integrality = np.concatenate([np.ones(n), np.zeros(k)])
    solved = milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(n + k), np.ones(n + k)),
        options={"time_limit": request.time_limit_seconds, "mip_rel_gap": request.relative_gap},
    )
    greedy = _greedy(members, weights, costs, request.budget) if not request.country_minimums else None
    if solved.x is None:
        if greedy is None or solved.status != 1:  # 1: iteration or time limit reached
            raise AllocationError(f"no allocation satisfies the constraints ({solved.message})")
        chosen, source = greedy, "greedy (the MILP found no plan within the time limit)"
    else:
        chosen, source = [i for i in range(n) if solved.x[i] > 0.5], ""
        if greedy is not None and solved.status != 0:
            mip_reach = _coverage(chosen, members, weights, countries)[0]
            if _coverage(greedy, members, weights, countries)[0] > mip_reach:
                chosen, source = greedy, "greedy (better than the MILP's plan at the time limit)"

    def plan(indices: list[int]) -> Plan:
        reach, by_country = _coverage(indices, members, weights, countries)
        return Plan(
            [pool[i].author_id for i in indices],
            float(costs[indices].sum()) if indices else 0.0,
            reach,
            by_country,
        )

    optimal, naive_plan = plan(chosen), plan(naive)
    rows_out = []
    for i in sorted(chosen, key=lambda i: -len(pool[i].audience)):
        c = pool[i]
        rows_out.append(
            {
                "author_id": c.author_id,
                "followers": c.followers,
                "country": c.country,
                "cost": round(float(costs[i]), 2),
                "engaged_accounts": len(c.audience),
                "in_naive": i in set(naive),
            }
        )
    gap = getattr(solved, "mip_gap", None)
    status = source or ("optimal" if solved.status == 0 else "best found within the time limit")
    if gap is not None and not source:
        status += f" (gap {float(gap):.2%})"
    return AllocationResult(optimal, naive_plan, status, n, m, time.perf_counter() - started, rows_out)


def candidates_from_run(run: Mapping[str, Any]) -> list[Candidate]:
    """The run document's candidates (``scoring.run_document``) as allocation candidates."""
    return [
        Candidate(
            author_id=c["author_id"],
            followers=c.get("followers"),
            country=c.get("country"),
            audience=tuple((a, k) for a, k in c.get("audience", [])),
            hashtags=tuple(c.get("hashtags", [])),
            flagged=bool(c.get("flagged")),
        )
        for c in run.get("candidates", [])
    ]
