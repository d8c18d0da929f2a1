"""The generator's ground truth, as propensities a model could at best recover (the oracle).

The generator knows what no model sees: each user's true session rate at every hour (segment rhythm,
activity, the lapse of a churner, sign-up) and their true interest in every item. From its own plan
(the hourly event budgets of :mod:`audience.datagen.events`) this module derives

* the **churn propensity** of a user at a day: the probability of no session in the following
  horizon, ``exp(-expected sessions)`` (sessions are placed independently, so their count is close
  to Poisson);
* the **expected sessions** of a user in a window, and the **true interest** of a user in an item,
  which an oracle regressor uses for the engagement score.

The demo puts the oracle's figures beside the model's and the naive baseline's: a ceiling, so a
model's distance to the truth is visible, not only its distance to a baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from audience.datagen.config import GeneratorConfig
from audience.datagen.events import _allocate, _rhythm, _Simulation, cell_of


class TrueInterest:
    """``(user_id, content_id) -> interest``: the generator's own formula
    (:meth:`~audience.datagen.users.UserProfile.interest`) over ``config``'s users and catalogue,
    without the session plan (cheap: the recommendations A/B's simulated users answer with it).
    Unknown users or items: 0."""

    def __init__(self, config: GeneratorConfig) -> None:
        from audience.datagen.catalog import catalog
        from audience.datagen.reference import CONTENT_TYPES, GENRES
        from audience.datagen.users import users

        types = {t: n for n, t in enumerate(CONTENT_TYPES)}
        genres = {g: n for n, g in enumerate(GENRES)}
        self._people = {p.user_id: p for p in users(config)}
        self._items = {
            c.content_id: (types[c.content_type], tuple(genres[g] for g in c.genres), c.taste_community)
            for c in catalog(config)
        }

    def __call__(self, user_id: str, content_id: str) -> float:
        person, item = self._people.get(user_id), self._items.get(content_id)
        if person is None or item is None:
            return 0.0
        return person.interest(*item)


class Oracle:
    """Ground-truth rates of one generator config (the same seed, ``now`` and sizes as the events)."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.sim = _Simulation(config)
        target = config.target_events
        n_dup = min(round(target * config.duplicate_share), target // 2)
        n_base = target - n_dup
        n_bad = min(round(target * config.bad_share), n_base - n_dup)
        self.chunks = self.sim.chunk_bounds()
        proposals = [self.sim.proposal(c0, c1) for c0, c1 in self.chunks]
        totals = [sum(events) for _, events in proposals]
        counts = _allocate(n_base, totals)
        keep = 1.0 - n_bad / n_base if n_base else 1.0
        # Sessions per unit of rate in each chunk: the chunk's event budget over its expected events.
        self.scale = [
            keep * count / total if total > 0 else 0.0 for count, total in zip(counts, totals, strict=True)
        ]
        self.index = {p.user_id: i for i, p in enumerate(self.sim.audience.people)}

    def expected_sessions(self, user_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, float]:
        """Each user's expected number of sessions in ``[start, end)`` (0 outside the window)."""
        sim, audience = self.sim, self.sim.audience
        t0, t1 = start.timestamp(), end.timestamp()
        out: dict[str, float] = {}
        for user_id in user_ids:
            u = self.index.get(user_id)
            if u is None:
                out[user_id] = 0.0
                continue
            person, segment = audience.people[u], audience.segments[u]
            total = 0.0
            for (c0, c1), scale in zip(self.chunks, self.scale, strict=True):
                if c1 <= t0 or c0 >= t1 or c1 <= audience.signups[u]:
                    continue
                mid = (c0 + c1) / 2
                rate = _rhythm(segment, mid + audience.offsets[u]) * person.activity
                rate *= person.activity_multiplier(sim.share(mid))
                overlap = (min(c1, t1) - max(c0, t0)) / (c1 - c0)
                total += scale * rate * overlap
            out[user_id] = total
        return out

    def churn_probability(self, user_ids: Sequence[str], start: datetime, end: datetime) -> dict[str, float]:
        """P(no session in ``[start, end)``) per user: the true churn propensity for that horizon."""
        return {u: math.exp(-s) for u, s in self.expected_sessions(user_ids, start, end).items()}

    def interest(self, user_id: str, content_id: str) -> float:
        """The user's true interest in the item, as the session planner computes it (0..1)."""
        u = self.index.get(user_id)
        content = self.sim.content
        item = self._item_index.get(content_id)
        if u is None or item is None:
            return 0.0
        person = self.sim.audience.people[u]
        return person.interest(content.types[item], content.genres[item], content.tastes[item])

    def item_weight(self, user_id: str, content_id: str) -> float:
        """How likely the user's planner is to pick the item: the cell weight share times its popularity."""
        u = self.index.get(user_id)
        content = self.sim.content
        if u is None or content_id not in self._item_index:
            return 0.0
        item = self._item_index[content_id]
        cum = self.sim.audience.cells(u)
        weights = [cum[0], *(b - a for a, b in pairwise(cum))]
        score = 0.0
        for g in content.genres[item]:
            cell = cell_of(content.types[item], g, content.tastes[item])
            mass = content.cell_mass[cell]
            if mass > 0 and cum[-1] > 0:
                popularity = content.cum[item] - (content.cum[item - 1] if item else 0.0)
                score += weights[cell] / cum[-1] * popularity / mass
        return score

    @property
    def _item_index(self) -> dict[str, int]:
        cached: dict[str, int] | None = getattr(self, "_items", None)
        if cached is None:
            cached = {cid: i for i, cid in enumerate(self.sim.content.ids)}
            self._items = cached
        return cached
