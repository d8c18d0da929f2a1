"""Our own recommenders, and the top-N step every recipe shares.

* :class:`Popularity` is Personalize's Popularity-Count analogue: items by how many interactions
  they had, the same list for everyone (minus what each user has seen). AWS advises it as the
  floor any model must beat.
* :class:`Baseline` is the recommender a team writes first: popularity with recency decay, blended
  with each user's genre and content-type preferences (``mode="blend"``), or item-based
  collaborative filtering (``mode="item-cf"``: cosine similarity between items over who engaged
  with them, each item keeping its ``neighbours`` most similar ones).

Seen items are never recommended, nor items outside the catalogue (:func:`top_n`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from audience.recommend.data import SECONDS_PER_DAY, Dataset
from audience.recommend.ports import Recommender

BLOCK_USERS = 512


def _decay(data: Dataset, half_life_days: float | None) -> npt.NDArray[np.float64]:
    if len(data.ts) == 0:
        return np.zeros(0)
    span_days = float(data.ts.max() - data.ts.min()) / SECONDS_PER_DAY
    half_life = half_life_days if half_life_days else max(1.0, span_days / 8)
    age = (float(data.ts.max()) - data.ts.astype(np.float64)) / SECONDS_PER_DAY
    return np.asarray(np.power(0.5, age / half_life), dtype=np.float64)


class Popularity:
    """Items by interaction count in the training data (Popularity-Count)."""

    name = "popularity"

    def fit(self, data: Dataset) -> Popularity:
        self.counts = np.bincount(data.i, minlength=data.n_items).astype(np.float64)
        return self

    def score(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.broadcast_to(self.counts, (len(users), len(self.counts))).copy()


@dataclass(frozen=True)
class BaselineConfig:
    mode: Literal["blend", "item-cf"] = "blend"
    half_life_days: float | None = None
    """Recency decay of popularity; ``None``: an eighth of the training data's time span (at least a day)."""
    prior: float = 5.0
    """Pseudo-interactions that pull a user's genre/type shares towards the population's."""
    preference_strength: float = 1.0
    """Exponent on the preference lift: 0 is plain decayed popularity."""
    neighbours: int = 50


