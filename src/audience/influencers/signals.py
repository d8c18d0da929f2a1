"""Per-author signals, inauthentic-account flags and the influence score.

Pure pandas/numpy/networkx over the resolved posts frame (:func:`audience.influencers.cascades.resolve_roots`
plus the post attributes of :data:`audience.influencers.frame.FRAME_COLUMNS`), shared by the scoring
command and the Glue job.

The score is measured, not asserted (Cha et al. 2010: followers, retweets and mentions rank users
differently), so follower count carries a small weight and reshares by flagged accounts count for
nothing: a bot ring cannot lift its members. Flags are reasons shown beside the account, never a
silent exclusion: a flagged account keeps its row, its raw signals and its reasons.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

import networkx as nx
import numpy as np
import pandas as pd  # type: ignore[import-untyped]

SCORE_WEIGHTS: Final[dict[str, float]] = {
    "authentic_reshares": 0.30,
    "unique_resharers": 0.20,
    "pagerank": 0.15,
    "resharer_reach": 0.10,
    "likes_received": 0.10,
    "engagement_rate": 0.10,
    "followers": 0.05,
}
"""Weights of the log-scaled, max-normalised signals; the shares shown on the page are
``weight x normalised value / sum``. ``docs/influencers.md`` says why each is there."""

SENTIMENT_SWING: Final = 0.10
"""The score is multiplied by ``1 - SWING/2 + SWING x (sentiment + 1)/2``: at most +-5% for tone."""


@dataclass(frozen=True)
class FlagRules:
    """Thresholds of the inauthentic-account flags (``docs/influencers.md``)."""

    min_following: int = 500
    max_follow_ratio: float = 0.05
    co_reshare_seconds: float = 60.0
    co_reshare_min_posts: int = 3
    co_reshare_min_jaccard: float = 0.5
    ring_min_size: int = 3
    co_reshare_lags: int = 8
    burst_window_seconds: float = 600.0
    burst_min_reshares: int = 20
    jump_window_seconds: float = 86_400.0
    jump_min_ratio: float = 0.5
    jump_min_followers: int = 500


@dataclass
class Flags:
    reasons: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    rings: list[list[str]] = field(default_factory=list)

    def add(self, author: str, code: str, reason: str) -> None:
        self.reasons[author].append({"code": code, "reason": reason})


def _author_latest(posts: pd.DataFrame, column: str) -> pd.Series:
    """The last known value of an author attribute (NaN-aware)."""
    known = posts.loc[posts[column].notna(), ["author_id", "created_ts", column]]
    return known.sort_values("created_ts", kind="stable").groupby("author_id")[column].last()


def flag_accounts(posts: pd.DataFrame, rules: FlagRules | None = None) -> Flags:
    """Follow-ratio, coordinated (ring) resharing, bursts and follower jumps, each with its reason."""
    rules = rules or FlagRules()
    flags = Flags()

    followers = _author_latest(posts, "followers")
    following = _author_latest(posts, "following")
    both = pd.concat([followers.rename("followers"), following.rename("following")], axis=1).dropna()
    lopsided = both[
        (both["following"] >= rules.min_following)
        & (both["followers"] < rules.max_follow_ratio * both["following"])
    ]
    for author, row in lopsided.iterrows():
        flags.add(
            str(author),
            "follow_ratio",
            f"follows {int(row['following']):,} accounts but has {int(row['followers']):,} followers "
            f"(ratio {row['followers'] / row['following']:.3f} < {rules.max_follow_ratio})",
        )

    reshares = posts.loc[posts["tree_parent"].notna(), ["author_id", "tree_parent", "created_ts"]]
    _flag_rings(reshares, rules, flags)
    _flag_bursts(reshares, rules, flags)
    _flag_jumps(posts, rules, flags)
    return flags


def _flag_rings(reshares: pd.DataFrame, rules: FlagRules, flags: Flags) -> None:
    """Accounts that keep resharing the same posts within seconds of each other, as a group."""
    if reshares.empty:
        return
    r = reshares.sort_values(["tree_parent", "created_ts"], kind="stable").reset_index(drop=True)
    parents = r["tree_parent"].to_numpy()
    authors = r["author_id"].to_numpy()
    times = r["created_ts"].to_numpy(dtype="float64")
    pair_posts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for lag in range(1, rules.co_reshare_lags + 1):
        same = (parents[lag:] == parents[:-lag]) & (times[lag:] - times[:-lag] <= rules.co_reshare_seconds)
        for i in np.flatnonzero(same):
            a, b = authors[i], authors[i + lag]
            if a != b:
                pair_posts[(min(a, b), max(a, b))].add(parents[i])
    if not pair_posts:
        return
    reshared = r.groupby("author_id")["tree_parent"].nunique()
    graph = nx.Graph()
    for (a, b), shared in pair_posts.items():
        if len(shared) < rules.co_reshare_min_posts:
            continue
        union = reshared[a] + reshared[b] - len(shared)
        if union and len(shared) / union >= rules.co_reshare_min_jaccard:
            graph.add_edge(a, b, posts=len(shared))
    rings = sorted(
        (sorted(c) for c in nx.connected_components(graph) if len(c) >= rules.ring_min_size),
        key=lambda ring: (-len(ring), ring[0]),
    )
    for number, ring in enumerate(rings, start=1):
        flags.rings.append(ring)
        for author in ring:
            partners = sorted(graph.neighbors(author))
            shared_posts = max(graph.edges[author, p]["posts"] for p in partners)
            flags.add(
                author,
                "coordinated_resharing",
                f"ring {number} ({len(ring)} accounts): reshared up to {shared_posts} of the same posts "
                f"within {int(rules.co_reshare_seconds)} s of {len(partners)} ring member(s), "
                f"e.g. {', '.join(partners[:3])}",
            )


def _flag_bursts(reshares: pd.DataFrame, rules: FlagRules, flags: Flags) -> None:
    need = rules.burst_min_reshares
    for author, times in reshares.groupby("author_id")["created_ts"]:
        if len(times) < need:
            continue
        t = np.sort(times.to_numpy(dtype="float64"))
        spans = t[need - 1 :] - t[: len(t) - need + 1]
        if spans.size and spans.min() <= rules.burst_window_seconds:
            flags.add(
                str(author),
                "burst_resharing",
                f"{need} reshares within {spans.min() / 60:.1f} minutes "
                f"(threshold {rules.burst_window_seconds / 60:.0f})",
            )


def _flag_jumps(posts: pd.DataFrame, rules: FlagRules, flags: Flags) -> None:
    seen = posts.loc[posts["followers"].notna(), ["author_id", "created_ts", "followers"]]
    seen = seen.sort_values(["author_id", "created_ts"], kind="stable")
    prev_author = seen["author_id"].shift()
    prev_followers = seen["followers"].shift()
    prev_ts = seen["created_ts"].shift()
    jump = (
        (seen["author_id"] == prev_author)
        & (seen["created_ts"] - prev_ts <= rules.jump_window_seconds)
        & (seen["followers"] - prev_followers >= rules.jump_min_followers)
        & (seen["followers"] >= prev_followers * (1 + rules.jump_min_ratio))
    )
    for idx in np.flatnonzero(jump.to_numpy()):
        row = seen.iloc[idx]
        before = prev_followers.iloc[idx]
        hours = (row["created_ts"] - prev_ts.iloc[idx]) / 3600
        flags.add(
            str(row["author_id"]),
            "follower_jump",
            f"followers rose from {int(before):,} to {int(row['followers']):,} within {hours:.1f} h",
        )


def _norm(values: pd.Series) -> pd.Series:
    logged = np.log1p(values.fillna(0).clip(lower=0).astype("float64"))
    top = float(logged.max()) if len(logged) else 0.0
    return logged / top if top > 0 else logged * 0.0


def author_signals(
    posts: pd.DataFrame,
    cascades: pd.DataFrame,
    flags: Flags,
    sentiment: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per author: the signals, the score (0-100), each signal's share, rank and flags.

    ``posts`` is the resolved frame with attributes; ``sentiment`` maps ``post_key`` to a compound
    score in [-1, 1] (missing: no text or not scored).
    """
    p = posts.copy()
    for column in ("followers", "following", "like_count", "reply_count"):
        p[column] = pd.to_numeric(p[column], errors="coerce").astype("float64")
    authors = pd.Index(sorted(p["author_id"].unique()), name="author_id")
    out = pd.DataFrame(index=authors)
    out["posts"] = p.groupby("author_id").size()
    out["original_posts"] = p.loc[p["hops"] == 0].groupby("author_id").size()
    out["followers"] = _author_latest(p, "followers")
    out["following"] = _author_latest(p, "following")
    out["country"] = _author_latest(p, "author_country")

    author_of = pd.Series(p["author_id"].to_numpy(), index=p["post_key"].to_numpy())
    reshares = p.loc[p["tree_parent"].notna()].copy()
    reshares["parent_author"] = reshares["tree_parent"].map(author_of)
    reshares["root_author"] = reshares["root_key"].map(author_of)
    flagged = set(flags.reasons)
    reshares["authentic"] = ~reshares["author_id"].isin(flagged)
    direct = reshares.loc[reshares["parent_author"] != reshares["author_id"]]
    out["reshares_received"] = direct.groupby("parent_author").size()
    # What the author's own posts set off: every authentic reshare anywhere in the cascades they
    # started (a hub that passes someone else's post along is credited through PageRank, not here).
    spread = reshares.loc[reshares["authentic"] & (reshares["root_author"] != reshares["author_id"])]
    out["authentic_reshares"] = spread.groupby("root_author").size()
    out["unique_resharers"] = spread.groupby("root_author")["author_id"].nunique()
    pairs = spread[["root_author", "author_id"]].drop_duplicates()
    pairs["reach"] = pairs["author_id"].map(out["followers"])
    out["resharer_reach"] = pairs.groupby("root_author")["reach"].sum(min_count=1)
    roots = cascades.set_index("root_key")
    out["cascade_reach"] = (roots["size"] - 1).groupby(roots["author_id"]).sum()
    out["likes_received"] = p.groupby("author_id")["like_count"].sum(min_count=1)
    out["replies_received"] = p.groupby("author_id")["reply_count"].sum(min_count=1)
    engagements = (
        out["reshares_received"].fillna(0)
        + out["likes_received"].fillna(0)
        + out["replies_received"].fillna(0)
    )
    out["engagement_rate"] = engagements / (out["posts"] * out["followers"].where(out["followers"] > 0))

    graph = nx.DiGraph()
    graph.add_nodes_from(authors)
    # Reshare graph: resharer -> the author reshared, so authority flows to accounts that influential
    # accounts reshare (direct, authentic reshares only).
    authentic_direct = direct.loc[direct["authentic"]]
    weighted = authentic_direct.groupby(["author_id", "parent_author"]).size()
    graph.add_weighted_edges_from((a, b, float(w)) for (a, b), w in weighted.items())
    rank = nx.pagerank(graph, alpha=0.85, weight="weight") if graph.number_of_edges() else {}
    out["pagerank"] = pd.Series(rank, dtype="float64").reindex(authors).fillna(0.0) * len(authors)

    if sentiment is not None and len(sentiment):
        per_post = p[["post_key", "author_id"]].assign(s=p["post_key"].map(sentiment))
        out["sentiment"] = per_post.groupby("author_id")["s"].mean()
    else:
        out["sentiment"] = np.nan

    normalised = pd.DataFrame({name: _norm(out[name]) for name in SCORE_WEIGHTS}, index=authors)
    contributions = normalised.mul(pd.Series(SCORE_WEIGHTS))
    base = contributions.sum(axis=1)
    tone = 1 - SENTIMENT_SWING / 2 + SENTIMENT_SWING * (out["sentiment"].fillna(0.0) + 1) / 2
    out["influence_score"] = (100 * base * tone).round(4)
    shares = contributions.div(base.replace(0, np.nan), axis=0).fillna(0.0).round(4)
    out["shares"] = [dict(zip(shares.columns, row, strict=True)) for row in shares.to_numpy().tolist()]
    out = out.sort_values(["influence_score", "authentic_reshares"], ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["flags"] = [flags.reasons.get(a, []) for a in out.index]
    return out.reset_index()


def top_counts(values: pd.Series, limit: int = 5) -> dict[str, int]:
    counter: Counter[str] = Counter()
    for item in values:
        if isinstance(item, (list, tuple, np.ndarray)):
            counter.update(str(v).lower() for v in item)
        elif isinstance(item, str):
            counter[item] += 1
    return dict(counter.most_common(limit))


def author_context(posts: pd.DataFrame, authors: pd.Series) -> dict[str, dict[str, Any]]:
    """Per author: top hashtags of their posts and the countries of their resharers."""
    author_of = pd.Series(posts["author_id"].to_numpy(), index=posts["post_key"].to_numpy())
    reshares = posts.loc[posts["tree_parent"].notna(), ["tree_parent", "author_country"]].copy()
    reshares["parent_author"] = reshares["tree_parent"].map(author_of)
    geo = (
        reshares.dropna(subset=["author_country"]).groupby("parent_author")["author_country"].agg(top_counts)
    )
    tags = posts.groupby("author_id")["hashtags"].agg(top_counts)
    return {
        str(a): {"hashtags": tags.get(a, {}), "resharer_countries": geo.get(a, {})} for a in authors.tolist()
    }
