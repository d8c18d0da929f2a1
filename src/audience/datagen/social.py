"""A generated social network with planted truth, for the demo, the tests and the benchmark.

* Accounts follow each other by preferential attachment, so follower counts are heavy-tailed.
* Planted influencers: accounts whose posts their followers reshare far more often than usual; a
  third of them have few followers (the cost-effective accounts Bakshy et al. describe).
* Ordinary accounts, big or small, are reshared at a low base rate.
* Bot rings: accounts that follow thousands, have few followers, gain followers in jumps, and reshare
  each other's posts (and a few targets) within seconds of each other.
* Reshares spread along the follower graph as an independent cascade: a reshare by ``v`` exposes
  ``v``'s followers, each resharing with the root author's probability after an exponential delay.

Everything is deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

COUNTRIES = ("AU", "US", "GB", "NZ", "IN", "CA", "DE", "FR", "BR", "JP")
COUNTRY_WEIGHTS = (0.25, 0.2, 0.12, 0.08, 0.08, 0.07, 0.06, 0.06, 0.04, 0.04)
TOPICS = ("launch", "sport", "music", "travel", "food", "tech", "politics", "fashion")
POSITIVE = ("Loving this", "Great news", "So happy with", "Brilliant", "Fantastic work on")
NEGATIVE = ("Really disappointed by", "Terrible", "Worst experience with", "Angry about")
NEUTRAL = ("Thoughts on", "Update about", "Reading about", "New post:")


@dataclass(frozen=True)
class SocialConfig:
    seed: int = 7
    accounts: int = 3000
    follows_per_account: int = 12
    planted: int = 20
    planted_small_share: float = 0.35
    rings: int = 3
    ring_size: int = 6
    posts_per_account: float = 1.5
    planted_posts: int = 4
    base_reshare: float = 0.001
    planted_reshare: float = 0.09
    max_cascade: int = 400
    sample_scale: int = 25
    """The graph is a sample of the platform: reported follower counts are in-sample ones times this."""
    hours: float = 24.0
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


@dataclass
class SocialNetwork:
    posts: list[dict[str, Any]]
    planted: list[str]
    planted_small: list[str]
    rings: list[list[str]]
    followers: dict[str, int]
    as_of: datetime


def generate_network(config: SocialConfig | None = None) -> SocialNetwork:
    c = config or SocialConfig()
    rng = random.Random(c.seed)
    nprng = np.random.default_rng(c.seed)
    n = c.accounts
    ids = [f"acct{i:05d}" for i in range(n)]
    country = {a: rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0] for a in ids}

    # Preferential attachment: each new account follows m earlier ones, chosen by in-degree + 1.
    followers_of: list[list[int]] = [[] for _ in range(n)]
    weights = np.ones(n)
    for v in range(1, n):
        m = min(v, c.follows_per_account)
        p = weights[:v] / weights[:v].sum()
        for u in set(nprng.choice(v, size=m, replace=False, p=p).tolist()):
            followers_of[u].append(v)
            weights[u] += 1
    # Reciprocal follows for a denser graph among small accounts.
    for v in range(n):
        for u in list(followers_of[v])[:3]:
            if rng.random() < 0.3 and v not in followers_of[u]:
                followers_of[u].append(v)

    # Planted influencers: some big, some deliberately small (followers 30-150).
    by_size = sorted(range(n), key=lambda i: len(followers_of[i]))
    small_pool = [i for i in by_size if 30 <= len(followers_of[i]) <= 150]
    mid_pool = [i for i in by_size if 150 < len(followers_of[i]) <= 1500]
    n_small = round(c.planted * c.planted_small_share)
    planted_small = rng.sample(small_pool, min(n_small, len(small_pool)))
    planted_rest = rng.sample([i for i in mid_pool if i not in planted_small], c.planted - len(planted_small))
    planted = planted_small + planted_rest
    planted_set = set(planted)

    # Bot rings: fresh accounts outside the organic graph's big hubs.
    ring_members: list[list[int]] = []
    pool = [i for i in by_size[: n // 2] if i not in planted_set]
    rng.shuffle(pool)
    for r in range(c.rings):
        ring_members.append(pool[r * c.ring_size : (r + 1) * c.ring_size])
    bots = {b for ring in ring_members for b in ring}

    follower_count = {ids[i]: len(followers_of[i]) * c.sample_scale for i in range(n)}
    following_count = dict.fromkeys(ids, 0)
    for u in range(n):
        for v in followers_of[u]:
            following_count[ids[v]] += 1
    for b in bots:
        following_count[ids[b]] = rng.randint(2500, 6000)
        follower_count[ids[b]] = rng.randint(5, 40)

    start = c.now - timedelta(hours=c.hours)
    posts: list[dict[str, Any]] = []
    counter = 0

    def author(i: int, at: datetime) -> dict[str, Any]:
        a = ids[i]
        followers = follower_count[a]
        if i in bots and at > start + timedelta(hours=c.hours / 2):
            followers = followers * 40 + 2000  # a bought-follower jump halfway through the window
        return {
            "id": a,
            "handle": a,
            "followers": followers,
            "following": following_count[a],
            "country": country[a],
        }

    def text_for(i: int) -> tuple[str, list[str]]:
        topic = TOPICS[i % len(TOPICS)] if rng.random() < 0.7 else rng.choice(TOPICS)
        tone = rng.random()
        if i in planted_set:
            lead = rng.choice(POSITIVE) if tone < 0.7 else rng.choice(NEUTRAL)
        else:
            lead = (
                rng.choice(POSITIVE)
                if tone < 0.35
                else rng.choice(NEGATIVE)
                if tone < 0.55
                else rng.choice(NEUTRAL)
            )
        return f"{lead} the {topic} scene today #{topic}", [topic]

    def emit(i: int, at: datetime, parent: str | None, text: str | None, tags: list[str]) -> str:
        nonlocal counter
        counter += 1
        post_id = f"p{counter:08d}"
        body: dict[str, Any] = {
            "post_id": post_id,
            "platform": "bluesky",
            "created_at": at.isoformat(),
            "author": author(i, at),
        }
        if parent:
            body["reshare_of"] = parent
        else:
            body["text"] = text
            body["hashtags"] = tags
            body["lang"] = "en"
            body["like_count"] = 0
        posts.append(body)
        return post_id

    window_seconds = c.hours * 3600
    for i in range(n):
        if i in bots:
            count = 2
        elif i in planted_set:
            count = c.planted_posts
        else:
            count = int(nprng.poisson(c.posts_per_account))
        for _ in range(count):
            # Originals start early enough to spread before now.
            at = start + timedelta(seconds=rng.uniform(0, window_seconds * 0.8))
            text, tags = text_for(i)
            root = emit(i, at, None, text, tags)
            root_index = len(posts) - 1
            p = c.planted_reshare if i in planted_set else c.base_reshare
            likes = 0
            frontier = [(i, root, at)]
            seen = {i}
            size = 1
            while frontier and size < c.max_cascade:
                u, parent_post, t = frontier.pop(0)
                for v in followers_of[u]:
                    if v in seen or v in bots or rng.random() >= p:
                        continue
                    delay = timedelta(seconds=float(nprng.exponential(900.0)))
                    when = t + delay
                    if when >= c.now:
                        continue
                    seen.add(v)
                    frontier.append((v, emit(v, when, parent_post, None, []), when))
                    size += 1
                    likes += 1 + int(rng.random() < 0.5)
                    if size >= c.max_cascade:
                        break
            posts[root_index]["like_count"] = likes

    # Ring activity: each member posts; the whole ring reshares every member's post and a few
    # targets within seconds, many times over the window.
    organic_roots = [p["post_id"] for p in posts if "reshare_of" not in p]
    rings_out: list[list[str]] = []
    for ring in ring_members:
        rings_out.append(sorted(ids[b] for b in ring))
        ring_posts = [
            p["post_id"]
            for p in posts
            if p["author"]["id"] in {ids[b] for b in ring} and "reshare_of" not in p
        ]
        targets = ring_posts + rng.sample(organic_roots, 4)
        for target in targets:
            base_time = start + timedelta(seconds=rng.uniform(window_seconds * 0.1, window_seconds * 0.95))
            owner = next((p["author"]["id"] for p in posts if p["post_id"] == target), None)
            for k, b in enumerate(ring):
                if ids[b] != owner:
                    emit(b, base_time + timedelta(seconds=2 * k + rng.random()), target, None, [])

    posts.sort(key=lambda p: p["created_at"])
    return SocialNetwork(
        posts=posts,
        planted=sorted(ids[i] for i in planted),
        planted_small=sorted(ids[i] for i in planted_small),
        rings=rings_out,
        followers={ids[i]: len(followers_of[i]) for i in range(n)},
        as_of=c.now,
    )
