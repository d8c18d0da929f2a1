"""The local Firehose: a durable SQLite spool in front of a Hive-partitioned Parquet lake.

``LocalSpool.put_batch`` commits records (fsynced, WAL) before the API answers, so an acknowledged
event survives a SIGKILL. ``LakeWriter`` then moves spooled records into Parquet files under
``lake/engagement-events/year=YYYY/month=MM/day=DD/`` (arrival date, as Firehose's prefix), by size
or age like Firehose's buffering hints, and everything on shutdown.

Exactly-once delivery into the lake: a delivery is first recorded as the range of spool sequence
numbers it covers, then its files are written atomically under names derived from that range, and
only then are the rows and the record removed in one transaction. After a crash, an unfinished
delivery is simply written again: same rows, same file names, atomically replaced.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from audience.core.objectstore.adapters.local import atomic_write
from audience.core.sqlite import SqliteDatabase
from audience.ingest.ports import LakeRow, SinkLimits
from audience.ingest.records import first_per_event_id
from schemas.derive import glue_columns

log = logging.getLogger(__name__)

EVENTS_PREFIX = "engagement-events"

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


def partition_of(record: LakeRow) -> str:
    at = record.ingested_at
    return f"year={at:%Y}/month={at:%m}/day={at:%d}"


_STRUCT = re.compile(r"^struct<(.*)>$")
_ARRAY = re.compile(r"^array<(.*)>$")


def arrow_type(glue_type: str) -> pa.DataType:
    """The Parquet type for a Glue column type, so the local lake has the Glue table's schema."""
    simple = {
        "string": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    if glue_type in simple:
        return simple[glue_type]
    array = _ARRAY.match(glue_type)
    if array:
        return pa.list_(arrow_type(array.group(1)))
    match = _STRUCT.match(glue_type)
    if not match:
        raise ValueError(f"unsupported Glue type {glue_type!r}")
    fields, depth, current = [], 0, ""
    for char in match.group(1) + ",":
        if char == "," and depth == 0:
            name, _, inner = current.partition(":")
            fields.append(pa.field(name, arrow_type(inner)))
            current = ""
            continue
        depth += char == "<"
        depth -= char == ">"
        current += char
    return pa.struct(fields)


def lake_schema(columns: list[dict[str, str]] | None = None) -> pa.Schema:
    """The Parquet schema of a lake table from its Glue columns (default: the events table's)."""
    return pa.schema([pa.field(c["Name"], arrow_type(c["Type"])) for c in (columns or glue_columns())])


class LocalSpool:
    """Implements :class:`~audience.ingest.ports.EventSink`; deduplicates by ``event_id`` so the local lake
    holds each event once (Firehose is at-least-once; the feature jobs deduplicate either way)."""

    limits = SinkLimits()

    def __init__(self, path: Path, dedup_ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.db = SqliteDatabase(path, _SCHEMA)
        self.ttl = dedup_ttl_seconds
        self.clock = clock

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        now = self.clock()
        try:
            with self.db.transaction() as conn:
                ids = json.dumps([r.event_id for r in records])
                claimed = {row[0] for row in conn.execute(_CLAIM, (now + self.ttl, ids, now)).fetchall()}
                rows = [
                    (partition_of(r), now, r.to_json_line())
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


@dataclass
class FlushReport:
    files: int = 0
    rows: int = 0


class LakeWriter:
    def __init__(
        self,
        spool: LocalSpool,
        lake_dir: Path,
        *,
        buffer_records: int = 50_000,
        buffer_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        prefix: str = EVENTS_PREFIX,
        schema: pa.Schema | None = None,
    ) -> None:
        """``prefix`` and ``schema`` name the table (default: engagement events; social posts use
        ``social-posts`` and their own columns), each table with its own spool."""
        self.spool = spool
        self.prefix = prefix
        self.lake_dir = Path(lake_dir)
        self.buffer_records = buffer_records
        self.buffer_seconds = buffer_seconds
        self.clock = clock
        self.schema = schema if schema is not None else lake_schema()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _write_range(self, first: int, last: int) -> int:
        rows = self.spool.db.connection().execute(
            "SELECT partition, line FROM spool WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
        )
        by_partition: dict[str, list[str]] = defaultdict(list)
        for partition, line in rows:
            by_partition[partition].append(line)
        for partition, lines in by_partition.items():
            # Arrow's JSON reader parses the very lines Firehose would receive, against the Glue
            # table's schema (an unknown field is an error, as in Firehose's conversion), in C++.
            table = pj.read_json(
                BytesIO("".join(lines).encode()),
                parse_options=pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="error"),
            )
            buffer = BytesIO()
            pq.write_table(table, buffer, compression="snappy")
            name = f"part-{first:012d}-{last:012d}.parquet"
            atomic_write(self.lake_dir / self.prefix / partition / name, buffer.getvalue())
        return len(by_partition)

    def _finish(self, delivery_id: int, first: int, last: int) -> None:
        with self.spool.db.transaction() as conn:
            conn.execute("DELETE FROM spool WHERE seq BETWEEN ? AND ?", (first, last))
            conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def recover(self) -> FlushReport:
        """Finish deliveries a crash interrupted (their rows are still in the spool)."""
        report = FlushReport()
        unfinished = (
            self.spool.db.connection().execute("SELECT id, first_seq, last_seq FROM deliveries").fetchall()
        )
        for delivery_id, first, last in unfinished:
            report.files += self._write_range(first, last)
            report.rows += last - first + 1
            self._finish(delivery_id, first, last)
        return report

    def _claim_next(self, force: bool) -> tuple[int, int, int, int] | None:
        """Pick the next range and record it as a delivery in one transaction, never overlapping
        a range already recorded (a second writer must not deliver the same rows twice)."""
        with self.spool.db.transaction() as tx:
            first, last, oldest, count = tx.execute(
                "SELECT min(seq), max(seq), min(received_at), count(*) FROM (SELECT seq, received_at FROM spool "
                "WHERE seq > coalesce((SELECT max(last_seq) FROM deliveries), 0) ORDER BY seq LIMIT ?)",
                (self.buffer_records,),
            ).fetchone()
            if not count:
                return None
            due = count >= self.buffer_records or self.clock() - oldest >= self.buffer_seconds
            if not (force or due):
                return None
            cursor = tx.execute("INSERT INTO deliveries (first_seq, last_seq) VALUES (?, ?)", (first, last))
            return int(cursor.lastrowid or 0), int(first), int(last), int(count)

    def flush(self, *, force: bool = False) -> FlushReport:
        """Deliver buffered records: all of them if ``force``, else full buffers and expired ones."""
        report = FlushReport()
        with self._flush_lock:
            recovered = self.recover()
            report.files += recovered.files
            report.rows += recovered.rows
            while True:
                claimed = self._claim_next(force)
                if claimed is None:
                    break
                delivery_id, first, last, count = claimed
                report.files += self._write_range(first, last)
                report.rows += count
                self._finish(delivery_id, first, last)
        return report

    def expire_ids(self) -> int:
        with self.spool.db.transaction() as conn:
            return conn.execute("DELETE FROM delivered_ids WHERE expires_at < ?", (self.clock(),)).rowcount

    def start(self, interval: float | None = None) -> None:
        """Flush in the background, as Firehose does on its buffer interval."""
        period = interval if interval is not None else max(0.2, min(5.0, self.buffer_seconds / 4))

        def loop() -> None:
            last_expiry = 0.0
            while not self._stop.wait(period):
                try:
                    self.flush()
                    if self.clock() - last_expiry > 3600:
                        self.expire_ids()
                        last_expiry = self.clock()
                except Exception:
                    log.exception("lake flush failed; records stay in the spool and are retried")

        self._thread = threading.Thread(target=loop, name=f"lake-writer-{uuid.uuid4().hex[:6]}", daemon=True)
        self._thread.start()

    def stop(self) -> FlushReport:
        """Stop the background loop and deliver everything still buffered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.flush(force=True)


def social_lake_writer(spool: LocalSpool, lake_dir: Path, **options: float | int) -> LakeWriter:
    """The writer of the ``social-posts/`` table (its own spool, its own columns)."""
    from schemas.social import SOCIAL_POSTS_PREFIX, SocialLakeRecord

    return LakeWriter(
        spool,
        lake_dir,
        prefix=SOCIAL_POSTS_PREFIX,
        schema=lake_schema(glue_columns(SocialLakeRecord)),
        **options,  # type: ignore[arg-type]
    )
