"""Simulated users answering served lists: the live A/B's audience.

**The response model.** A user's interest in an item (0..1) is the event generator's own:
``type affinity x genre affinity x taste-community affinity``
(:meth:`audience.datagen.users.UserProfile.interest`), the very formula that chose which items the
user played in the history and how far they watched them. It is passed in as ``interest``; this
module has no formula of its own, so the history and the A/B can never disagree about a user.

Shown a list, a user looks down it with a position bias (rank ``r``, from 0, is seen with
probability ``0.85^r``) and views a seen item with probability ``0.6 * interest^2`` plus Gaussian
noise (sd 0.03), clipped to [0, 1]; a viewed item is completed with probability
``0.2 + 0.6 * interest``, else watched for a random share of it. Nothing else enters: not the
variant, not the item's popularity, not the score the recommender gave it.

**Why a collaborative model can win.** The generator's taste communities (8, each item in one,
mostly its creator's; each user with one community at 1 and the others at 0.2-0.5, half with a
second at 0.6-0.9) cut across genres and types and appear in no catalogue column: a recommender
that only knows genres, types and popularity (the baseline) cannot see them, one that learns from
who played what together (the Personalize stand-in) can. Neither ever sees the interests.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

POSITION_DECAY = 0.85
VIEW_SCALE = 0.6
NOISE = 0.03

Interest = Callable[[str, str], float]
"""``(user_id, item_id) -> interest in [0, 1]``: the audience's true interest (the generator's)."""


@dataclass(frozen=True)
class SimItem:
    item_id: str
    duration_seconds: float


@dataclass(frozen=True)
class SimUser:
    user_id: str
    platform: str
    device_type: str
    country: str


def view_probability(interest: float) -> float:
    """Chance that a seen item is viewed, before noise."""
    return VIEW_SCALE * interest**2


def respond(
    user: SimUser,
    served: Mapping[str, Any],
    items: Mapping[str, SimItem],
    interest: Interest,
    rng: random.Random,
    at: datetime,
) -> list[dict[str, Any]]:
    """The events ``user`` sends after being shown ``served`` (the API's answer), carrying its
    ``recommendation_id`` and ``variant`` (contract 1.1)."""
    events: list[dict[str, Any]] = []
    session = f"rec-{served['recommendation_id'][:8]}"
    t = at
    for rank, entry in enumerate(served["items"]):
        item = items.get(entry["item_id"])
        if item is None or rng.random() > POSITION_DECAY**rank:
            continue
        level = interest(user.user_id, item.item_id)
        p_view = min(1.0, max(0.0, view_probability(level) + rng.gauss(0.0, NOISE)))
        if rng.random() >= p_view:
            continue
        completed = rng.random() < 0.2 + 0.6 * level
        fraction = 1.0 if completed else max(0.05, rng.random() * (0.3 + 0.6 * level))
        watched = round(item.duration_seconds * fraction, 1)
        t = t + timedelta(seconds=1 + rank)
        base = {
            "schema_version": "1.1",
            "user_id": user.user_id,
            "content_id": item.item_id,
            "platform": user.platform,
            "device_type": user.device_type,
            "location": {"country": user.country},
            "session_id": session,
            "recommendation_id": served["recommendation_id"],
            "variant": served["variant"],
        }
        events.append(
            {
                **base,
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "event_type": "view",
                "timestamp": t.isoformat(),
                "metadata": {"view_duration": watched, "completion_rate": round(fraction, 4)},
            }
        )
        if completed:
            events.append(
                {
                    **base,
                    "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "event_type": "complete",
                    "timestamp": (t + timedelta(seconds=1)).isoformat(),
                    "metadata": {"view_duration": watched, "completion_rate": 1.0},
                }
            )
    return events


def click_probability(user_id: str, items: Sequence[str], interest: Interest) -> float:
    """The chance (noise aside) that the user views at least one item of the list: the expected
    click-through of one served list under this response model."""
    miss = 1.0
    for rank, item_id in enumerate(items):
        miss *= 1.0 - POSITION_DECAY**rank * min(1.0, view_probability(interest(user_id, item_id)))
    return 1.0 - miss


def sample_users(users: Sequence[SimUser], n: int, seed: int) -> list[SimUser]:
    rng = random.Random(f"{seed}:recommendations-ab")
    return rng.sample(list(users), min(n, len(users)))
