"""The job scripts end to end on a lake written to disk: arrival partitions, the as_of boundary,
late events, duplicates, checks that stop a write, idempotent reruns and the empty window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from glue_testkit import Ev, at, read_table, view, write_lake, write_reference
from pyspark.sql import SparkSession

from glue_jobs import content_features, user_content_features, user_features
from glue_jobs.features_lib.contract import table
from glue_jobs.features_lib.quality import DataQualityError

USERS = [("u1", "2026-10-01", "US", "free", 0.0)]
CATALOG = [("c1", "video", "Drama", 'The "Quoted", Title')]

Runner = Callable[..., dict[str, int]]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def run(spark: SparkSession, tmp_path: Path, lake: Path) -> Runner:
    """Run a job's main with the Glue argument contract, on the shared session."""
    reference = write_reference(tmp_path / "reference", USERS, CATALOG)

    def run_job(module: object, as_of: str = "2026-11-20", *extra: str) -> dict[str, int]:
        argv = [
            "job.py",
            "--lake_path",
            str(lake),
            "--reference_path",
            str(reference),
            "--as_of",
            as_of,
            *extra,
        ]
        return module.main(argv, spark=spark)  # type: ignore[attr-defined,no-any-return]

    return run_job


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.parquet")}


ARRIVALS = [
    # late: event time in the window, arrived two days after as_of
    view("u1", "c1", at("2026-11-19 23:50"), event_id="late", arrived=at("2026-11-22 01:00")),
    Ev("u1", "c1", "like", at("2026-11-20 12:00"), event_id="on-time"),
    # Firehose delivered it again after midnight: counted once
    Ev("u1", "c1", "like", at("2026-11-20 12:00"), event_id="on-time", arrived=at("2026-11-21 00:05")),
    # stamped 2 minutes after the window starts by a clock 4 minutes fast: arrived the day before
    Ev("u1", "c1", "like", at("2026-10-24 00:02"), event_id="early-clock", arrived=at("2026-10-23 23:58")),
    # at the window's end (the day after as_of, 00:00): not in the window
    view("u1", "c1", at("2026-11-21 00:00"), event_id="at-end"),
    view("u1", "c1", at("2026-10-23 23:59"), event_id="before-start"),
    # arrived a day after midnight following as_of + max_event_age_days: that partition is not read
    Ev("u1", "c1", "complete", at("2026-11-19 10:00"), event_id="too-late", arrived=at("2026-11-29 00:00")),
]


@pytest.mark.parametrize(
    ("as_of", "views", "likes", "days_since"),
    [
        # window [2026-10-24, 2026-11-21): late, on-time and early-clock; last event on-time at 12:00
        ("2026-11-20", 1, 2, 12 / 24),
        # window [2026-10-23, 2026-11-20): late (23:50, the last), early-clock and before-start
        ("2026-11-19", 2, 1, 10 / 1440),
    ],
)
def test_glue_job_counts_events_by_event_time_across_arrival_partitions(
    run: Runner, lake: Path, spark: SparkSession, as_of: str, views: int, likes: int, days_since: float
) -> None:
    # GIVEN one user's events spread over arrival partitions, with a duplicate delivery
    write_lake(lake, ARRIVALS)

    # WHEN the user x content job runs for as_of
    rows = run(user_content_features, as_of)

    # THEN events are counted once, by event time, and recency is from the end of the as_of day
    assert rows == {"user_content_features": 1}
    row = read_table(
        spark, lake, "user_content_features", __import__("datetime").date.fromisoformat(as_of)
    ).first()
    assert row is not None
    assert (row.views, row.likes, row.completions, row.events) == (views, likes, 0, views + likes)
    assert row.days_since_last_interaction == pytest.approx(days_since)


