"""Simulated users answering served lists: the live A/B's audience.

The generator's users have latent interests (``genre_affinity``, ``type_affinity``); their
interest in an item is the generator's own formula, ``type x (0.7 max genre + 0.3 mean genre)``.
Shown a list, a user looks down it with a position bias (each rank seen with probability
``0.85^rank``) and views an item with probability ``0.6 * interest^2`` plus noise; a viewed item is
completed with probability ``0.2 + 0.6 * interest``. Neither recommender ever sees these
interests: each learned only from the events the generator drew from them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

POSITION_DECAY = 0.85
VIEW_SCALE = 0.6
NOISE = 0.03


@dataclass(frozen=True)
class SimItem:
    item_id: str
    genres: tuple[str, ...]
    content_type: str
    duration_seconds: float


@dataclass(frozen=True)
class SimUser:
    user_id: str
    genre_affinity: Mapping[str, float]
    type_affinity: Mapping[str, float]
    platform: str
    device_type: str
    country: str

    def interest(self, item: SimItem) -> float:
        values = [self.genre_affinity.get(g, 0.0) for g in item.genres] or [0.0]
        genre = 0.7 * max(values) + 0.3 * sum(values) / len(values)
        return self.type_affinity.get(item.content_type, 0.0) * genre


def respond(
    user: SimUser,
    served: Mapping[str, Any],
    items: Mapping[str, SimItem],
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
        interest = user.interest(item)
        p_view = min(1.0, max(0.0, VIEW_SCALE * interest**2 + rng.gauss(0.0, NOISE)))
        if rng.random() >= p_view:
            continue
        completed = rng.random() < 0.2 + 0.6 * interest
        fraction = 1.0 if completed else max(0.05, rng.random() * (0.3 + 0.6 * interest))
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


def sample_users(users: Sequence[SimUser], n: int, seed: int) -> list[SimUser]:
    rng = random.Random(f"{seed}:recommendations-ab")
    return rng.sample(list(users), min(n, len(users)))
