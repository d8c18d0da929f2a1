"""Metrics for comparing two recommenders' lists, their exposure, and their accuracy on a holdout.

Every function takes plain lists (best first) and sets, so each is checked on hand-made lists
(``tests/recommend/test_recommend_metrics.py``). Definitions, where several exist:

* ``overlap@k``: shared items among both top-``k`` lists divided by ``k`` (the "match %").
* RBO: rank-biased overlap (Webber, Moffat & Zobel, TOIS 2010), the extrapolated form ``RBO_ext``
  of equation 32 on both lists cut to the shorter one's depth ``k``:
  ``(X_k / k) p^k + (1 - p) / p * sum_{d=1..k} (X_d / d) p^d``, with ``X_d`` the overlap at depth d.
  Identical lists score 1, disjoint 0; ``p = 0.9`` puts ~86% of the weight on the top 10.
* Kendall tau: tau-b (scipy) between the two ranks of the items both lists hold; ``None`` with
  fewer than two shared items.
* Rank shift of a shared item: its rank in ``b`` minus its rank in ``a`` (positive: ``b`` ranks it
  lower).
* NDCG@k: binary relevance, ``DCG = sum 1/log2(rank + 1)`` over hits in the top ``k``, divided by
  the DCG of ``min(|relevant|, k)`` hits at the top (Personalize's definition).
* precision@k: hits in the top ``k`` / ``k``; recall@k: hits / ``|relevant|``; MRR@k: 1 / rank of
  the first hit within ``k`` (0 if none).
* Coverage: distinct recommended items / catalogue size. Novelty: mean self-information
  ``-log2(share of users who interacted with the item)`` of the recommended items. Gini: of the
  exposure counts over the whole catalogue (0 every item shown equally, towards 1 all on one).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


def overlap_at_k(a: Sequence[str], b: Sequence[str], k: int) -> float:
    if k <= 0:
        raise ValueError("k must be positive")
    return len(set(a[:k]) & set(b[:k])) / k


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 1.0


def rbo(a: Sequence[str], b: Sequence[str], p: float = 0.9) -> float:
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    k = min(len(a), len(b))
    if k == 0:
        return 1.0 if len(a) == len(b) else 0.0
    seen_a: set[str] = set()
    seen_b: set[str] = set()
    overlap = 0
    total = 0.0
    for d in range(1, k + 1):
        x, y = a[d - 1], b[d - 1]
        if x == y:
            overlap += 1
        else:
            overlap += (x in seen_b) + (y in seen_a)
        seen_a.add(x)
        seen_b.add(y)
        total += overlap / d * p**d
    return float(overlap / k * p**k + (1 - p) / p * total)


def kendall_tau_shared(a: Sequence[str], b: Sequence[str]) -> float | None:
    from scipy.stats import kendalltau

    rank_b = {item: n for n, item in enumerate(b)}
    shared = [item for item in a if item in rank_b]
    if len(shared) < 2:
        return None
    tau = kendalltau(range(len(shared)), [rank_b[item] for item in shared]).statistic
    return float(tau)


def rank_shifts(a: Sequence[str], b: Sequence[str]) -> dict[str, int]:
    rank_b = {item: n for n, item in enumerate(b)}
    return {item: rank_b[item] - n for n, item in enumerate(a) if item in rank_b}


def ndcg_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        raise ValueError("NDCG needs at least one relevant item")
    dcg = sum(1 / math.log2(n + 2) for n, item in enumerate(recommended[:k]) if item in relevant)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(len(relevant), k)))
    return dcg / ideal


def precision_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for item in recommended[:k] if item in relevant) / k


def recall_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        raise ValueError("recall needs at least one relevant item")
    return sum(1 for item in recommended[:k] if item in relevant) / len(relevant)


def mrr_at_k(recommended: Sequence[str], relevant: set[str], k: int = 25) -> float:
    for n, item in enumerate(recommended[:k]):
        if item in relevant:
            return 1 / (n + 1)
    return 0.0


def coverage(lists: Iterable[Sequence[str]], catalog_size: int) -> float:
    if catalog_size <= 0:
        raise ValueError("the catalogue is empty")
    return len({item for items in lists for item in items}) / catalog_size


def novelty(lists: Iterable[Sequence[str]], users_per_item: Mapping[str, int], n_users: int) -> float:
    """Mean self-information of the recommended items (an item nobody had counts as one user)."""
    values = [-math.log2(max(users_per_item.get(item, 0), 1) / n_users) for items in lists for item in items]
    return float(np.mean(values)) if values else 0.0


def gini(counts: Sequence[float] | npt.NDArray[Any]) -> float:
    x = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    index = np.arange(1, n + 1)
    return float((2 * index - n - 1) @ x / (n * x.sum()))


def exposure_counts(lists: Iterable[Sequence[str]], catalog: Sequence[str]) -> list[int]:
    seen = Counter(item for items in lists for item in items)
    return [seen.get(item, 0) for item in catalog]


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


def bootstrap_mean(
    values: Sequence[float] | npt.NDArray[Any], *, resamples: int = 2000, seed: int = 0
) -> Interval:
    """The mean with a 95% bootstrap interval (scipy), resampling users: BCa up to 1,000 users,
    percentile beyond (BCa's jackknife costs one pass per user; the two agree at that size)."""
    from scipy.stats import bootstrap

    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2 or np.all(x == x[0]):
        m = float(x.mean()) if len(x) else float("nan")
        return Interval(m, m, m)
    res = bootstrap(
        (x,),
        np.mean,
        n_resamples=resamples,
        confidence_level=0.95,
        method="BCa" if len(x) <= 1000 else "percentile",
        rng=np.random.default_rng(seed),
    )
    return Interval(float(x.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high))


def bootstrap_ratio(
    model: Sequence[float] | npt.NDArray[Any],
    baseline: Sequence[float] | npt.NDArray[Any],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """mean(model) / mean(baseline) over the same users, with a paired 95% bootstrap interval."""
    from scipy.stats import bootstrap

    m = np.asarray(model, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    if len(m) != len(b) or len(m) < 2:
        raise ValueError("a paired ratio needs two equally long samples of at least two users")
    ratio: Callable[..., Any] = lambda x, y, axis=-1: np.mean(x, axis=axis) / np.mean(y, axis=axis)  # noqa: E731
    if b.sum() == 0:
        return Interval(float("inf"), float("inf"), float("inf"))
    res = bootstrap(
        (m, b),
        ratio,
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return Interval(
        float(m.mean() / b.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high)
    )