def test_glue_job_rerun_for_the_same_as_of_replaces_only_its_partition(
    run: Runner, lake: Path, spark: SparkSession
) -> None:
    # GIVEN a lake and a first run for 2026-11-20, then one for 2026-11-19
    write_lake(lake, ARRIVALS)
    first = run(user_content_features, "2026-11-20")
    other = lake / "features" / "user_content_features" / "as_of=2026-11-19"
    run(user_content_features, "2026-11-19")
    other_files = _files(other)
    partition = lake / "features" / "user_content_features" / "as_of=2026-11-20"
    before = sorted(map(tuple, read_table(spark, lake, "user_content_features").collect()))
    first_files = _files(partition)

    # WHEN 2026-11-20 runs again
    second = run(user_content_features, "2026-11-20")

    # THEN its partition holds the same rows in new files only, and the other day is untouched
    assert second == first
    assert sorted(map(tuple, read_table(spark, lake, "user_content_features").collect())) == before
    assert _files(partition).isdisjoint(first_files)
    assert sorted(p.name for p in partition.parent.iterdir()) == ["as_of=2026-11-19", "as_of=2026-11-20"]
    assert _files(other) == other_files


def test_glue_job_failing_a_check_raises_and_leaves_the_partition_as_it_was(
    run: Runner, lake: Path, spark: SparkSession
) -> None:
    # GIVEN a good run, then a corrupt record in the lake (a completion rate above 1)
    write_lake(lake, ARRIVALS)
    run(user_content_features)
    partition = lake / "features" / "user_content_features" / "as_of=2026-11-20"
    files = _files(partition)
    write_lake(lake, [view("u1", "c1", at("2026-11-20 13:00"), rate=1.5)])

    # WHEN the job runs again
    with pytest.raises(DataQualityError) as failure:
        run(user_content_features)

    # THEN it names the failed check and the earlier output is untouched
    assert "events: completion_rate outside [0, 1] in 1 rows" in str(failure.value)
    assert _files(partition) == files


def test_glue_job_with_several_tables_writes_none_when_a_check_fails(run: Runner, lake: Path) -> None:
    # GIVEN a lake whose only view has a completion rate above 1
    write_lake(lake, [view("u1", "c1", at("2026-11-20 10:00"), rate=1.5)])

    # WHEN the content job runs
    with pytest.raises(DataQualityError) as failure:
        run(content_features)

    # THEN every failure, of the input and of each table, is listed, and no table was written
    message = str(failure.value)
    assert "events: completion_rate outside [0, 1] in 1 rows" in message
    assert "content_features: avg_completion_rate > 1 in 1 of 1 rows" in message
    assert "content_hourly: avg_completion_rate > 1 in 1 of 1 rows" in message
    assert not (lake / "features").exists()


def test_glue_job_fails_on_a_duplicated_reference_key(
    spark: SparkSession, tmp_path: Path, lake: Path
) -> None:
    # GIVEN users.csv listing u1 twice (its events would be counted twice by the join)
    write_lake(lake, ARRIVALS)
    reference = write_reference(tmp_path / "dup", [*USERS, *USERS], CATALOG)
    argv = ["job.py", "--lake_path", str(lake), "--reference_path", str(reference), "--as_of", "2026-11-20"]

    # WHEN the user features job runs
    with pytest.raises(DataQualityError) as failure:
        user_features.main(argv, spark=spark)

    # THEN it stops before writing
    assert "users.csv: 1 user_id values appear more than once" in str(failure.value)
    assert not (lake / "features").exists()


def test_glue_job_on_an_empty_window_writes_empty_partitions(
    run: Runner, lake: Path, spark: SparkSession
) -> None:
    # GIVEN a lake whose only event is months before the window
    write_lake(lake, [view("u1", "c1", at("2026-06-01 10:00"))])

    # WHEN the content job runs
    rows = run(content_features)

    # THEN it succeeds with empty partitions of the contract's schema, so readers see "no activity"
    assert rows == {"content_features": 0, "content_daily": 0, "content_hourly": 0}
    for name in rows:
        written = read_table(spark, lake, name)
        assert written.count() == 0
        assert [(f.name, f.dataType.simpleString()) for f in written.schema.fields] == list(
            table(name).columns
        )
