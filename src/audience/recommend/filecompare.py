"""The offline comparison of two batch outputs already written (for example a real Personalize
batch inference job's against the baseline's), with accuracy when later interactions are given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audience.recommend.batchio import read_batch_output
from audience.recommend.data import Dataset, read_interactions, read_items
from audience.recommend.evaluate import accuracy, compare_lists, exposure


def compare_files(
    interactions: Path,
    items: Path,
    baseline: Path,
    personalize: Path,
    *,
    truth: Path | None,
    k: int,
    new_days: float,
) -> dict[str, Any]:
    data = Dataset.build(read_interactions(interactions), read_items(items))
    lists = {
        "baseline": {line.user_id: line.items for line in read_batch_output(baseline) if not line.error},
        "personalize": {
            line.user_id: line.items for line in read_batch_output(personalize) if not line.error
        },
    }
    report: dict[str, Any] = {
        "lists": compare_lists(lists["baseline"], lists["personalize"], k),
        "exposure": exposure(lists, data, k=k, new_days=new_days),
    }
    if truth is not None:
        later = read_interactions(truth)
        relevant: dict[str, set[str]] = {}
        for u, i in zip(later.user_id.astype(str), later.item_id.astype(str), strict=True):
            relevant.setdefault(u, set()).add(i)
        relevant = {
            u: rel for u, rel in relevant.items() if u in lists["baseline"] and u in lists["personalize"]
        }
        report["users_evaluated"] = len(relevant)
        report["accuracy"] = accuracy(lists, relevant, int(data.in_catalog.sum())) if relevant else None
    return report
