"""One scoring run: cascades, flags, sentiment and author signals, and the records written from them.

``score`` is the python/DuckDB path (the ``score`` command, the demo, the page's local data); the Glue
job computes the same frames with Spark around the same functions (``glue_jobs/influencer_scoring.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from audience.influencers.cascades import SeismicParams, cascade_metrics, resolve_roots
from audience.influencers.ports import SentimentScorer
from audience.influencers.signals import FlagRules, Flags, author_context, author_signals, flag_accounts

SIGNAL_FIELDS = (
    "posts",
    "original_posts",
    "followers",
    "following",
    "reshares_received",
    "authentic_reshares",
    "likes_received",
    "replies_received",
    "unique_resharers",
    "resharer_reach",
    "cascade_reach",
    "engagement_rate",
    "pagerank",
    "sentiment",
)


@dataclass
class ScoreResult:
    as_of: datetime
    posts: pd.DataFrame
    cascades: pd.DataFrame
    influencers: pd.DataFrame
    flags: Flags
    sentiment: pd.Series


def post_sentiment(posts: pd.DataFrame, scorer: SentimentScorer | None) -> pd.Series:
    """Compound sentiment per ``post_key``. Each distinct text is scored once: reshares copy text."""
    if scorer is None or "text" not in posts:
        return pd.Series(dtype="float64")
    texts = posts.loc[
        posts["text"].notna() & (posts["text"].astype(str).str.strip() != ""), ["post_key", "text"]
    ]
    if texts.empty:
        return pd.Series(dtype="float64")
    distinct = texts["text"].drop_duplicates().tolist()
    scores = dict(zip(distinct, scorer.score(distinct), strict=True))
    return pd.Series(texts["text"].map(scores).to_numpy(dtype="float64"), index=texts["post_key"].to_numpy())


def score(
    frame: pd.DataFrame,
    as_of: datetime,
    scorer: SentimentScorer | None = None,
    *,
    params: SeismicParams | None = None,
    rules: FlagRules | None = None,
) -> ScoreResult:
    at = as_of.timestamp()
    resolved = resolve_roots(frame, at)
    cascades = cascade_metrics(resolved, at, params)
    flags = flag_accounts(resolved, rules)
    sentiment = post_sentiment(resolved, scorer)
    influencers = author_signals(resolved, cascades, flags, sentiment)
    return ScoreResult(as_of, resolved, cascades, influencers, flags, sentiment)


def _clean(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _iso(ts: float | None) -> str | None:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def cascade_records(result: ScoreResult) -> list[dict[str, Any]]:
    """``cascades.jsonl``: one line per original post seen by ``as_of`` (the command's contract)."""
    records = []
    for row in result.cascades.sort_values(["size", "root_key"], ascending=[False, True]).itertuples(
        index=False
    ):
        records.append(
            {
                "root_post_id": row.root_post_id,
                "author_id": row.author_id,
                "size": int(row.size),
                "depth": int(row.depth),
                "structural_virality": _clean(row.structural_virality),
                "predicted_final_size": _clean(row.predicted_final_size),
                "breadth": int(row.breadth),
                "platform": row.root_key.split(":", 1)[0],
                "created_at": _iso(row.root_created_ts),
                "time_to_first_reshares_s": {
                    n: _clean(getattr(row, f"time_to_{n}")) for n in ("1", "10", "50")
                },
                "last_reshare_at": _iso(row.last_reshare_ts),
            }
        )
    return records


def influencer_records(result: ScoreResult) -> list[dict[str, Any]]:
    """``influencers.jsonl``: one line per author, by rank, with signals, shares and flags."""
    context = author_context(result.posts, result.influencers["author_id"])
    records = []
    for row in result.influencers.to_dict(orient="records"):
        author = str(row["author_id"])
        records.append(
            {
                "author_id": author,
                "influence_score": _clean(row["influence_score"]),
                "rank": int(row["rank"]),
                "signals": {name: _clean(row[name]) for name in SIGNAL_FIELDS},
                "score_shares": {k: _clean(v) for k, v in row["shares"].items()},
                "flags": row["flags"],
                "country": row["country"] if isinstance(row["country"], str) else None,
                **context.get(author, {}),
            }
        )
    return records


def run_document(
    result: ScoreResult,
    influencers: list[dict[str, Any]],
    cascades: list[dict[str, Any]],
    *,
    top: int = 50,
    graph_edges: int = 400,
    cascade_trees: int = 8,
) -> dict[str, Any]:
    """What the page shows for one run, bounded in size (a DynamoDB item stays well under 400 KB
    once split by section; see the DynamoDB adapter)."""
    posts = result.posts
    author_of = pd.Series(posts["author_id"].to_numpy(), index=posts["post_key"].to_numpy())
    leaders = influencers[:top]
    top_ids = {r["author_id"] for r in influencers[:20]}

    reshares = posts.loc[posts["tree_parent"].notna(), ["author_id", "tree_parent"]].copy()
    reshares["parent_author"] = reshares["tree_parent"].map(author_of)
    edges = (
        reshares.loc[reshares["parent_author"] != reshares["author_id"]]
        .groupby(["author_id", "parent_author"])
        .size()
        .sort_values(ascending=False)
        .head(graph_edges)
    )
    nodes = sorted({a for pair in edges.index for a in pair})
    score_of = {r["author_id"]: r["influence_score"] for r in influencers}
    flagged = {r["author_id"] for r in influencers if r["flags"]}
    graph = {
        "nodes": [
            {"id": n, "score": score_of.get(n, 0.0), "top": n in top_ids, "flagged": n in flagged}
            for n in nodes
        ],
        "links": [{"source": a, "target": b, "weight": int(w)} for (a, b), w in edges.items()],
    }

    trees = []
    for c in cascades[:cascade_trees]:
        key = f"{c['platform']}:{c['root_post_id']}"
        members = posts.loc[
            posts["root_key"] == key, ["post_key", "tree_parent", "author_id", "hops", "created_ts"]
        ]
        members = members.sort_values("created_ts").head(300)
        trees.append(
            {
                "root_post_id": c["root_post_id"],
                "author_id": c["author_id"],
                "size": c["size"],
                "nodes": [
                    {"id": r.post_key, "parent": r.tree_parent, "author": r.author_id, "depth": int(r.hops)}
                    for r in members.itertuples(index=False)
                ],
            }
        )

    now = result.as_of.timestamp()
    rising = sorted(
        (
            c
            for c in cascades
            if c["created_at"] and now - datetime.fromisoformat(c["created_at"]).timestamp() <= 6 * 3600
        ),
        key=lambda c: (-(c["predicted_final_size"] or 0) + c["size"], c["root_post_id"]),
    )[:15]

    resharer_countries = posts.loc[posts["tree_parent"].notna(), "author_country"].dropna()
    geography = {str(k): int(v) for k, v in resharer_countries.value_counts().head(30).items()}

    sentiment_series: list[dict[str, Any]] = []
    if len(result.sentiment):
        s = posts[["post_key", "created_ts"]].assign(s=posts["post_key"].map(result.sentiment)).dropna()
        s["hour"] = (s["created_ts"] // 3600 * 3600).astype("int64")
        hourly = s.groupby("hour")["s"].agg(["mean", "count"]).tail(72)
        sentiment_series = [
            {"hour": _iso(float(h)), "mean": round(float(r["mean"]), 4), "posts": int(r["count"])}
            for h, r in hourly.iterrows()
        ]

    document: dict[str, Any] = _finite(
        {
            "run_id": f"run-{result.as_of.strftime('%Y%m%dT%H%M%SZ')}",
            "as_of": result.as_of.isoformat().replace("+00:00", "Z"),
            "summary": {
                "posts": len(posts),
                "authors": len(influencers),
                "cascades": len(cascades),
                "flagged_accounts": len(flagged),
                "rings": len(result.flags.rings),
            },
            "leaderboard": leaders,
            "graph": graph,
            "cascades": trees,
            "rising": rising,
            "geography": geography,
            "sentiment": sentiment_series,
            "flagged": [
                {"author_id": r["author_id"], "rank": r["rank"], "flags": r["flags"]}
                for r in influencers
                if r["flags"]
            ][:200],
            "rings": result.flags.rings,
            "candidates": candidate_section(result, influencers),
        }
    )
    return document


def _finite(value: Any) -> Any:
    """JSON without NaN (browsers' JSON.parse rejects it): NaN and numpy scalars made plain."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return _clean(value)


def candidate_section(
    result: ScoreResult, influencers: list[dict[str, Any]], *, limit: int = 300, audience_cap: int = 400
) -> list[dict[str, Any]]:
    """The allocator's input: the top candidates and the accounts that engaged with them (authentic
    resharers, with their countries), bounded so the run document stays small."""
    posts = result.posts
    author_of = pd.Series(posts["author_id"].to_numpy(), index=posts["post_key"].to_numpy())
    country_of = posts.dropna(subset=["author_country"]).groupby("author_id")["author_country"].last()
    flagged = set(result.flags.reasons)
    reshares = posts.loc[posts["tree_parent"].notna(), ["author_id", "tree_parent"]].copy()
    reshares["parent_author"] = reshares["tree_parent"].map(author_of)
    reshares = reshares.loc[
        (reshares["parent_author"] != reshares["author_id"]) & ~reshares["author_id"].isin(flagged)
    ].drop_duplicates(["parent_author", "author_id"])
    audiences = reshares.groupby("parent_author")["author_id"].agg(list)
    # The top by score and the top by followers: the naive plan must be able to pick the big accounts.
    by_followers = sorted(influencers, key=lambda r: -(r["signals"]["followers"] or 0))[:limit]
    pool = list({r["author_id"]: r for r in [*influencers[:limit], *by_followers]}.values())
    out = []
    for r in pool:
        audience = sorted(audiences.get(r["author_id"], []))[:audience_cap]
        out.append(
            {
                "author_id": r["author_id"],
                "influence_score": r["influence_score"],
                "followers": r["signals"]["followers"],
                "country": r["country"],
                "expected_engagements": expected_engagements(r),
                "audience": [[a, country_of.get(a)] for a in audience],
                "hashtags": sorted(r.get("hashtags", {})),
                "flagged": bool(r["flags"]),
            }
        )
    return out


def expected_engagements(record: dict[str, Any]) -> float:
    """Engagements one sponsored post is expected to draw: the author's authentic reshares and likes
    per original post in the window (a measured rate, not follower count)."""
    s = record["signals"]
    originals = max(1, int(s.get("original_posts") or 0))
    earned = (s.get("authentic_reshares") or 0) + (s.get("likes_received") or 0)
    return round(float(earned) / originals, 4)
