"""The online comparison from the lake: per variant, click-through, watch time and completion, with
95% intervals and significance tests.

One SQL text (:data:`ONLINE_SQL`), the subset Athena (Trino) and DuckDB share, returns one row per
served list (``recommendations_served``) with what followed it in ``engagement_events``: events
that carry the list's ``recommendation_id`` (contract 1.1), are about an item of the list, and
happened within ``?`` seconds after it was served. In AWS it runs on Athena (the scheduled
analysis in the recommendations state machine's stack); locally on DuckDB over the same layout.

* click-through: share of lists with at least one ``view`` of a recommended item in the window;
* watch time: seconds viewed per list (``metadata.view_duration``), completion: share of lists
  with a ``complete``.

Intervals are a cluster bootstrap over *users* (a user sees several lists, so lists are not
independent); click-through differences are tested with a two-proportion z-test, and watch time
with Welch's t-test (as a check, Mann-Whitney's U too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

SERVED_TABLE: Final = "recommendations_served"
EVENTS_TABLE: Final = "engagement_events"

ONLINE_SQL: Final = f"""
SELECT s.recommendation_id, s.user_id, s.variant, s.served_at, s.cold_start,
       coalesce(max(CASE WHEN e.event_type = 'view' THEN 1 ELSE 0 END), 0) AS clicked,
       coalesce(max(CASE WHEN e.event_type = 'complete' THEN 1 ELSE 0 END), 0) AS completed,
       coalesce(sum(CASE WHEN e.event_type = 'view' THEN e.metadata.view_duration ELSE 0 END), 0) AS watch_seconds
FROM {SERVED_TABLE} s
LEFT JOIN {EVENTS_TABLE} e
  ON e.recommendation_id = s.recommendation_id
 AND e.user_id = s.user_id
 AND contains(s.items, e.content_id)
 AND e.event_timestamp >= CAST(s.served_at AS TIMESTAMP)
 AND date_diff('second', CAST(s.served_at AS TIMESTAMP), e.event_timestamp) <= ?
GROUP BY s.recommendation_id, s.user_id, s.variant, s.served_at, s.cold_start
ORDER BY s.served_at, s.recommendation_id
"""
ONLINE_PARAMS: Final = ("window_seconds",)


@dataclass(frozen=True)
class ListOutcome:
    recommendation_id: str
    user_id: str
    variant: str
    served_at: str
    cold_start: bool
    clicked: int
    completed: int
    watch_seconds: float


def outcomes(rows: Sequence[Sequence[Any]]) -> list[ListOutcome]:
    return [
        ListOutcome(
            str(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), int(r[5]), int(r[6]), float(r[7] or 0)
        )
        for r in rows
    ]


def _cluster_bootstrap(
    users: np.ndarray[Any, Any], values: np.ndarray[Any, Any], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean per list with a 95% interval from resampling users (all of a user's lists together)."""
    uniq, inverse = np.unique(users, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(uniq), size=(resamples, len(uniq)))
    stats = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def analyse(
    rows: Sequence[ListOutcome],
    *,
    include_cold_start: bool = False,
    buckets: int = 8,
) -> dict[str, Any]:
    """Per-variant figures, the tests between ``baseline`` and ``personalize``, and a time series."""
    from scipy import stats

    kept = [r for r in rows if include_cold_start or not r.cold_start]
    out: dict[str, Any] = {
        "lists": len(kept),
        "cold_start_lists_excluded": len(rows) - len(kept) if not include_cold_start else 0,
    }
    per: dict[str, dict[str, np.ndarray[Any, Any]]] = {}
    for variant in sorted({r.variant for r in kept}):
        vs = [r for r in kept if r.variant == variant]
        users = np.array([r.user_id for r in vs])
        clicked = np.array([r.clicked for r in vs], dtype=np.float64)
        completed = np.array([r.completed for r in vs], dtype=np.float64)
        watch = np.array([r.watch_seconds for r in vs], dtype=np.float64)
        ctr, lo, hi = _cluster_bootstrap(users, clicked)
        wt, wlo, whi = _cluster_bootstrap(users, watch, seed=1)
        cr, clo, chi = _cluster_bootstrap(users, completed, seed=2)
        out[variant] = {
            "served": len(vs),
            "users": len(set(users.tolist())),
            "clicks": int(clicked.sum()),
            "ctr": ctr,
            "ctr_ci": [lo, hi],
            "watch_time": wt,
            "watch_time_ci": [wlo, whi],
            "completion": cr,
            "completion_ci": [clo, chi],
        }
        per[variant] = {"clicked": clicked, "watch": watch}
    if "baseline" in per and "personalize" in per:
        a, b = per["baseline"], per["personalize"]
        n1, n2 = len(a["clicked"]), len(b["clicked"])
        p1, p2 = a["clicked"].mean(), b["clicked"].mean()
        pooled = (a["clicked"].sum() + b["clicked"].sum()) / (n1 + n2)
        se = float(np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))) if 0 < pooled < 1 else float("nan")
        z = float((p2 - p1) / se) if se and np.isfinite(se) else float("nan")
        welch = stats.ttest_ind(b["watch"], a["watch"], equal_var=False)
        mwu = stats.mannwhitneyu(b["watch"], a["watch"], alternative="two-sided")
        out["tests"] = {
            "ctr_difference": float(p2 - p1),
            "ctr_lift": float(p2 / p1 - 1) if p1 else None,
            "ctr_z": z,
            "ctr_p_value": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else None,
            "watch_time_welch_t": float(welch.statistic),
            "watch_time_p_value": float(welch.pvalue),
            "watch_time_mann_whitney_p": float(mwu.pvalue),
            "ctr_intervals_overlap": not (
                out["personalize"]["ctr_ci"][0] > out["baseline"]["ctr_ci"][1]
                or out["baseline"]["ctr_ci"][0] > out["personalize"]["ctr_ci"][1]
            ),
        }
    out["over_time"] = over_time(kept, buckets)
    return out


def over_time(rows: Sequence[ListOutcome], buckets: int) -> list[dict[str, Any]]:
    """Click-through per variant in ``buckets`` equal slices of the serving period (the page's A/B over time)."""
    if not rows:
        return []
    ordered = sorted(rows, key=lambda r: r.served_at)
    edges = np.linspace(0, len(ordered), buckets + 1).astype(int)
    series: list[dict[str, Any]] = []
    for n in range(buckets):
        part = ordered[edges[n] : edges[n + 1]]
        if not part:
            continue
        point: dict[str, Any] = {"from": part[0].served_at, "to": part[-1].served_at}
        for variant in sorted({r.variant for r in ordered}):
            vs = [r.clicked for r in part if r.variant == variant]
            point[variant] = {"served": len(vs), "ctr": (sum(vs) / len(vs)) if vs else None}
        series.append(point)
    return series


def bind(values: Mapping[str, Any]) -> list[Any]:
    return [values[name] for name in ONLINE_PARAMS]
