"""Personalize's three datasets from the lake and ``data/``: the local (DuckDB) export.

Interactions come from the events lake: one row per event id (Firehose delivers at least once, so
repeated event ids are dropped, first arrival wins), ``skip`` left out (it says the opposite of an
affinity, and the item-attribute-affinity recipe has no negative feedback), ``EVENT_VALUE`` the
completion rate of views and completions, ``TIMESTAMP`` in epoch seconds. Items come from the
content catalogue (``GENRES`` categorical, ``|``-separated, as Personalize wants multi-values) and
users from the users table (categorical attributes only, no personal data).

In the cloud the same interactions query runs on Athena (:data:`ATHENA_INTERACTIONS_SQL`) from the
training workflow: a plain SELECT whose query result is a CSV with a header (UNLOAD and CTAS write
none), quoted and lower-cased by Athena, which the workflow's "Prepare interactions" step rewrites
for Personalize (:mod:`audience.activation.personalize_csv`). Items and users are exported by
``python -m audience.activation export`` with a ``manifest.json``, and uploaded under the
training-data prefix, the manifest last.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from schemas.personalize import (
    MULTI_VALUE_SEPARATOR,
    PersonalizeInteraction,
    PersonalizeItem,
    PersonalizeUser,
    csv_header,
)

EXCLUDED_EVENT_TYPES: Final = ("skip",)
VALUED_EVENT_TYPES: Final = ("view", "complete")

INTERACTIONS_SQL: Final = """
SELECT user_id AS USER_ID,
       content_id AS ITEM_ID,
       event_type AS EVENT_TYPE,
       CASE WHEN event_type IN ('view', 'complete') THEN CAST(metadata.completion_rate AS FLOAT) END
           AS EVENT_VALUE,
       CAST(epoch(event_timestamp) AS BIGINT) AS "TIMESTAMP"
FROM read_parquet($events, hive_partitioning = true, union_by_name = true)
WHERE event_type <> 'skip'
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, request_id) = 1
ORDER BY "TIMESTAMP", USER_ID, ITEM_ID
"""

# The same rows on Athena (Trino): the training workflow's "Export interactions" step runs it.
# ${Database} is filled by the template (DefinitionSubstitutions).
ATHENA_INTERACTIONS_SQL: Final = (
    "SELECT user_id AS USER_ID, content_id AS ITEM_ID, event_type AS EVENT_TYPE, "
    "CASE WHEN event_type IN ('view', 'complete') THEN CAST(metadata.completion_rate AS REAL) END AS EVENT_VALUE, "
    'CAST(to_unixtime(event_timestamp) AS BIGINT) AS "TIMESTAMP" '
    "FROM (SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY ingested_at, request_id) AS rn "
    "FROM engagement_events WHERE event_type <> 'skip') WHERE rn = 1"
)


@dataclass(frozen=True)
class ExportReport:
    interactions: int
    items: int
    users: int
    files: dict[str, Path]


def _epoch(text: str) -> int:
    if len(text) == 10:  # a date
        text += "T00:00:00Z"
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def read_items(catalog_csv: Path) -> list[PersonalizeItem]:
    """The catalogue as Personalize items (validated by the contract)."""
    with catalog_csv.open(newline="") as f:
        return [
            PersonalizeItem(
                ITEM_ID=row["content_id"],
                GENRES=MULTI_VALUE_SEPARATOR.join(g.strip() for g in row["genres"].split("|") if g.strip()),
                CONTENT_TYPE=row["content_type"],
                CREATION_TIMESTAMP=_epoch(row["published_at"]),
            )
            for row in csv.DictReader(f)
        ]


def read_users(users_csv: Path) -> list[PersonalizeUser]:
    with users_csv.open(newline="") as f:
        return [
            PersonalizeUser(
                USER_ID=row["user_id"],
                AGE_GROUP=row["age_group"],
                COUNTRY=row["country"],
                SUBSCRIPTION_TIER=row["subscription_tier"],
            )
            for row in csv.DictReader(f)
        ]


def events_glob(lake_dir: Path) -> str:
    return str(lake_dir / "engagement-events" / "**" / "*.parquet")


def has_events(lake_dir: Path) -> bool:
    return any((lake_dir / "engagement-events").glob("**/*.parquet"))


def export_interactions(lake_dir: Path, out_csv: Path) -> int:
    """Write the interactions CSV (header = the contract's field order); returns the row count."""
    import duckdb

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        rel = con.sql(INTERACTIONS_SQL, params={"events": events_glob(lake_dir)})
        assert rel.columns == csv_header(PersonalizeInteraction), rel.columns
        rel.write_csv(str(out_csv), header=True)
        count = con.sql(
            "SELECT count(*) FROM read_csv($p, header = true)", params={"p": str(out_csv)}
        ).fetchone()
    finally:
        con.close()
    return int(count[0]) if count else 0


def _write_models(path: Path, header: list[str], rows: list[PersonalizeItem] | list[PersonalizeUser]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row.model_dump())


def export_datasets(lake_dir: Path, data_dir: Path, out_dir: Path) -> ExportReport:
    """Write ``interactions.csv``, ``items.csv`` and ``users.csv`` under ``out_dir``."""
    files = {name: out_dir / f"{name}.csv" for name in ("interactions", "items", "users")}
    interactions = export_interactions(lake_dir, files["interactions"])
    items = read_items(data_dir / "content_catalog.csv")
    users = read_users(data_dir / "users.csv")
    _write_models(files["items"], csv_header(PersonalizeItem), items)
    _write_models(files["users"], csv_header(PersonalizeUser), users)
    files["manifest"] = write_manifest(out_dir, {"items": files["items"], "users": files["users"]})
    return ExportReport(interactions=interactions, items=len(items), users=len(users), files=files)


MANIFEST: Final = "manifest.json"


def write_manifest(out_dir: Path, uploads: dict[str, Path]) -> Path:
    """``manifest.json``: the upload's files with their sizes and SHA-256.

    Uploaded *last* under ``personalize/input/``, it is the one object whose arrival starts the
    cloud training run (the EventBridge rule matches this key only), so one upload of items.csv
    and users.csv starts one run, after both are in place.
    """
    manifest = {
        "files": {
            name: {
                "key": path.name,
                "bytes": path.stat().st_size,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
            for name, path in uploads.items()
        }
    }
    target = out_dir / MANIFEST
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target
