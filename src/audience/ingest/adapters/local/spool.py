"""The local Firehose's durable side: a SQLite spool in front of the Hive-partitioned Parquet lake.

``LocalSpool.put_batch`` commits records (fsynced, WAL) before the API answers, so an acknowledged
event survives a SIGKILL; :class:`~audience.ingest.adapters.local.lake_writer.LakeWriter` delivers
them into the lake exactly once. The lake's format and the writer live in their own modules and are
importable from here as before.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.lake_format import EVENTS_PREFIX, arrow_type, lake_schema, partition_of
from audience.ingest.adapters.local.lake_writer import (
    FlushReport,
    Interrupted,
    LakeWriter,
    StopReport,
    social_lake_writer,
)
from audience.ingest.ports import LakeRow, SinkLimits
from audience.ingest.records import first_per_event_id

__all__ = [
    "EVENTS_PREFIX",
    "FlushReport",
    "Interrupted",
    "LakeWriter",
    "LocalSpool",
    "StopReport",
    "arrow_type",
    "lake_schema",
    "partition_of",
    "social_lake_writer",
]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    partition TEXT NOT NULL,
    received_at REAL NOT NULL,
    line TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS delivered_ids (event_id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS delivered_ids_expiry ON delivered_ids (expires_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
"""
# One statement claims a whole batch: new ids, or ids whose memory expired, come back from RETURNING.
_CLAIM = (
    "INSERT INTO delivered_ids (event_id, expires_at) SELECT value, ? FROM json_each(?) WHERE true "
    "ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at WHERE delivered_ids.expires_at < ? "
    "RETURNING event_id"
)


class LocalSpool:
    """Implements :class:`~audience.ingest.ports.EventSink`; deduplicates by ``event_id`` so the local lake
    holds each event once (Firehose is at-least-once; the feature jobs deduplicate either way)."""

    limits = SinkLimits()

    def __init__(
        self,
        path: Path,
        dedup_ttl_seconds: int,
        clock: Callable[[], float] = time.time,
        *,
        busy_timeout_seconds: float = 30.0,
        commit_delay_seconds: float = 0.0,
    ) -> None:
        self.db = SqliteDatabase(
            path,
            _SCHEMA,
            busy_timeout_seconds=busy_timeout_seconds,
            commit_delay_seconds=commit_delay_seconds,
        )
        self.ttl = dedup_ttl_seconds
        self.clock = clock

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        now = self.clock()
        try:
            with self.db.transaction() as conn:
                ids = json.dumps([r.event_id for r in records])
                claimed = {row[0] for row in conn.execute(_CLAIM, (now + self.ttl, ids, now)).fetchall()}
                partitions: dict[object, str] = {}  # a request's records share their ingested_at
                rows = [
                    (
                        partitions.get(r.ingested_at)
                        or partitions.setdefault(r.ingested_at, partition_of(r)),
                        now,
                        r.to_json_line(),
                    )
                    for r in first_per_event_id(records)
                    if r.event_id in claimed
                ]
                conn.executemany("INSERT INTO spool (partition, received_at, line) VALUES (?, ?, ?)", rows)
        except Exception:
            log.exception("spool write failed")
            return list(range(len(records)))
        return []

    def pending(self) -> int:
        return int(self.db.connection().execute("SELECT count(*) FROM spool").fetchone()[0])

    def close(self) -> None:
        self.db.close()
