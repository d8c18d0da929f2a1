"""User features: RFM, watch time by platform and type, trend, diversity, device mix, profile, churn."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from glue_testkit import AS_OF, END, WEIGHTS, Ev, at, catalog_frame, days, lake_frame, users_frame, utc, view
from pyspark.sql import DataFrame, Row, SparkSession

from glue_jobs.features_lib import transforms

USERS = [("u1", "2026-10-01", "US", "premium", 0.0)]
CATALOG = [("c1", "video", "Drama|Comedy"), ("c2", "article", "News"), ("c3", "podcast", "Tech")]
HORIZON_END = END + days(30)


def _user_features(
    spark: SparkSession, events: list[Ev], later: list[Ev] = (), *, lookback: int = 28, recent: int = 7
) -> dict[str, Row]:
    flat = transforms.flatten(lake_frame(spark, [*events, *later]))
    users = users_frame(spark, USERS)
    window = transforms.between(flat, END - days(lookback), END)
    result = transforms.user_features(
        transforms.with_local_time(window, users),
        all_events=flat,
        catalog=catalog_frame(spark, CATALOG),
        users=users,
        as_of=AS_OF,
        reference_time=END,
        lookback_days=lookback,
        trend_recent_days=recent,
        churn_horizon_end=HORIZON_END,
        weights=WEIGHTS,
    )
    return {row.user_id: row for row in result.collect()}


U1_EVENTS = [
    # prior period (before 2026-11-14): Sunday evening and a Monday morning, content c9 not in the catalog
    view("u1", "c1", at("2026-11-01 21:00"), seconds=300, rate=0.9, session_id="s-3"),
    view("u1", "c9", at("2026-11-02 10:00"), seconds=10, rate=0.1, session_id="s-3"),
    # the last 7 days
    view("u1", "c1", at("2026-11-16 08:00"), seconds=100, rate=0.5, session_id="s-1"),
    view("u1", "c2", at("2026-11-16 09:00"), seconds=50, rate=1.0, session_id="s-2", platform="ios-app", device_type="mobile"),
    Ev("u1", "c2", "complete", at("2026-11-16 09:05"), completion_rate=1.0, session_id="s-2", platform="ios-app", device_type="mobile"),
]  # fmt: skip


def test_glue_user_features_exact_values(spark: SparkSession) -> None:
    # GIVEN u1's five events over the 28-day window, and u2 (not in users.csv) with one skip on a TV
    events = [*U1_EVENTS, Ev("u2", "c1", "skip", at("2026-11-20 12:00"), device_type="tv")]

    # WHEN computing user features
    rows = _user_features(spark, events)

    # THEN u1's columns follow the definitions
    u1 = rows["u1"].asDict()
    assert (u1["country"], u1["subscription_tier"], u1["tenure_days"]) == ("US", "premium", 50)
    assert (utc(u1["first_event_at"]), utc(u1["last_event_at"])) == (
        at("2026-11-01 21:00"),
        at("2026-11-16 09:05"),
    )
    assert u1["days_since_last_event"] == pytest.approx(4 + (14 * 60 + 55) / 1440)
    assert (u1["events"], u1["views"], u1["completions"], u1["skips"]) == (5, 4, 1, 0)
    assert (u1["active_days"], u1["sessions"], u1["distinct_content"]) == (3, 3, 3)
    assert u1["watch_time_seconds"] == pytest.approx(460.0)
    assert u1["watch_time_by_platform"] == {"ios-app": 50.0, "web": 410.0}
    # c9 is not in the catalog: its 10 s count in the total only
    assert (
        u1["watch_time_video_seconds"],
        u1["watch_time_article_seconds"],
        u1["watch_time_podcast_seconds"],
    ) == (
        400.0,
        50.0,
        0.0,
    )
    assert u1["avg_completion_rate"] == pytest.approx((0.9 + 0.1 + 0.5 + 1.0) / 4)
    assert u1["completion_ratio"] == pytest.approx(1 / 4)
    assert u1["engagement_score"] == pytest.approx(5 / 5)
    # views per genre: Drama 2, Comedy 2, News 1; per type: video 2, article 1
    assert u1["distinct_genres"] == 3
    assert u1["genre_entropy"] == pytest.approx(-(2 * 0.4 * math.log2(0.4) + 0.2 * math.log2(0.2)))
    assert u1["distinct_content_types"] == 2
    assert u1["content_type_entropy"] == pytest.approx(-(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3)))
    assert (u1["device_share_desktop"], u1["device_share_mobile"], u1["device_share_tv"]) == (0.6, 0.4, 0.0)
    assert u1["weekend_share"] == pytest.approx(1 / 5)
    assert (u1["hour_share_morning"], u1["hour_share_evening"], u1["hour_share_night"]) == (0.8, 0.2, 0.0)
    assert u1["dominant_hour_bucket"] == "morning"

    # AND a user with no views and no profile gets zeros, empty maps and nulls, not errors
    u2 = rows["u2"].asDict()
    assert (u2["country"], u2["tenure_days"], u2["avg_completion_rate"], u2["completion_ratio"]) == (
        None,
    ) * 4
    assert (u2["watch_time_seconds"], u2["watch_time_by_platform"], u2["distinct_genres"]) == (0.0, {}, 0)
    assert (u2["genre_entropy"], u2["content_type_entropy"], u2["device_share_tv"]) == (None, None, 1.0)


def test_glue_user_features_trend_ratio_is_the_smoothed_recent_against_prior_daily_rate(
    spark: SparkSession,
) -> None:
    # GIVEN u1 with 3 events in the last 7 days and 2 in the 21 before
    # WHEN computing user features
    u1 = _user_features(spark, U1_EVENTS)["u1"]

    # THEN trend = (recent + 1) / (prior * 7/21 + 1)
    assert (u1.events_recent, u1.events_prior) == (3, 2)
    assert u1.trend_ratio == pytest.approx((3 + 1) / (2 * 7 / 21 + 1))


def test_glue_user_features_for_a_single_user_with_a_single_event(spark: SparkSession) -> None:
    # GIVEN one user's one view, on the window's last day
    # WHEN computing user features
    rows = _user_features(spark, [view("u1", "c3", at("2026-11-20 18:00"), seconds=30, rate=0.2)])

    # THEN one row: steady-state trend 2 (one recent event, no prior), one genre with entropy 0
    u1 = rows["u1"]
    assert list(rows) == ["u1"]
    assert (u1.events, u1.events_recent, u1.events_prior, u1.trend_ratio) == (1, 1, 0, 2.0)
    assert (u1.distinct_genres, u1.genre_entropy, u1.watch_time_podcast_seconds) == (1, 0.0, 30.0)
    assert u1.days_since_last_event == pytest.approx(6 / 24)


def _labels(spark: SparkSession, later: list[tuple[str, datetime]]) -> dict[str, int | None]:
    users = spark.createDataFrame([("u1",), ("u2",)], "user_id string")
    events: DataFrame = transforms.flatten(
        lake_frame(spark, [Ev(u, "c1", "like", ts) for u, ts in [("u1", at("2026-11-20 10:00")), *later]])
    )
    labels = transforms.churn_labels(users, events, horizon_start=END, horizon_end=HORIZON_END)
    return {r.user_id: r.churned for r in labels.collect()}


def test_glue_churn_label_is_0_or_1_once_the_lake_reaches_the_horizon_end(spark: SparkSession) -> None:
    # GIVEN u1 active during the 30 days after as_of, u2 not, and an event at the horizon's end
    later = [("u1", at("2026-11-25 09:00")), ("u3", HORIZON_END)]

    # WHEN labelling
    # THEN u1 stayed (0) and u2 churned (1)
    assert _labels(spark, later) == {"u1": 0, "u2": 1}


def test_glue_churn_label_is_null_while_the_horizon_is_not_fully_observed(spark: SparkSession) -> None:
    # GIVEN events up to just before the horizon's end only
    later = [("u1", at("2026-11-25 09:00")), ("u3", HORIZON_END - days(1 / 86_400))]

    # WHEN labelling
    # THEN nobody is labelled, not even u1 who was seen: the horizon is not complete
    assert _labels(spark, later) == {"u1": None, "u2": None}


def test_glue_user_features_carry_the_churn_label_and_ignore_horizon_events_in_counts(
    spark: SparkSession,
) -> None:
    # GIVEN u1 in the window and again after it, and the lake reaching past the horizon
    later = [Ev("u1", "c1", "like", at("2026-11-22 10:00")), Ev("u9", "c1", "like", HORIZON_END + days(1))]

    # WHEN computing user features
    rows = _user_features(spark, U1_EVENTS, later)

    # THEN u1 is not churned, the later events are not counted, and u9 (only after as_of) has no row
    assert (rows["u1"].churned, rows["u1"].events) == (0, 5)
    assert set(rows) == {"u1"}
