"""The feature tables the Glue jobs write: one pydantic model per table, the single source of their schemas.

Field order is column order; types map to Glue types through :func:`schemas.derive.glue_columns`
(``str`` → string, ``int`` → bigint, ``float`` → double, ``datetime`` → timestamp, ``date`` → date,
``dict[str, X]`` → map<string,X>). ``python -m schemas.derive`` writes them to
``schemas/generated/feature_tables.json``, which the template's Glue tables and the jobs' schema
tests read. Every table is partitioned by ``as_of`` (string ``YYYY-MM-DD``) and stored at
``<lake>/features/<table>/as_of=YYYY-MM-DD/``.

Semantics shared by all tables (``glue_jobs/README.md`` has the full definitions):

* The window is the ``lookback_days`` whole UTC days ending with the ``as_of`` day:
  ``[as_of + 1 day - lookback_days, as_of + 1 day)``. Its end, ``as_of + 1 day`` at 00:00 UTC, is the
  *reference time* every recency is measured from (never the wall clock).
* Events are deduplicated by ``event_id``; counts are numbers of distinct events.
* Time-of-day and weekend features use the user's local time (``users.csv`` ``utc_offset_hours``; UTC
  for users not in it). Hour buckets: night 0-5 h, morning 6-11 h, afternoon 12-17 h, evening 18-23 h.
* ``engagement_score = (likes·w_like + shares·w_share + completions·w_complete) / (views + 1)`` with the
  job's weights (defaults 2, 3, 5).
* Only ``view`` events carry ``view_duration`` (one per play): watch time sums it and the average
  completion rate is taken over views, so plays are not counted twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

FEATURES_PREFIX: Final = "features"
"""Feature tables live at ``<lake>/features/<table>/as_of=YYYY-MM-DD/``."""

PARTITION_KEY: Final = ("as_of", "string")
"""The partition column of every feature table: the ``as_of`` date as ``YYYY-MM-DD``."""

HOUR_BUCKETS: Final = ("night", "morning", "afternoon", "evening")
"""Local-hour buckets of six hours each, from 0 h: night 0-5, morning 6-11, afternoon 12-17, evening 18-23."""

CONTENT_TYPES: Final = ("video", "article", "podcast")
"""The catalog's content types (``data/README.md``), one watch-time column each in ``user_features``."""

DEVICE_TYPES: Final = ("mobile", "desktop", "tablet", "tv", "other")
"""The contract's ``DeviceType`` values, one device-share column each in ``user_features``."""


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UserContentFeatures(_Table):
    """One row per (user_id, content_id) with at least one event in the window."""

    user_id: str
    content_id: str
    events: int = Field(description="Distinct events (all types).")
    views: int
    likes: int
    shares: int
    comments: int
    completions: int = Field(description="`complete` events.")
    skips: int
    avg_view_duration: float | None = Field(description="Mean view_duration (s) of views; null without.")
    avg_completion_rate: float | None = Field(description="Mean completion_rate of views; null without.")
    first_interaction_at: datetime
    last_interaction_at: datetime
    days_since_last_interaction: float = Field(
        description="(reference time - last_interaction_at) in days; reference time = end of the as_of day."
    )
    engagement_score: float = Field(description="(likes·2 + shares·3 + completions·5) / (views + 1).")
    weekend_share: float = Field(description="Share of events on a local Saturday or Sunday.")
    dominant_hour_bucket: str = Field(
        description="Local-hour bucket with most events (night/morning/afternoon/evening; ties: earliest)."
    )


