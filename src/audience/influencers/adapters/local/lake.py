"""Reads the local lake's ``social-posts/`` table with DuckDB (Athena's local role) as the posts frame."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd  # type: ignore[import-untyped]

LAKE_FRAME_SQL = """
SELECT
    post_key, post_id, platform,
    CASE WHEN coalesce(reshare_of, quote_of) IS NULL THEN NULL
         ELSE platform || ':' || coalesce(reshare_of, quote_of) END AS parent_key,
    author.id AS author_id,
    epoch_us(created_at) / 1e6 AS created_ts,
    CAST(author.followers AS DOUBLE) AS followers,
    CAST(author.following AS DOUBLE) AS following,
    author.country AS author_country,
    CAST(like_count AS DOUBLE) AS like_count,
    CAST(reply_count AS DOUBLE) AS reply_count,
    CAST(reshare_count AS DOUBLE) AS reshare_count,
    text, lang, hashtags, country
FROM read_parquet(?, hive_partitioning = true)
WHERE created_at > ?
QUALIFY row_number() OVER (PARTITION BY post_key ORDER BY ingested_at, created_at) = 1
"""
"""One row per ``(platform, post_id)``, the first received winning (as the Glue job does)."""


def read_posts_frame(lake_dir: Path, since: datetime) -> pd.DataFrame:
    """Posts created after ``since`` (later ones too: ancestry walks through them)."""
    pattern = str(Path(lake_dir) / "social-posts" / "**" / "*.parquet")
    if not list((Path(lake_dir) / "social-posts").rglob("*.parquet")):
        raise FileNotFoundError(f"no social posts under {Path(lake_dir) / 'social-posts'}")
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        frame: pd.DataFrame = conn.execute(LAKE_FRAME_SQL, [pattern, since]).df()
    frame["hashtags"] = frame["hashtags"].map(lambda v: list(v) if v is not None else [])
    return frame
