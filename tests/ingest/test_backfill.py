"""The historical backfill: contract, duplicates, partitions, counters, idempotence, crash and resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import DELETE, iso, make_event

from audience.ingest.adapters.local.backfill import FolderBackfillLake, SqliteBackfillJournal
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.ingest.backfill import BackfillOptions, BackfillReport, run_backfill, write_jsonl
from audience.ingest.reconcile import reconcile
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from schemas.engagement import LakeRecord

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)


def history(n: int, *, days: int = 40, prefix: str = "h", contents: int = 7) -> list[dict[str, Any]]:
    """``n`` valid events spread over the last ``days`` days (older than the API's window)."""
    out = []
    for i in range(n):
        at = NOW - timedelta(days=days) + timedelta(minutes=1013 * i % (days * 24 * 60 - 60))
        out.append(
            make_event(
                event_id=f"{prefix}-{i:06d}",
                user_id=f"u-{i % 11}",
                content_id=f"c-{i % contents}",
                event_type=("view", "like", "complete", "share")[i % 4],
                timestamp=iso(at),
            )
        )
    return sorted(out, key=lambda e: e["timestamp"])  # exports come in time order


def lake_rows(home: Path) -> list[dict[str, Any]]:
    glob = f"{home}/lake/engagement-events/**/*.parquet"
    if not list((home / "lake" / "engagement-events").rglob("*.parquet")):
        return []
    with duckdb.connect() as con:
        cur = con.execute(
            f"SELECT event_id, content_id, ingest_source, epoch_us(event_timestamp) AS micros, year, month, day "
            f"FROM read_parquet('{glob}', hive_partitioning = true, hive_types_autocast = false)"
        )
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


class Import:
    """The backfill wired to the local adapters under one home folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=8 * 86_400)
        self.journal = SqliteBackfillJournal(home / "state" / "backfill.db")
        self.lake = FolderBackfillLake(home / "lake")

    def run(self, *paths: Path, lake: Any = None, **options: Any) -> BackfillReport:
        return run_backfill(
            list(paths),
            lake=lake or self.lake,
            journal=self.journal,
            counters=self.counters,
            lake_query=lambda: DuckDBLakeQuery(self.home / "lake"),
            options=BackfillOptions(**options),
        )

    def drift(self) -> int:
        return len(reconcile(DuckDBLakeQuery(self.home / "lake"), self.counters, repair=False).changes)


@pytest.fixture
def imp(tmp_path: Path) -> Iterator[Import]:
    it = Import(tmp_path / "home")
    yield it
    it.counters.close()
    it.journal.close()


def write(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(write_jsonl(rows))
    return path


def test_bad_rows_are_rejected_with_reasons_and_quarantined(imp: Import, tmp_path: Path) -> None:
    # GIVEN history with a bad row of each kind among good ones, and a line that is not JSON
    rows = history(5)
    rows[1] = make_event(event_id="bad-1", event_type="purchase", timestamp=rows[1]["timestamp"])
    rows[2] = make_event(event_id="bad-2", user_id=DELETE, timestamp=rows[2]["timestamp"])
    rows[3] = make_event(event_id="bad-3", timestamp=iso(NOW - timedelta(days=4000)))
    source = write(tmp_path / "in" / "events.jsonl", rows)
    with source.open("a") as f:
        f.write("{not json\n")
    # WHEN it is imported
    report = imp.run(source)
    # THEN the good rows are in the lake, each bad one is rejected with its field and reason
    assert (report.rows, report.accepted, report.rejected) == (6, 2, 4)
    assert report.rejected_by_code == {
        "enum": 1,
        "missing": 1,
        "timestamp_too_old": 1,
        "malformed_json": 1,
    }
    assert sorted(r["event_id"] for r in lake_rows(imp.home)) == ["h-000000", "h-000004"]
    quarantined = [
        json.loads(line)
        for f in (imp.home / "lake" / "quarantine").rglob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    by_row = {q["row"]: q for q in quarantined}
    assert sorted(by_row) == [2, 3, 4, 6]
    assert by_row[2]["reasons"][0]["field"] == "event_type" and by_row[2]["event"]["event_id"] == "bad-1"
    assert by_row[4]["reasons"][0]["code"] == "timestamp_too_old"
    assert all(q["file"] == str(source) and q["source"] == "backfill" for q in quarantined)


def test_no_freshness_window_but_a_configurable_maximum_age(imp: Import, tmp_path: Path) -> None:
    # GIVEN events 40 days old (the API would refuse them) and 200 days old
    rows = [*history(3, days=40), *history(2, days=200, prefix="old")]
    source = write(tmp_path / "events.jsonl", rows)
    # WHEN imported with a 100-day maximum age
    report = imp.run(source, max_age=timedelta(days=100))
    # THEN the 40-day-old ones are accepted, the 200-day-old ones rejected as too old
    assert (report.accepted, report.rejected_by_code) == (3, {"timestamp_too_old": 2})


def test_rows_land_in_the_partitions_of_their_event_dates_marked_backfill(
    imp: Import, tmp_path: Path
) -> None:
    # GIVEN 60 events over 40 days
    source = write(tmp_path / "events.jsonl", history(60))
    # WHEN imported
    imp.run(source)
    rows = lake_rows(imp.home)
    # THEN every row sits in the partition of its own UTC date, marked as backfilled
    assert len(rows) == 60
    for row in rows:
        at = datetime.fromtimestamp(row["micros"] / 1e6, UTC)
        assert (row["year"], row["month"], row["day"]) == (f"{at:%Y}", f"{at:%m}", f"{at:%d}")
        assert row["ingest_source"] == "backfill"
    assert len({(r["year"], r["month"], r["day"]) for r in rows}) > 20


def test_duplicates_already_in_the_lake_or_the_input_are_skipped(imp: Import, tmp_path: Path) -> None:
    # GIVEN a lake holding some events (arrived live, in a later arrival partition) and an input that
    # repeats them and repeats one of its own rows
    rows = history(10)
    live = [LakeRecord.from_json_line(json.dumps(_lake_line(r))) for r in rows[:3]]
    imp.lake.write_events(
        date.fromisoformat(rows[2]["timestamp"][:10]) + timedelta(days=2), "live.parquet", live
    )
    source = write(tmp_path / "events.jsonl", [*rows, rows[5]])
    # WHEN imported
    report = imp.run(source)
    # THEN only the new events are written, once each
    assert (report.accepted, report.duplicates) == (7, 4)
    ids = [r["event_id"] for r in lake_rows(imp.home)]
    assert sorted(ids) == sorted(r["event_id"] for r in rows)


def _lake_line(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["event_id"],
        "schema_version": "1.1",
        "user_id": event["user_id"],
        "content_id": event["content_id"],
        "event_type": event["event_type"],
        "event_timestamp": event["timestamp"].replace("T", " ").replace("Z", "").ljust(26, "0")
        if "." in event["timestamp"]
        else event["timestamp"].replace("T", " ").replace("Z", ".000000"),
        "platform": event["platform"],
        "device_type": event["device_type"],
        "location": {"country": "US", "region": None, "city": None},
        "session_id": event["session_id"],
        "metadata": {"view_duration": 10.0, "completion_rate": None, "interaction_count": None},
        "event_id_source": "client",
        "ingested_at": "2026-11-20 00:00:00.000000",
        "request_id": "live",
        "ingest_source": "api:test",
    }


def test_counters_equal_the_lake_afterwards(imp: Import, tmp_path: Path) -> None:
    # GIVEN counters that already count a live event of one of the contents
    live = make_event(event_id="live-1", content_id="c-1", timestamp=iso(NOW - timedelta(hours=3)))
    from audience.ingest.service import IngestLimits, RequestContext, validate_event

    record = validate_event(live, 0, IngestLimits(), RequestContext("r"))
    assert isinstance(record, LakeRecord)
    imp.lake.write_events(NOW.date(), "live.parquet", [record])
    imp.counters.apply([record])
    # WHEN history is imported
    report = imp.run(write(tmp_path / "events.jsonl", history(50)), chunk_rows=7)
    # THEN every counter bucket (totals and hours) equals the lake, the live event included
    assert report.content_rebuilt == 7
    assert imp.drift() == 0
    c1 = imp.counters.content("c-1")
    assert c1 is not None and c1.events == 1 + sum(1 for i in range(50) if i % 7 == 1)
    # and a recent backfilled id is remembered, so a live resend of it counts as a duplicate
    assert imp.counters.known(["live-1"]) == {"live-1"}


def test_a_rerun_is_idempotent(imp: Import, tmp_path: Path) -> None:
    # GIVEN an import done once
    source = write(tmp_path / "events.jsonl", history(30))
    first = imp.run(source, chunk_rows=8)
    before = sorted(r["event_id"] for r in lake_rows(imp.home))
    files_before = sorted(p.name for p in (imp.home / "lake").rglob("*.parquet"))
    # WHEN it is run again, and once more with a forgotten journal (a copy of the file elsewhere)
    again = imp.run(source, chunk_rows=8)
    copy = write(tmp_path / "copy" / "events.jsonl", history(30))
    (imp.home / "state" / "backfill.db").unlink()
    imp.journal = SqliteBackfillJournal(imp.home / "state" / "backfill.db")
    third = imp.run(copy, chunk_rows=8)
    # THEN nothing changes: the journal skips the chunks, and without it the lake rejects duplicates
    assert first.accepted == 30 and first.chunks_written == 4
    assert (again.accepted, again.chunks_skipped, again.chunks_written) == (0, 4, 0)
    assert (third.accepted, third.duplicates) == (0, 30)
    assert sorted(r["event_id"] for r in lake_rows(imp.home)) == before
    assert sorted(p.name for p in (imp.home / "lake").rglob("*.parquet")) == files_before
    assert imp.drift() == 0


class CrashingLake(FolderBackfillLake):
    """The folder lake, failing the n-th write as a crash mid-chunk would."""

    def __init__(self, lake_dir: Path, fail_at: int) -> None:
        super().__init__(lake_dir)
        self.writes = 0
        self.fail_at = fail_at

    def write_events(self, day: date, name: str, records: Sequence[LakeRecord]) -> str:
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError("disk went away")
        return super().write_events(day, name, records)


def test_a_crash_mid_chunk_is_undone_and_redone_on_resume(imp: Import, tmp_path: Path) -> None:
    # GIVEN an import that fails in the middle of a chunk, after some of its objects were written
    source = write(tmp_path / "events.jsonl", history(80, days=30))
    with pytest.raises(OSError, match="disk went away"):
        imp.run(source, chunk_rows=20, lake=CrashingLake(imp.home / "lake", fail_at=25))
    partial = lake_rows(imp.home)
    assert 20 < len(partial) < 80  # chunk 0 done, chunk 1 half written
    # WHEN it is run again
    report = imp.run(source, chunk_rows=20)
    # THEN the begun chunk was undone and redone; nothing is lost or doubled; counters match
    assert report.chunks_recovered == 1 and report.chunks_skipped >= 1
    ids = [r["event_id"] for r in lake_rows(imp.home)]
    assert len(ids) == len(set(ids)) == 80
    assert imp.drift() == 0


def test_csv_and_parquet_in_the_event_contract(imp: Import, tmp_path: Path) -> None:
    # GIVEN the same kind of history as CSV (dotted columns) and as Parquet (nested, real timestamps)
    rows = history(12)
    folder = tmp_path / "in"
    folder.mkdir()
    columns = [
        "event_id", "user_id", "content_id", "event_type", "timestamp", "platform", "device_type",
        "location.country", "location.region", "location.city", "session_id",
        "metadata.view_duration", "metadata.completion_rate", "metadata.interaction_count",
    ]  # fmt: skip
    with (folder / "a.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for r in rows[:6]:
            loc, meta = r["location"], r["metadata"]
            out.writerow(
                [r[c] for c in columns[:7]]
                + [loc["country"], loc["region"], loc["city"], r["session_id"]]
                + [meta["view_duration"], meta["completion_rate"], meta["interaction_count"]]
            )
        out.writerow(
            ["bad-csv", "u", "c", "view", rows[0]["timestamp"], "web", "tv", "US", "", "", "s", "12s", "", ""]
        )
    parquet_rows = [
        {**r, "timestamp": datetime.fromisoformat(r["timestamp"].replace("Z", "+00:00"))} for r in rows[6:]
    ]
    pq.write_table(pa.Table.from_pylist(parquet_rows), folder / "b.parquet")
    # WHEN the folder is imported
    report = imp.run(folder)
    # THEN both formats land; the CSV cell that is not a number is rejected by the contract
    assert (report.files, report.accepted, report.rejected_by_code) == (2, 12, {"float_type": 1})
    assert sorted(r["event_id"] for r in lake_rows(imp.home)) == sorted(r["event_id"] for r in rows)


def _journal_done(home: Path) -> int:
    path = home / "state" / "backfill.db"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as con:
            return int(con.execute("SELECT count(*) FROM chunks WHERE state = 'done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_killing_the_import_and_resuming_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    # GIVEN a large history file and the `audience import` command in its own process
    home = tmp_path / "home"
    rows = history(4000, days=60)
    source = write(tmp_path / "events.jsonl", rows)
    env = {**os.environ, "AUDIENCE_HOME": str(home), "AUDIENCE_BACKEND": "local"}
    command = [sys.executable, "-m", "devhost.cli", "import", "--events", str(source), "--chunk-rows", "100"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # WHEN it is killed (SIGKILL) once a few chunks are done
    deadline = time.monotonic() + 120
    while _journal_done(home) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = _journal_done(home)
    assert 0 < killed_at < 40
    # and the same command is run again to the end
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    # THEN it resumed, and the lake holds every event exactly once, the counters equal to it
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["chunks_skipped"] >= killed_at
    ids = [r["event_id"] for r in lake_rows(home)]
    assert len(ids) == len(set(ids)) == len(rows)
    counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=8 * 86_400)
    try:
        assert not reconcile(DuckDBLakeQuery(home / "lake"), counters, repair=False).changes
        assert sum(c.events for c in counters.top_content(limit=100)) == len(rows)
    finally:
        counters.close()
