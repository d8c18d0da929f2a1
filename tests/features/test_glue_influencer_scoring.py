"""The influencer scoring Glue script on local Spark: the same cascades and scores as the python path,
the result tables written by partition, the run stored for the page."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pyspark.sql import SparkSession

from audience.influencers.adapters.local.store import SqliteResultStore
from audience.influencers.frame import posts_frame
from audience.influencers.scoring import score
from audience.ingest.adapters.local.spool import LocalSpool, social_lake_writer
from glue_jobs import influencer_scoring
from schemas.social import SocialLakeRecord, SocialPost

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "influencers"))
from social_builders import T0, post

AS_OF = T0 + timedelta(minutes=30)


def _posts() -> list[SocialPost]:
    raw = [
        post("r1", "hub", 0, followers=900, text="Great launch, love it", hashtags=["launch"]),
        *(post(f"s{i}", f"fan{i}", 1 + i, reshare_of="r1", followers=20 + i) for i in range(6)),
        post("c1", "mid", 8, reshare_of="s0", followers=5),
        post("c2", "deep", 9, reshare_of="c1"),
        post("late", "lateuser", 45, reshare_of="r1"),  # after as_of: not counted
        post("via-late", "x1", 20, reshare_of="late2"),  # parent created after as_of -> under r2
        post("late2", "x2", 50, reshare_of="r2"),
        post("r2", "solo", 2, followers=100000, text="terrible service"),
        post("orphan", "o1", 3, reshare_of="never-seen"),
    ]
    return [SocialPost.model_validate(p) for p in raw]


def _write_lake(lake: Path, posts: list[SocialPost], tmp: Path) -> None:
    spool = LocalSpool(tmp / "spool.db", dedup_ttl_seconds=86_400)
    records = [
        SocialLakeRecord.from_post(
            p, ingested_at=AS_OF - timedelta(minutes=1), request_id="t", ingest_source="test"
        )
        for p in posts
    ]
    assert spool.put_batch(records) == []
    social_lake_writer(spool, lake).flush(force=True)


def test_glue_influencer_scoring_matches_the_python_path(spark: SparkSession, tmp_path: Path) -> None:
    # GIVEN a lake with one window of posts
    lake = tmp_path / "lake"
    posts = _posts()
    _write_lake(lake, posts, tmp_path)
    db = tmp_path / "serving.db"
    # WHEN the Glue script runs on local Spark
    report = influencer_scoring.main(
        [
            "--lake_path",
            str(lake),
            "--as_of",
            AS_OF.isoformat(),
            "--window_hours",
            "24",
            "--sentiment",
            "vader",
            "--store",
            f"sqlite:{db}",
        ],
        spark=spark,
    )
    # THEN its cascades equal the python path's on the same posts
    expected = score(posts_frame(posts), AS_OF).cascades.set_index("root_post_id").sort_index()
    partition = f"as_of={AS_OF:%Y-%m-%d-%H-%M}"
    got = duckdb.sql(f"SELECT * FROM read_parquet('{lake}/influencers/cascades/{partition}/*.parquet')").df()
    got = got.set_index("root_post_id").sort_index()
    assert list(got.index) == list(expected.index) == ["orphan", "r1", "r2"]
    for column in ("size", "depth", "breadth", "structural_virality", "predicted_final_size"):
        pd.testing.assert_series_equal(
            got[column].astype("float64"), expected[column].astype("float64"), check_names=False
        )
    assert got.loc["r2", "size"] == 2  # via-late hangs under r2 through the unseen late2
    # and the scores table ranks the same authors the same way
    scores = duckdb.sql(
        f"SELECT author_id, rank FROM read_parquet('{lake}/influencers/scores/{partition}/*.parquet') ORDER BY rank"
    ).fetchall()
    python_ranks = score(posts_frame(posts), AS_OF).influencers[["author_id", "rank"]].itertuples(index=False)
    assert scores[:5] == [tuple(r) for r in python_ranks][:5]
    assert scores[0][0] == "hub" and report["cascades"] == 3
    # and the run is in the serving store for the page
    run = SqliteResultStore(db).latest_run()
    assert run is not None and run["leaderboard"][0]["author_id"] == "hub"


def test_glue_influencer_scoring_on_an_empty_window(spark: SparkSession, tmp_path: Path) -> None:
    report = influencer_scoring.main(
        ["--lake_path", str(tmp_path / "lake"), "--as_of", "2026-01-05T12:15:00Z"], spark=spark
    )
    assert report["posts"] == 0 and report["cascades"] == 0


def test_as_of_now_is_the_last_quarter_hour() -> None:
    now = datetime(2026, 1, 5, 12, 29, 59, tzinfo=UTC)
    assert influencer_scoring.resolve_as_of("now", now) == datetime(2026, 1, 5, 12, 15, tzinfo=UTC)
    with pytest.raises(SystemExit):
        influencer_scoring.resolve_as_of("2026-01-05T12:15:00")
