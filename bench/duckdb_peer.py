"""The single-machine peer: the user x content features as one DuckDB query over the same lake.

Same definitions as ``glue_jobs`` (``schemas/features.py``): the window is the ``lookback_days``
UTC days ending with ``as_of``; events are deduplicated by ``event_id``; local time comes from
``users.csv`` ``utc_offset_hours`` (UTC when unknown); hour buckets night 0-5, morning 6-11,
afternoon 12-17, evening 18-23, ties to the earliest; recency is measured from the end of ``as_of``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

QUERY = """
WITH raw AS (
    SELECT * FROM read_parquet($events, hive_partitioning = true)
    WHERE make_date(year::INT, month::INT, day::INT) BETWEEN $arrive_from AND $arrive_to
),
events AS (
    SELECT * FROM raw
    WHERE event_timestamp >= $window_start AND event_timestamp < $window_end
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
),
users AS (
    SELECT user_id, utc_offset_hours FROM read_csv($users, header = true)
),
local AS (
    SELECT e.*, e.event_timestamp + to_microseconds(round(coalesce(u.utc_offset_hours, 0) * 3600000000)::BIGINT) AS local_ts
    FROM events e LEFT JOIN users u USING (user_id)
),
bucketed AS (
    SELECT *,
        CASE WHEN hour(local_ts AT TIME ZONE 'UTC') < 6 THEN 0 WHEN hour(local_ts AT TIME ZONE 'UTC') < 12 THEN 1
             WHEN hour(local_ts AT TIME ZONE 'UTC') < 18 THEN 2 ELSE 3 END AS bucket,
        dayofweek(local_ts AT TIME ZONE 'UTC') IN (0, 6) AS weekend
    FROM local
),
bucket_counts AS (
    SELECT user_id, content_id, bucket, count(*) AS n FROM bucketed GROUP BY ALL
),
dominant AS (
    SELECT user_id, content_id,
        (['night', 'morning', 'afternoon', 'evening'])[arg_max(bucket, n * 10 - bucket) + 1] AS dominant_hour_bucket
    FROM bucket_counts GROUP BY ALL
)
SELECT
    b.user_id, b.content_id,
    count(*) AS events,
    count(*) FILTER (event_type = 'view') AS views,
    count(*) FILTER (event_type = 'like') AS likes,
    count(*) FILTER (event_type = 'share') AS shares,
    count(*) FILTER (event_type = 'comment') AS comments,
    count(*) FILTER (event_type = 'complete') AS completions,
    count(*) FILTER (event_type = 'skip') AS skips,
    avg(metadata.view_duration) FILTER (event_type = 'view') AS avg_view_duration,
    avg(metadata.completion_rate) FILTER (event_type = 'view') AS avg_completion_rate,
    min(event_timestamp) AS first_interaction_at,
    max(event_timestamp) AS last_interaction_at,
    epoch($window_end - max(event_timestamp)) / 86400.0 AS days_since_last_interaction,
    (count(*) FILTER (event_type = 'like') * $w_like + count(*) FILTER (event_type = 'share') * $w_share
        + count(*) FILTER (event_type = 'complete') * $w_complete)
        / (count(*) FILTER (event_type = 'view') + 1.0) AS engagement_score,
    avg(weekend::INT) AS weekend_share,
    any_value(d.dominant_hour_bucket) AS dominant_hour_bucket
FROM bucketed b JOIN dominant d USING (user_id, content_id)
GROUP BY b.user_id, b.content_id
"""


def user_content_features(
    lake: Path,
    users_csv: Path,
    as_of: date,
    *,
    lookback_days: int = 28,
    max_event_age_days: int = 7,
    weights: tuple[float, float, float] = (2, 3, 5),
    threads: int | None = None,
) -> duckdb.DuckDBPyRelation:
    window_end = as_of + timedelta(days=1)
    window_start = window_end - timedelta(days=lookback_days)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con.sql(
        QUERY,
        params={
            "events": f"{lake}/engagement-events/*/*/*/*.parquet",
            "users": str(users_csv),
            "arrive_from": window_start - timedelta(days=1),  # clocks up to 5 minutes fast, as the jobs
            "arrive_to": as_of + timedelta(days=max_event_age_days + 1),  # Firehose buffering past midnight
            "window_start": f"{window_start.isoformat()} 00:00:00+00",
            "window_end": f"{window_end.isoformat()} 00:00:00+00",
            "w_like": weights[0],
            "w_share": weights[1],
            "w_complete": weights[2],
        },
    )
