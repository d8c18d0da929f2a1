"""The local runner over a generated lake: the three job scripts on one session, outputs in the
contract's schema, and counts that agree with the raw lake."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError
from pyspark.sql import SparkSession

from audience.datagen import GeneratorConfig, generate
from audience.features import run_features
from audience.ingest.adapters.local.spool import lake_schema
from glue_jobs.features_lib.contract import table
from schemas.engagement import EngagementEvent, LakeRecord
from schemas.features import FEATURE_TABLES

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 20)
START, END = datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture(scope="module")
def generated_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LakeRecord]]:
    """~3,000 generated events (with the reference tables' ids) from 2026-11-15 06:00 to 2026-11-21
    06:00, written as the lake by arrival day: every 7th event arrives two days late, and each client
    retry is delivered again a day later (Firehose's at-least-once)."""
    lake = tmp_path_factory.mktemp("e2e") / "lake"
    config = GeneratorConfig(seed=11, target_events=3_000, now=datetime(2026, 11, 21, 6, tzinfo=UTC))
    records: list[LakeRecord] = []
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for n, item in enumerate(generate(config)):
        try:
            event = EngagementEvent.model_validate(item.payload)
        except ValidationError:
            continue  # the deliberately bad events: the API rejects them
        delay = timedelta(days=1 if item.is_retry else 2 if n % 7 == 0 else 0, seconds=30)
        record = LakeRecord.from_event(
            event, ingested_at=event.timestamp + delay, request_id=f"r-{n}", ingest_source="api:test"
        )
        records.append(record)
        by_day[record.ingested_at.date()].append(record.model_dump())
    for day, rows in by_day.items():
        folder = lake / "engagement-events" / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=lake_schema()), folder / "part-0.parquet")
    return lake, records


def _in_window(records: list[LakeRecord], start: datetime, end: datetime) -> list[LakeRecord]:
    unique = {r.event_id: r for r in records}
    return [r for r in unique.values() if start <= r.event_timestamp < end]


def test_glue_end_to_end_runner_writes_the_contract_and_agrees_with_the_raw_lake(
    spark: SparkSession, glue_runner: Any, generated_lake: tuple[Path, list[LakeRecord]]
) -> None:
    # GIVEN a generated lake with late arrivals and duplicate deliveries
    lake, records = generated_lake
    assert len(records) > len({r.event_id for r in records})

    # WHEN the local runner runs the three jobs for 2026-11-20
    progress: list[str] = []
    reports = run_features(lake, ROOT / "data", AS_OF, runner=glue_runner, progress=progress.append)

    # THEN every table is written with exactly its contract's columns and types
    assert [r.job for r in reports] == ["user_content_features", "user_features", "content_features"]
    assert len(progress) == 3 and "user_features (as_of=2026-11-20): user_features" in progress[1]
    outputs = {}
    for feature_table in FEATURE_TABLES:
        path = lake / "features" / feature_table.name / "as_of=2026-11-20"
        df = spark.read.parquet(str(path))
        assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == list(
            table(feature_table.name).columns
        ), feature_table.name
        outputs[feature_table.name] = df

    # AND the counts agree with the distinct raw events in the window (11-21 00:00 onwards excluded)
    window = _in_window(records, START, END)
    by_type = Counter(r.event_type for r in window)
    watch = sum(r.metadata.view_duration or 0.0 for r in window if r.event_type == "view")
    for name in (
        "user_content_features",
        "user_features",
        "content_features",
        "content_daily",
        "content_hourly",
    ):
        totals = outputs[name].groupBy().sum("events", "views", "completions", "skips").first()
        assert tuple(totals) == (len(window), by_type["view"], by_type["complete"], by_type["skip"]), name
    for name in ("user_features", "content_features", "content_daily"):
        assert outputs[name].groupBy().sum("watch_time_seconds").first()[0] == pytest.approx(watch), name
    rows = {name: df.count() for name, df in outputs.items()}
    assert rows["user_content_features"] == len({(r.user_id, r.content_id) for r in window})
    assert rows["user_features"] == len({r.user_id for r in window})
    assert rows["content_features"] == len({r.content_id for r in window})
    assert rows["content_daily"] == len({(r.content_id, r.event_timestamp.date()) for r in window})
    assert {report.job: report.rows for report in reports}["content_features"]["content_hourly"] == rows[
        "content_hourly"
    ]
    # AND the lake ends before the 30-day churn horizon does: no labels
    assert outputs["user_features"].where("churned IS NOT NULL").count() == 0


def test_glue_end_to_end_churn_labels_match_the_raw_lake_once_the_horizon_is_observed(
    spark: SparkSession, glue_runner: Any, generated_lake: tuple[Path, list[LakeRecord]]
) -> None:
    # GIVEN the same lake, which reaches 2026-11-21 06:00
    lake, records = generated_lake

    # WHEN only the user job runs for 2026-11-17 with a 1-day churn horizon, [11-18, 11-19)
    options = {"churn_horizon_days": "1", "lookback_days": "7", "trend_recent_days": "3"}
    run_features(
        lake,
        ROOT / "data",
        "2026-11-17",
        jobs=["user_features"],
        options=options,
        runner=glue_runner,
        progress=print,
    )

    # THEN churned is 1 exactly for the window's users with no event in the horizon
    end = datetime(2026, 11, 18, tzinfo=UTC)
    window_users = {r.user_id for r in _in_window(records, end - timedelta(days=7), end)}
    stayed = {r.user_id for r in _in_window(records, end, end + timedelta(days=1))}
    written = spark.read.parquet(str(lake / "features" / "user_features" / "as_of=2026-11-17"))
    labels = {r.user_id: r.churned for r in written.select("user_id", "churned").collect()}
    assert labels == {u: 0 if u in stayed else 1 for u in window_users}
    assert 0 < sum(labels.values()) < len(labels)
