"""Influencer benchmarks: quality on real cascades, the generated network's planted truth, and speed.

* Twitter15 (Ma et al. 2017; ``../shared/data/cascades-twitter15``): each tree observed for its first
  15 minutes. Trees sorted by id; the even-numbered half picks the predictor's window, the odd half
  is reported. Spearman of ``predicted_final_size`` with the final size, against the baseline "size
  at 15 minutes"; and the doubling task (does a cascade reach twice its 15-minute size), AUC.
* auspol (Kong & Rizoiu; ``../shared/data/cascades-auspol/cascades.csv``): the CSV has no absolute
  times, so cascade ids stand for time: the first half of the ids is the past, the second the future.
  Influence scores from the past against follower counts as predictors of the reshares an author's
  future cascades receive (Spearman, authors with cascades in both halves).
* Generated network: precision@20 of the planted influencers, rings flagged, allocation vs naive.
* Speed: scoring 1,000,000 posts from a Parquet lake with the Glue script on local Spark and with
  the DuckDB path, and the allocator on 10,000 candidate accounts.

``python -m bench.influencers [--quick]`` runs this part alone. Reference data absent: those rows
say so and the rest still runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from audience.datagen.social import SocialConfig, generate_network
from audience.influencers.allocation import AllocationRequest, Candidate, allocate, candidates_from_run
from audience.influencers.cascades import SeismicParams, cascade_metrics, resolve_roots
from audience.influencers.connectors.replay import DEFAULT_BASE, twitter15_archive
from audience.influencers.frame import posts_frame
from audience.influencers.scoring import cascade_records, influencer_records, run_document, score
from audience.influencers.settings import find_project_root
from audience.influencers.signals import Flags, author_signals
from schemas.social import SocialPost

ROOT = find_project_root()
SHARED = Path(os.environ.get("AUDIENCE_SHARED_DATA", ROOT.parent / "shared" / "data"))
TWITTER15 = SHARED / "cascades-twitter15" / "twitter15.tar.gz"
AUSPOL = SHARED / "cascades-auspol" / "cascades.csv"
WINDOW_MINUTES = 15
WINDOW_CHOICES = (300.0, 600.0, 900.0)


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["post_key", "parent_key", "author_id", "created_ts", "followers", "tree"]
    )


def twitter15(limit: int | None = None) -> dict[str, Any]:
    if not TWITTER15.exists():
        return {"skipped": f"reference data absent: {TWITTER15}"}
    rows = []
    for tree_id, posts in list(twitter15_archive(TWITTER15))[:limit]:
        for p in posts:
            parent = f"twitter:{p['reshare_of']}" if "reshare_of" in p else None
            ts = datetime.fromisoformat(p["created_at"]).timestamp()
            rows.append((f"twitter:{p['post_id']}", parent, p["author"]["id"], ts, np.nan, tree_id))
    frame = _frame(rows)
    final = frame.groupby("tree").size()
    trees = sorted(final.index)
    train, test = trees[0::2], trees[1::2]
    as_of = DEFAULT_BASE.timestamp() + WINDOW_MINUTES * 60
    resolved = resolve_roots(frame, as_of)

    def measure(window: float) -> pd.DataFrame:
        c = cascade_metrics(resolved, as_of, SeismicParams(window=window))
        c["tree"] = c["root_post_id"]
        return c.set_index("tree").reindex(final.index)

    def rho(c: pd.DataFrame, ids: list[str], column: str) -> float:
        return float(spearmanr(c.loc[ids, column], final.loc[ids])[0])

    by_window = {w: measure(w) for w in WINDOW_CHOICES}
    chosen = max(WINDOW_CHOICES, key=lambda w: rho(by_window[w], train, "predicted_final_size"))
    c = by_window[chosen]
    model, baseline = rho(c, test, "predicted_final_size"), rho(c, test, "size")
    doubled = (final.loc[test] >= 2 * c.loc[test, "size"]).astype(int)
    growth = c.loc[test, "predicted_final_size"] / c.loc[test, "size"]
    elapsed = as_of - resolved["created_ts"]
    recent = (
        (elapsed <= 300)
        .groupby(resolved["root_key"].str.split(":").str[1])
        .sum()
        .reindex(final.index)
        .fillna(0)
    )
    recent_share = recent.loc[test] / c.loc[test, "size"]
    return {
        "cascades": len(trees),
        "test_cascades": len(test),
        "observed_minutes": WINDOW_MINUTES,
        "window_seconds_chosen_on_train": chosen,
        "spearman_predicted": round(model, 4),
        "spearman_size_at_15min": round(baseline, 4),
        "spearman_gain": round(model - baseline, 4),
        "doubling_share": round(float(doubled.mean()), 4),
        "doubling_auc_predicted_growth": round(float(roc_auc_score(doubled, growth)), 4),
        "doubling_auc_recent_share_baseline": round(float(roc_auc_score(doubled, recent_share)), 4),
    }


def auspol() -> dict[str, Any]:
    if not AUSPOL.exists():
        return {"skipped": f"reference data absent: {AUSPOL}"}
    rows: list[tuple[Any, ...]] = []
    root_author: dict[str, str] = {}
    root_followers: dict[str, float] = {}
    with AUSPOL.open() as handle:
        for r in csv.DictReader(handle):
            cascade, user = r["cascade_id"], r["user_id"]
            key = f"twitter:c{cascade}"
            if cascade not in root_author:
                root_author[cascade] = user
                root_followers[cascade] = float(r["followers"])
                rows.append((key, None, user, float(r["time_s"]), float(r["followers"]), cascade))
            else:
                rows.append(
                    (
                        f"twitter:c{cascade}-{len(rows)}",
                        key,
                        user,
                        float(r["time_s"]),
                        float(r["followers"]),
                        cascade,
                    )
                )
    frame = _frame(rows)
    frame["cascade_no"] = frame["tree"].astype(int)
    cut = frame["cascade_no"].median()
    past = frame.loc[frame["cascade_no"] <= cut].copy()
    future = frame.loc[frame["cascade_no"] > cut]
    # Cascades are independent (relative times): score the past as one window.
    past["hops"] = np.where(past["parent_key"].isna(), 0, 1)
    past["tree_parent"] = past["parent_key"]
    past["root_key"] = np.where(past["parent_key"].isna(), past["post_key"], past["parent_key"])
    for column in ("following", "author_country", "like_count", "reply_count", "text", "hashtags"):
        past[column] = None if column != "hashtags" else [[] for _ in range(len(past))]
    sizes = past.groupby("root_key").size()
    cascades = pd.DataFrame({"root_key": sizes.index, "size": sizes.to_numpy()})
    cascades["author_id"] = cascades["root_key"].map(past.set_index("post_key")["author_id"])
    authors = author_signals(past, cascades, Flags(), None).set_index("author_id")
    later = future.loc[future["parent_key"].notna()].groupby("parent_key").size()
    future_roots = future.loc[future["parent_key"].isna(), ["post_key", "author_id", "followers"]].copy()
    future_roots["reshares"] = future_roots["post_key"].map(later).fillna(0)
    per_author = future_roots.groupby("author_id").agg(
        later=("reshares", "mean"), followers=("followers", "mean")
    )
    both = per_author.join(authors[["influence_score"]], how="inner")
    return {
        "cascades": int(frame["tree"].nunique()),
        "split": "cascade ids: first half past, second half future",
        "authors_in_both_halves": len(both),
        "spearman_influence_score": round(float(spearmanr(both["influence_score"], both["later"])[0]), 4),
        "spearman_followers": round(float(spearmanr(both["followers"], both["later"])[0]), 4),
    }


def generated(seed: int = 7) -> dict[str, Any]:
    network = generate_network(SocialConfig(seed=seed))
    started = time.perf_counter()
    result = score(posts_frame(SocialPost.model_validate(p) for p in network.posts), network.as_of)
    influencers = influencer_records(result)
    run = run_document(result, influencers, cascade_records(result))
    seconds = time.perf_counter() - started
    top = [r["author_id"] for r in influencers[:20]]
    by_followers = sorted(network.followers, key=lambda a: -network.followers[a])[:20]
    found = [set(r) for r in result.flags.rings]
    rings_flagged = sum(any(set(ring) <= f for f in found) for ring in network.rings)
    allocation = allocate(candidates_from_run(run), AllocationRequest(budget=3000)).summary()
    return {
        "posts": len(network.posts),
        "score_seconds": round(seconds, 2),
        "planted_precision_at_20": sum(a in set(network.planted) for a in top) / 20,
        "followers_precision_at_20": sum(a in set(network.planted) for a in by_followers) / 20,
        "rings": len(network.rings),
        "rings_flagged": rings_flagged,
        "allocation_reach_vs_naive": allocation["reach_vs_naive"],
        "allocation": allocation,
    }


def synthetic_lake(lake: Path, posts: int, seed: int = 11) -> datetime:
    """``posts`` posts in cascades of heavy-tailed size as social-posts/ Parquet (one day partition)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from audience.ingest.adapters.local.spool import lake_schema
    from schemas.derive import glue_columns
    from schemas.social import SocialLakeRecord

    rng = np.random.default_rng(seed)
    now = datetime(2026, 1, 5, 12, 15, tzinfo=UTC)
    sizes = np.minimum(rng.zipf(1.8, size=posts), 2000)
    sizes = sizes[np.cumsum(sizes) <= posts]
    sizes = np.append(sizes, posts - sizes.sum()) if posts > sizes.sum() else sizes
    root_of = np.repeat(np.arange(len(sizes)), sizes)
    index_in = np.concatenate([np.arange(s) for s in sizes])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    parent_offset = (rng.random(posts) * np.maximum(index_in, 1)).astype(np.int64)
    parent = np.where(index_in == 0, -1, starts[root_of] + parent_offset)
    accounts = rng.zipf(1.5, size=posts) % 200_000
    created = now - timedelta(hours=23)
    t0 = rng.uniform(0, 20 * 3600, size=len(sizes))[root_of] + index_in * rng.exponential(30, size=posts)
    ids = np.char.add("p", np.arange(posts).astype(str))
    texts = [f"post about topic {i % 40} great news" for i in range(50)]
    ingested = pd.Timestamp(now)
    table = {
        "post_key": np.char.add("bluesky:", ids),
        "schema_version": ["1.0"] * posts,
        "post_id": ids,
        "platform": ["bluesky"] * posts,
        "created_at": pd.to_datetime(
            np.floor((created.timestamp() + t0) * 1e6).astype("int64"), unit="us", utc=True
        ),
        "author": [
            {
                "id": f"a{a}",
                "handle": None,
                "followers": int(a % 5000 + 10),
                "following": 300,
                "verified": None,
                "country": "AU",
            }
            for a in accounts
        ],
        "reshare_of": [None if p < 0 else f"p{p}" for p in parent],
        "reply_to": [None] * posts,
        "quote_of": [None] * posts,
        "text": [texts[i % 50] if p < 0 else None for i, p in enumerate(parent)],
        "lang": ["en"] * posts,
        "hashtags": [[] for _ in range(posts)],
        "mentions": [[] for _ in range(posts)],
        "like_count": [0] * posts,
        "reshare_count": [None] * posts,
        "reply_count": [None] * posts,
        "country": [None] * posts,
        "ingested_at": [ingested] * posts,
        "request_id": ["bench"] * posts,
        "ingest_source": ["bench"] * posts,
    }
    schema = lake_schema(glue_columns(SocialLakeRecord))
    folder = lake / "social-posts" / f"year={now:%Y}" / f"month={now:%m}" / f"day={now:%d}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pydict(table, schema=schema), folder / "part-bench.parquet")
    return now


