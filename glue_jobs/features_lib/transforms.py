"""Pure transformations, DataFrame in, DataFrame out: no I/O, no clock, no session settings.

Times are UTC (the jobs set ``spark.sql.session.timeZone=UTC``). The reference time and every window
bound are arguments, never the wall clock. Each feature function returns its table's columns in
``feature_tables.json``'s order and types (:func:`~glue_jobs.features_lib.contract.conform`).

Definitions (also in ``glue_jobs/README.md``):

* counts are numbers of distinct events (``event_id``) of each type;
* only ``view`` events carry ``view_duration`` (one per play): watch time is their sum and the average
  completion rate is taken over views;
* ``engagement_score = (likes*like_weight + shares*share_weight + completions*complete_weight) / (views + 1)``;
* local time is ``event_timestamp + utc_offset_hours`` of the user (``users.csv``; UTC when unknown);
  hour buckets: night 0-5 h, morning 6-11 h, afternoon 12-17 h, evening 18-23 h; the dominant bucket
  is the one with most events, ties going to the earliest; weekend = local Saturday or Sunday.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_jobs.features_lib.contract import conform, table

EVENT_TYPES: tuple[tuple[str, str], ...] = (
    ("view", "views"),
    ("like", "likes"),
    ("share", "shares"),
    ("comment", "comments"),
    ("complete", "completions"),
    ("skip", "skips"),
)
"""Each event type and its count column."""
HOUR_BUCKETS = ("night", "morning", "afternoon", "evening")
CONTENT_TYPES = ("video", "article", "podcast")
DEVICE_TYPES = ("mobile", "desktop", "tablet", "tv", "other")
Weights = tuple[float, float, float]
"""(like, share, complete) weights of the engagement score."""

_MICROS_PER_DAY = 86_400_000_000
_MICROS_PER_HOUR = 3_600_000_000


# --- events ---------------------------------------------------------------------------------------


def flatten(raw: DataFrame) -> DataFrame:
    """The lake's columns the features use, with ``metadata`` flattened."""
    return raw.select(
        "event_id",
        "user_id",
        "content_id",
        "event_type",
        "event_timestamp",
        "platform",
        "device_type",
        "session_id",
        F.col("metadata.view_duration").alias("view_duration"),
        F.col("metadata.completion_rate").alias("completion_rate"),
        "ingested_at",
    )


def deduplicate(events: DataFrame) -> DataFrame:
    """One row per ``event_id``: Firehose delivers at least once. The earliest arrival is kept."""
    first = Window.partitionBy("event_id").orderBy("ingested_at", "event_timestamp")
    return events.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n")


def between(events: DataFrame, start: datetime, end: datetime) -> DataFrame:
    """Events with ``start <= event_timestamp < end`` (event time, whatever the arrival partition)."""
    ts = F.col("event_timestamp")
    return events.where((ts >= F.lit(start)) & (ts < F.lit(end)))


def with_local_time(events: DataFrame, users: DataFrame) -> DataFrame:
    """Adds ``local_date``, ``hour_bucket`` and ``is_weekend`` by the user's local time."""
    offsets = users.select("user_id", "utc_offset_hours")
    offset_micros = F.round(F.coalesce(F.col("utc_offset_hours"), F.lit(0.0)) * _MICROS_PER_HOUR).cast(
        "bigint"
    )
    local = F.timestamp_micros(F.unix_micros("event_timestamp") + offset_micros)
    buckets = F.array(*[F.lit(b) for b in HOUR_BUCKETS])
    return (
        events.join(offsets, "user_id", "left")
        .withColumn("_local", local)
        .withColumn("local_date", F.to_date("_local"))
        .withColumn("hour_bucket", F.element_at(buckets, (F.floor(F.hour("_local") / 6) + 1).cast("int")))
        .withColumn("is_weekend", F.dayofweek("_local").isin(1, 7))
        .drop("_local", "utc_offset_hours")
    )


# --- shared expressions ---------------------------------------------------------------------------


