"""The local Firehose's delivery: :class:`LakeWriter` moves spooled records into Parquet files
under ``lake/<table>/year=YYYY/month=MM/day=DD/`` by size or age like Firehose's buffering hints,
and everything on shutdown, within a deadline.

Exactly-once delivery into the lake: a delivery is first recorded as the range of spool sequence
numbers it covers, together with the records it leaves out as duplicates (their ``event_id`` was
delivered before, within the TTL, or comes earlier in the range), the ids claimed in the same
transaction. Then its files are written atomically under names derived from that range, and only
then are the rows and the record removed in one transaction. After a crash, an unfinished delivery
is simply written again: same rows, same records left out, same file names, atomically replaced.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from audience.core.objectstore.adapters.local import Fsync, atomic_write
from audience.ingest.adapters.local.lake_format import EVENTS_PREFIX, lake_schema
from schemas.derive import glue_columns

if TYPE_CHECKING:
    from audience.ingest.adapters.local.spool import LocalSpool

log = logging.getLogger(__name__)


@dataclass
class FlushReport:
    files: int = 0
    rows: int = 0


@dataclass(frozen=True)
class StopReport:
    """What a bounded stop achieved: delivered since the stop was requested, left in the spool for
    the next start, and whether a file in progress was abandoned at the deadline (its range stays
    recorded; the next start writes it again under the same name)."""

    rows: int
    files: int
    pending: int
    abandoned: bool


class Interrupted(Exception):
    """The stop deadline passed between two files; the delivery stays recorded for the next run."""


class LakeWriter:
    """Delivers the spool into the lake, one file at a time, from one thread.

    A periodic delivery and the final flush are the same loop in the same thread, so they never
    wait on each other; a stop only changes the loop's mode (deliver everything, until a deadline)
    and is checked between files. Rows count as delivered only when their range's ``_finish``
    commits, which happens once per range whatever moment the stop arrives: a range interrupted
    between its files stays recorded in ``deliveries`` and the next run writes it again under the
    same names.
    """

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
        fsync: Fsync = os.fsync,
        on_recovered: Callable[[FlushReport], None] | None = None,
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
        self.fsync = fsync
        self.on_recovered = on_recovered
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()  # from now on: deliver everything, by the deadline
        self._closed = threading.Event()  # and no more input will come
        self._deadline: float | None = None  # time.monotonic()
        self._thread: threading.Thread | None = None
        self._totals_lock = threading.Lock()
        self._totals = FlushReport()
        self._at_stop: FlushReport | None = None  # totals when the stop was requested

    @property
    def delivered(self) -> FlushReport:
        """Everything this writer has delivered (records written to the lake, their files)."""
        with self._totals_lock:
            return FlushReport(self._totals.files, self._totals.rows)

    def _check(self) -> None:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise Interrupted

    def _write_range(self, first: int, last: int, skip: str | None = None) -> tuple[int, int]:
        """Write the range's records, less ``skip`` (its delivery's duplicates); (files, records)."""
        left_out: dict[int, set[int]] = defaultdict(set)
        for seq, index in json.loads(skip) if skip else ():
            left_out[seq].add(index)
        rows = self.spool.db.connection().execute(
            "SELECT seq, partition, line FROM spool WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
        )
        by_partition: dict[str, list[str]] = defaultdict(list)
        records = 0
        for seq, partition, text in rows:
            if seq in left_out:
                drop = left_out[seq]
                lines = [line + "\n" for i, line in enumerate(text.split("\n")[:-1]) if i not in drop]
                by_partition[partition].extend(lines)
                records += len(lines)
            else:
                by_partition[partition].append(text)
                records += text.count("\n")
        for partition, texts in sorted(by_partition.items()):
            self._check()
            if not texts:
                continue
            # Arrow's JSON reader parses the very lines Firehose would receive, against the Glue
            # table's schema (an unknown field is an error, as in Firehose's conversion), in C++.
            table = pj.read_json(
                BytesIO("".join(texts).encode()),
                parse_options=pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="error"),
            )
            buffer = BytesIO()
            pq.write_table(table, buffer, compression="snappy")
            name = f"part-{first:012d}-{last:012d}.parquet"
            atomic_write(self.lake_dir / self.prefix / partition / name, buffer.getvalue(), self.fsync)
        return sum(1 for texts in by_partition.values() if texts), records

    def _finish(self, delivery_id: int, first: int, last: int, files: int, records: int) -> int:
        with self.spool.db.transaction() as conn:
            conn.execute("DELETE FROM spool WHERE seq BETWEEN ? AND ?", (first, last))
            conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))
        with self._totals_lock:
            self._totals.rows += records
            self._totals.files += files
        return records

    def sweep(self) -> int:
        """Remove temp files a killed writer left (only the lock-holding writer runs this)."""
        swept = 0
        for tmp in (self.lake_dir / self.prefix).glob("**/.part-*.tmp"):
            tmp.unlink(missing_ok=True)
            swept += 1
        return swept

    def unfinished(self) -> int:
        """Records of deliveries a crash interrupted, which the next recovery writes again (less the
        duplicates among them, which it leaves out)."""
        (rows,) = (
            self.spool.db.connection()
            .execute(
                "SELECT coalesce(sum(events), 0) FROM spool "
                "JOIN deliveries ON seq BETWEEN first_seq AND last_seq"
            )
            .fetchone()
        )
        return int(rows)

    def recover(self) -> FlushReport:
        """Finish deliveries a crash interrupted (their rows are still in the spool)."""
        report = FlushReport()
        unfinished = (
            self.spool.db.connection()
            .execute("SELECT id, first_seq, last_seq, skip FROM deliveries")
            .fetchall()
        )
        for delivery_id, first, last, skip in unfinished:
            files, records = self._write_range(first, last, skip)
            report.files += files
            report.rows += self._finish(delivery_id, first, last, files, records)
        return report

    def _claim_next(self, force: bool) -> tuple[int, int, int, str | None] | None:
        """Pick the next range and record it as a delivery in one transaction, never overlapping
        a range already recorded (a second writer must not deliver the same rows twice).

        A range is whole spool rows, oldest first, up to the first that brings it to
        ``buffer_records`` records. Its ids are claimed in the same transaction; the records whose id
        was claimed before, or comes earlier in the range, are recorded as left out."""
        with self.spool.db.transaction() as tx:
            rows = tx.execute(
                "SELECT seq, received_at, events FROM spool "
                "WHERE seq > coalesce((SELECT max(last_seq) FROM deliveries), 0) ORDER BY seq"
            )
            taken, count = [], 0
            for row in rows:  # read only as far as the range goes: the lock is the request path's too
                taken.append(row)
                count += row[2]
                if count >= self.buffer_records:
                    break
            rows.close()
            if not taken:
                return None
            oldest = min(row[1] for row in taken)
            due = count >= self.buffer_records or self.clock() - oldest >= self.buffer_seconds
            if not (force or due):
                return None
            first, last = taken[0][0], taken[-1][0]
            skip = self._duplicates(
                tx,
                tx.execute(
                    "SELECT seq, ids FROM spool WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
                ),
            )
            cursor = tx.execute(
                "INSERT INTO deliveries (first_seq, last_seq, skip) VALUES (?, ?, ?)", (first, last, skip)
            )
            return int(cursor.lastrowid or 0), int(first), int(last), skip

    def _duplicates(self, tx: sqlite3.Connection, rows: Iterable[tuple[int, str | None]]) -> str | None:
        """Claim the ids of ``rows`` (seq, ids) in ``tx``; the [seq, index] pairs of the duplicates, as
        JSON, or ``None``. Rows of the earlier layout (no ids) were deduplicated when spooled."""
        positions: list[tuple[int, int, str]] = []
        for seq, ids in rows:
            if ids is not None:
                positions.extend((seq, index, key) for index, key in enumerate(json.loads(ids)))
        claimed = set(
            self.spool.claims.claim(tx, [key for _, _, key in positions], self.spool.clock(), self.spool.ttl)
        )
        skip = []
        for seq, index, key in positions:
            if key in claimed:
                claimed.discard(key)  # the first occurrence is delivered, any later one is left out
            else:
                skip.append([seq, index])
        return json.dumps(skip) if skip else None

    def flush(self, *, force: bool = False, timeout: float | None = None) -> FlushReport:
        """Deliver buffered records: all of them if ``force``, else full buffers and expired ones.

        Waits at most ``timeout`` seconds for a delivery another thread is running (then delivers
        nothing: ``TimeoutError``); the stop deadline, if one is set, is checked between files."""
        report = FlushReport()
        if not self._flush_lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            raise TimeoutError("another delivery is still running")
        try:
            recovered = self.recover()
            report.files += recovered.files
            report.rows += recovered.rows
            while True:
                self._check()
                claimed = self._claim_next(force)
                if claimed is None:
                    break
                delivery_id, first, last, skip = claimed
                files, records = self._write_range(first, last, skip)
                report.files += files
                report.rows += self._finish(delivery_id, first, last, files, records)
        finally:
            self._flush_lock.release()
        return report

    def expire_ids(self) -> int:
        with self.spool.db.transaction() as conn:
            return self.spool.claims.expire(conn, self.clock())

    def start(self, interval: float | None = None) -> None:
        """Recover, then flush in the background as Firehose does on its buffer interval; after
        :meth:`request_stop`, deliver everything until the deadline."""
        period = interval if interval is not None else max(0.2, min(5.0, self.buffer_seconds / 4))

        def loop() -> None:
            try:
                self.sweep()
                with self._flush_lock:
                    recovered = self.recover()
                if recovered.rows and self.on_recovered:
                    self.on_recovered(recovered)
            except Interrupted:
                return
            except Exception:
                log.exception("recovery failed; the deliveries stay recorded and are retried")
            last_expiry = self.clock()
            while True:
                stopping = self._stopping.is_set()
                closed = self._closed.is_set()  # read before delivering: then nothing new can be missed
                try:
                    self.flush(force=stopping)
                    if stopping and closed:
                        return
                    if not stopping and self.clock() - last_expiry > 3600:
                        self.expire_ids()
                        last_expiry = self.clock()
                except Interrupted:
                    return
                except Exception:
                    log.exception("lake flush failed; records stay in the spool and are retried")
                    if stopping and closed:
                        return
                self._wake.wait(0.05 if stopping else period)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name=f"lake-writer-{uuid.uuid4().hex[:6]}", daemon=True)
        self._thread.start()

    def request_stop(self, deadline: float) -> None:
        """From now on deliver everything buffered, but start no file after ``deadline``
        (``time.monotonic()``); input may still arrive until :meth:`stop`."""
        if self._at_stop is None:
            self._at_stop = self.delivered
        self._deadline = deadline
        self._stopping.set()
        self._wake.set()

    def stop(self, deadline: float | None = None) -> StopReport:
        """No more input: deliver what is left, by ``deadline`` at the latest (never waits past it).

        Without a background thread (or after it ended), delivers in the caller's thread, still
        checking the deadline between files. ``pending`` is what stays in the spool for the next run.
        """
        if self._at_stop is None:
            self._at_stop = self.delivered
        before = self._at_stop
        if deadline is not None:
            self._deadline = deadline
        self._stopping.set()
        self._closed.set()
        self._wake.set()
        abandoned = False
        if self._thread is not None:
            timeout = None if self._deadline is None else max(0.0, self._deadline - time.monotonic())
            self._thread.join(timeout)
            abandoned = self._thread.is_alive()
        else:
            try:
                remaining = None if self._deadline is None else self._deadline - time.monotonic()
                self.flush(force=True, timeout=remaining)
            except (Interrupted, TimeoutError):
                pass
        after = self.delivered
        return StopReport(
            rows=after.rows - before.rows,
            files=after.files - before.files,
            pending=self.spool.pending(),
            abandoned=abandoned,
        )


def social_lake_writer(spool: LocalSpool, lake_dir: Path, **options: Any) -> LakeWriter:
    """The writer of the ``social-posts/`` table (its own spool, its own columns)."""
    from schemas.social import SOCIAL_POSTS_PREFIX, SocialLakeRecord

    return LakeWriter(
        spool,
        lake_dir,
        prefix=SOCIAL_POSTS_PREFIX,
        schema=lake_schema(glue_columns(SocialLakeRecord)),
        **options,
    )
