"""Time-based holdout evaluation of the local segment model against a past-share baseline.

The question a segment answers: of the top-N users it names for ``ITEMS.genres = "Action"``, what
share go on to engage with Action items? Training data ends at a point in time; what follows is the
holdout. The baseline ranks users by the share of their past interactions that were Action (ties:
more Action interactions first), the usual "affinity" rule of thumb.

* Generated data (the lake): one global cut-off, the last 25% of the interaction time span held out.
* MovieLens ml-latest-small: each user's last 20% of ratings by time held out; ratings >= 4 are
  positives, and both rankings are trained on the training positives. Recency is measured from each
  user's own last training rating (``per_user``), because the split is per user.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audience.activation.adapters.local.personalize_model import (
    AffinityConfig,
    Interactions,
    ItemAttributeAffinityModel,
    item_attributes,
)
from audience.activation.queries import parse_query


@dataclass(frozen=True)
class PrecisionAtN:
    n: int
    model: float
    baseline: float


@dataclass(frozen=True)
class EvaluationReport:
    dataset: str
    query: str
    split: str
    train_interactions: int
    holdout_interactions: int
    users_ranked: int
    base_rate: float
    """Share of all ranked users who engage with matching items in the holdout (a random pick)."""
    results: list[PrecisionAtN]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(
    train: Interactions,
    holdout_positive_users: set[str],
    items: dict[str, dict[str, frozenset[str]]],
    query: str,
    top_ns: Sequence[int],
    config: AffinityConfig,
    *,
    dataset: str,
    split: str,
    holdout_interactions: int,
) -> EvaluationReport:
    model = ItemAttributeAffinityModel(config).fit(train, items)
    ranked_users = len(model.users)
    base = sum(1 for u in model.users if str(u) in holdout_positive_users) / ranked_users
    results = []
    for n in top_ns:
        m = model.rank(query, n).users
        b = model.rank_by_past_share(query, n).users
        results.append(
            PrecisionAtN(
                n=n,
                model=sum(u in holdout_positive_users for u in m) / len(m),
                baseline=sum(u in holdout_positive_users for u in b) / len(b),
            )
        )
    return EvaluationReport(
        dataset=dataset,
        query=query,
        split=split,
        train_interactions=len(train),
        holdout_interactions=holdout_interactions,
        users_ranked=ranked_users,
        base_rate=base,
        results=results,
    )


def _matching_item_ids(items: dict[str, dict[str, frozenset[str]]], query: str) -> set[str]:
    q = parse_query(query)
    return {item for item, attrs in items.items() if q.matches(attrs)}


def evaluate_interactions_csv(
    interactions_csv: Path,
    items_csv: Path,
    *,
    genre: str = "Action",
    top_ns: Sequence[int] = (100, 250, 500),
    holdout_fraction: float = 0.25,
    config: AffinityConfig | None = None,
) -> EvaluationReport:
    """Global time split of a Personalize interactions export (the generated data)."""
    data = Interactions.from_csv(interactions_csv)
    with items_csv.open(newline="") as f:
        items = item_attributes(csv.DictReader(f), ["GENRES"])
    query = f'ITEMS.genres = "{genre}"'
    lo, hi = int(data.timestamp.min()), int(data.timestamp.max())
    cut = lo + (hi - lo) * (1 - holdout_fraction)
    train, hold = data.mask(data.timestamp < cut), data.mask(data.timestamp >= cut)
    matching = _matching_item_ids(items, query)
    positives = {str(u) for u, i in zip(hold.user_id, hold.item_id, strict=True) if str(i) in matching}
    return evaluate(
        train,
        positives,
        items,
        query,
        top_ns,
        config or AffinityConfig(),
        dataset="generated (make demo lake)",
        split=f"global cut-off: last {holdout_fraction:.0%} of the time span held out",
        holdout_interactions=len(hold),
    )


def evaluate_movielens(
    folder: Path,
    *,
    genre: str = "Action",
    top_ns: Sequence[int] = (25, 50, 100),
    holdout_fraction: float = 0.2,
    positive_rating: float = 4.0,
    config: AffinityConfig | None = None,
) -> EvaluationReport:
    """Per-user time split of MovieLens ratings (read in place from ``folder``, never copied)."""
    with (folder / "movies.csv").open(newline="", encoding="utf-8") as f:
        items = item_attributes(
            ({"ITEM_ID": r["movieId"], "GENRES": r["genres"]} for r in csv.DictReader(f)), ["GENRES"]
        )
    with (folder / "ratings.csv").open(newline="", encoding="utf-8") as f:
        rows = [
            (r["userId"], r["movieId"], float(r["rating"]), int(r["timestamp"])) for r in csv.DictReader(f)
        ]
    by_user: dict[str, list[tuple[str, str, float, int]]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)
    train_rows: list[tuple[str, str, str, int]] = []
    hold_rows: list[tuple[str, str, float, int]] = []
    for user_rows in by_user.values():
        user_rows.sort(key=lambda r: (r[3], r[1]))
        n_hold = int(np.ceil(len(user_rows) * holdout_fraction))
        cut = len(user_rows) - n_hold
        train_rows += [(u, i, "rating", t) for u, i, r, t in user_rows[:cut] if r >= positive_rating]
        hold_rows += user_rows[cut:]
    query = f'ITEMS.genres = "{genre}"'
    matching = _matching_item_ids(items, query)
    positives = {u for u, i, r, _ in hold_rows if r >= positive_rating and i in matching}
    return evaluate(
        Interactions.from_rows(train_rows),
        positives,
        items,
        query,
        top_ns,
        config or AffinityConfig(half_life_days=365.0, recency="per_user"),
        dataset="MovieLens ml-latest-small",
        split=(
            f"each user's last {holdout_fraction:.0%} of ratings by time held out; "
            f"ratings >= {positive_rating:g} are positives (training uses positives only)"
        ),
        holdout_interactions=len(hold_rows),
    )
