"""The local item-attribute-affinity model: which users are most likely to engage with items that
have an attribute (``ITEMS.genres = "Action"``), written in the batch segment job's output format.

Personalize's ``aws-item-attribute-affinity`` recipe is a learned model we cannot run locally; this
stand-in answers the same question from the same interactions with a transparent estimate:

* every interaction has a weight: its event type's weight (a share counts more than a view) times a
  recency decay ``0.5 ** (age / half_life)``, age measured from the end of the training data (or,
  with ``recency="per_user"``, from the user's own last interaction);
* a user's *activity* ``A`` is the sum of their weights, their *matching* weight ``S`` the sum over
  items the query matches;
* their share of matching engagement is shrunk towards the population's share ``p`` with a prior of
  ``k`` pseudo-interactions, ``(S + k p) / (A + k)``, so one Action view out of one does not rank
  above forty out of fifty;
* the score is that share times ``A``: the expected amount of matching engagement, i.e. how likely
  the user is to engage with such items next, which is what a campaign audience is for.

It is evaluated on a time-based holdout against the past-share baseline in :mod:`.evaluate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from audience.activation.queries import ItemAttributeQuery, parse_query

DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {
    "view": 1.0,
    "complete": 1.5,
    "comment": 1.5,
    "like": 2.0,
    "share": 2.5,
}
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class AffinityConfig:
    half_life_days: float = 7.0
    prior_strength: float = 5.0
    event_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    default_weight: float = 1.0
    recency: Literal["global", "per_user"] = "global"


@dataclass(frozen=True)
class Interactions:
    """Columns of Personalize's interactions dataset as arrays (one entry per interaction)."""

    user_id: npt.NDArray[Any]
    item_id: npt.NDArray[Any]
    event_type: npt.NDArray[Any]
    timestamp: npt.NDArray[np.int64]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, int]]) -> Interactions:
        users, items, types, stamps = [], [], [], []
        for user, item, event_type, ts in rows:
            users.append(user)
            items.append(item)
            types.append(event_type)
            stamps.append(ts)
        return cls(
            np.asarray(users, dtype=object),
            np.asarray(items, dtype=object),
            np.asarray(types, dtype=object),
            np.asarray(stamps, dtype=np.int64),
        )

    @classmethod
    def from_csv(cls, path: Path) -> Interactions:
        """Read a Personalize interactions CSV (DuckDB: fast, typed)."""
        import duckdb

        con = duckdb.connect()
        try:
            cols = con.sql(
                'SELECT USER_ID::VARCHAR u, ITEM_ID::VARCHAR i, EVENT_TYPE::VARCHAR e, "TIMESTAMP"::BIGINT t '
                "FROM read_csv($p, header = true)",
                params={"p": str(path)},
            ).fetchnumpy()
        finally:
            con.close()
        return cls(
            np.asarray(cols["u"], dtype=object),
            np.asarray(cols["i"], dtype=object),
            np.asarray(cols["e"], dtype=object),
            np.asarray(cols["t"], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.user_id)

    def mask(self, keep: npt.NDArray[np.bool_]) -> Interactions:
        return Interactions(
            self.user_id[keep], self.item_id[keep], self.event_type[keep], self.timestamp[keep]
        )


ItemAttributes = Mapping[str, Mapping[str, frozenset[str]]]
"""item id -> field name (lower case) -> set of values (categorical fields split on '|')."""


def item_attributes(
    rows: Iterable[Mapping[str, str]], categorical: Sequence[str]
) -> dict[str, dict[str, frozenset[str]]]:
    """Item attributes from Personalize items rows (``ITEM_ID`` plus the categorical fields)."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for row in rows:
        out[row["ITEM_ID"]] = {
            name.lower(): frozenset(v.strip() for v in (row.get(name) or "").split("|") if v.strip())
            for name in categorical
        }
    return out


@dataclass
class Ranking:
    users: list[str]
    scores: list[float]


class ItemAttributeAffinityModel:
    """Fit once on interactions and item attributes; rank users for any item-attribute query."""

    def __init__(self, config: AffinityConfig | None = None) -> None:
        self.config = config or AffinityConfig()
        self._fitted = False

    def fit(self, interactions: Interactions, items: ItemAttributes) -> ItemAttributeAffinityModel:
        if len(interactions) == 0:
            raise ValueError("no interactions to train on")
        cfg = self.config
        self.users, user_code = np.unique(interactions.user_id.astype(str), return_inverse=True)
        self.items, item_code = np.unique(interactions.item_id.astype(str), return_inverse=True)
        weights = np.array(
            [cfg.event_weights.get(t, cfg.default_weight) for t in interactions.event_type], dtype=np.float64
        )
        ts = interactions.timestamp.astype(np.float64)
        if cfg.recency == "per_user":
            last = np.full(len(self.users), -np.inf)
            np.maximum.at(last, user_code, ts)
            reference = last[user_code]
        else:
            reference = np.full(len(ts), ts.max())
        age_days = (reference - ts) / SECONDS_PER_DAY
        decay = np.power(0.5, age_days / cfg.half_life_days)
        self._user_code, self._item_code = user_code, item_code
        self._w = weights * decay
        self._activity = np.bincount(user_code, weights=self._w, minlength=len(self.users))
        self._count = np.bincount(user_code, minlength=len(self.users)).astype(np.float64)
        self._item_attributes = items
        self._fitted = True
        return self

    def _matching_items(self, query: ItemAttributeQuery) -> npt.NDArray[np.bool_]:
        empty: Mapping[str, frozenset[str]] = {}
        return np.array([query.matches(self._item_attributes.get(i, empty)) for i in self.items], dtype=bool)

    def _ranked(self, score: npt.NDArray[Any], tie: npt.NDArray[Any], n: int) -> Ranking:
        # Highest score first; ties by the second key, then by user id (np.lexsort: last key is primary).
        order = np.lexsort((self.users, -tie, -score))[:n]
        return Ranking(users=[str(u) for u in self.users[order]], scores=[float(s) for s in score[order]])

    def rank(self, query: ItemAttributeQuery | str, num_results: int) -> Ranking:
        """Users most likely to engage with items matching ``query``, best first."""
        if not self._fitted:
            raise RuntimeError("fit the model first")
        q = parse_query(query) if isinstance(query, str) else query
        match = self._matching_items(q)
        if not match.any():
            raise ValueError(f"no item matches {q.text!r}")
        matching = np.bincount(
            self._user_code, weights=self._w * match[self._item_code], minlength=len(self.users)
        )
        k = self.config.prior_strength
        population_share = float(matching.sum() / self._activity.sum()) if self._activity.sum() else 0.0
        share = (matching + k * population_share) / (self._activity + k)
        return self._ranked(share * self._activity, matching, num_results)

    def rank_by_past_share(self, query: ItemAttributeQuery | str, num_results: int) -> Ranking:
        """The baseline: users by the plain share of their past interactions that match (ties: more
        matching interactions first), with no recency, weights or shrinkage."""
        q = parse_query(query) if isinstance(query, str) else query
        match = self._matching_items(q)
        matching = np.bincount(
            self._user_code, weights=match[self._item_code].astype(np.float64), minlength=len(self.users)
        )
        return self._ranked(matching / self._count, matching, num_results)


def batch_segment_lines(
    model: ItemAttributeAffinityModel, query_texts: Sequence[str], num_results: int
) -> list[dict[str, Any]]:
    """One output line per query, exactly as a batch segment job writes them (an ``error`` instead
    of ``output`` when a query cannot be answered)."""
    lines: list[dict[str, Any]] = []
    for text in query_texts:
        try:
            ranking = model.rank(text, num_results)
        except ValueError as exc:
            lines.append({"itemAttributes": text, "output": None, "error": str(exc)})
            continue
        lines.append({"itemAttributes": text, "output": {"recommendedUsers": ranking.users}})
    return lines


def write_batch_output(path: Path, lines: Sequence[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return path
