"""Glue job: influencer scoring over a sliding window of the ``social-posts/`` lake table, every 15 minutes.

The cascade and score logic is the ``audience.influencers`` package's (shipped with ``--extra-py-files``),
the very functions the ``score`` command runs on DuckDB:

1. read the arrival partitions that can hold the window, keep one row per ``(platform, post_id)``;
2. resolve each post's cascade root in Spark (nearest seen ancestor, then pointer jumping: each pass
   doubles the hops covered, so a depth-``d`` cascade takes ``log2 d`` joins);
3. ``groupBy(root).applyInPandas(cascade_metrics)``: every cascade measured by the shared function;
4. flags, sentiment and the author signals on the driver over the resolved window (PageRank needs the
   whole reshare graph; the window's columns are a few hundred bytes per post);
5. write ``influencers/cascades/`` and ``influencers/scores/`` partitions (``as_of=YYYY-MM-DD-HH-mm``,
   Athena projects them) and the page's run document into the serving store.

Arguments: ``--lake_path`` (``s3://bucket`` or a folder), ``--as_of`` (ISO instant or ``now``: the last
quarter hour), ``--window_hours``, ``--sentiment`` (``comprehend``, ``vader`` or ``none``), ``--store``
(``dynamodb:<table>``, ``sqlite:<path>`` or ``none``).

Locally: ``make influencers`` (``python glue_jobs/influencer_scoring.py --lake_path .audience/lake ...``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from audience.influencers.cascades import CASCADE_COLUMNS, SeismicParams, cascade_metrics
from audience.influencers.scoring import (
    ScoreResult,
    cascade_records,
    influencer_records,
    post_sentiment,
    run_document,
)
from audience.influencers.signals import author_signals, flag_accounts

log = logging.getLogger("influencer_scoring")

SOCIAL_PREFIX = "social-posts"
RESULTS_PREFIX = "influencers"
MAX_JUMPS = 40

CASCADE_SCHEMA = (
    "root_post_id string, root_key string, author_id string, root_created_ts double, size long, depth long, "
    "breadth long, structural_virality double, time_to_1 double, time_to_10 double, time_to_50 double, "
    "last_reshare_ts double, predicted_final_size double"
)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="influencer_scoring")
    parser.add_argument("--lake_path", required=True)
    parser.add_argument("--as_of", default="now")
    parser.add_argument("--window_hours", type=float, default=24.0)
    parser.add_argument("--sentiment", choices=["comprehend", "vader", "none"], default="vader")
    parser.add_argument("--store", default="none")
    parser.add_argument("--JOB_NAME", default=None)
    args, _ = parser.parse_known_args(list(argv))
    return args


def resolve_as_of(value: str, now: datetime | None = None) -> datetime:
    if value == "now":
        current = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        return current - timedelta(minutes=current.minute % 15)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise SystemExit("--as_of needs a UTC offset, e.g. 2026-01-05T12:15:00Z")
    return parsed.astimezone(UTC)


def read_window(spark: SparkSession, lake_path: str, as_of: datetime, window_hours: float) -> DataFrame:
    """Posts created in ``(as_of - window, as_of]`` plus later ones (ancestry walks through them),
    from the arrival partitions that can hold them, deduplicated, as the frame's columns."""
    base = f"{lake_path.rstrip('/')}/{SOCIAL_PREFIX}"
    start = as_of - timedelta(hours=window_hours)
    days = [(start + timedelta(days=i)).date() for i in range((as_of.date() - start.date()).days + 2)]
    jvm: Any = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    paths = []
    for day in days:
        path = f"{base}/year={day:%Y}/month={day:%m}/day={day:%d}"
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        if hadoop_path.getFileSystem(conf).exists(hadoop_path):
            paths.append(path)
    if not paths:
        return spark.createDataFrame([], FRAME_SCHEMA)
    raw = spark.read.option("basePath", base).parquet(*paths)
    newest = Window.partitionBy("post_key").orderBy("ingested_at", "created_at")
    deduped = raw.withColumn("_n", F.row_number().over(newest)).where("_n = 1").drop("_n")
    parent = F.coalesce("reshare_of", "quote_of")
    return deduped.where(F.col("created_at") > F.lit(start)).select(
        "post_key",
        "post_id",
        "platform",
        F.when(parent.isNull(), F.lit(None))
        .otherwise(F.concat_ws(":", "platform", parent))
        .alias("parent_key"),
        F.col("author.id").alias("author_id"),
        (F.unix_micros("created_at") / 1e6).alias("created_ts"),
        F.col("author.followers").cast("double").alias("followers"),
        F.col("author.following").cast("double").alias("following"),
        F.col("author.country").alias("author_country"),
        F.col("like_count").cast("double").alias("like_count"),
        F.col("reply_count").cast("double").alias("reply_count"),
        F.col("reshare_count").cast("double").alias("reshare_count"),
        "text",
        "lang",
        "hashtags",
        "country",
    )


