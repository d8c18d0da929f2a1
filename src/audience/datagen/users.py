"""Users: a profile (what a CRM would hold) and the planted behaviour that drives their events."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Final

from audience.datagen.catalog import TASTE_COMMUNITIES
from audience.datagen.config import GeneratorConfig
from audience.datagen.reference import (
    AGE_GROUPS,
    CONTENT_TYPES,
    COUNTRIES,
    GENRES,
    SEGMENTS,
    TIERS,
    City,
    Segment,
    Surface,
)

CHURN_POINT_RANGE: Final = (0.3, 1.3)
"""A churner's last activity falls at this share of the event window (uniformly). Points past 1 are
users still lapsing when the window ends: churn is prospective, as a model meets it."""
CHURN_DECAY_FLOOR: Final = 0.3
"""A churner's activity falls linearly from 1 to this over the lapse before the churn point, then to 0."""
CHURN_LAPSE_SHARE: Final = 0.3
"""How long (as a share of the window) a churner lapses before the last activity: fewer sessions,
shorter ones, less completion (see :meth:`UserProfile.engagement_multiplier`)."""

FAVORITE_IN_SEGMENT: Final = 0.8
"""Share of users whose favourite genre is drawn from their segment's interests (in proportion to their
square); the rest pick any genre, so every genre has fans in every segment."""

SECOND_TASTE_SHARE: Final = 0.5
"""Share of users with a second taste community they like almost as much as their first."""
OTHER_TASTE_RANGE: Final = (0.2, 0.5)
"""A user's interest in a taste community not theirs (uniform in this range; theirs is 1)."""

_APPLE_MARKETS: Final = frozenset({"US", "GB", "CA", "AU", "JP"})
_COUNTRY_CODES: Final = tuple(COUNTRIES)
_COUNTRY_CUM: Final = tuple(accumulate(weight for weight, _ in COUNTRIES.values()))


@dataclass(frozen=True, slots=True)
class UserProfile:
    user_id: str
    signup_date: date
    country: str
    region: str
    city: str
    utc_offset: float
    age_group: str
    subscription_tier: str
    marketing_opt_in: bool
    surfaces: tuple[tuple[Surface, float], ...]
    """The user's devices with the share of sessions on each; the first is the preferred one."""
    # Planted ground truth below: what segmentation, affinity and churn models should recover.
    segment: str
    activity: float
    """Mean sessions per active day (relative: event totals are scaled to the target)."""
    type_affinity: tuple[float, ...]
    """Interest in each of :data:`CONTENT_TYPES`, in [0, 1]."""
    genre_affinity: tuple[float, ...]
    """Interest in each of :data:`GENRES`, in [0, 1]; the favourite genre is 1."""
    churn_propensity: float
    churn_point: float | None
    """Share of the event window after which the user is no longer active; ``None``: never churns."""
    taste_affinity: tuple[float, ...]
    """Interest in each latent taste community of the catalogue (:data:`~audience.datagen.catalog.
    TASTE_COMMUNITIES`), in [0, 1]; the user's own community is 1. Not in any file, and unrelated to
    the segment, the genres and the types: only item-level co-occurrence in the events reveals it."""

    def interest(self, content_type: int, genres: Sequence[int], taste_community: int) -> float:
        """The user's true interest in an item (0..1): type x genre x taste community.

        The one formula behind everything the generator plans (which items a session plays, how
        much of them, what is liked or shared; :mod:`audience.datagen.events`), the oracle's
        ``interest`` and the simulated users of the recommendations A/B. ``content_type`` indexes
        :data:`CONTENT_TYPES`, ``genres`` :data:`GENRES`."""
        affinities = [self.genre_affinity[g] for g in genres]
        genre = 0.7 * max(affinities) + 0.3 * sum(affinities) / len(affinities)
        return self.type_affinity[content_type] * genre * self.taste_affinity[taste_community]

    @property
    def preferred_surface(self) -> Surface:
        return self.surfaces[0][0]

    @property
    def favorite_genre(self) -> str:
        return GENRES[self.genre_affinity.index(max(self.genre_affinity))]

    def top_genres(self, n: int = 3) -> tuple[str, ...]:
        order = sorted(range(len(GENRES)), key=lambda i: (-self.genre_affinity[i], i))
        return tuple(GENRES[i] for i in order[:n])

    def activity_multiplier(self, window_share: float) -> float:
        """How active the user is at a point of the window (0 = start, 1 = end), relative to normal."""
        if self.churn_point is None:
            return 1.0
        if window_share >= self.churn_point:
            return 0.0
        lapse_start = self.churn_point - CHURN_LAPSE_SHARE
        if window_share <= lapse_start:
            return 1.0
        return 1.0 - (1.0 - CHURN_DECAY_FLOOR) * (window_share - lapse_start) / CHURN_LAPSE_SHARE

    def engagement_multiplier(self, window_share: float) -> float:
        """How engaged a play is, relative to normal: a lapsing user completes less and skips more."""
        return 0.45 + 0.55 * self.activity_multiplier(window_share) if self.churn_point is not None else 1.0


