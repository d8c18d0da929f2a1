"""The embedded backend: spool and Parquet lake writer, SQLite counters, folder object store."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from builders import NOW, iso, make_event

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.ingest.adapters.local.spool import EVENTS_PREFIX, LakeWriter, LocalSpool, lake_schema
from audience.ingest.counters import EVENT_TYPES
from schemas.derive import glue_columns
from schemas.engagement import EngagementEvent, LakeRecord


def records(n: int, *, start: int = 0, ingested_days_ago: int = 0, content: str = "c-1") -> list[LakeRecord]:
    out = []
    for i in range(start, start + n):
        event = EngagementEvent.model_validate(
            make_event(event_id=f"e{i}", content_id=content, event_type=("view", "like", "complete")[i % 3])
        )
        out.append(
            LakeRecord.from_event(
                event, ingested_at=NOW - timedelta(days=ingested_days_ago), request_id="r", ingest_source="t"
            )
        )
    return out


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lake_ids(lake: Path) -> list[str]:
    files = list((lake / EVENTS_PREFIX).rglob("*.parquet"))
    if not files:
        return []
    return [
        r[0]
        for r in duckdb.sql(
            f"SELECT event_id FROM read_parquet('{lake}/{EVENTS_PREFIX}/**/*.parquet')"
        ).fetchall()
    ]


# --- spool and lake writer ------------------------------------------------------------------------


def test_the_lake_holds_each_event_id_once(tmp_path: Path) -> None:
    # GIVEN a spool that received a batch, then the same records and one new one again
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    assert spool.put_batch(records(3)) == []
    assert spool.put_batch(records(4)) == []
    assert spool.pending() == 7  # the request path only appends
    # WHEN they are delivered, and the same records are delivered once more later
    writer = LakeWriter(spool, tmp_path / "lake")
    assert writer.flush(force=True).rows == 4
    spool.put_batch(records(2, start=3))
    assert writer.flush(force=True).rows == 1
    # THEN the lake has each id once, and the records left out are gone from the spool
    assert sorted(lake_ids(tmp_path / "lake")) == ["e0", "e1", "e2", "e3", "e4"]
    assert spool.pending() == 0


def test_a_duplicate_within_a_delivery_keeps_its_first_occurrence(tmp_path: Path) -> None:
    # GIVEN the same id spooled twice with different content, in one delivery
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    spool.put_batch(records(1, content="c-first"))
    spool.put_batch(records(1, content="c-second") + records(1, start=1))
    # WHEN delivered
    LakeWriter(spool, tmp_path / "lake").flush(force=True)
    # THEN the first one spooled is the one in the lake
    rows = duckdb.sql(
        f"SELECT event_id, content_id FROM read_parquet('{tmp_path}/lake/{EVENTS_PREFIX}/**/*.parquet') "
        "ORDER BY event_id"
    ).fetchall()
    assert rows == [("e0", "c-first"), ("e1", "c-1")]


def test_rows_spooled_by_the_earlier_layout_are_delivered_whole(tmp_path: Path) -> None:
    # GIVEN a spool written by the earlier layout: a row a record, deduplicated (and claimed) when spooled
    import sqlite3

    conn = sqlite3.connect(tmp_path / "spool.db")
    conn.executescript(
        "CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, partition TEXT NOT NULL, "
        "received_at REAL NOT NULL, line TEXT NOT NULL);"
        "CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, first_seq INTEGER NOT NULL, "
        "last_seq INTEGER NOT NULL);"
        "CREATE TABLE claims (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, expires_at REAL NOT NULL);"
    )
    old = records(2)
    for r in old:
        conn.execute(
            "INSERT INTO spool (partition, received_at, line) VALUES (?, 0, ?)",
            ("year=2026/month=11/day=21", r.to_json_line()),
        )
        conn.execute("INSERT INTO claims (id, expires_at) VALUES (?, 9e12)", (r.event_id,))
    conn.commit()
    conn.close()
    # WHEN the new code opens it, spools one of them again and a new record, and delivers
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    assert spool.pending() == 2
    spool.put_batch(records(2, start=1))
    LakeWriter(spool, tmp_path / "lake").flush(force=True)
    # THEN the old rows are delivered, and the repeat of an id they had claimed is left out
    assert sorted(lake_ids(tmp_path / "lake")) == ["e0", "e1", "e2"]


def test_writer_writes_hive_partitions_with_the_glue_schema(tmp_path: Path) -> None:
    # GIVEN records that arrived on two days
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    spool.put_batch(records(3) + records(2, start=10, ingested_days_ago=1))
    writer = LakeWriter(spool, tmp_path / "lake")
    # WHEN flushed
    report = writer.flush(force=True)
    # THEN each arrival day has its partition, the files have the Glue table's columns, the spool is empty
    parts = sorted(
        p.parent.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*.parquet")
    )
    assert parts == [
        "engagement-events/year=2026/month=11/day=20",
        "engagement-events/year=2026/month=11/day=21",
    ]
    assert (report.rows, report.files, spool.pending()) == (5, 2, 0)
    table = pq.read_table(next((tmp_path / "lake").rglob("*.parquet")))
    assert table.schema.names == [c["Name"] for c in glue_columns()]
    assert table.schema.equals(lake_schema())
    assert sorted(lake_ids(tmp_path / "lake")) == sorted(["e0", "e1", "e2", "e10", "e11"])


def test_writer_flushes_by_size_or_age_like_firehose_buffers(tmp_path: Path) -> None:
    # GIVEN a writer buffering 5 records or 60 s
    clock = Clock()
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600, clock=clock)
    writer = LakeWriter(spool, tmp_path / "lake", buffer_records=5, buffer_seconds=60, clock=clock)
    spool.put_batch(records(3))
    # WHEN neither limit is reached THEN nothing is written
    assert writer.flush().rows == 0
    # WHEN the buffer fills THEN a full buffer is written (whole requests) and the rest waits
    spool.put_batch(records(4, start=3))
    spool.put_batch(records(2, start=7))
    assert writer.flush().rows == 7 and spool.pending() == 2
    # WHEN the oldest record is older than the interval THEN it is written
    clock.now += 61
    assert writer.flush().rows == 2 and spool.pending() == 0


def test_writer_recovers_interrupted_delivery_exactly_once(tmp_path: Path) -> None:
    # GIVEN a delivery that wrote its file but crashed before clearing the spool
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    spool.put_batch(records(4))
    writer = LakeWriter(spool, tmp_path / "lake")
    claimed = writer._claim_next(force=True)
    assert claimed is not None
    writer._write_range(*claimed[1:])
    # AND a delivery that was recorded, leaving out a duplicate, but crashed before writing anything
    spool.put_batch(records(2, start=4) + records(1, start=2))
    assert writer._claim_next(force=True) is not None
    # WHEN a new writer starts (as after a restart) and flushes
    restarted = LakeWriter(LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600), tmp_path / "lake")
    restarted.flush(force=True)
    # THEN every record is in the lake exactly once
    assert sorted(lake_ids(tmp_path / "lake")) == sorted(f"e{i}" for i in range(6))


def test_writer_background_thread_and_stop_deliver_everything(tmp_path: Path) -> None:
    # GIVEN a running writer with a long interval
    spool = LocalSpool(tmp_path / "spool.db", dedup_ttl_seconds=3600)
    writer = LakeWriter(spool, tmp_path / "lake", buffer_seconds=3600)
    writer.start(interval=0.05)
    spool.put_batch(records(7))
    # WHEN it is stopped (as on SIGTERM)
    writer.stop()
    # THEN what was buffered is in the lake
    assert len(lake_ids(tmp_path / "lake")) == 7 and spool.pending() == 0


# --- counters -------------------------------------------------------------------------------------


def test_counters_count_each_event_once(tmp_path: Path) -> None:
    # GIVEN a counter store that counted 6 events
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    assert store.apply(records(6)) == {f"e{i}" for i in range(6)}
    # WHEN the same events and two new ones are applied again
    counted = store.apply(records(8))
    # THEN only the new ones count, and the totals are exact
    assert counted == {"e6", "e7"}
    total = store.content("c-1")
    assert total is not None
    assert total.counts == {"view": 3, "like": 3, "share": 0, "comment": 0, "complete": 2, "skip": 0}
    assert total.view_seconds == pytest.approx(8 * 120.5)
    assert store.known(["e1", "e7", "zzz"]) == {"e1", "e7"}


def test_counters_are_exact_under_concurrent_overlapping_retries(tmp_path: Path) -> None:
    # GIVEN 8 threads applying overlapping batches of the same 200 events
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    batch = records(200)
    counted: list[set[str]] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        for start in range(offset, 200, 25):
            ids = store.apply(batch[start : start + 50])
            with lock:
                counted.append(ids)

    threads = [threading.Thread(target=work, args=(i * 3,)) for i in range(8)]
    # WHEN they run at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN each event was counted by exactly one call, and the totals equal 200 events
    flat = [i for ids in counted for i in ids]
    assert len(flat) == len(set(flat)) == 200
    total = store.content("c-1")
    assert total is not None and total.events == 200


def test_counters_hourly_and_top_content(tmp_path: Path) -> None:
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    store.apply(records(3, content="c-a") + records(5, start=10, content="c-b"))
    hour = (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H")
    # WHEN asked for ranking and time series
    top = store.top_content(limit=2)
    series = store.hourly("c-b", hour, hour)
    # THEN they reflect the counts
    assert [(c.content_id, c.events) for c in top] == [("c-b", 5), ("c-a", 3)]
    assert [(h.hour, sum(h.counts.values())) for h in series] == [(hour, 5)]
    with pytest.raises(ValueError, match="cannot rank"):
        store.top_content(by="events; DROP TABLE counters")


def test_counters_hourly_is_the_same_by_lookups_and_by_scan(tmp_path: Path) -> None:
    # GIVEN events of two contents over three days, every 5 hours
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    batch = []
    for i in range(15):
        event = EngagementEvent.model_validate(
            make_event(
                event_id=f"h{i}",
                content_id=("c-a", "c-b")[i % 2],
                timestamp=iso(NOW - timedelta(hours=5 * i)),
            )
        )
        batch.append(LakeRecord.from_event(event, ingested_at=NOW, request_id="r", ingest_source="t"))
    store.apply(batch)
    start = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H")
    end = NOW.strftime("%Y-%m-%dT%H")
    # WHEN a range is read hour by hour, and the same range past the lookup bound (scanned)
    looked_up = store.hourly("c-a", start, end)
    scanned = [h for h in store.hourly("c-a", "2000-01-01T00", end) if h.hour >= start]
    # THEN both give the content's hours, in order, and nothing of the other content
    assert [h.hour for h in looked_up] == [h.hour for h in scanned]
    assert [h.hour for h in looked_up] == sorted(
        f"{NOW - timedelta(hours=5 * i):%Y-%m-%dT%H}" for i in range(0, 15, 2)
    )
    assert sum(sum(h.counts.values()) for h in looked_up) == 8
    assert store.hourly("c-a", end, start) == []
    # AND hours not written YYYY-MM-DDTHH compare as text, as the DynamoDB adapter compares them
    assert [h.hour for h in store.hourly("c-a", "2026-11-21T02", "2026-11-21T02")] == ["2026-11-21T02"]
    assert store.hourly("c-a", "2026-11-21T2", "2026-11-21T02") == []


def _content_first_counters(path: Path, values: str) -> None:
    """A ``counters`` table as builds before the bucket-first layout wrote it, with ``values`` rows
    of (content_id, bucket, view, events, view_seconds, updated_at)."""
    import sqlite3

    columns = ", ".join(f'"{t}" INTEGER NOT NULL DEFAULT 0' for t in EVENT_TYPES)
    conn = sqlite3.connect(path)
    conn.execute(
        f"CREATE TABLE counters (content_id TEXT NOT NULL, bucket TEXT NOT NULL, {columns}, "
        "events INTEGER NOT NULL DEFAULT 0, view_seconds REAL NOT NULL DEFAULT 0, updated_at REAL NOT NULL, "
        "PRIMARY KEY (content_id, bucket)) WITHOUT ROWID"
    )
    conn.execute(
        f"INSERT INTO counters (content_id, bucket, view, events, view_seconds, updated_at) VALUES {values}"
    )
    conn.commit()
    conn.close()


def test_counters_of_the_content_first_layout_are_carried_over(tmp_path: Path) -> None:
    # GIVEN a home whose counters were written keyed content first
    _content_first_counters(
        tmp_path / "c.db", "('c-old', 'TOTAL', 4, 4, 12.5, 0), ('c-old', 'HOUR#2026-11-21T11', 4, 4, 12.5, 0)"
    )
    # WHEN the store opens it and counts one more view
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    (new,) = records(1, content="c-old")
    store.apply([new])
    # THEN the old counts are kept and added to
    total = store.content("c-old")
    assert total is not None
    assert (total.counts["view"], total.view_seconds) == (5, 12.5 + (new.metadata.view_duration or 0.0))
    assert [h.hour for h in store.hourly("c-old", "2026-11-21T11", "2026-11-21T11")] == ["2026-11-21T11"]
    # AND counts an older build wrote to its own table meanwhile are added, not refused
    store.close()
    _content_first_counters(tmp_path / "c.db", "('c-old', 'TOTAL', 2, 2, 1.0, 0)")
    reopened = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=3600)
    again = reopened.content("c-old")
    assert again is not None and again.counts["view"] == 7


def test_counters_forget_ids_after_ttl(tmp_path: Path) -> None:
    # GIVEN an event counted long ago (past the dedup window)
    clock = Clock()
    store = SqliteCounterStore(tmp_path / "c.db", dedup_ttl_seconds=100, clock=clock)
    store.apply(records(1))
    clock.now += 101
    # THEN it is no longer known, and expiry removes its memory
    assert store.known(["e0"]) == set()
    assert store.expire() == 1


# --- object store ---------------------------------------------------------------------------------


def test_folder_object_store_round_trip_and_refuses_escape(tmp_path: Path) -> None:
    store = FolderObjectStore(tmp_path / "bucket")
    store.put_object("quarantine/year=2026/a.jsonl", b"x")
    store.put_object("other/b", b"y")
    assert store.get_object("quarantine/year=2026/a.jsonl") == b"x"
    assert store.list_keys("quarantine/") == ["quarantine/year=2026/a.jsonl"]
    with pytest.raises(ValueError, match="escapes"):
        store.put_object("../outside", b"z")
