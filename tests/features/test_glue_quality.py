"""The input checks folded into a job's own grouping (``quality.input_tallies``) find exactly what
a pass of their own finds, and a job checked that way still fails and writes nothing on bad data."""

from __future__ import annotations

from pathlib import Path

import pytest
from glue_testkit import (
    END,
    WEIGHTS,
    Ev,
    at,
    lake_frame,
    read_table,
    users_frame,
    view,
    write_lake,
    write_reference,
)
from pyspark.sql import SparkSession

from glue_jobs import user_content_features
from glue_jobs.features_lib import quality, transforms
from glue_jobs.features_lib.contract import table
from glue_jobs.features_lib.quality import DataQualityError

USERS = [("u1", "2026-10-01", "US", "free", 0.0), ("u2", "2026-10-02", "IN", "free", 5.5)]
JOB = "user_content_features"

BAD_INPUT = [
    view("u1", "c1", at("2026-11-20 10:00")),
    view("u1", "c1", at("2026-11-20 11:00"), rate=1.5),  # completion rate above 1
    view("u2", "c1", at("2026-11-20 12:00"), seconds=-3.0),  # negative duration
    view("u2", "c2", at("2026-11-20 13:00"), rate=-0.1),  # completion rate below 0
    Ev("u1", "c2", "poke", at("2026-11-20 14:00")),  # unknown type
    Ev(None, "c1", "like", at("2026-11-20 15:00")),  # type: ignore[arg-type]  # no user
    Ev("u2", None, "like", at("2026-11-20 16:00")),  # type: ignore[arg-type]  # no content
    Ev(None, None, "poke", at("2026-11-20 17:00")),  # type: ignore[arg-type]  # all at once
]


def _event_lines(error: DataQualityError) -> list[str]:
    return [f for f in error.failures if f.startswith("events:")]


def test_glue_input_tallies_name_the_columns_quality_sums(spark: SparkSession) -> None:
    # GIVEN the tally expressions  THEN their names are the declared ones, in order
    assert tuple(quality.input_tallies()) == quality.TALLIES


def test_glue_input_tallies_in_the_grouping_find_what_a_pass_of_their_own_finds(spark: SparkSession) -> None:
    # GIVEN a window's events with every kind of bad row, some in null groups
    events = transforms.flatten(lake_frame(spark, BAD_INPUT))
    local = transforms.with_local_time(events, users_frame(spark, USERS))

    # WHEN checked in a pass of their own, and through the tallies the features' grouping carries
    count, own_pass = quality.input_failures(events, {})
    features = transforms.user_content_features(
        local, reference_time=END, weights=WEIGHTS, tallies=quality.input_tallies()
    ).persist()
    try:
        with pytest.raises(DataQualityError) as folded:
            quality.check_outputs({JOB: features}, JOB, {})
        _, _, tallies = quality.table_failures(features, table(JOB), input_empty=None)
    finally:
        features.unpersist()

    # THEN both count the same events and name the same failures with the same figures
    assert count == tallies["_in_rows"] == len(BAD_INPUT)
    assert own_pass == _event_lines(folded.value)
    assert own_pass == [
        "events: user_id is null in 2 rows",
        "events: content_id is null in 2 rows",
        "events: event_type not in ['view', 'like', 'share', 'comment', 'complete', 'skip'] in 2 rows",
        "events: completion_rate outside [0, 1] in 2 rows",
        "events: view_duration < 0 in 1 rows",
    ]
    # and the output's own checks still run in the same pass (null keys, an average below 0)
    assert f"{JOB}: user_id is null in 2 of 7 rows" in folded.value.failures
    assert f"{JOB}: avg_completion_rate < 0 in 1 of 7 rows" in folded.value.failures


def test_glue_contract_columns_drop_the_tallies(spark: SparkSession) -> None:
    # GIVEN features carrying the tallies
    local = transforms.with_local_time(
        transforms.flatten(lake_frame(spark, BAD_INPUT[:1])), users_frame(spark, USERS)
    )
    features = transforms.user_content_features(
        local, reference_time=END, weights=WEIGHTS, tallies=quality.input_tallies()
    )

    # WHEN reduced to the table's columns  THEN they are exactly the contract's
    assert features.columns == [*table(JOB).names, *quality.TALLIES]
    assert quality.contract_columns(features, JOB).columns == table(JOB).names


def _argv(lake: Path, reference: Path) -> list[str]:
    return ["job.py", "--lake_path", str(lake), "--reference_path", str(reference), "--as_of", "2026-11-20"]


def test_glue_user_content_job_fails_on_a_duplicated_user_and_writes_nothing(
    spark: SparkSession, tmp_path: Path
) -> None:
    # GIVEN users.csv listing u1 twice (each of its events would be counted twice by the join)
    lake = tmp_path / "lake"
    write_lake(lake, BAD_INPUT[:1])
    reference = write_reference(tmp_path / "ref", [*USERS, USERS[0]])

    # WHEN the user x content job runs
    with pytest.raises(DataQualityError) as failure:
        user_content_features.main(_argv(lake, reference), spark=spark)

    # THEN the duplicate is named and no partition was written
    assert "users.csv: 1 user_id values appear more than once" in failure.value.failures
    assert not (lake / "features").exists()


def test_glue_user_content_job_on_an_empty_window_writes_an_empty_partition(
    spark: SparkSession, tmp_path: Path
) -> None:
    # GIVEN a lake whose only event is months before the window
    lake = tmp_path / "lake"
    write_lake(lake, [view("u1", "c1", at("2026-06-01 10:00"))])
    reference = write_reference(tmp_path / "ref", USERS)

    # WHEN the user x content job runs
    rows = user_content_features.main(_argv(lake, reference), spark=spark)

    # THEN it succeeds with an empty partition of exactly the contract's columns (no tallies)
    assert rows == {JOB: 0}
    written = read_table(spark, lake, JOB)
    assert written.count() == 0
    assert [(f.name, f.dataType.simpleString()) for f in written.schema.fields] == list(table(JOB).columns)