CASCADE_RESULT_DDL = (
    "root_post_id string, author_id string, size bigint, depth bigint, structural_virality double, "
    "predicted_final_size double, breadth bigint, platform string, created_at string, last_reshare_at string"
)
"""Columns of ``influencers/cascades/``: schemas.social.InfluencerCascadeRow (a test holds them equal)."""
SCORE_RESULT_DDL = (
    "author_id string, rank bigint, influence_score double, posts double, original_posts double, "
    "followers double, following double, reshares_received double, authentic_reshares double, "
    "likes_received double, replies_received double, unique_resharers double, resharer_reach double, "
    "cascade_reach double, engagement_rate double, pagerank double, sentiment double, "
    "flag_codes array<string>, flag_reasons array<string>"
)
"""Columns of ``influencers/scores/``: schemas.social.InfluencerScoreRow."""

FRAME_SCHEMA = (
    "post_key string, post_id string, platform string, parent_key string, author_id string, created_ts double, "
    "followers double, following double, author_country string, like_count double, reply_count double, "
    "reshare_count double, text string, lang string, hashtags array<string>, country string"
)


def resolve_roots(posts: DataFrame, as_of: float) -> DataFrame:
    """Spark's version of :func:`audience.influencers.cascades.resolve_roots` (tested equal to it)."""
    seen = posts.where(F.col("created_ts") <= as_of)
    unseen = posts.where(F.col("created_ts") > as_of).select(
        F.col("post_key").alias("_u"), F.col("parent_key").alias("_up")
    )
    # Nearest seen ancestor: walk the parent link through posts created after as_of.
    walk = seen.select("post_key", F.col("parent_key").alias("cur"), F.lit(0).alias("steps"))
    for _ in range(MAX_JUMPS):
        stepped = walk.join(unseen, walk.cur == unseen._u, "left")
        walk = stepped.select(
            "post_key",
            F.when(F.col("_u").isNotNull(), F.col("_up")).otherwise(F.col("cur")).alias("cur"),
            (F.col("steps") + F.col("_u").isNotNull().cast("int")).alias("steps"),
        ).localCheckpoint()
        if walk.join(unseen, walk.cur == unseen._u, "left_semi").isEmpty():
            break
    seen_keys = seen.select(F.col("post_key").alias("_s"))
    parents = walk.join(seen_keys, walk.cur == seen_keys._s, "left").select(
        "post_key",
        F.when(F.col("_s").isNotNull() & (F.col("_s") != F.col("post_key")), F.col("_s")).alias(
            "tree_parent"
        ),
    )
    # Pointer jumping: (post, ancestor, hops) until every ancestor is a root.
    jump = parents.select(
        "post_key",
        "tree_parent",
        F.coalesce("tree_parent", "post_key").alias("anc"),
        F.when(F.col("tree_parent").isNull(), 0).otherwise(1).alias("hops"),
    ).localCheckpoint()
    for _ in range(MAX_JUMPS):
        step = jump.select(F.col("post_key").alias("_k"), F.col("anc").alias("_a"), F.col("hops").alias("_h"))
        joined = jump.join(step, jump.anc == step._k, "left")
        moved = (F.col("_a") != F.col("anc")) & F.col("_k").isNotNull()
        jump = joined.select(
            "post_key",
            "tree_parent",
            F.when(moved, F.col("_a")).otherwise(F.col("anc")).alias("anc"),
            (F.col("hops") + F.when(moved, F.col("_h")).otherwise(0)).alias("hops"),
            moved.alias("_moved"),
        ).localCheckpoint()
        if jump.where("_moved").isEmpty():
            break
        jump = jump.drop("_moved")
    jump = jump.drop("_moved") if "_moved" in jump.columns else jump
    return seen.join(
        jump.select("post_key", "tree_parent", F.col("anc").alias("root_key"), F.col("hops").cast("long")),
        "post_key",
    )