def _is_view() -> Column:
    return F.col("event_type") == "view"


def _type_counts() -> list[Column]:
    counts = [F.count(F.when(F.col("event_type") == kind, True)).alias(name) for kind, name in EVENT_TYPES]
    return [F.count(F.lit(1)).alias("events"), *counts]


def _watch_time(condition: Column | None = None) -> Column:
    views = _is_view() if condition is None else _is_view() & condition
    return F.coalesce(F.sum(F.when(views, F.col("view_duration"))), F.lit(0.0))


def _avg_of_views(column: str) -> Column:
    return F.avg(F.when(_is_view(), F.col(column)))


def _engagement_score(weights: Weights) -> Column:
    like, share, complete = weights
    score = F.col("likes") * like + F.col("shares") * share + F.col("completions") * complete
    return (score / (F.col("views") + 1)).cast("double").alias("engagement_score")


def _days_since(reference_time: datetime, column: str) -> Column:
    return (F.unix_micros(F.lit(reference_time)) - F.unix_micros(column)) / _MICROS_PER_DAY


def _ratio(numerator: str, denominator: str) -> Column:
    return F.when(F.col(denominator) > 0, F.col(numerator) / F.col(denominator))


def _hour_counts() -> list[Column]:
    return [F.count(F.when(F.col("hour_bucket") == b, True)).alias(f"_hour_{b}") for b in HOUR_BUCKETS]


def _dominant_hour_bucket() -> Column:
    top = F.greatest(*[F.col(f"_hour_{b}") for b in HOUR_BUCKETS])
    chosen = F.when(F.col(f"_hour_{HOUR_BUCKETS[0]}") == top, F.lit(HOUR_BUCKETS[0]))
    for bucket in HOUR_BUCKETS[1:]:
        chosen = chosen.when(F.col(f"_hour_{bucket}") == top, F.lit(bucket))
    return chosen.alias("dominant_hour_bucket")


def _weekend_share() -> Column:
    return F.avg(F.col("is_weekend").cast("double")).alias("weekend_share")


def _sorted_map(key: str, value: str) -> Column:
    return F.map_from_entries(F.array_sort(F.collect_list(F.struct(key, value))))


# --- user x content -------------------------------------------------------------------------------


def user_content_features(
    events: DataFrame,
    *,
    reference_time: datetime,
    weights: Weights,
    tallies: Mapping[str, Column] | None = None,
) -> DataFrame:
    """One row per (user, content) of the window's events (deduplicated, with local time).

    ``tallies`` (name to aggregate expression) are computed in the same grouping and carried after the
    table's columns: the job's input checks (``quality.input_tallies``) ride on this pass.
    """
    extra = dict(tallies or {})
    grouped = events.groupBy("user_id", "content_id").agg(
        *_type_counts(),
        _avg_of_views("view_duration").alias("avg_view_duration"),
        _avg_of_views("completion_rate").alias("avg_completion_rate"),
        F.min("event_timestamp").alias("first_interaction_at"),
        F.max("event_timestamp").alias("last_interaction_at"),
        _weekend_share(),
        *_hour_counts(),
        *[column.alias(name) for name, column in extra.items()],
    )
    result = grouped.select(
        "*",
        _days_since(reference_time, "last_interaction_at").alias("days_since_last_interaction"),
        _engagement_score(weights),
        _dominant_hour_bucket(),
    ).drop(*[f"_hour_{b}" for b in HOUR_BUCKETS])
    return conform(result, table("user_content_features"), extra=list(extra))


# --- user -----------------------------------------------------------------------------------------


def _diversity(counts: DataFrame, distinct_name: str, entropy_name: str) -> DataFrame:
    """Per user, from (user_id, item, n): how many items, and the Shannon entropy (bits) of n."""
    share = F.col("n") / F.sum("n").over(Window.partitionBy("user_id"))
    return (
        counts.withColumn("_p", share)
        .groupBy("user_id")
        .agg(
            F.count(F.lit(1)).alias(distinct_name),
            (F.lit(0.0) - F.sum(F.col("_p") * F.log2("_p"))).alias(entropy_name),
        )
    )


