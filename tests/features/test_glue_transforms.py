"""The shared event steps and the user x content features, on tiny hand-built DataFrames."""

from __future__ import annotations

import pytest
from chispa import assert_approx_df_equality
from glue_testkit import (
    AS_OF,
    END,
    WEIGHTS,
    Ev,
    at,
    catalog_frame,
    days,
    expected,
    lake_frame,
    users_frame,
    utc,
    view,
)
from pyspark.sql import SparkSession

from glue_jobs.features_lib import transforms
from glue_jobs.features_lib.contract import table
from glue_jobs.features_lib.params import Window

USERS = [("u1", "2026-10-01", "US", "premium", 0.0), ("u2", "2026-11-01", "IN", "free", 5.5)]


def test_glue_deduplicate_keeps_one_row_per_event_id_the_earliest_arrival(spark: SparkSession) -> None:
    # GIVEN an event delivered twice (Firehose retried it across midnight) and another event once
    first = at("2026-11-19 23:59")
    raw = lake_frame(
        spark,
        [
            view("u1", "c1", at("2026-11-19 23:58"), event_id="e-dup", arrived=at("2026-11-20 00:01")),
            view("u1", "c1", at("2026-11-19 23:58"), event_id="e-dup", arrived=first),
            Ev("u1", "c1", "like", at("2026-11-19 23:59"), event_id="e-other"),
        ],
    )

    # WHEN deduplicating
    rows = transforms.deduplicate(transforms.flatten(raw)).orderBy("event_id").collect()

    # THEN each id is kept once, the duplicate from its first arrival
    assert [(r.event_id, utc(r.ingested_at)) for r in rows] == [("e-dup", first), ("e-other", first)]


def test_glue_between_keeps_event_times_from_the_window_start_to_before_its_end(spark: SparkSession) -> None:
    # GIVEN events around both bounds of the as_of window
    window = Window(AS_OF, lookback_days=28, max_event_age_days=7)
    one_us = days(1 / 86_400_000_000)
    stamps = [window.start - one_us, window.start, window.end - one_us, window.end]
    raw = lake_frame(spark, [Ev("u1", "c1", "like", ts, event_id=f"e{i}") for i, ts in enumerate(stamps)])

    # WHEN selecting the window
    kept = transforms.between(transforms.flatten(raw), window.start, window.end)

    # THEN the start is included and the end (the day after as_of, 00:00 UTC) is not
    assert sorted(r.event_id for r in kept.collect()) == ["e1", "e2"]
    assert window.end == END


def test_glue_with_local_time_uses_the_users_offset_and_utc_for_unknown_users(spark: SparkSession) -> None:
    # GIVEN the same instant, Friday 20:00 UTC, for a UTC user, a +5:30 user and a user not in users.csv
    ts = at("2026-11-20 20:00")
    raw = lake_frame(spark, [Ev(u, "c1", "like", ts, event_id=u) for u in ("u1", "u2", "u-unknown")])

    # WHEN adding local time
    local = transforms.with_local_time(transforms.flatten(raw), users_frame(spark, USERS))

    # THEN +5:30 is Saturday 01:30 (night, weekend); the others are Friday evening
    got = {r.event_id: (str(r.local_date), r.hour_bucket, r.is_weekend) for r in local.collect()}
    assert got == {
        "u1": ("2026-11-20", "evening", False),
        "u2": ("2026-11-21", "night", True),
        "u-unknown": ("2026-11-20", "evening", False),
    }


def _user_content(spark: SparkSession, events: list[Ev], weights: tuple[float, float, float] = WEIGHTS):
    local = transforms.with_local_time(
        transforms.flatten(lake_frame(spark, events)), users_frame(spark, USERS)
    )
    return transforms.user_content_features(local, reference_time=END, weights=weights)