class Baseline:
    """Decayed popularity x the user's genre and type preference lift; or item-based CF."""

    name = "baseline"

    def __init__(self, config: BaselineConfig | None = None) -> None:
        self.config = config or BaselineConfig()

    def fit(self, data: Dataset) -> Baseline:
        cfg = self.config
        w = data.weight * _decay(data, cfg.half_life_days)
        pop = np.bincount(data.i, weights=w, minlength=data.n_items)
        self.popularity = pop / pop.max() if pop.max() > 0 else pop
        self._data = data
        if cfg.mode == "item-cf":
            self._fit_item_cf(data)
            return self
        self._genre = self._preferences(data, w, [sorted(data.item(n).genres) for n in range(data.n_items)])
        self._type = self._preferences(
            data, w, [[t] if (t := data.item(n).content_type) else [] for n in range(data.n_items)]
        )
        return self

    def _preferences(self, data: Dataset, w: npt.NDArray[np.float64], labels: Sequence[Sequence[str]]) -> Any:
        """(item x label matrix with rows summing to 1, user x label lift), or None without labels."""
        from scipy import sparse

        vocab = sorted({label for item_labels in labels for label in item_labels})
        if not vocab:
            return None
        index = {label: n for n, label in enumerate(vocab)}
        rows, cols, vals = [], [], []
        for item, item_labels in enumerate(labels):
            for label in item_labels:
                rows.append(item)
                cols.append(index[label])
                vals.append(1.0 / len(item_labels))
        g = sparse.csr_matrix((vals, (rows, cols)), shape=(data.n_items, len(vocab)))
        uw = sparse.csr_matrix((w, (data.u, data.i)), shape=(data.n_users, data.n_items)) @ g
        uw = np.asarray(uw.todense())
        population = uw.sum(axis=0)
        p = population / population.sum() if population.sum() > 0 else np.full(len(vocab), 1 / len(vocab))
        p = np.maximum(p, 1e-9)
        share = (uw + self.config.prior * p) / (uw.sum(axis=1, keepdims=True) + self.config.prior)
        has_labels = np.asarray(g.sum(axis=1)).ravel() > 0
        return g, share / p, has_labels

    def _match(self, prefs: Any, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        if prefs is None:
            return np.ones((len(users), self._data.n_items))
        g, lift, has_labels = prefs
        m = np.asarray((g @ lift[users].T).T)
        m[:, ~has_labels] = 1.0
        return np.asarray(m, dtype=np.float64)

    def _fit_item_cf(self, data: Dataset) -> None:
        from scipy import sparse

        x = data.matrix(binary=True).tocsc()
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        xn = (x @ sparse.diags(1 / np.maximum(norms, 1e-9))).tocsc()
        k = self.config.neighbours
        rows, cols, vals = [], [], []
        xt = xn.T.tocsr()
        for start in range(0, data.n_items, 1024):
            block = np.asarray((xt[start : start + 1024] @ xn).todense())
            for r in range(block.shape[0]):
                block[r, start + r] = 0.0
            top = np.argpartition(-block, min(k, block.shape[1] - 1), axis=1)[:, :k]
            for r in range(block.shape[0]):
                sims = block[r, top[r]]
                keep = sims > 0
                rows.extend([start + r] * int(keep.sum()))
                cols.extend(top[r][keep].tolist())
                vals.extend(sims[keep].tolist())
        self._similar = sparse.csr_matrix((vals, (rows, cols)), shape=(data.n_items, data.n_items))
        self._x = data.matrix(binary=True)

    def score(self, users: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        if self.config.mode == "item-cf":
            cf = np.asarray((self._x[users] @ self._similar).todense())
            # Popularity breaks ties and fills lists of users with few neighbours.
            return np.asarray(cf + 1e-6 * self.popularity, dtype=np.float64)
        s = self.config.preference_strength
        match = self._match(self._genre, users) ** s * self._match(self._type, users) ** s
        return np.asarray(self.popularity * match, dtype=np.float64)


@dataclass(frozen=True)
class Ranked:
    user: int
    items: list[int]
    scores: list[float]


def _seen_rows(x: Any, users: npt.NDArray[np.int64]) -> Iterator[npt.NDArray[np.int32]]:
    for u in users:
        yield x.indices[x.indptr[u] : x.indptr[u + 1]]


def top_n(
    model: Recommender, data: Dataset, users: npt.NDArray[np.int64], n: int, *, block: int = BLOCK_USERS
) -> Iterator[Ranked]:
    """Each user's ``n`` best items: never one they interacted with, never one outside the catalogue."""
    x = data.matrix(binary=True)
    excluded = ~data.in_catalog
    for start in range(0, len(users), block):
        chunk = users[start : start + block]
        scores = np.array(model.score(chunk), dtype=np.float64)
        scores[:, excluded] = -np.inf
        for r, seen in enumerate(_seen_rows(x, chunk)):
            scores[r, seen] = -np.inf
        k = min(n, scores.shape[1])
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k else np.zeros((len(chunk), 0), int)
        for r, u in enumerate(chunk):
            cand = part[r]
            # Ties (a popularity list) resolve by item id, so runs are reproducible.
            order = cand[np.lexsort((data.items[cand].astype(str), -scores[r, cand]))]
            order = order[np.isfinite(scores[r, order])]
            yield Ranked(int(u), order.tolist(), scores[r, order].tolist())


def cold_start_list(model: Recommender, data: Dataset, n: int) -> Ranked:
    """What a user without interactions gets: ``model``'s popularity, catalogue items only."""
    pop = getattr(model, "popularity", None)
    if pop is None:
        pop = np.bincount(data.i, minlength=data.n_items).astype(np.float64)
    scores = np.where(data.in_catalog, pop, -np.inf)
    order = np.lexsort((data.items.astype(str), -scores))[:n]
    order = order[np.isfinite(scores[order])]
    return Ranked(-1, order.tolist(), scores[order].tolist())
