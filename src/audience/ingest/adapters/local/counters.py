"""Live counters in SQLite with the DynamoDB adapter's semantics.

Claiming the event ids and adding the aggregated deltas happen in one transaction, so a record is
counted exactly once even when clients retry concurrently.

The table is keyed bucket first, then content (``TOTAL`` rows together, each hour's rows together),
not content first. A request's about 490 (content, bucket) upserts then share pages: its ``TOTAL``
rows fall in one run of the table, and its hour rows in the runs of the few hours its events happened
in (one or two for live traffic), where content-first put each on a page of its own. Every page a
commit touches is written to the WAL and checkpointed, so this is the commit's size: over 100,000
events, 6.5-8.5 µs an event against 7-12 content-first, measured in one process on the same requests
(``bench.ingest.long_run`` shows the trend).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.claims import ClaimLog
from audience.ingest.counters import (
    EVENT_TYPES,
    TOTAL_BUCKET,
    ContentCounters,
    CounterDelta,
    CounterKey,
    HourlyCounters,
    bucket_sums,
)
from audience.ingest.records import first_per_event_id
from schemas.engagement import LakeRecord

_COLUMNS = ", ".join(f'"{t}" INTEGER NOT NULL DEFAULT 0' for t in EVENT_TYPES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS bucket_counters (
    bucket TEXT NOT NULL,
    content_id TEXT NOT NULL,
    {_COLUMNS},
    events INTEGER NOT NULL DEFAULT 0,
    view_seconds REAL NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (bucket, content_id)
) WITHOUT ROWID;
"""
_HOURLY_LOOKUPS = 24 * 62  # longer ranges are scanned, not looked up hour by hour
_SECONDS = len(EVENT_TYPES)
_TYPE_LIST = ", ".join(f'"{t}"' for t in EVENT_TYPES)
_ADD_ON_CONFLICT = (
    " ON CONFLICT (bucket, content_id) DO UPDATE SET "
    + ", ".join(f'"{t}" = "{t}" + excluded."{t}"' for t in EVENT_TYPES)
    + ", events = events + excluded.events, view_seconds = view_seconds + excluded.view_seconds, "
    "updated_at = excluded.updated_at"
)
_UPSERT = (
    f"INSERT INTO bucket_counters (content_id, bucket, {_TYPE_LIST}, events, view_seconds, updated_at) "
    f"VALUES (?, ?, {', '.join('?' for _ in EVENT_TYPES)}, ?, ?, ?)" + _ADD_ON_CONFLICT
)


def _bucket_first(key: tuple[str, str]) -> tuple[str, str]:
    return key[1], key[0]