def churn_labels(
    user_ids: DataFrame, events: DataFrame, *, horizon_start: datetime, horizon_end: datetime
) -> DataFrame:
    """``churned`` per user: 1 without an event in ``[horizon_start, horizon_end)``, 0 with one, and
    null for everyone when the events do not reach ``horizon_end`` (their latest ``event_timestamp``
    is before it: the horizon is not fully observed).

    ``events`` are all the deduplicated events read (any time); ``user_ids`` one column ``user_id``.
    """
    ts = F.col("event_timestamp")
    active = (
        events.where((ts >= F.lit(horizon_start)) & (ts < F.lit(horizon_end)))
        .select("user_id")
        .distinct()
        .withColumn("_active", F.lit(True))
    )
    observed = events.agg(F.coalesce(F.max(ts) >= F.lit(horizon_end), F.lit(False)).alias("_observed"))
    label = F.when(F.col("_observed"), F.when(F.col("_active").isNull(), 1).otherwise(0)).cast("bigint")
    return (
        user_ids.join(active, "user_id", "left").crossJoin(observed).select("user_id", label.alias("churned"))
    )


def user_features(
    events: DataFrame,
    *,
    all_events: DataFrame,
    catalog: DataFrame,
    users: DataFrame,
    as_of: date,
    reference_time: datetime,
    lookback_days: int,
    trend_recent_days: int,
    churn_horizon_end: datetime,
    weights: Weights,
) -> DataFrame:
    """One row per user of the window's events (deduplicated, with local time).

    ``all_events`` (every deduplicated event read, the churn horizon included) gives the churn label
    over ``[reference_time, churn_horizon_end)``.
    """
    recent_start = reference_time - timedelta(days=trend_recent_days)
    typed = events.join(catalog.select("content_id", "content_type", "genres"), "content_id", "left")
    content_type = F.col("content_type")
    grouped = typed.groupBy("user_id").agg(
        F.min("event_timestamp").alias("first_event_at"),
        F.max("event_timestamp").alias("last_event_at"),
        *_type_counts(),
        F.countDistinct("local_date").alias("active_days"),
        F.countDistinct("session_id").alias("sessions"),
        F.countDistinct("content_id").alias("distinct_content"),
        _watch_time().alias("watch_time_seconds"),
        *[_watch_time(content_type == t).alias(f"watch_time_{t}_seconds") for t in CONTENT_TYPES],
        _avg_of_views("completion_rate").alias("avg_completion_rate"),
        F.count(F.when(F.col("event_timestamp") >= F.lit(recent_start), True)).alias("events_recent"),
        *[F.count(F.when(F.col("device_type") == d, True)).alias(f"_device_{d}") for d in DEVICE_TYPES],
        _weekend_share(),
        *_hour_counts(),
    )
    prior_days = lookback_days - trend_recent_days
    events_prior = F.col("events") - F.col("events_recent")
    trend = (F.col("events_recent") + 1) / (events_prior * trend_recent_days / prior_days + 1)
    features = grouped.select(
        "*",
        _days_since(reference_time, "last_event_at").alias("days_since_last_event"),
        _ratio("completions", "views").alias("completion_ratio"),
        _engagement_score(weights),
        events_prior.alias("events_prior"),
        trend.alias("trend_ratio"),
        *[(F.col(f"_device_{d}") / F.col("events")).alias(f"device_share_{d}") for d in DEVICE_TYPES],
        *[(F.col(f"_hour_{b}") / F.col("events")).alias(f"hour_share_{b}") for b in HOUR_BUCKETS],
        _dominant_hour_bucket(),
    ).drop(*[f"_device_{d}" for d in DEVICE_TYPES], *[f"_hour_{b}" for b in HOUR_BUCKETS])

    views = typed.where(_is_view())
    by_platform = (
        views.groupBy("user_id", "platform")
        .agg(_watch_time().alias("seconds"))
        .groupBy("user_id")
        .agg(_sorted_map("platform", "seconds").alias("watch_time_by_platform"))
    )
    genre_counts = (
        views.where(F.col("genres").isNotNull())
        .select("user_id", F.explode(F.split("genres", r"\|")).alias("genre"))
        .where(F.col("genre") != "")
        .groupBy("user_id", "genre")
        .agg(F.count(F.lit(1)).alias("n"))
    )
    type_counts = (
        views.where(content_type.isNotNull())
        .groupBy("user_id", "content_type")
        .agg(F.count(F.lit(1)).alias("n"))
    )
    profile = users.select(
        "user_id",
        "country",
        "subscription_tier",
        F.datediff(F.lit(as_of), F.col("signup_date")).cast("bigint").alias("tenure_days"),
    )
    labels = churn_labels(
        grouped.select("user_id"), all_events, horizon_start=reference_time, horizon_end=churn_horizon_end
    )
    no_platforms = F.map_from_entries(F.array().cast("array<struct<platform:string,seconds:double>>"))
    result = (
        features.join(by_platform, "user_id", "left")
        .join(_diversity(genre_counts, "distinct_genres", "genre_entropy"), "user_id", "left")
        .join(_diversity(type_counts, "distinct_content_types", "content_type_entropy"), "user_id", "left")
        .join(profile, "user_id", "left")
        .join(labels, "user_id", "left")
        .withColumn("watch_time_by_platform", F.coalesce("watch_time_by_platform", no_platforms))
        .withColumn("distinct_genres", F.coalesce("distinct_genres", F.lit(0)))
        .withColumn("distinct_content_types", F.coalesce("distinct_content_types", F.lit(0)))
    )
    return conform(result, table("user_features"))