def speed(posts: int) -> dict[str, Any]:
    from audience.influencers.adapters.local.glue import run_scoring_job
    from audience.influencers.adapters.local.lake import read_posts_frame
    from audience.influencers.adapters.local.vader import VaderScorer

    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp) / "lake"
        now = synthetic_lake(lake, posts)
        started = time.perf_counter()
        frame = read_posts_frame(lake, now - timedelta(hours=24))
        result = score(frame, now, VaderScorer())
        duck = time.perf_counter() - started
        started = time.perf_counter()
        report = run_scoring_job(ROOT, lake, now.isoformat(), store="none", sentiment="vader", timeout=3600)
        spark = time.perf_counter() - started
    return {
        "posts": posts,
        "cascades": len(result.cascades),
        "duckdb_seconds": round(duck, 1),
        "spark_seconds": round(spark, 1),
        "spark_vs_duckdb": round(spark / duck, 2),
        "spark_report": report,
    }


def allocation_speed(candidates: int = 10_000, seed: int = 5) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    pool = 300_000
    cands = []
    for i in range(candidates):
        size = int(min(2000, rng.zipf(1.6) * 5))
        audience = rng.choice(pool, size=size, replace=False)
        followers = float(size * rng.lognormal(3, 1.2))
        cands.append(Candidate(f"c{i}", followers, "AU", tuple((f"u{a}", "AU") for a in audience)))
    started = time.perf_counter()
    result = allocate(cands, AllocationRequest(budget=20_000, time_limit_seconds=60))
    return {"candidates": candidates, "seconds": round(time.perf_counter() - started, 2), **result.summary()}


