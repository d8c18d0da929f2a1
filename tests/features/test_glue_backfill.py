"""The cloud backfill's Glue script on local Spark: contract, duplicates, event-date partitions, rerun."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from builders import DELETE, iso, make_event
from glue_testkit import Ev, write_lake
from pyspark.sql import SparkSession

from glue_jobs import backfill

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
IDS = ["https://x.example/watch?v=1&t=2#a", "jane.doe+news@example.com", "Episode 12 \u2013 Finale"]


def _rows(lake: Path) -> list[tuple[str, str, str, str, str]]:
    glob = f"{lake}/engagement-events/**/*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT event_id, content_id, ingest_source, strftime(event_timestamp AT TIME ZONE 'UTC', '%Y-%m-%d'), "
            f"year || '-' || month || '-' || day FROM read_parquet('{glob}', hive_partitioning = true, "
            "hive_types_autocast = false) ORDER BY event_id"
        ).fetchall()


def test_backfill_job_writes_valid_new_rows_into_event_date_partitions(
    spark: SparkSession, tmp_path: Path
) -> None:
    # GIVEN a lake holding one event (arrived live) and a prefix of history: new events with ids as
    # users have them, that same event again, a duplicate within the input, and bad rows
    lake, source = tmp_path / "lake", tmp_path / "in"
    old = NOW - timedelta(days=30)
    write_lake(lake, [Ev("u-1", "c-1", "view", old, event_id="held-1", arrived=old + timedelta(days=1))])
    rows = [
        make_event(event_id=f"new-{i}", content_id=cid, timestamp=iso(old + timedelta(days=i)))
        for i, cid in enumerate(IDS)
    ]
    rows += [
        make_event(event_id="held-1", timestamp=iso(old)),
        rows[0],
        make_event(event_id="bad-type", event_type="purchase", timestamp=iso(old)),
        make_event(event_id="too-old", timestamp=iso(NOW - timedelta(days=900))),
        make_event(event_id="no-user", user_id=DELETE, timestamp=iso(old)),
    ]
    source.mkdir()
    (source / "part-1.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{oops\n"
    )
    argv = [
        "backfill.py", "--source_path", str(source), "--lake_path", str(lake),
        "--max_age_days", "365", "--now", NOW.isoformat(), "--run_id", "r1",
    ]  # fmt: skip
    # WHEN the job runs, and runs again
    first = backfill.main(argv, spark=spark)
    second = backfill.main([*argv[:-1], "r2"], spark=spark)
    # THEN the new events are written once, in their event dates' partitions, marked backfill
    assert first == {"accepted": 3, "duplicates": 2, "rejected": 4}
    assert second == {"accepted": 0, "duplicates": 5, "rejected": 4}
    written = [r for r in _rows(lake) if r[0] != "held-1"]
    assert [(r[1], r[2]) for r in written] == [(cid, "backfill") for cid in IDS]
    assert all(r[3] == r[4] for r in written)
    # and every rejected row is quarantined with its reason
    reasons = [
        json.loads(line)
        for f in (lake / "quarantine" / "backfill" / "run=r1").glob("part-*")
        for line in f.read_text().splitlines()
    ]
    codes = sorted(r["reasons"][0]["code"] for r in reasons)
    assert codes == ["enum", "malformed_json", "missing", "timestamp_too_old"]
