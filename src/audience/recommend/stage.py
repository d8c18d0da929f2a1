"""The local recommendations pipeline: Personalize-format files in; lists, table, lake and report out.

``make recommend`` exports Personalize's datasets from the lake (``python -m audience.activation
export``, the existing export and contract) and runs this on them; the demo does the same.

1. Train the baseline and the Personalize stand-in on every interaction; write each one's lists
   in Personalize's batch inference output format (``recommend/batch/<variant>.jsonl.out``),
   exactly what the cloud's batch inference job writes.
2. Load both into the recommendations table. A user of the users dataset without interactions
   (a cold start) gets the baseline's popular items in both arms, flagged.
3. The offline comparison on a time holdout (:mod:`.evaluate`), popularity included.
4. The lake: the lists (``recommendations/lists``) and the metrics (``recommendation-metrics``) as
   Parquet with the Glue tables' columns; the report JSON the page reads.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from audience.recommend.batchio import BatchLine, round_scores, write_batch_output
from audience.recommend.data import Dataset, Item, read_interactions, read_items
from audience.recommend.evaluate import holdout_evaluation, train_and_recommend
from audience.recommend.ports import RecommendationTable, Recommender, StoredList
from audience.recommend.recipes import cold_start_list
from audience.recommend.settings import VARIANTS

REPORT_NAME = "report.json"
SIDE_BY_SIDE_USERS = 40


def read_user_ids(users_csv: Path) -> list[str]:
    with users_csv.open(newline="", encoding="utf-8") as f:
        return [row["USER_ID"] for row in csv.DictReader(f)]


def read_titles(catalog_csv: Path | None) -> dict[str, str]:
    """``content_id -> title`` from the generator's catalogue (the items dataset carries no text)."""
    if catalog_csv is None or not catalog_csv.is_file():
        return {}
    with catalog_csv.open(newline="", encoding="utf-8") as f:
        return {row["content_id"]: row["title"] for row in csv.DictReader(f)}


