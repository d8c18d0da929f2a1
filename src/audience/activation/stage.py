"""The local segment stage: export -> train the local model -> batch segment output -> activation.

``python -m audience.activation`` and ``make demo`` (after the features stage) run it on the local
lake. Everything lands under ``$AUDIENCE_HOME``:

* ``personalize/datasets/{interactions,items,users}.csv``: Personalize's import files;
* ``personalize/batch/queries.json`` and ``queries.json.out``: the job input and the model's output
  in exactly the batch segment job's JSON-lines format;
* ``lake/activation/endpoints/endpoints.csv.gz``: the user -> endpoint mapping, refreshed in bulk;
* ``activation/segments/<name>/``: one CSV + JSON + manifest per segment (the file destination).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audience.activation.adapters.local.personalize_model import (
    Interactions,
    ItemAttributeAffinityModel,
    batch_segment_lines,
    item_attributes,
    write_batch_output,
)
from audience.activation.endpoints import PROFILE_CHANNEL, encode_mapping
from audience.activation.evaluate import evaluate_interactions_csv
from audience.activation.export import export_datasets, has_events
from audience.activation.postprocess import postprocess
from audience.activation.queries import read_queries
from audience.activation.wiring import build_activation
from audience.core.settings import Settings

DEFAULT_QUERIES: Sequence[str] = (
    'ITEMS.genres = "Action"',
    'ITEMS.genres = "Comedy"',
    'ITEMS.genres = "Sci-Fi" AND ITEMS.content_type = "video"',
    'ITEMS.genres IN ("Documentary", "Tech")',
)
MODEL_VERSION = "local-item-attribute-affinity-1"


def endpoint_rows_from_users(users_csv: Path) -> list[tuple[str, str, str, bool]]:
    """The local bulk refresh of the endpoint mapping: each user's e-mail endpoint (Pinpoint-style id)
    and Customer Profiles key, with the user's marketing opt-in."""
    rows: list[tuple[str, str, str, bool]] = []
    with users_csv.open(newline="") as f:
        for user in csv.DictReader(f):
            opt_in = user["marketing_opt_in"].strip().lower() == "true"
            rows.append((user["user_id"], "EMAIL", f"email-{user['user_id']}", opt_in))
            rows.append((user["user_id"], PROFILE_CHANNEL, user["user_id"], opt_in))
    return rows


@dataclass
class StageReport:
    datasets: dict[str, int]
    batch_output: Path
    postprocess: dict[str, Any]
    evaluation: dict[str, Any] | None


def run_segments(
    settings: Settings,
    data_dir: Path,
    *,
    queries: Sequence[str] = DEFAULT_QUERIES,
    num_results: int | None = None,
    evaluate: bool = True,
    progress: Callable[[str], None] = lambda _: None,
    now: datetime | None = None,
) -> StageReport:
    home = settings.home.resolve()
    lake = home / "lake"
    if not has_events(lake):
        raise FileNotFoundError(f"no engagement events under {lake}: run `make demo` first")
    work = home / "personalize"
    progress("exporting Personalize datasets from the lake and data/")
    exported = export_datasets(lake, data_dir, work / "datasets")

    query_lines = [json.dumps({"itemAttributes": q}) for q in queries]
    queries_file = work / "batch" / "queries.json"
    queries_file.parent.mkdir(parents=True, exist_ok=True)
    queries_file.write_text("\n".join(query_lines) + "\n")
    parsed = read_queries(query_lines)  # the same validation the training workflow runs first

    progress("training the local item-attribute-affinity model")
    with exported.files["items"].open(newline="") as f:
        items = item_attributes(csv.DictReader(f), ["GENRES", "CONTENT_TYPE"])
    model = ItemAttributeAffinityModel().fit(Interactions.from_csv(exported.files["interactions"]), items)
    n = num_results or settings.segment_num_results
    out = write_batch_output(
        queries_file.with_name(queries_file.name + ".out"),
        batch_segment_lines(model, [q.text for q in parsed], n),
    )

    progress("refreshing the endpoint mapping and activating the segments")
    ports = build_activation(settings)
    ports.lake.put_object(
        settings.endpoints_key, encode_mapping(endpoint_rows_from_users(data_dir / "users.csv"))
    )
    report = postprocess(
        out.read_text().splitlines(),
        job=f"local-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%S')}",
        store=ports.lake,
        destination=ports.destination,
        endpoints_key=settings.endpoints_key,
        model_version=MODEL_VERSION,
        now=now,
    )
    evaluation = None
    if evaluate:
        progress("evaluating the Action segment on a time-based holdout")
        evaluation = evaluate_interactions_csv(
            exported.files["interactions"], exported.files["items"]
        ).as_dict()
    return StageReport(
        datasets={"interactions": exported.interactions, "items": exported.items, "users": exported.users},
        batch_output=out,
        postprocess=report.as_dict(),
        evaluation=evaluation,
    )
