"""Lookalikes: rank everyone outside a seed by how much they resemble it, with an honest quality figure.

Scoring is a seed-versus-population propensity on the user embedding (the segmentation's PCA
space, whose components are uncorrelated over the population): the log-likelihood ratio of a
diagonal Gaussian fitted to the seed against one fitted to everyone else, i.e. Gaussian naive
Bayes. It is numpy only (the web function in Lambda carries no scikit-learn), linear in users, and
unlike cosine-to-centroid it rewards what is *tight* in the seed, not just what is near its mean. Quality is measured before the ranking is used: a share of the seed is held out, the
model is fitted on the rest, and we report how many held-out members land in the top ``size`` of
the pool (recall@size), what share of that top ``size`` they make (precision@size), each against
what random picking achieves on average (recall size / pool, precision holdout / pool), and the ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

MIN_SEED: Final = 20
"""Fewer seed users than this cannot train a model or be split into a holdout worth reporting."""
HOLDOUT_SHARE: Final = 0.2
VARIANCE_FLOOR: Final = 1e-3


class SeedError(ValueError):
    """The seed cannot make a lookalike (too small, or covering everyone)."""


@dataclass(frozen=True)
class Quality:
    holdout: int
    pool: int
    size: int
    found: int
    recall: float
    random_recall: float
    precision: float
    random_precision: float
    lift: float | None


@dataclass(frozen=True)
class Lookalike:
    members: npt.NDArray[np.intp]
    """Indices of the chosen users (best first), never seed members."""
    scores: npt.NDArray[np.float64]
    quality: Quality


def _fit_scores(
    embedding: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_], seed: int
) -> npt.NDArray[np.float64]:
    """log p(x | seed) - log p(x | rest) under per-dimension Gaussians (constants dropped)."""

    def loglik(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        mean = rows.mean(axis=0)
        var = np.maximum(rows.var(axis=0), VARIANCE_FLOOR)
        return np.asarray(
            -0.5 * (((embedding - mean) ** 2) / var).sum(axis=1) - 0.5 * np.log(var).sum(), dtype=np.float64
        )

    return loglik(embedding[positive]) - loglik(embedding[~positive])


def build(
    embedding: npt.NDArray[np.float64],
    seed_mask: npt.NDArray[np.bool_],
    size: int,
    *,
    random_state: int = 7,
) -> Lookalike:
    """The ``size`` best non-members for the seed, and the holdout quality of the same method."""
    n_seed = int(seed_mask.sum())
    if n_seed < MIN_SEED:
        raise SeedError(f"seed has {n_seed} known users; at least {MIN_SEED} are needed")
    pool_size = len(seed_mask) - n_seed
    if pool_size < 1:
        raise SeedError("the seed covers every user: nobody is left to find")
    size = max(1, min(size, pool_size))

    # Quality: hide part of the seed among the non-members and see whether the ranking finds it.
    rng = np.random.default_rng(random_state)
    seed_idx = np.flatnonzero(seed_mask)
    hidden = rng.choice(seed_idx, size=max(1, int(len(seed_idx) * HOLDOUT_SHARE)), replace=False)
    train = seed_mask.copy()
    train[hidden] = False
    scores = _fit_scores(embedding, train, random_state)
    pool = np.flatnonzero(~train)
    k = min(size, len(pool))
    top = pool[np.argsort(-scores[pool], kind="stable")[:k]]
    found = int(np.isin(top, hidden).sum())
    recall = found / len(hidden)
    random_recall = k / len(pool)
    quality = Quality(
        holdout=len(hidden),
        pool=len(pool),
        size=k,
        found=found,
        recall=recall,
        random_recall=random_recall,
        precision=found / k if k else 0.0,
        random_precision=len(hidden) / len(pool),
        lift=recall / random_recall if random_recall else None,
    )

    # The audience itself: fitted on the whole seed.
    scores = _fit_scores(embedding, seed_mask, random_state)
    outside = np.flatnonzero(~seed_mask)
    order = outside[np.argsort(-scores[outside], kind="stable")[:size]]
    return Lookalike(members=order, scores=scores[order], quality=quality)