def run(quick: bool = False) -> dict[str, Any]:
    return {
        "twitter15": twitter15(200 if quick else None),
        "auspol": auspol(),
        "generated": generated(),
        "speed": speed(100_000 if quick else 1_000_000),
        "allocation_10k": allocation_speed(2_000 if quick else 10_000),
    }


def print_tables(figures: dict[str, Any], console: Any, table_cls: Any) -> None:
    t = table_cls(title="Influencers: quality (reference data) and speed")
    for column in ("measure", "value", "baseline (same run)", "note"):
        t.add_column(column, justify="left" if column in ("measure", "note") else "right")
    tw = figures["twitter15"]
    if "skipped" in tw:
        t.add_row("Twitter15", "-", "-", tw["skipped"])
    else:
        t.add_row(
            "Twitter15 Spearman, predicted final size",
            f"{tw['spearman_predicted']:.3f}",
            f"size at 15 min {tw['spearman_size_at_15min']:.3f}",
            f"held-out {tw['test_cascades']} trees, gain {tw['spearman_gain']:+.3f}",
        )
        t.add_row(
            "Twitter15 doubling AUC",
            f"{tw['doubling_auc_predicted_growth']:.3f}",
            f"recent share {tw['doubling_auc_recent_share_baseline']:.3f}",
            f"{tw['doubling_share']:.0%} double",
        )
    au = figures["auspol"]
    if "skipped" in au:
        t.add_row("auspol", "-", "-", au["skipped"])
    else:
        t.add_row(
            "auspol Spearman with later reshares",
            f"{au['spearman_influence_score']:.3f}",
            f"followers {au['spearman_followers']:.3f}",
            f"{au['authors_in_both_halves']} authors",
        )
    g = figures["generated"]
    t.add_row(
        "generated precision@20 (planted)",
        f"{g['planted_precision_at_20']:.2f}",
        f"by followers {g['followers_precision_at_20']:.2f}",
        f"{g['posts']:,} posts",
    )
    t.add_row("generated rings flagged", f"{g['rings_flagged']}/{g['rings']}", "", "")
    t.add_row(
        "generated allocation reach vs naive",
        f"{g['allocation_reach_vs_naive']}x",
        "naive 1.0x",
        g["allocation"]["status"],
    )
    s = figures["speed"]
    t.add_row(
        f"scoring {s['posts']:,} posts, Spark s",
        f"{s['spark_seconds']}",
        f"DuckDB {s['duckdb_seconds']} s",
        f"Spark/DuckDB {s['spark_vs_duckdb']}x",
    )
    a = figures["allocation_10k"]
    t.add_row(
        f"allocation, {a['candidates']:,} candidates, s",
        f"{a['seconds']}",
        f"naive reach {a['naive']['expected_engaged_reach']:,.0f}",
        f"{a['status']}; reach vs naive {a['reach_vs_naive']}x",
    )
    console.print(t)


if __name__ == "__main__":
    from rich.console import Console
    from rich.table import Table

    from bench.machine import describe

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only", choices=["twitter15", "auspol", "generated", "speed", "allocation"], default=None
    )
    args = parser.parse_args()
    console = Console()
    console.print(f"machine: {describe()}")
    if args.only:
        runners: dict[str, Callable[[], dict[str, Any]]] = {
            "twitter15": twitter15,
            "auspol": auspol,
            "generated": generated,
            "speed": lambda: speed(100_000 if args.quick else 1_000_000),
            "allocation": lambda: allocation_speed(2_000 if args.quick else 10_000),
        }
        console.print_json(json.dumps(runners[args.only](), default=str))
    else:
        figures = run(args.quick)
        print_tables(figures, console, Table)
        out = Path(__file__).parent / "results" / "influencers.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"machine": describe(), **figures}, indent=2, default=str) + "\n")
        console.print(f"figures written to {out}")