def metric_rows(run_id: str, as_of: str, offline: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The offline report flattened into the ``recommendation_metrics`` lake table's rows."""
    rows: list[dict[str, Any]] = []
    for recipe, metrics in offline.get("accuracy", {}).items():
        for metric, value in metrics.items():
            if isinstance(value, dict) and "value" in value:
                rows.append(_row(run_id, as_of, "offline", recipe, metric, value))
            elif isinstance(value, int | float):
                rows.append(_row(run_id, as_of, "offline", recipe, metric, {"value": value}))
    for metric in ("overlap_at_k", "jaccard", "rbo", "kendall_tau"):
        value = offline.get("lists", {}).get(metric)
        if value:
            rows.append(_row(run_id, as_of, "lists", "baseline-vs-personalize", metric, value))
    for recipe, values in offline.get("exposure", {}).items():
        if isinstance(values, dict) and recipe in ("popularity", "baseline", "personalize"):
            for metric, value in values.items():
                rows.append(_row(run_id, as_of, "exposure", recipe, metric, {"value": value}))
    return rows


def _row(
    run_id: str, as_of: str, section: str, subject: str, metric: str, v: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "as_of": as_of,
        "section": section,
        "subject": subject,
        "metric": metric,
        "value": float(v["value"]) if v.get("value") is not None else None,
        "ci_low": float(v["low"]) if v.get("low") is not None else None,
        "ci_high": float(v["high"]) if v.get("high") is not None else None,
    }


def write_parquet(path: Path, rows: Sequence[Mapping[str, Any]], columns: Mapping[str, Any]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([pa.field(name, t) for name, t in columns.items()])
    table = pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
    pq.write_table(table, path)
    return path


def run_local(
    *,
    home: Path,
    interactions: Path,
    items: Path,
    users: Path,
    recommenders: Mapping[str, Callable[[], Recommender]],
    table: RecommendationTable,
    catalog_csv: Path | None = None,
    num_results: int = 25,
    ttl_seconds: int = 7 * 86_400,
    evaluate: bool = True,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """``recommenders`` maps ``popularity``, ``baseline`` and ``personalize`` to factories."""
    import pyarrow as pa

    now = now or datetime.now(UTC)
    as_of, run_id = now.date().isoformat(), now.strftime("%Y%m%dT%H%M%SZ")
    generated_at = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    titles = read_titles(catalog_csv)
    catalog = [replace(item, title=item.title or titles.get(item.item_id)) for item in read_items(items)]
    log = read_interactions(interactions)
    user_ids = read_user_ids(users)
    data = Dataset.build(log, catalog)
    work = home / "recommend"
    batch_dir = work / "batch"
    batch_dir.mkdir(parents=True, exist_ok=True)
    (batch_dir / "users.jsonl").write_text("".join(json.dumps({"userId": u}) + "\n" for u in user_ids))

    progress(
        f"training baseline and personalize (stand-in) on {len(log):,} interactions, {len(user_ids):,} users"
    )
    models = [recommenders["baseline"](), recommenders["personalize"]()]
    trained = train_and_recommend(data, models, user_ids, num_results)
    cold_users = {u for u in user_ids if u not in data.user_index}
    baseline_model = models[0]
    cold = cold_start_list(baseline_model, data, num_results)
    cold_items = [str(data.items[i]) for i in cold.items]
    stored: list[StoredList] = []
    lake_rows: list[dict[str, Any]] = []
    for variant in VARIANTS:
        lists, scores = trained.lists[variant], trained.scores[variant]
        write_batch_output(
            batch_dir / f"{variant}.jsonl.out",
            (BatchLine(u, lists[u], round_scores(scores[u])) for u in user_ids),
        )
        for u in user_ids:
            is_cold = u in cold_users
            items_u = cold_items if is_cold else lists[u]
            scores_u = round_scores(cold.scores if is_cold else scores[u])
            model = f"local-{variant}" if not is_cold else "local-baseline-popular"
            stored.append(StoredList(u, variant, items_u, scores_u, model, generated_at, is_cold))
            lake_rows += [
                {"user_id": u, "variant": variant, "rank": r + 1, "item_id": i, "score": float(s),
                 "model": model, "cold_start": is_cold, "generated_at": generated_at}
                for r, (i, s) in enumerate(zip(items_u, scores_u, strict=True))
            ]  # fmt: skip
    progress(
        f"loading {len(stored):,} lists into the recommendations table ({len(cold_users):,} cold-start users)"
    )
    table.put_lists(stored, ttl_seconds)
    lake = home / "lake"
    write_parquet(
        lake / "recommendations" / "lists" / f"as_of={as_of}" / f"{run_id}.parquet",
        lake_rows,
        {"user_id": pa.string(), "variant": pa.string(), "rank": pa.int32(), "item_id": pa.string(),
         "score": pa.float64(), "model": pa.string(), "cold_start": pa.bool_(), "generated_at": pa.string()},
    )  # fmt: skip

    offline: dict[str, Any] = {}
    if evaluate:
        progress("offline comparison on a time holdout (each user's newest 20%)")
        offline = holdout_evaluation(
            log,
            catalog,
            [recommenders[name]() for name in ("popularity", "baseline", "personalize")],
            num_results=num_results,
            dataset="the demo's lake (Personalize export)",
        )
        write_parquet(
            lake / "recommendation-metrics" / f"as_of={as_of}" / f"{run_id}-offline.parquet",
            metric_rows(run_id, as_of, offline),
            METRIC_COLUMNS(),
        )
    side_by_side = []
    # The users with the longest histories first: their lists say most about each recommender.
    counts = np.bincount(data.u, minlength=data.n_users)
    shown = sorted(
        (u for u in user_ids if u not in cold_users), key=lambda u: (-counts[data.user_index[u]], u)
    )
    for u in shown[:SIDE_BY_SIDE_USERS]:
        side_by_side.append(
            {
                "user_id": u,
                "history": [
                    _titled(data, str(data.items[i])) for i in data.i[data.u == data.user_index[u]][-5:]
                ],
                **{v: [_titled(data, i) for i in trained.lists[v][u][:10]] for v in VARIANTS},
            }
        )
    report = {
        "run_id": run_id,
        "generated_at": generated_at,
        "interactions": len(log),
        "users": len(user_ids),
        "cold_start_users": len(cold_users),
        "catalog_items": len(catalog),
        "num_results": num_results,
        "train_seconds": {k: round(v, 3) for k, v in trained.train_seconds.items()},
        "batch_outputs": {v: str(batch_dir / f"{v}.jsonl.out") for v in VARIANTS},
        "offline": offline,
        "side_by_side": side_by_side,
    }
    (work / REPORT_NAME).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


def METRIC_COLUMNS() -> dict[str, Any]:  # built lazily: pyarrow is local-only
    import pyarrow as pa

    return {
        "run_id": pa.string(), "as_of": pa.string(), "section": pa.string(), "subject": pa.string(),
        "metric": pa.string(), "value": pa.float64(), "ci_low": pa.float64(), "ci_high": pa.float64(),
    }  # fmt: skip


def _titled(data: Dataset, item_id: str) -> dict[str, Any]:
    item: Item = data.catalog.get(item_id) or Item(item_id)
    return {
        "item_id": item_id,
        "title": item.title or item_id,
        "genres": sorted(item.genres),
        "type": item.content_type,
    }
