"""The offline comparison, for every run: between the two lists, their exposure, and accuracy.

* Accuracy: each recipe is trained on the training part of a time split and judged on the holdout:
  Personalize's own metrics (NDCG@5/10/25, precision@5/10/25, MRR@25, coverage) plus recall@20,
  each a mean over users with a 95% bootstrap interval, and the model/popularity ratio of NDCG@10
  and recall@20 with a paired bootstrap interval. A user counts when the holdout holds at least
  one item they had not seen in training (recommenders never repeat a seen item).
* Lists (baseline vs personalize): overlap@k, Jaccard, RBO, Kendall tau on shared items and the
  rank shift of each shared item.
* Exposure: catalogue coverage, novelty, Gini of exposure, items only Personalize recommends,
  and the share of recommended items newer than ``new_days`` days.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audience.recommend import metrics as m
from audience.recommend.data import SECONDS_PER_DAY, Dataset, InteractionLog, Item, newest_share_split
from audience.recommend.ports import Recommender
from audience.recommend.recipes import cold_start_list, top_n

ACCURACY_KS = (5, 10, 25)
Lists = dict[str, list[str]]


@dataclass
class TrainedLists:
    lists: dict[str, Lists]
    scores: dict[str, dict[str, list[float]]]
    train_seconds: dict[str, float]
    infer_seconds: dict[str, float]


def train_and_recommend(
    data: Dataset,
    recommenders: Sequence[Recommender],
    users: Sequence[str],
    num_results: int,
) -> TrainedLists:
    """Fit each recommender on ``data`` and write ``num_results`` items for each of ``users``
    (users without interactions get the recipe's popular items)."""
    lists: dict[str, Lists] = {}
    scores: dict[str, dict[str, list[float]]] = {}
    train_s: dict[str, float] = {}
    infer_s: dict[str, float] = {}
    known = np.array([data.user_index[u] for u in users if u in data.user_index], dtype=np.int64)
    for rec in recommenders:
        t0 = time.perf_counter()
        rec.fit(data)
        t1 = time.perf_counter()
        out: Lists = {}
        sc: dict[str, list[float]] = {}
        for ranked in top_n(rec, data, known, num_results):
            uid = str(data.users[ranked.user])
            out[uid] = [str(data.items[i]) for i in ranked.items]
            sc[uid] = ranked.scores
        cold = cold_start_list(rec, data, num_results)
        for u in users:
            if u not in out:
                out[u] = [str(data.items[i]) for i in cold.items]
                sc[u] = cold.scores
        infer_s[rec.name] = time.perf_counter() - t1
        train_s[rec.name] = t1 - t0
        lists[rec.name], scores[rec.name] = out, sc
    return TrainedLists(lists, scores, train_s, infer_s)


def _interval(values: Sequence[float]) -> dict[str, float]:
    return m.bootstrap_mean(values).as_dict()


def accuracy(lists: Mapping[str, Lists], truth: Mapping[str, set[str]], catalog_size: int) -> dict[str, Any]:
    users = sorted(truth)
    out: dict[str, Any] = {}
    per_user: dict[str, dict[str, np.ndarray[Any, Any]]] = {}
    for name, recs in lists.items():
        values: dict[str, list[float]] = {f"ndcg@{k}": [] for k in ACCURACY_KS}
        values |= {f"precision@{k}": [] for k in ACCURACY_KS}
        values |= {"mrr@25": [], "recall@20": []}
        for u in users:
            r, rel = recs.get(u, []), truth[u]
            for k in ACCURACY_KS:
                values[f"ndcg@{k}"].append(m.ndcg_at_k(r, rel, k))
                values[f"precision@{k}"].append(m.precision_at_k(r, rel, k))
            values["mrr@25"].append(m.mrr_at_k(r, rel, 25))
            values["recall@20"].append(m.recall_at_k(r, rel, 20))
        out[name] = {key: _interval(v) for key, v in values.items()}
        out[name]["coverage"] = m.coverage((recs.get(u, [])[:25] for u in users), catalog_size)
        per_user[name] = {key: np.asarray(v) for key, v in values.items()}
    if "popularity" in per_user:
        for name in per_user:
            if name == "popularity":
                continue
            out[name]["vs_popularity"] = {
                key: m.bootstrap_ratio(per_user[name][key], per_user["popularity"][key]).as_dict()
                for key in ("ndcg@10", "recall@20")
            }
    return out


def compare_lists(a: Lists, b: Lists, k: int, *, max_shift_points: int = 2000) -> dict[str, Any]:
    users = sorted(set(a) & set(b))
    overlap = [m.overlap_at_k(a[u], b[u], k) for u in users]
    jac = [m.jaccard(a[u][:k], b[u][:k]) for u in users]
    rbos = [m.rbo(a[u][:k], b[u][:k]) for u in users]
    taus = [t for u in users if (t := m.kendall_tau_shared(a[u][:k], b[u][:k])) is not None]
    shifts: list[tuple[int, int]] = []
    for u in users:
        rank_a = {item: n for n, item in enumerate(a[u][:k])}
        for item, shift in m.rank_shifts(a[u][:k], b[u][:k]).items():
            shifts.append((rank_a[item] + 1, rank_a[item] + 1 + shift))
    rng = np.random.default_rng(0)
    if len(shifts) > max_shift_points:
        shifts = [shifts[i] for i in sorted(rng.choice(len(shifts), max_shift_points, replace=False))]
    hist, edges = np.histogram(rbos, bins=10, range=(0, 1)) if rbos else (np.zeros(10), np.linspace(0, 1, 11))
    return {
        "k": k,
        "users": len(users),
        "overlap_at_k": _interval(overlap) if users else None,
        "jaccard": _interval(jac) if users else None,
        "rbo": _interval(rbos) if users else None,
        "rbo_histogram": {"edges": [round(float(e), 2) for e in edges], "counts": [int(c) for c in hist]},
        "overlap_histogram": [int(c) for c in np.bincount([round(o * k) for o in overlap], minlength=k + 1)],
        "kendall_tau": _interval(taus) if len(taus) else None,
        "kendall_tau_users": len(taus),
        "rank_shifts": [{"baseline_rank": x, "personalize_rank": y} for x, y in shifts],
        "mean_abs_rank_shift": float(np.mean([abs(y - x) for x, y in shifts])) if shifts else None,
    }


def exposure(
    lists: Mapping[str, Lists],
    data: Dataset,
    *,
    k: int,
    new_days: float,
    now: float | None = None,
) -> dict[str, Any]:
    catalog = [str(x) for x, keep in zip(data.items, data.in_catalog, strict=True) if keep]
    users_per_item = dict(
        zip(
            (str(x) for x in data.items),
            np.bincount(
                data.i[np.unique(data.u * data.n_items + data.i, return_index=True)[1]],
                minlength=data.n_items,
            ).tolist(),
            strict=True,
        )
    )
    reference = now if now is not None else float(data.ts.max()) if len(data.ts) else time.time()
    new_items = {
        item.item_id
        for item in data.catalog.values()
        if item.created is not None and reference - item.created <= new_days * SECONDS_PER_DAY
    }
    out: dict[str, Any] = {"catalog_items": len(catalog), "new_items": len(new_items), "new_days": new_days}
    recommended: dict[str, set[str]] = {}
    for name, recs in lists.items():
        top = [items[:k] for items in recs.values()]
        recommended[name] = {item for items in top for item in items}
        flat = [item for items in top for item in items]
        out[name] = {
            "coverage": m.coverage(top, len(catalog)),
            "distinct_items": len(recommended[name]),
            "novelty": m.novelty(top, users_per_item, max(data.n_users, 1)),
            "gini": m.gini(m.exposure_counts(top, catalog)),
            "new_item_share": (sum(1 for item in flat if item in new_items) / len(flat)) if flat else 0.0,
        }
    if "baseline" in recommended and "personalize" in recommended:
        only = recommended["personalize"] - recommended["baseline"]
        out["only_personalize"] = {
            "items": len(only),
            "new_items": len(only & new_items),
            "examples": sorted(only)[:20],
        }
    return out


def holdout_evaluation(
    log: InteractionLog,
    catalog: Sequence[Item],
    recommenders: Sequence[Recommender],
    *,
    holdout_share: float = 0.2,
    num_results: int = 25,
    new_days: float = 30.0,
    dataset: str = "",
) -> dict[str, Any]:
    """Split, train every recommender, and compute the whole offline comparison."""
    split = newest_share_split(log, holdout_share)
    data = Dataset.build(split.train, catalog)
    truth: dict[str, set[str]] = {}
    for u, i in zip(split.holdout.user_id.astype(str), split.holdout.item_id.astype(str), strict=True):
        truth.setdefault(u, set()).add(i)
    x = data.matrix(binary=True)
    for u in list(truth):
        if u not in data.user_index:
            del truth[u]
            continue
        row = data.user_index[u]
        seen = {str(data.items[j]) for j in x.indices[x.indptr[row] : x.indptr[row + 1]]}
        truth[u] -= seen
        if not truth[u]:
            del truth[u]
    users = sorted(truth)
    trained = train_and_recommend(data, recommenders, users, max(num_results, 25))
    report: dict[str, Any] = {
        "dataset": dataset,
        "split": split.description,
        "train_interactions": len(split.train),
        "holdout_interactions": len(split.holdout),
        "users_evaluated": len(users),
        "accuracy": accuracy(trained.lists, truth, int(data.in_catalog.sum())),
        "exposure": exposure(trained.lists, data, k=num_results, new_days=new_days),
        "train_seconds": trained.train_seconds,
        "inference_seconds": trained.infer_seconds,
    }
    if "baseline" in trained.lists and "personalize" in trained.lists:
        report["lists"] = compare_lists(
            trained.lists["baseline"], trained.lists["personalize"], min(num_results, 25)
        )
    return report
