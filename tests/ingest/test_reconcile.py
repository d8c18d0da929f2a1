"""Counter reconciliation from the lake: planted drift is found, reported and repaired."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlglot
from builders import iso, make_event

from audience.ingest.adapters.local.backfill import FolderBackfillLake
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.ingest.counters import EVENT_TYPES, CounterDelta, CounterKey
from audience.ingest.reconcile import lake_counts_sql, reconcile
from audience.ingest.service import IngestLimits, RequestContext, validate_event
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from schemas.engagement import LakeRecord

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def records() -> list[LakeRecord]:
    out = []
    for i in range(24):
        raw = make_event(
            event_id=f"e-{i}",
            content_id="c-a" if i % 3 else "https://x.example/watch?v=1&t=2#a",
            event_type=("view", "like", "share")[i % 3],
            timestamp=iso(NOW - timedelta(hours=30 - i)),
        )
        record = validate_event(raw, i, IngestLimits(), RequestContext("r", received_at=NOW))
        assert isinstance(record, LakeRecord)
        out.append(record)
    return out


def setup(home: Path) -> tuple[SqliteCounterStore, list[LakeRecord]]:
    rows = records()
    lake = FolderBackfillLake(home / "lake")
    lake.write_events(NOW.date(), "a.parquet", rows)
    lake.write_events(NOW.date(), "again.parquet", rows[:5])  # Firehose is at-least-once
    counters = SqliteCounterStore(home / "state" / "counters.db", dedup_ttl_seconds=86_400)
    counters.apply(rows)
    return counters, rows


def test_counters_that_match_the_lake_report_no_drift(tmp_path: Path) -> None:
    # GIVEN counters that counted exactly what the lake holds (the lake holding 5 events twice)
    counters, _ = setup(tmp_path)
    # WHEN reconciled over all time THEN nothing differs
    report = reconcile(DuckDBLakeQuery(tmp_path / "lake"), counters)
    assert report.changes == [] and report.lake_events == 24 and report.buckets_checked > 20


def test_planted_drift_is_reported_and_repaired_within_the_range(tmp_path: Path) -> None:
    # GIVEN drift planted in the counters: a lost hour, an inflated hour, a phantom content, a TOTAL off
    counters, rows = setup(tmp_path)
    lost = rows[20]
    assert lost.content_id == "c-a" and lost.event_type == "share"
    hour = f"HOUR#{lost.event_timestamp:%Y-%m-%dT%H}"
    counters.add(
        {
            CounterKey(lost.content_id, hour): CounterDelta(
                {**dict.fromkeys(EVENT_TYPES, 0), lost.event_type: -1}
            ),
            CounterKey("c-a", f"HOUR#{rows[22].event_timestamp:%Y-%m-%dT%H}"): CounterDelta(
                {**dict.fromkeys(EVENT_TYPES, 0), "view": 5}, 50.0
            ),
            CounterKey("phantom", f"HOUR#{rows[21].event_timestamp:%Y-%m-%dT%H}"): CounterDelta(
                {**dict.fromkeys(EVENT_TYPES, 0), "like": 2}
            ),
        }
    )
    # (a lost or doubled write moves the hour and the content's TOTAL alike)
    counters.add(
        {
            CounterKey("c-a", "TOTAL"): CounterDelta(
                {**dict.fromkeys(EVENT_TYPES, 0), "view": 5, lost.event_type: -1}, 50.0
            ),
            CounterKey("phantom", "TOTAL"): CounterDelta({**dict.fromkeys(EVENT_TYPES, 0), "like": 2}),
        }
    )
    lake = DuckDBLakeQuery(tmp_path / "lake")
    # WHEN the last 12 hours are checked without repair, then repaired
    start, end = NOW - timedelta(hours=12), NOW + timedelta(hours=1)
    dry = reconcile(lake, counters, start=start, end=end, repair=False)
    fixed = reconcile(lake, counters, start=start, end=end)
    # THEN the three hourly drifts (and their TOTALs) are reported with before and after
    changed = {(c.content_id, c.bucket) for c in dry.changes}
    assert (lost.content_id, hour) in changed and ("phantom", "TOTAL") in changed
    assert len([c for c in dry.changes if c.bucket != "TOTAL"]) == 3
    assert dry.events_added == 1 - 5 - 2 and not dry.repaired
    phantom = next(c for c in fixed.changes if c.content_id == "phantom" and c.bucket != "TOTAL")
    assert (phantom.before["like"], phantom.after["like"]) == (2, 0)
    # and after the repair the counters equal the lake everywhere, over all time
    assert reconcile(lake, counters, repair=False).changes == []
    total = counters.content(lost.content_id)
    assert total is not None and total.events == sum(1 for r in rows if r.content_id == lost.content_id)


def test_total_only_drift_is_repaired_over_all_time(tmp_path: Path) -> None:
    # GIVEN a TOTAL bucket off while its hours are right
    counters, _ = setup(tmp_path)
    counters.add({CounterKey("c-a", "TOTAL"): CounterDelta({**dict.fromkeys(EVENT_TYPES, 0), "share": 3})})
    # WHEN reconciled over all time THEN TOTAL alone is repaired
    report = reconcile(DuckDBLakeQuery(tmp_path / "lake"), counters)
    assert [(c.content_id, c.bucket, c.before["share"] - c.after["share"]) for c in report.changes] == [
        ("c-a", "TOTAL", 3)
    ]
    assert reconcile(DuckDBLakeQuery(tmp_path / "lake"), counters, repair=False).changes == []


def test_the_lake_query_is_valid_athena_and_duckdb_sql() -> None:
    # WHEN the reconciliation query is parsed in Athena's (Trino's) and DuckDB's dialects THEN it parses
    for n in (0, 3):
        for dialect in ("athena", "trino", "duckdb"):
            sqlglot.parse_one(lake_counts_sql(n), read=dialect)
        assert lake_counts_sql(n).count("?") == 4 + n


def test_the_reconcile_command_reports_and_repairs(tmp_path: Path) -> None:
    # GIVEN a home with drift
    counters, _ = setup(tmp_path)
    counters.add({CounterKey("c-a", "TOTAL"): CounterDelta({**dict.fromkeys(EVENT_TYPES, 0), "view": 4})})
    counters.close()
    env = {**os.environ, "AUDIENCE_HOME": str(tmp_path), "AUDIENCE_BACKEND": "local"}
    # WHEN `audience reconcile` runs over all time THEN it prints the change as JSON and repairs it
    command = [sys.executable, "-m", "devhost.cli", "reconcile", "--start", "2000-01-01T00:00:00"]
    out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout)
    assert report["repaired"] is True and report["lake_events"] == 24
    again = subprocess.run(
        [*command, "--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(again.stdout)["buckets_changed"] == 0
