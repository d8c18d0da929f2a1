"""Issue 18: the lake writer stops by a deadline, between files, and records each delivery once."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from builders import NOW, make_event

from audience.core.objectstore.adapters.local import slow_fsync
from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.spool import EVENTS_PREFIX, LakeWriter, LocalSpool
from schemas.engagement import EngagementEvent, LakeRecord


def records(n: int, *, start: int = 0, ingested_days_ago: int = 0) -> list[LakeRecord]:
    return [
        LakeRecord.from_event(
            EngagementEvent.model_validate(make_event(event_id=f"e{i}")),
            ingested_at=NOW - timedelta(days=ingested_days_ago),
            request_id="r",
            ingest_source="t",
        )
        for i in range(start, start + n)
    ]


def lake_ids(lake: Path) -> list[str]:
    if not list((lake / EVENTS_PREFIX).rglob("*.parquet")):
        return []
    pattern = f"{lake}/{EVENTS_PREFIX}/**/*.parquet"
    return [r[0] for r in duckdb.sql(f"SELECT event_id FROM read_parquet('{pattern}')").fetchall()]


def test_stop_during_a_periodic_delivery_never_waits_past_its_deadline(tmp_path: Path) -> None:
    # GIVEN 10 full buffers and a disk where every fsync takes 0.2 s (about 0.6 s a file)
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600, commit_delay_seconds=0.05)
    for start in range(0, 500, 50):
        spool.put_batch(records(50, start=start))
    writer = LakeWriter(spool, tmp_path / "lake", buffer_records=50, fsync=slow_fsync(0.2))
    writer.start(interval=0.05)
    time.sleep(0.3)  # a periodic delivery is under way
    # WHEN the writer is stopped with 1 s to go
    started = time.monotonic()
    report = writer.stop(deadline=started + 1.0)
    took = time.monotonic() - started
    # THEN it returns by the deadline, and says what was delivered and what stays spooled
    assert took <= 1.0 + 0.1
    assert report.pending > 0 and report.rows + report.pending <= 500
    # AND once the abandoned file is done (the process would have exited), a restart delivers
    # the rest: every record once, and each delivered row counted by exactly one writer
    assert writer._thread is not None
    writer._thread.join(timeout=5)
    restarted = LakeWriter(LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600), tmp_path / "lake")
    rest = restarted.stop(deadline=time.monotonic() + 30)
    ids = lake_ids(tmp_path / "lake")
    assert sorted(ids) == sorted(f"e{i}" for i in range(500))
    assert writer.delivered.rows + rest.rows == 500 and rest.pending == 0


def test_stop_between_partition_files_leaves_the_delivery_recorded_once(tmp_path: Path) -> None:
    # GIVEN one range spanning two arrival days, so two files
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    spool.put_batch(records(3, ingested_days_ago=1) + records(3, start=3))
    writer = LakeWriter(spool, tmp_path / "lake")
    calls = []

    def fsync_then_stop(fd: int) -> None:
        os.fsync(fd)
        calls.append(fd)
        writer.request_stop(time.monotonic())  # the stop arrives while the first file is written

    writer.fsync = fsync_then_stop
    # WHEN the final flush runs into that stop
    report = writer.stop()
    # THEN the second file was not started, nothing counts as delivered, the range stays recorded
    assert len(calls) == 2  # the first file and its directory
    assert report.rows == 0 and report.pending == 6
    assert writer.unfinished() == 6
    # AND the next start writes the range again under the same names: each record once
    restarted = LakeWriter(LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600), tmp_path / "lake")
    assert restarted.stop(deadline=time.monotonic() + 30).rows == 6
    assert sorted(lake_ids(tmp_path / "lake")) == sorted(f"e{i}" for i in range(6))
    assert len(list((tmp_path / "lake").rglob("*.parquet"))) == 2


def test_sweep_removes_temp_files_of_a_killed_writer(tmp_path: Path) -> None:
    # GIVEN a temp file a SIGKILL left mid-write
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    writer = LakeWriter(spool, tmp_path / "lake")
    folder = tmp_path / "lake" / "engagement-events" / "year=2026" / "month=11" / "day=30"
    folder.mkdir(parents=True)
    (folder / ".part-000000000001-000000000004.parquet.x1.tmp").write_bytes(b"half")
    # WHEN the writer starts THEN it is removed
    assert writer.sweep() == 1
    assert not list(folder.iterdir())


def test_write_lock_wait_is_bounded(tmp_path: Path) -> None:
    # GIVEN a transaction held by another thread (as a slow commit holds it)
    db = SqliteDatabase(tmp_path / "x.db", "CREATE TABLE IF NOT EXISTS t (x)", busy_timeout_seconds=0.3)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    # WHEN another writer asks for the lock THEN it gives up after the busy timeout
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"), db.transaction():
        pass
    assert time.monotonic() - started < 1.0
    release.set()
    holder.join()


def test_deliver_spool_delivers_everything_once_and_respects_the_writer_lock(tmp_path: Path) -> None:
    from audience.core.settings import Settings
    from devhost.server import WriterLockedError, deliver_spool, writer_lock

    # GIVEN a home whose spool holds events, one delivery of them interrupted
    settings = Settings(home=tmp_path, backend="local", local_buffer_records=4)
    spool = LocalSpool(tmp_path / "state" / "spool.db", dedup_ttl_seconds=3600)
    spool.put_batch(records(10))
    with spool.db.transaction() as tx:
        tx.execute("INSERT INTO deliveries (first_seq, last_seq) VALUES (1, 4)")
    # WHEN a server holds the writer lock THEN an explicit delivery refuses to run
    with writer_lock(settings), pytest.raises(WriterLockedError):
        deliver_spool(settings)
    # WHEN no server runs THEN everything is delivered, each event once
    report = deliver_spool(settings)
    assert (report.rows, spool.pending()) == (10, 0)
    assert sorted(lake_ids(tmp_path / "lake")) == sorted(f"e{i}" for i in range(10))
