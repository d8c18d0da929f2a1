"""The batch steps of the recommendations workflow in AWS, as logic over an object store:

* :func:`baseline_batch`: the baseline recommender's batch job (the Lambda the state machine
  invokes after the interactions export): reads the export and the items/users datasets, writes
  the baseline's lists in Personalize's batch inference output format, the users file the
  Personalize batch inference job reads, and loads the lists into the table;
* :func:`load_batch_output`: loads a Personalize batch inference job's output into the table
  (cold-start users, flagged, get the baseline's popular items).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from audience.recommend.batchio import BatchLine, parse_batch_lines, round_scores
from audience.recommend.data import Dataset, parse_interactions, parse_items
from audience.recommend.evaluate import train_and_recommend
from audience.recommend.ports import RecommendationTable, Recommender, StoredList
from audience.recommend.recipes import cold_start_list

COLD_KEY = "cold-start.json"


class Store(Protocol):
    def get_object(self, key: str) -> bytes: ...

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None: ...


def _text(store: Store, key: str) -> io.StringIO:
    return io.StringIO(store.get_object(key).decode("utf-8"))


def baseline_batch(
    store: Store,
    table: RecommendationTable,
    recommender: Recommender,
    *,
    interactions_key: str,
    items_key: str,
    users_key: str,
    output_prefix: str,
    num_results: int,
    ttl_seconds: int,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    log = parse_interactions(_text(store, interactions_key), interactions_key)
    catalog = parse_items(_text(store, items_key), items_key)
    users = [row["USER_ID"] for row in csv.DictReader(_text(store, users_key))]
    data = Dataset.build(log, catalog)
    trained = train_and_recommend(data, [recommender], users, num_results)
    lists, scores = trained.lists[recommender.name], trained.scores[recommender.name]
    prefix = output_prefix.rstrip("/") + "/"
    users_input = prefix + "users.jsonl"
    store.put_object(
        users_input, "".join(json.dumps({"userId": u}) + "\n" for u in users).encode(), "application/x-ndjson"
    )
    out = "".join(json.dumps(BatchLine(u, lists[u], round_scores(scores[u])).to_json()) + "\n" for u in users)
    store.put_object(prefix + "baseline/users.jsonl.out", out.encode(), "application/x-ndjson")
    cold = cold_start_list(recommender, data, num_results)
    cold_items = [str(data.items[i]) for i in cold.items]
    cold_users = sorted(u for u in users if u not in data.user_index)
    store.put_object(
        prefix + COLD_KEY,
        json.dumps({"users": cold_users, "items": cold_items, "scores": round_scores(cold.scores)}).encode(),
        "application/json",
    )
    generated = now().isoformat(timespec="seconds").replace("+00:00", "Z")
    stored = [
        StoredList(u, "baseline", cold_items, round_scores(cold.scores), "baseline-popular", generated, True)
        if u in cold_users
        else StoredList(u, "baseline", lists[u], round_scores(scores[u]), "baseline", generated)
        for u in users
    ]
    table.put_lists(stored, ttl_seconds)
    return {
        "users": len(users),
        "cold_start_users": len(cold_users),
        "users_input_key": users_input,
        "output_prefix": prefix,
    }


def load_batch_output(
    store: Store,
    table: RecommendationTable,
    *,
    output_key: str,
    cold_key: str,
    model: str,
    ttl_seconds: int,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    cold = json.loads(store.get_object(cold_key))
    cold_users = set(cold["users"])
    generated = now().isoformat(timespec="seconds").replace("+00:00", "Z")
    stored: list[StoredList] = []
    errors = 0
    for line in parse_batch_lines(store.get_object(output_key).decode("utf-8").splitlines(), output_key):
        if line.user_id in cold_users:
            stored.append(
                StoredList(
                    line.user_id,
                    "personalize",
                    cold["items"],
                    cold["scores"],
                    "baseline-popular",
                    generated,
                    True,
                )
            )
        elif line.error:
            errors += 1
        else:
            stored.append(StoredList(line.user_id, "personalize", line.items, line.scores, model, generated))
    table.put_lists(stored, ttl_seconds)
    return {"loaded": len(stored), "errors": errors}


def online_report(
    store: Store,
    *,
    results_key: str,
    report_prefix: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Analyse the online query's result (Athena's CSV, one row per served list) and write the A/B
    report as JSON: ``<prefix><date>.json`` and ``<prefix>latest.json``."""
    from audience.recommend.online import analyse, outcomes

    reader = csv.DictReader(_text(store, results_key))
    columns = (
        "recommendation_id",
        "user_id",
        "variant",
        "served_at",
        "cold_start",
        "clicked",
        "completed",
        "watch_seconds",
    )
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{results_key}: the online query result lacks {', '.join(missing)}")
    rows = [
        tuple((row["cold_start"].strip().lower() == "true") if c == "cold_start" else row[c] for c in columns)
        for row in reader
    ]
    ab = analyse(outcomes(rows))
    body = json.dumps({"generated_at": now().isoformat(timespec="seconds"), **ab}, indent=2).encode()
    prefix = report_prefix.rstrip("/") + "/"
    key = f"{prefix}{now().date().isoformat()}.json"
    store.put_object(key, body, "application/json")
    store.put_object(prefix + "latest.json", body, "application/json")
    return {"report_key": key, "lists": ab["lists"]}