def measure_cascades(resolved: DataFrame, as_of: float, params: SeismicParams) -> DataFrame:
    """Each cascade by the shared function, one group per root."""
    columns = ["post_key", "tree_parent", "root_key", "hops", "created_ts", "author_id", "followers"]

    def per_cascade(group: pd.DataFrame) -> pd.DataFrame:
        return cascade_metrics(group, as_of, params)

    # Whole cascades per group, many cascades per group: one pandas call per bucket, not per cascade
    # (the function measures any number of cascades at once).
    buckets = max(1, resolved.sparkSession.sparkContext.defaultParallelism * 4)
    bucketed = resolved.select(*columns).withColumn("_bucket", F.abs(F.hash("root_key")) % buckets)
    return bucketed.groupBy("_bucket").applyInPandas(
        lambda g: per_cascade(g.drop(columns="_bucket")), CASCADE_SCHEMA
    )


def _sentiment_scorer(kind: str) -> Any:
    if kind == "comprehend":
        from audience.influencers.adapters.aws.comprehend import ComprehendScorer

        return ComprehendScorer()
    if kind == "vader":
        from audience.influencers.adapters.local.vader import VaderScorer

        return VaderScorer()
    return None


def score_window(
    spark: SparkSession, lake_path: str, as_of: datetime, window_hours: float, sentiment: str
) -> tuple[ScoreResult, DataFrame]:
    at = as_of.timestamp()
    posts = read_window(spark, lake_path, as_of, window_hours)
    resolved = resolve_roots(posts, at).persist()
    cascades = measure_cascades(resolved, at, SeismicParams()).persist()
    local_posts = resolved.toPandas()
    local_cascades = cascades.toPandas()[list(CASCADE_COLUMNS)]
    flags = flag_accounts(local_posts)
    sentiment_series = post_sentiment(local_posts, _sentiment_scorer(sentiment))
    authors = author_signals(local_posts, local_cascades, flags, sentiment_series)
    resolved.unpersist()
    return ScoreResult(as_of, local_posts, local_cascades, authors, flags, sentiment_series), cascades


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def write_results(spark: SparkSession, lake_path: str, result: ScoreResult) -> dict[str, int]:
    partition = f"as_of={result.as_of:%Y-%m-%d-%H-%M}"
    cascades = pd.DataFrame(cascade_records(result))
    scores = pd.DataFrame(
        [
            {
                "author_id": r["author_id"],
                "rank": r["rank"],
                "influence_score": r["influence_score"],
                **{k: (None if v is None else float(v)) for k, v in r["signals"].items()},
                "flag_codes": [f["code"] for f in r["flags"]],
                "flag_reasons": [f["reason"] for f in r["flags"]],
            }
            for r in influencer_records(result)
        ]
    )
    base = f"{lake_path.rstrip('/')}/{RESULTS_PREFIX}"
    for name, frame, ddl in (
        ("cascades", cascades, CASCADE_RESULT_DDL),
        ("scores", scores, SCORE_RESULT_DDL),
    ):
        if not len(frame):
            continue
        columns = [c.split()[0] for c in ddl.split(", ")]
        ordered = frame[columns].astype(object)
        rows = [tuple(None if _missing(v) else v for v in row) for row in ordered.itertuples(index=False)]
        out = spark.createDataFrame(rows, ddl)
        out.coalesce(1).write.mode("overwrite").parquet(f"{base}/{name}/{partition}")
    return {"cascades": len(cascades), "authors": len(scores)}


def store_run(target: str, result: ScoreResult) -> None:
    if target == "none":
        return
    influencers = influencer_records(result)
    document = run_document(result, influencers, cascade_records(result))
    kind, _, where = target.partition(":")
    if kind == "dynamodb":
        from audience.influencers.adapters.aws.dynamodb import DynamoResultStore

        DynamoResultStore(where).save_run(document)
    elif kind == "sqlite":
        from pathlib import Path

        from audience.influencers.adapters.local.store import SqliteResultStore

        SqliteResultStore(Path(where)).save_run(document)
    else:
        raise SystemExit(f"--store must be dynamodb:<table>, sqlite:<path> or none, not {target!r}")


def main(argv: Sequence[str] | None = None, spark: SparkSession | None = None) -> dict[str, Any]:
    args = parse(sys.argv[1:] if argv is None else argv)
    as_of = resolve_as_of(args.as_of)
    from glue_jobs.features_lib.io import job_session

    with job_session("influencer-scoring", args.JOB_NAME, spark) as session:
        result, _ = score_window(session.spark, args.lake_path, as_of, args.window_hours, args.sentiment)
        written = write_results(session.spark, args.lake_path, result)
        store_run(args.store, result)
    report = {
        "as_of": as_of.isoformat(),
        "posts": len(result.posts),
        **written,
        "rings": len(result.flags.rings),
    }
    log.info("influencer scoring: %s", report)
    return report


if __name__ == "__main__":
    from glue_jobs.features_lib.io import configure_logging

    configure_logging()
    print(json.dumps(main()))
