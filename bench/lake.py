"""Build a benchmark lake of N generated events straight into Parquet (no HTTP, no validation).

The events come from the same seeded generator as the demo; rows get the Glue table's columns and
land in arrival-date partitions exactly as the ingestion path writes them. Lakes are cached under
``bench/.cache/`` by (seed, size, as_of), since generating millions of events takes a while.
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from audience.datagen import GeneratorConfig, generate
from audience.ingest.adapters.local.spool import EVENTS_PREFIX, lake_schema

CACHE = Path(__file__).parent / ".cache"
CHUNK = 250_000


def _row(payload: dict[str, Any], arrival: datetime) -> dict[str, Any]:
    meta = payload.get("metadata") or {}
    loc = payload["location"]
    return {
        "event_id": payload["event_id"],
        "schema_version": "1.0",
        "user_id": payload["user_id"],
        "content_id": payload["content_id"],
        "event_type": payload["event_type"],
        "event_timestamp": datetime.fromisoformat(payload["timestamp"]).astimezone(UTC),
        "platform": payload["platform"],
        "device_type": payload["device_type"],
        "location": {"country": loc["country"], "region": loc.get("region"), "city": loc.get("city")},
        "session_id": payload["session_id"],
        "metadata": {
            "view_duration": meta.get("view_duration"),
            "completion_rate": meta.get("completion_rate"),
            "interaction_count": meta.get("interaction_count"),
        },
        "event_id_source": "client",
        "ingested_at": arrival,
        "request_id": "bench",
        "ingest_source": "bench",
    }


def build_lake(
    events: int, *, as_of: date, seed: int = 7, window_days: float = 27.0, cache: Path = CACHE
) -> Path:
    """A lake whose events fall in the ``window_days`` before the end of ``as_of`` (UTC)."""
    root = cache / f"lake-{seed}-{events}-{as_of.isoformat()}"
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    now = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    config = GeneratorConfig(
        seed=seed,
        target_events=events,
        now=now,
        window_days=window_days,
        bad_share=0.0,
        duplicate_share=0.01,  # Firehose is at-least-once: the jobs must deduplicate
        reference_date=(now - timedelta(days=window_days + 1)).date(),
    )
    schema = lake_schema()
    buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    written = 0

    def flush(partition: str) -> None:
        nonlocal written
        rows = buffers.pop(partition)
        folder = root / EVENTS_PREFIX / partition
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pylist(rows, schema=schema), folder / f"part-{uuid.uuid4().hex[:12]}.parquet"
        )
        written += len(rows)

    for item in generate(config):
        payload = item.payload
        at = datetime.fromisoformat(payload["timestamp"]).astimezone(UTC)
        arrival = min(at + timedelta(seconds=30), now - timedelta(seconds=1))
        partition = f"year={arrival:%Y}/month={arrival:%m}/day={arrival:%d}"
        buffers[partition].append(_row(payload, arrival))
        if len(buffers[partition]) >= CHUNK:
            flush(partition)
    for partition in list(buffers):
        flush(partition)
    marker.write_text(f"{written}\n")
    return root