def _lognormal(rng: random.Random, sigma: float) -> float:
    return math.exp(rng.gauss(0.0, sigma))


def _surfaces(rng: random.Random, segment: Segment, country: str) -> tuple[tuple[Surface, float], ...]:
    weights = {}
    for surface, weight in segment.surfaces.items():
        if surface.platform == "ios-app" and country in _APPLE_MARKETS:
            weight *= 1.3
        elif surface.platform == "android-app" and country not in _APPLE_MARKETS:
            weight *= 1.8
        weights[surface] = weight
    count = min(len(weights), rng.choices((1, 2, 3), weights=(0.45, 0.4, 0.15))[0])
    chosen: list[Surface] = []
    while len(chosen) < count:
        options = [s for s in weights if s not in chosen]
        chosen.append(rng.choices(options, weights=[weights[s] for s in options])[0])
    if count == 1:
        return ((chosen[0], 1.0),)
    rest = 0.3 / (count - 1)
    return ((chosen[0], 0.7), *((s, rest) for s in chosen[1:]))


def _affinities(rng: random.Random, segment: Segment) -> tuple[tuple[float, ...], tuple[float, ...]]:
    types = [segment.types[t] * _lognormal(rng, 0.35) for t in CONTENT_TYPES]
    genres = [segment.genre_weight(g) * _lognormal(rng, 0.5) for g in GENRES]
    if rng.random() < FAVORITE_IN_SEGMENT:
        favorite = rng.choices(range(len(GENRES)), weights=[segment.genre_weight(g) ** 2 for g in GENRES])[0]
    else:
        favorite = rng.randrange(len(GENRES))
    genres[favorite] = max(genres) * 1.25
    top_type, top_genre = max(types), max(genres)
    return (
        tuple(round(v / top_type, 4) for v in types),
        tuple(round(v / top_genre, 4) for v in genres),
    )


def _tastes(rng: random.Random) -> tuple[float, ...]:
    tastes = [round(rng.uniform(*OTHER_TASTE_RANGE), 4) for _ in range(TASTE_COMMUNITIES)]
    first, second = rng.sample(range(TASTE_COMMUNITIES), 2)
    tastes[first] = 1.0
    if rng.random() < SECOND_TASTE_SHARE:
        tastes[second] = round(rng.uniform(0.6, 0.9), 4)
    return tuple(tastes)


def _user(rng: random.Random, index: int, reference_date: date, taste_rng: random.Random) -> UserProfile:
    segment = rng.choices(SEGMENTS, weights=[s.share for s in SEGMENTS])[0]
    country = rng.choices(_COUNTRY_CODES, cum_weights=_COUNTRY_CUM)[0]
    cities: tuple[City, ...] = COUNTRIES[country][1]
    city = rng.choices(cities, weights=[c.weight for c in cities])[0]
    # New sign-ups churn more: casual users are mostly recent.
    mean_tenure = 120.0 if segment.churn_propensity > 0.2 else 500.0
    tenure_days = 1 + min(5 * 365, int(rng.expovariate(1 / mean_tenure)))
    type_affinity, genre_affinity = _affinities(rng, segment)
    propensity = min(0.95, segment.churn_propensity * _lognormal(rng, 0.5))
    churn_point = rng.uniform(*CHURN_POINT_RANGE) if rng.random() < propensity else None
    return UserProfile(
        user_id=f"u-{index + 1:06d}",
        signup_date=reference_date - timedelta(days=tenure_days),
        country=country,
        region=city.region,
        city=city.city,
        utc_offset=city.utc_offset,
        age_group=rng.choices(AGE_GROUPS, weights=segment.ages)[0],
        subscription_tier=rng.choices(TIERS, weights=segment.tiers)[0],
        marketing_opt_in=rng.random() < 0.62,
        surfaces=_surfaces(rng, segment, country),
        segment=segment.name,
        activity=round(segment.sessions_per_day * _lognormal(rng, 0.55), 4),
        type_affinity=type_affinity,
        genre_affinity=genre_affinity,
        churn_propensity=round(propensity, 4),
        churn_point=None if churn_point is None else round(churn_point, 4),
        taste_affinity=_tastes(taste_rng),
    )


def users(config: GeneratorConfig) -> list[UserProfile]:
    """The users for ``config`` (depends only on ``seed``, ``n_users`` and ``reference_date``)."""
    rng = random.Random(f"{config.seed}:users")
    # Its own stream, so the profiles stay those of the reference tables.
    taste_rng = random.Random(f"{config.seed}:user-taste")
    return [_user(rng, index, config.reference_date, taste_rng) for index in range(config.n_users)]
