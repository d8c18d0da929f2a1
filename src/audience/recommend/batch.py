"""The batch job: Personalize-format files in, Personalize's batch inference output out.

Used by ``python -m audience.recommend batch`` (the contract of issue 14), the local pipeline and
the baseline's batch Lambda in AWS. Users without interactions get the recipe's popular items
(Personalize does the same for cold users), still with ``"error": null``; the summary counts them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from audience.recommend.batchio import BatchLine, round_scores, write_batch_output
from audience.recommend.data import Dataset, read_interactions, read_items, read_users
from audience.recommend.evaluate import train_and_recommend
from audience.recommend.ports import Recommender


@dataclass(frozen=True)
class BatchSummary:
    recipe: str
    users: int
    cold_start_users: int
    interactions: int
    catalog_items: int
    num_results: int
    train_seconds: float
    inference_seconds: float
    out: str


def run_batch(
    recommender: Recommender,
    *,
    interactions: Path,
    items: Path,
    users: Path,
    num_results: int,
    out: Path,
) -> BatchSummary:
    if not 1 <= num_results <= 500:
        raise ValueError("num-results must be between 1 and 500 (Personalize's limit)")
    log = read_interactions(interactions)
    catalog = read_items(items)
    user_ids = read_users(users)
    data = Dataset.build(log, catalog)
    t0 = time.perf_counter()
    trained = train_and_recommend(data, [recommender], user_ids, num_results)
    elapsed = time.perf_counter() - t0
    lists, scores = trained.lists[recommender.name], trained.scores[recommender.name]
    write_batch_output(out, (BatchLine(u, lists[u], round_scores(scores[u])) for u in user_ids))
    return BatchSummary(
        recipe=recommender.name,
        users=len(user_ids),
        cold_start_users=sum(1 for u in user_ids if u not in data.user_index),
        interactions=len(log),
        catalog_items=len(catalog),
        num_results=num_results,
        train_seconds=round(trained.train_seconds[recommender.name], 3),
        inference_seconds=round(elapsed - trained.train_seconds[recommender.name], 3),
        out=str(out),
    )
