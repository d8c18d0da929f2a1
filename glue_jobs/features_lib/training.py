"""Model rows from the feature tables: pure DataFrame functions shared by training and scoring sets.

A row's features are read from the feature tables of one ``as_of`` day (``T``): the user's row of
``user_features``, the content's row of ``content_features`` and, for engagement, the pair's row of
``user_content_features`` plus the user's taste for the content's primary genre and type (their
share of views and mean pair score there, from the pairs of that day). Labels come from the events
*after* ``T``'s reference time: the pair's engagement score over the next ``label_days`` (engagement)
and whether the user has any event in them (churn). The same functions build the scoring rows of a
day without labels, so training and serving see the same features.

Every feature is cast to double (nulls stay null: the models handle missing values), so a column's
type never depends on whether a day happened to hold a null.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_jobs.features_lib import transforms

USER_FEATURES = (
    "tenure_days",
    "days_since_last_event",
    "events",
    "views",
    "likes",
    "shares",
    "comments",
    "completions",
    "skips",
    "active_days",
    "sessions",
    "distinct_content",
    "watch_time_seconds",
    "watch_time_video_seconds",
    "watch_time_article_seconds",
    "watch_time_podcast_seconds",
    "avg_completion_rate",
    "completion_ratio",
    "engagement_score",
    "events_recent",
    "events_prior",
    "trend_ratio",
    "distinct_genres",
    "genre_entropy",
    "distinct_content_types",
    "content_type_entropy",
    "device_share_mobile",
    "device_share_desktop",
    "device_share_tablet",
    "device_share_tv",
    "weekend_share",
    "hour_share_night",
    "hour_share_morning",
    "hour_share_afternoon",
    "hour_share_evening",
)
"""Churn features (``user_features`` columns), in order; engagement uses a subset with a ``u_`` prefix."""

ENGAGEMENT_USER = (
    "days_since_last_event",
    "events",
    "views",
    "active_days",
    "distinct_content",
    "avg_completion_rate",
    "completion_ratio",
    "engagement_score",
    "trend_ratio",
    "genre_entropy",
    "skips",
)
ENGAGEMENT_CONTENT = (
    "unique_users",
    "views",
    "skips",
    "avg_view_duration",
    "avg_completion_rate",
    "completion_ratio",
    "engagement_score",
)
ENGAGEMENT_PAIR = ("views", "avg_completion_rate", "engagement_score", "days_since_last_interaction")


def _double(column: str, alias: str | None = None) -> F.Column:
    return F.col(column).cast("double").alias(alias or column)


def churn_rows(user_features: DataFrame, as_of: str) -> DataFrame:
    """One row per user of ``user_features`` (as of ``as_of``): ids, the features, the recency baseline."""
    return user_features.select(
        "user_id",
        F.lit(as_of).alias("as_of"),
        *(_double(c) for c in USER_FEATURES),
        _double("days_since_last_event", "baseline_recency_days"),
    )


def churn_targets(rows: DataFrame, events: DataFrame, start: datetime, end: datetime) -> DataFrame:
    """``target`` = 1 for a user with no event in ``[start, end)``; rows are dropped when the events do not
    reach ``end`` (the horizon is not observed: :func:`transforms.churn_labels`)."""
    labels = transforms.churn_labels(rows.select("user_id"), events, horizon_start=start, horizon_end=end)
    return (
        rows.join(labels, "user_id")
        .where(F.col("churned").isNotNull())
        .withColumn("target", F.col("churned").cast("int"))
        .drop("churned")
    )


def _catalog_keys(catalog: DataFrame) -> DataFrame:
    return catalog.select(
        "content_id",
        F.col("content_type").alias("_type"),
        F.split(F.col("genres"), r"\|").getItem(0).alias("_genre"),
        F.col("duration_seconds").cast("double").alias("c_duration_seconds"),
    )


def _taste(pairs: DataFrame, catalog: DataFrame, key: str, prefix: str) -> DataFrame:
    """Per (user, genre or type): the user's share of views there and mean pair score there."""
    keyed = pairs.join(catalog, "content_id")
    per_key = keyed.groupBy("user_id", key).agg(
        F.sum("views").alias("_views"), F.avg("engagement_score").alias(f"{prefix}_score")
    )
    totals = keyed.groupBy("user_id").agg(F.sum("views").alias("_total"))
    return per_key.join(totals, "user_id").select(
        "user_id",
        key,
        F.when(F.col("_total") > 0, F.col("_views") / F.col("_total")).alias(f"{prefix}_view_share"),
        f"{prefix}_score",
    )


