"""The local Firehose's durable side: a SQLite spool in front of the Hive-partitioned Parquet lake.

``LocalSpool.put_batch`` commits records (fsynced, WAL) before the API answers, so an acknowledged
event survives a SIGKILL; :class:`~audience.ingest.adapters.local.lake_writer.LakeWriter` delivers
them into the lake exactly once. The lake's format and the writer live in their own modules and are
importable from here as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.claims import ClaimLog
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
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
"""


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
        self.claims = ClaimLog(self.db, legacy=("delivered_ids", "event_id"))
        self.ttl = dedup_ttl_seconds
        self.clock = clock

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        now = self.clock()
        try:
            with self.db.transaction() as conn:
                unique = first_per_event_id(records)
                claimed = set(self.claims.claim(conn, [r.event_id for r in unique], now, self.ttl))
                partitions: dict[object, str] = {}  # a request's records share their ingested_at
                rows = [
                    (
                        partitions.get(r.ingested_at)
                        or partitions.setdefault(r.ingested_at, partition_of(r)),
                        now,
                        r.to_json_line(),
                    )
                    for r in unique
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