# --- content --------------------------------------------------------------------------------------


def _content_metrics() -> list[Column]:
    return [
        F.countDistinct("user_id").alias("unique_users"),
        *_type_counts(),
        _watch_time().alias("watch_time_seconds"),
        _avg_of_views("completion_rate").alias("avg_completion_rate"),
    ]


def content_features(events: DataFrame, *, catalog: DataFrame, weights: Weights) -> DataFrame:
    """One row per content of the window's events (deduplicated)."""
    grouped = events.groupBy("content_id").agg(
        *_content_metrics(),
        _avg_of_views("view_duration").alias("avg_view_duration"),
        F.min("event_timestamp").alias("first_event_at"),
        F.max("event_timestamp").alias("last_event_at"),
    )
    platforms = (
        events.groupBy("content_id", "platform")
        .agg(F.count(F.lit(1)).alias("n"))
        .groupBy("content_id")
        .agg(_sorted_map("platform", "n").alias("events_by_platform"))
    )
    first_genre = F.split(F.col("genres"), r"\|").getItem(0)
    primary_genre = F.when(first_genre != "", first_genre)
    described = catalog.select("content_id", "content_type", primary_genre.alias("primary_genre"))
    result = (
        grouped.select(
            "*", _ratio("completions", "views").alias("completion_ratio"), _engagement_score(weights)
        )
        .join(platforms, "content_id")
        .join(described, "content_id", "left")
    )
    return conform(result, table("content_features"))


def _content_series(events: DataFrame, bucket: Column, table_name: str, weights: Weights) -> DataFrame:
    grouped = events.groupBy("content_id", bucket).agg(*_content_metrics())
    return conform(grouped.select("*", _engagement_score(weights)), table(table_name))


def content_daily(events: DataFrame, *, weights: Weights) -> DataFrame:
    """One row per (content, UTC date) of the window's events: the dashboard's daily series."""
    return _content_series(events, F.to_date("event_timestamp").alias("event_date"), "content_daily", weights)


def content_hourly(events: DataFrame, *, weights: Weights) -> DataFrame:
    """One row per (content, UTC hour) of the window's events: the dashboard's hourly series."""
    bucket = F.date_trunc("hour", "event_timestamp").alias("event_hour")
    return _content_series(events, bucket, "content_hourly", weights)