def _hours(start_hour: str, end_hour: str) -> list[str] | None:
    """The ``HOUR#`` buckets from ``start_hour`` to ``end_hour`` (``YYYY-MM-DDTHH``), or ``None``
    when either is not written that way (the buckets between are then compared as text, as the
    DynamoDB adapter does) or the range is longer than :data:`_HOURLY_LOOKUPS`."""

    def text(t: datetime) -> str:
        return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}"

    try:
        start = datetime.strptime(start_hour, "%Y-%m-%dT%H")
        end = datetime.strptime(end_hour, "%Y-%m-%dT%H")
    except ValueError:
        return None
    if text(start) != start_hour or text(end) != end_hour:
        return None
    count = int((end - start).total_seconds() // 3600) + 1
    if count > _HOURLY_LOOKUPS:
        return None
    return [f"HOUR#{text(start + timedelta(hours=i))}" for i in range(max(0, count))]


class SqliteCounterStore:
    def __init__(self, path: Path, dedup_ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.db = SqliteDatabase(path, _SCHEMA)
        with self.db.transaction() as conn:  # a home written content-first moves over once
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'counters'"
            ).fetchone():
                # Added, not copied: an older build run on an upgraded home recreates ``counters``
                # with counts of its own, which are increments to what moved over before.
                conn.execute(
                    f"INSERT INTO bucket_counters (content_id, bucket, {_TYPE_LIST}, events, view_seconds, "
                    f"updated_at) SELECT content_id, bucket, {_TYPE_LIST}, events, view_seconds, updated_at "
                    "FROM counters WHERE true" + _ADD_ON_CONFLICT
                )
                conn.execute("DROP TABLE counters")
        # A claim succeeds if the id is new, or if its memory has expired (as DynamoDB's TTL would do).
        self.claims = ClaimLog(self.db, legacy=("counted", "event_id"))
        self.ttl = dedup_ttl_seconds
        self.clock = clock

    def known(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        return self.claims.known(event_ids, self.clock())

    def apply(self, records: Sequence[LakeRecord]) -> set[str]:
        if not records:
            return set()
        now = self.clock()
        unique = first_per_event_id(records)
        # Summed before the write lock is taken: the service checked these ids a moment ago, so
        # normally every one is claimed and the sums stand; otherwise they are summed again.
        sums = bucket_sums(unique)
        with self.db.transaction() as conn:
            claimed = set(self.claims.claim(conn, [r.event_id for r in unique], now, self.ttl))
            if len(claimed) != len(unique):
                sums = bucket_sums(r for r in unique if r.event_id in claimed)
            rows = []
            for key in sorted(sums, key=_bucket_first):  # the columns: the counts, events, seconds
                row = sums[key]
                counts = row[:_SECONDS]
                rows.append((*key, *counts, sum(counts), row[_SECONDS], now))
            conn.executemany(_UPSERT, rows)
        return claimed

    def snapshot(
        self, start_hour: str | None, end_hour: str | None, content_ids: Sequence[str] | None
    ) -> dict[CounterKey, CounterDelta]:
        """Hourly buckets in ``start_hour..end_hour`` and ``TOTAL`` buckets (reconciliation's read)."""
        low = f"HOUR#{start_hour}" if start_hour else "HOUR#"
        high = f"HOUR#{end_hour}" if end_hour else "HOUR#~"
        sql = (
            f"SELECT content_id, bucket, {_TYPE_LIST}, view_seconds FROM bucket_counters "
            "WHERE (bucket = ? OR bucket BETWEEN ? AND ?)"
        )
        conn = self.db.connection()
        groups: list[list[str] | None] = (
            [None]
            if content_ids is None
            else [list(content_ids[i : i + 500]) for i in range(0, len(content_ids), 500)]
        )
        out: dict[CounterKey, CounterDelta] = {}
        for ids in groups:
            where = "" if ids is None else f" AND content_id IN ({', '.join('?' for _ in ids)})"
            for row in conn.execute(sql + where, [TOTAL_BUCKET, low, high, *(ids or [])]):
                counts = {t: int(row[2 + i]) for i, t in enumerate(EVENT_TYPES)}
                out[CounterKey(str(row[0]), str(row[1]))] = CounterDelta(
                    counts, float(row[2 + len(EVENT_TYPES)])
                )
        return out

    def add(self, deltas: Mapping[CounterKey, CounterDelta]) -> None:
        """Signed additions in one transaction (reconciliation's repair)."""
        now = self.clock()
        with self.db.transaction() as conn:
            conn.executemany(
                _UPSERT,
                [
                    (
                        key.content_id,
                        key.bucket,
                        *(d.counts[t] for t in EVENT_TYPES),
                        d.events,
                        d.view_seconds,
                        now,
                    )
                    for key, d in sorted(
                        deltas.items(), key=lambda item: (item[0].bucket, item[0].content_id)
                    )
                ],
            )

    def remember(self, event_ids: Sequence[str]) -> None:
        """Claim ids as counted without counting them (they reached the lake by a backfill)."""
        now = self.clock()
        with self.db.transaction() as conn:
            self.claims.claim(conn, event_ids, now, self.ttl)

    def expire(self) -> int:
        with self.db.transaction() as conn:
            return self.claims.expire(conn, self.clock())

    def _row(self, row: Sequence[object]) -> tuple[str, dict[str, int], float]:
        counts = {t: int(row[1 + i]) for i, t in enumerate(EVENT_TYPES)}  # type: ignore[call-overload]
        return str(row[0]), counts, float(row[1 + len(EVENT_TYPES)])  # type: ignore[arg-type]

    def content(self, content_id: str) -> ContentCounters | None:
        row = (
            self.db.connection()
            .execute(
                f"SELECT content_id, {_TYPE_LIST}, view_seconds FROM bucket_counters "
                "WHERE bucket = ? AND content_id = ?",
                (TOTAL_BUCKET, content_id),
            )
            .fetchone()
        )
        if row is None:
            return None
        cid, counts, seconds = self._row(row)
        return ContentCounters(cid, counts, seconds)

    def top_content(self, limit: int = 10, by: str = "events") -> list[ContentCounters]:
        if by not in (*EVENT_TYPES, "events", "view_seconds"):
            raise ValueError(f"cannot rank by {by!r}")
        rows = self.db.connection().execute(
            f"SELECT content_id, {_TYPE_LIST}, view_seconds FROM bucket_counters WHERE bucket = ? "
            f'ORDER BY "{by}" DESC, content_id LIMIT ?',
            (TOTAL_BUCKET, limit),
        )
        return [ContentCounters(*self._row(r)) for r in rows]

    def hourly(self, content_id: str, start_hour: str, end_hour: str) -> list[HourlyCounters]:
        hours = _hours(start_hour, end_hour)
        conn = self.db.connection()
        if hours is None:  # a long or unusual range: scan the buckets between, for this content
            rows = list(
                conn.execute(
                    f"SELECT bucket, {_TYPE_LIST}, view_seconds FROM bucket_counters "
                    "WHERE bucket BETWEEN ? AND ? AND content_id = ?",
                    (f"HOUR#{start_hour}", f"HOUR#{end_hour}", content_id),
                )
            )
        else:  # one key lookup an hour (the table is bucket first)
            rows = []
            for i in range(0, len(hours), 500):
                chunk = hours[i : i + 500]
                rows.extend(
                    conn.execute(
                        f"SELECT bucket, {_TYPE_LIST}, view_seconds FROM bucket_counters "
                        f"WHERE bucket IN ({', '.join('?' for _ in chunk)}) AND content_id = ?",
                        (*chunk, content_id),
                    )
                )
        out = []
        for r in sorted(rows, key=lambda row: str(row[0])):
            bucket, counts, seconds = self._row(r)
            out.append(HourlyCounters(content_id, bucket.removeprefix("HOUR#"), counts, seconds))
        return out

    def close(self) -> None:
        self.db.close()