def test_glue_user_content_features_exact_values(spark: SparkSession) -> None:
    # GIVEN u1 (UTC) on c1 over a Saturday evening and a Monday morning, u2 (+5:30) with a tie of
    # hour buckets, and a user not in users.csv with one comment just before the window's end
    events = [
        view("u1", "c1", at("2026-11-14 20:00"), seconds=200, rate=1.0),
        Ev("u1", "c1", "share", at("2026-11-14 20:01")),
        view("u1", "c1", at("2026-11-16 08:00"), seconds=100, rate=0.5),
        Ev("u1", "c1", "like", at("2026-11-16 08:05")),
        Ev("u1", "c1", "complete", at("2026-11-16 08:10"), completion_rate=1.0),
        Ev("u2", "c1", "skip", at("2026-11-20 10:00")),  # local 15:30 Friday: afternoon
        view("u2", "c1", at("2026-11-20 20:00")),  # local 01:30 Saturday: night
        Ev("u3", "c2", "comment", at("2026-11-20 23:59:59")),
    ]

    # WHEN computing the features
    actual = _user_content(spark, events)

    # THEN every column is as defined, aggregated per pair (hour and weekend are not grouped by)
    zero = {"likes": 0, "shares": 0, "comments": 0, "completions": 0, "skips": 0}
    rows = [
        {
            "user_id": "u1", "content_id": "c1", "events": 5, "views": 2, "likes": 1, "shares": 1,
            "comments": 0, "completions": 1, "skips": 0,
            "avg_view_duration": 150.0, "avg_completion_rate": 0.75,  # over views only
            "first_interaction_at": at("2026-11-14 20:00"), "last_interaction_at": at("2026-11-16 08:10"),
            "days_since_last_interaction": 4 + (15 * 60 + 50) / 1440,
            "engagement_score": (1 * 2 + 1 * 3 + 1 * 5) / (2 + 1),
            "weekend_share": 2 / 5, "dominant_hour_bucket": "morning",
        },
        {
            "user_id": "u2", "content_id": "c1", "events": 2, "views": 1, **zero, "skips": 1,
            "avg_view_duration": 60.0, "avg_completion_rate": 0.5,
            "first_interaction_at": at("2026-11-20 10:00"), "last_interaction_at": at("2026-11-20 20:00"),
            "days_since_last_interaction": 4 / 24, "engagement_score": 0.0,
            "weekend_share": 0.5, "dominant_hour_bucket": "night",  # a tie goes to the earliest bucket
        },
        {
            "user_id": "u3", "content_id": "c2", "events": 1, "views": 0, **zero, "comments": 1,
            "avg_view_duration": None, "avg_completion_rate": None,
            "first_interaction_at": at("2026-11-20 23:59:59"), "last_interaction_at": at("2026-11-20 23:59:59"),
            "days_since_last_interaction": 1 / 86_400, "engagement_score": 0.0,
            "weekend_share": 0.0, "dominant_hour_bucket": "evening",
        },
    ]  # fmt: skip
    assert_approx_df_equality(
        actual,
        expected(spark, "user_content_features", rows),
        1e-12,
        ignore_nullable=True,
        ignore_row_order=True,
    )


@pytest.mark.parametrize(
    ("weights", "score"),
    [((2.0, 3.0, 5.0), (2 * 2 + 1 * 3 + 3 * 5) / (4 + 1)), ((1.0, 0.0, 0.0), 2 / 5), ((0.0, 0.0, 0.0), 0.0)],
)
def test_glue_engagement_score_formula_with_weights(
    spark: SparkSession, weights: tuple[float, float, float], score: float
) -> None:
    # GIVEN 4 views, 2 likes, 1 share and 3 completions of one pair
    ts = at("2026-11-18 12:00")
    kinds = ["view"] * 4 + ["like"] * 2 + ["share"] + ["complete"] * 3
    events = [Ev("u1", "c1", kind, ts, view_duration=1.0 if kind == "view" else None) for kind in kinds]

    # WHEN scoring with the given (like, share, complete) weights
    row = _user_content(spark, events, weights).first()

    # THEN score = (likes*w_like + shares*w_share + completions*w_complete) / (views + 1)
    assert row is not None
    assert row.engagement_score == pytest.approx(score)


def test_glue_feature_functions_on_an_empty_window_give_empty_tables_of_the_contract(
    spark: SparkSession,
) -> None:
    # GIVEN no events at all
    events = transforms.flatten(lake_frame(spark, []))
    local = transforms.with_local_time(events, users_frame(spark, USERS))
    catalog = catalog_frame(spark, [("c1", "video", "Drama")])

    # WHEN computing every table
    outputs = {
        "user_content_features": transforms.user_content_features(local, reference_time=END, weights=WEIGHTS),
        "user_features": transforms.user_features(
            local,
            all_events=events,
            catalog=catalog,
            users=users_frame(spark, USERS),
            as_of=AS_OF,
            reference_time=END,
            lookback_days=28,
            trend_recent_days=7,
            churn_horizon_end=END + days(30),
            weights=WEIGHTS,
        ),
        "content_features": transforms.content_features(events, catalog=catalog, weights=WEIGHTS),
        "content_daily": transforms.content_daily(events, weights=WEIGHTS),
        "content_hourly": transforms.content_hourly(events, weights=WEIGHTS),
    }

    # THEN each is empty, with the contract's columns and types
    for name, df in outputs.items():
        assert df.count() == 0, name
        assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == list(table(name).columns)