def engagement_rows(
    candidates: DataFrame,
    *,
    pairs: DataFrame,
    user_features: DataFrame,
    content_features: DataFrame,
    catalog: DataFrame,
    as_of: str,
) -> DataFrame:
    """Features as of ``as_of`` for each (user_id, content_id) of ``candidates``, and the user-mean baseline.

    ``pairs`` is ``user_content_features`` of that day; a candidate pair absent from it has
    ``p_has_history`` = 0 and null pair features. Content not in the catalog has null genre taste.
    """
    keys = _catalog_keys(catalog)
    users = user_features.select("user_id", *(_double(c, f"u_{c}") for c in ENGAGEMENT_USER))
    content = content_features.select("content_id", *(_double(c, f"c_{c}") for c in ENGAGEMENT_CONTENT))
    pair = pairs.select(
        "user_id",
        "content_id",
        F.lit(1.0).alias("p_has_history"),
        *(_double(c, f"p_{c}") for c in ENGAGEMENT_PAIR),
    )
    user_mean = pairs.groupBy("user_id").agg(F.avg("engagement_score").alias("baseline_user_mean"))
    genre = _taste(pairs, keys, "_genre", "ug")
    kind = _taste(pairs, keys, "_type", "ut")
    rows = (
        candidates.select("user_id", "content_id")
        .join(keys, "content_id", "left")
        .join(users, "user_id", "left")
        .join(content, "content_id", "left")
        .join(pair, ["user_id", "content_id"], "left")
        .join(genre, ["user_id", "_genre"], "left")
        .join(kind, ["user_id", "_type"], "left")
        .join(user_mean, "user_id", "left")
    )
    return rows.select(
        "user_id",
        "content_id",
        F.lit(as_of).alias("as_of"),
        *(f"u_{c}" for c in ENGAGEMENT_USER),
        *(f"c_{c}" for c in ENGAGEMENT_CONTENT),
        "c_duration_seconds",
        F.coalesce(F.col("p_has_history"), F.lit(0.0)).alias("p_has_history"),
        *(f"p_{c}" for c in ENGAGEMENT_PAIR),
        F.coalesce(F.col("ug_view_share"), F.lit(0.0)).alias("ug_view_share"),
        "ug_score",
        F.coalesce(F.col("ut_view_share"), F.lit(0.0)).alias("ut_view_share"),
        "ut_score",
        "baseline_user_mean",
    )


def engagement_targets(label_pairs: DataFrame) -> DataFrame:
    """(user_id, content_id, target): each pair's engagement score over the label window."""
    return label_pairs.select(
        "user_id", "content_id", F.col("engagement_score").cast("double").alias("target")
    )


def scoring_candidates(pairs: DataFrame, content_features: DataFrame, top_content: int) -> DataFrame:
    """The pairs to score for a day: every pair seen in the window, and every active user with each of
    the ``top_content`` items most users engaged with (what a home page would offer them)."""
    top = (
        content_features.orderBy(F.col("unique_users").desc(), F.col("content_id"))
        .limit(top_content)
        .select("content_id")
    )
    everyone = pairs.select("user_id").distinct().crossJoin(top)
    return pairs.select("user_id", "content_id").unionByName(everyone).distinct()
