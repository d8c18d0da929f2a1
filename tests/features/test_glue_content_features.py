"""Content features and the dashboard's daily and hourly series."""

from __future__ import annotations

from datetime import date

from chispa import assert_approx_df_equality
from glue_testkit import WEIGHTS, Ev, at, catalog_frame, expected, lake_frame, utc, view
from pyspark.sql import DataFrame, SparkSession

from glue_jobs.features_lib import transforms

CATALOG = [("c1", "video", "Drama|Comedy")]


def _events(spark: SparkSession) -> DataFrame:
    return transforms.flatten(
        lake_frame(
            spark,
            [
                view("u1", "c1", at("2026-11-16 08:00"), seconds=100, rate=0.5),
                Ev("u1", "c1", "like", at("2026-11-16 08:01")),
                view("u2", "c1", at("2026-11-16 08:30"), seconds=200, rate=1.0, platform="ios-app"),
                Ev("u2", "c1", "complete", at("2026-11-16 08:40"), completion_rate=1.0, platform="ios-app"),
                Ev("u1", "c1", "skip", at("2026-11-17 09:15"), platform="roku"),
                Ev("u1", "c9", "share", at("2026-11-17 23:00")),
            ],
        )
    )


def test_glue_content_features_exact_values(spark: SparkSession) -> None:
    # GIVEN two users on catalogued c1 and a share of c9, which is not in the catalog
    # WHEN computing content features
    rows = {
        r.content_id: r.asDict()
        for r in transforms.content_features(
            _events(spark), catalog=catalog_frame(spark, CATALOG), weights=WEIGHTS
        ).collect()
    }

    # THEN c1 aggregates its five events, with its platform mix and catalog attributes
    c1 = rows["c1"]
    assert {k: c1[k] for k in ("content_type", "primary_genre", "unique_users", "events", "views")} == {
        "content_type": "video",
        "primary_genre": "Drama",
        "unique_users": 2,
        "events": 5,
        "views": 2,
    }
    assert (c1["likes"], c1["shares"], c1["comments"], c1["completions"], c1["skips"]) == (1, 0, 0, 1, 1)
    assert (c1["watch_time_seconds"], c1["avg_view_duration"], c1["avg_completion_rate"]) == (
        300.0,
        150.0,
        0.75,
    )
    assert (c1["completion_ratio"], c1["engagement_score"]) == (0.5, (1 * 2 + 1 * 5) / (2 + 1))
    assert c1["events_by_platform"] == {"ios-app": 2, "roku": 1, "web": 2}
    assert (utc(c1["first_event_at"]), utc(c1["last_event_at"])) == (
        at("2026-11-16 08:00"),
        at("2026-11-17 09:15"),
    )
    # AND content missing from the catalog keeps its row, without catalog attributes
    c9 = rows["c9"]
    assert (c9["content_type"], c9["primary_genre"], c9["avg_view_duration"], c9["completion_ratio"]) == (
        None,
    ) * 4
    assert (c9["shares"], c9["engagement_score"], c9["events_by_platform"]) == (1, 3.0, {"web": 1})


def _series(**metrics: object) -> dict[str, object]:
    zero = {"likes": 0, "shares": 0, "comments": 0, "completions": 0, "skips": 0, "views": 0}
    return {"content_id": "c1", "watch_time_seconds": 0.0, "avg_completion_rate": None, **zero, **metrics}


C1_FIRST = {
    "unique_users": 2, "events": 4, "views": 2, "likes": 1, "completions": 1,
    "watch_time_seconds": 300.0, "avg_completion_rate": 0.75, "engagement_score": 7 / 3,
}  # fmt: skip
C1_SECOND = {"unique_users": 1, "events": 1, "skips": 1, "engagement_score": 0.0}
C9 = {"content_id": "c9", "unique_users": 1, "events": 1, "shares": 1, "engagement_score": 3.0}


def test_glue_content_daily_groups_by_utc_date(spark: SparkSession) -> None:
    # GIVEN the events of two days
    # WHEN computing the daily series
    actual = transforms.content_daily(_events(spark), weights=WEIGHTS)

    # THEN one row per content and UTC date
    rows = [
        _series(event_date=date(2026, 11, 16), **C1_FIRST),
        _series(event_date=date(2026, 11, 17), **C1_SECOND),
        _series(event_date=date(2026, 11, 17), **C9),
    ]
    assert_approx_df_equality(
        actual, expected(spark, "content_daily", rows), 1e-12, ignore_nullable=True, ignore_row_order=True
    )


def test_glue_content_hourly_groups_by_utc_hour(spark: SparkSession) -> None:
    # GIVEN the same events
    # WHEN computing the hourly series
    actual = transforms.content_hourly(_events(spark), weights=WEIGHTS)

    # THEN one row per content and hour, the hour truncated in UTC
    rows = [
        _series(event_hour=at("2026-11-16 08:00"), **C1_FIRST),
        _series(event_hour=at("2026-11-17 09:00"), **C1_SECOND),
        _series(event_hour=at("2026-11-17 23:00"), **C9),
    ]
    assert_approx_df_equality(
        actual, expected(spark, "content_hourly", rows), 1e-12, ignore_nullable=True, ignore_row_order=True
    )
