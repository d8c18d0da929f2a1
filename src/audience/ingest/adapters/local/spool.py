"""The local Firehose's durable side: a SQLite spool in front of the Hive-partitioned Parquet lake.

``LocalSpool.put_batch`` commits a request's records (fsynced, WAL) before the API answers, so an
acknowledged event survives a SIGKILL; :class:`~audience.ingest.adapters.local.lake_writer.LakeWriter`
delivers them into the lake exactly once. As Firehose does, the request path only appends: one row
per request and partition (its lines, and its ids as a JSON array); deduplication by ``event_id``
is the writer's, when it records a delivery. The lake's format and the writer live in their own
modules and are importable from here as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from itertools import groupby
from operator import attrgetter
from pathlib import Path

import orjson

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

# ``line``: one or more JSON lines, each ending in a newline. ``ids``: their ``event_id`` in order, as a
# JSON array; NULL on rows of the earlier layout (one line a row), deduplicated when spooled.
# ``skip`` (deliveries): the [seq, line index] pairs the writer leaves out as duplicates; NULL: none.
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
_COLUMNS_ADDED = (
    ("spool", "ids", "TEXT"),
    ("spool", "events", "INTEGER NOT NULL DEFAULT 1"),
    ("deliveries", "skip", "TEXT"),
)


class LocalSpool:
    """Implements :class:`~audience.ingest.ports.EventSink`. Its writer deduplicates by ``event_id``, so
    the local lake holds each event once (Firehose is at-least-once; the feature jobs deduplicate
    either way)."""

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
        with self.db.transaction() as conn:
            for table, column, kind in _COLUMNS_ADDED:
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        # The ids delivered into the lake, claimed by the writer (a row of the earlier layout was
        # claimed when spooled).
        self.claims = ClaimLog(self.db, legacy=("delivered_ids", "event_id"))
        self.ttl = dedup_ttl_seconds
        self.clock = clock

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        now = self.clock()
        try:
            rows = self._rows(records, now)
            with self.db.transaction() as conn:
                conn.executemany(
                    "INSERT INTO spool (partition, received_at, line, ids, events) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        except Exception:
            log.exception("spool write failed")
            return list(range(len(records)))
        return []

    @staticmethod
    def _rows(records: Sequence[LakeRow], now: float) -> list[tuple[str, float, str, str, int]]:
        """One row per partition: its lines joined, its ids as a JSON array, how many. A request's
        records share their arrival time, so the partition is found once per run of them."""
        by_partition: dict[str, tuple[list[str], list[str]]] = {}
        for _, run in groupby(first_per_event_id(records), key=attrgetter("ingested_at")):
            same = list(run)
            lines, ids = by_partition.setdefault(partition_of(same[0]), ([], []))
            lines.extend(r.to_json_line() for r in same)
            ids.extend(r.event_id for r in same)
        return [
            (partition, now, "".join(lines), orjson.dumps(ids).decode(), len(ids))
            for partition, (lines, ids) in by_partition.items()
        ]

    def pending(self) -> int:
        """Records spooled and not yet delivered (duplicates among them included)."""
        return int(self.db.connection().execute("SELECT coalesce(sum(events), 0) FROM spool").fetchone()[0])

    def close(self) -> None:
        self.db.close()