class UserFeatures(_Table):
    """One row per user with at least one event in the window."""

    user_id: str
    country: str | None = Field(description="users.csv; null for a user not in it.")
    subscription_tier: str | None = Field(description="users.csv; null for a user not in it.")
    tenure_days: int | None = Field(description="as_of - signup_date in days (users.csv).")
    first_event_at: datetime
    last_event_at: datetime
    days_since_last_event: float = Field(description="Recency: (reference time - last_event_at) in days.")
    events: int = Field(description="Frequency: distinct events (all types).")
    views: int
    likes: int
    shares: int
    comments: int
    completions: int
    skips: int
    active_days: int = Field(description="Distinct local dates with an event.")
    sessions: int = Field(description="Distinct session_id.")
    distinct_content: int
    watch_time_seconds: float = Field(description="Sum of view_duration over views.")
    watch_time_by_platform: dict[str, float] = Field(description="Watch time (s) per platform.")
    watch_time_video_seconds: float = Field(description="Watch time on catalog content_type video.")
    watch_time_article_seconds: float
    watch_time_podcast_seconds: float
    avg_completion_rate: float | None = Field(description="Mean completion_rate of views; null without.")
    completion_ratio: float | None = Field(description="completions / views; null without views.")
    engagement_score: float
    events_recent: int = Field(description="Events in the last trend_recent_days days of the window.")
    events_prior: int = Field(description="Events in the window before those days.")
    trend_ratio: float = Field(
        description=(
            "(events_recent + 1) / (events_prior · recent_days / prior_days + 1): the recent daily rate "
            "against the prior one, add-one smoothed; 1 = steady, > 1 rising, < 1 falling."
        )
    )
    distinct_genres: int = Field(description="Distinct catalog genres among viewed content.")
    genre_entropy: float | None = Field(
        description="Shannon entropy (bits) of views per genre (a view counts once per genre of its content)."
    )
    distinct_content_types: int
    content_type_entropy: float | None = Field(
        description="Shannon entropy (bits) of views per content type."
    )
    device_share_mobile: float = Field(description="Share of events per device_type (the five sum to 1).")
    device_share_desktop: float
    device_share_tablet: float
    device_share_tv: float
    device_share_other: float
    weekend_share: float = Field(description="Share of events on a local Saturday or Sunday.")
    hour_share_night: float = Field(description="Share of events per local-hour bucket (the four sum to 1).")
    hour_share_morning: float
    hour_share_afternoon: float
    hour_share_evening: float
    dominant_hour_bucket: str
    churned: int | None = Field(
        description=(
            "1 if the user has no event in the churn horizon [reference time, + churn_horizon_days), 0 if "
            "they have one, null when the lake does not reach the horizon's end (see glue_jobs/README.md)."
        )
    )


class ContentFeatures(_Table):
    """One row per content_id with at least one event in the window."""

    content_id: str
    content_type: str | None = Field(description="Catalog content_type; null for content not in it.")
    primary_genre: str | None = Field(description="First catalog genre (the creator's genre).")
    unique_users: int
    events: int
    views: int
    likes: int
    shares: int
    comments: int
    completions: int
    skips: int
    watch_time_seconds: float
    avg_view_duration: float | None
    avg_completion_rate: float | None
    completion_ratio: float | None = Field(description="completions / views; null without views.")
    engagement_score: float
    events_by_platform: dict[str, int] = Field(description="Platform mix: events per platform.")
    first_event_at: datetime
    last_event_at: datetime


class ContentDaily(_Table):
    """One row per (content_id, UTC date) with an event in the window: the dashboard's daily series."""

    content_id: str
    event_date: date = Field(description="UTC date of event_timestamp.")
    unique_users: int
    events: int
    views: int
    likes: int
    shares: int
    comments: int
    completions: int
    skips: int
    watch_time_seconds: float
    avg_completion_rate: float | None
    engagement_score: float


class ContentHourly(_Table):
    """One row per (content_id, UTC hour) with an event in the window: the dashboard's hourly series."""

    content_id: str
    event_hour: datetime = Field(description="event_timestamp truncated to the UTC hour.")
    unique_users: int
    events: int
    views: int
    likes: int
    shares: int
    comments: int
    completions: int
    skips: int
    watch_time_seconds: float
    avg_completion_rate: float | None
    engagement_score: float


class FeatureTable(BaseModel):
    """How a feature table is registered: its model, key and the job that writes it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    model: type[BaseModel]
    key: tuple[str, ...]
    job: str


FEATURE_TABLES: Final[tuple[FeatureTable, ...]] = (
    FeatureTable(
        name="user_content_features",
        model=UserContentFeatures,
        key=("user_id", "content_id"),
        job="user_content_features",
    ),
    FeatureTable(name="user_features", model=UserFeatures, key=("user_id",), job="user_features"),
    FeatureTable(name="content_features", model=ContentFeatures, key=("content_id",), job="content_features"),
    FeatureTable(
        name="content_daily", model=ContentDaily, key=("content_id", "event_date"), job="content_features"
    ),
    FeatureTable(
        name="content_hourly", model=ContentHourly, key=("content_id", "event_hour"), job="content_features"
    ),
)
"""Every feature table, in the order the jobs write them."""


def feature_table(name: str) -> FeatureTable:
    for table in FEATURE_TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no feature table {name!r}")
