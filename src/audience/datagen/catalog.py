"""The content catalog: items with a type, 1-3 genres, a realistic duration and a planted popularity."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate
from typing import Final

from audience.datagen.config import GeneratorConfig

ZIPF_EXPONENT: Final = 0.9
"""Item popularity weight is ``rank ** -ZIPF_EXPONENT`` (rank 1 is the most popular)."""
TASTE_COMMUNITIES: Final = 8
"""Latent taste communities (franchises, styles, cult followings) that cut across types and genres."""
CREATOR_TASTE_SHARE: Final = 0.8
"""Share of a creator's items in the creator's own taste community (the rest: any community)."""

_TYPE_SHARE: Final = {"video": 0.5, "podcast": 0.2, "article": 0.3}
_GENRE_BY_TYPE: Final[dict[str, dict[str, float]]] = {
    "video": {
        "Action": 1.0,
        "Comedy": 1.0,
        "Drama": 1.0,
        "Documentary": 0.6,
        "News": 0.4,
        "Sports": 0.8,
        "Music": 0.6,
        "Tech": 0.3,
        "Kids": 0.8,
        "Horror": 0.5,
        "Romance": 0.6,
        "Sci-Fi": 0.7,
    },
    "podcast": {
        "Action": 0.05,
        "Comedy": 0.8,
        "Drama": 0.3,
        "Documentary": 0.8,
        "News": 1.0,
        "Sports": 0.6,
        "Music": 0.4,
        "Tech": 1.0,
        "Kids": 0.1,
        "Horror": 0.2,
        "Romance": 0.1,
        "Sci-Fi": 0.2,
    },
    "article": {
        "Action": 0.05,
        "Comedy": 0.15,
        "Drama": 0.1,
        "Documentary": 0.3,
        "News": 1.0,
        "Sports": 0.7,
        "Music": 0.3,
        "Tech": 0.8,
        "Kids": 0.1,
        "Horror": 0.05,
        "Romance": 0.1,
        "Sci-Fi": 0.15,
    },
}
_INCOMPATIBLE: Final = {frozenset(p) for p in (("Kids", "Horror"), ("Kids", "News"), ("News", "Romance"))}

# (share, median seconds, log-sd) of each format; durations are log-normal within a format.
_VIDEO_FORMATS: Final = ((0.45, 300.0, 0.6), (0.4, 1500.0, 0.35), (0.15, 6000.0, 0.2))
_KIDS_VIDEO_FORMATS: Final = ((0.5, 240.0, 0.5), (0.45, 660.0, 0.25), (0.05, 5200.0, 0.15))
_PODCAST: Final = (2700.0, 0.5)
_ARTICLE: Final = (240.0, 0.55)
_DURATION_BOUNDS: Final = {"video": (30, 4 * 3600), "podcast": (600, 3 * 3600), "article": (45, 1800)}

_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "Action": ("Steel", "Run", "Vendetta", "Blaze", "Strike", "Outpost", "Chase", "Iron"),
    "Comedy": ("Roommates", "Oops", "Awkward", "Punchline", "Misfits", "Laughs", "Blunder", "Sitcom"),
    "Drama": ("Harbor", "Legacy", "Silence", "Family", "Verdict", "Winter", "Promise", "Ashes"),
    "Documentary": ("Planet", "Origins", "Inside", "Deep", "History", "Wild", "Frontier", "Untold"),
    "News": ("Briefing", "Election", "Markets", "Headlines", "Report", "Policy", "World", "Today"),
    "Sports": ("Derby", "Playoffs", "Kickoff", "Champions", "Overtime", "League", "Final", "Match"),
    "Music": ("Encore", "Rhythm", "Sessions", "Vinyl", "Anthem", "Chorus", "Tour", "Beats"),
    "Tech": ("Silicon", "Cloud", "Startup", "Code", "Robots", "Gadgets", "Data", "Chips"),
    "Kids": ("Puppy", "Dragons", "Rainbow", "Dinosaurs", "Robots", "Adventures", "Friends", "Bedtime"),
    "Horror": ("Hollow", "Shadows", "Cellar", "Night", "Curse", "Haunting", "Whispers", "Fog"),
    "Romance": ("Hearts", "Summer", "Paris", "Letters", "Wedding", "Sunset", "Crush", "Forever"),
    "Sci-Fi": ("Orbit", "Nebula", "Android", "Quantum", "Colony", "Starship", "Signal", "Mars"),
}
_ADJECTIVES: Final = (
    "Lost",
    "Last",
    "Hidden",
    "Bright",
    "Broken",
    "Golden",
    "Secret",
    "Endless",
    "Wild",
    "Quiet",
)
_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "video": ("The {adj} {a}", "{a} and {b}", "{a}: {adj} {b}", "{adj} {a}"),
    "podcast": ("{a} Talk, Ep. {n}", "The {a} Hour, Ep. {n}", "{adj} {a} Podcast, Ep. {n}"),
    "article": ("{n} Things About {a}", "Why {a} Matters", "Inside the {adj} {a}", "{a}: What Comes Next"),
}


@dataclass(frozen=True, slots=True)
class ContentItem:
    content_id: str
    title: str
    content_type: str
    genres: tuple[str, ...]
    duration_seconds: int
    published_at: datetime
    creator_id: str
    popularity_rank: int
    """Planted: 1 is the most popular; plays follow a Zipf law over this rank."""
    taste_community: int = 0
    """Planted, never in a file: the item's latent taste community (see :data:`TASTE_COMMUNITIES`).
    No catalogue column reveals it; only who plays the item together with what does."""

    @property
    def popularity(self) -> float:
        return float(self.popularity_rank**-ZIPF_EXPONENT)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _duration(rng: random.Random, content_type: str, genres: tuple[str, ...]) -> int:
    if content_type == "video":
        formats = _KIDS_VIDEO_FORMATS if "Kids" in genres else _VIDEO_FORMATS
        _, median, sigma = rng.choices(formats, weights=[f[0] for f in formats])[0]
    elif content_type == "podcast":
        median, sigma = _PODCAST
    else:
        median, sigma = _ARTICLE
    low, high = _DURATION_BOUNDS[content_type]
    return min(high, max(low, round(median * math.exp(rng.gauss(0.0, sigma)))))


def _title(rng: random.Random, content_type: str, genres: tuple[str, ...]) -> str:
    template = rng.choice(_TEMPLATES[content_type])
    return template.format(
        adj=rng.choice(_ADJECTIVES),
        a=rng.choice(_WORDS[genres[0]]),
        b=rng.choice(_WORDS[genres[-1]]),
        n=rng.randint(2, 240) if content_type == "podcast" else rng.randint(3, 12),
    )


def catalog(config: GeneratorConfig) -> list[ContentItem]:
    """The catalog for ``config`` (depends only on ``seed``, ``n_content`` and ``reference_date``)."""
    rng = random.Random(f"{config.seed}:catalog")
    # Its own stream, so the catalogue's columns stay those of the reference tables.
    taste_rng = random.Random(f"{config.seed}:catalog-taste")
    n_creators = max(1, round(config.n_content / 8))
    creators = []
    for _ in range(n_creators):
        content_type = _weighted(rng, _TYPE_SHARE)
        creators.append((content_type, _weighted(rng, _GENRE_BY_TYPE[content_type])))
    creator_cum = list(accumulate(rng.paretovariate(1.4) for _ in range(n_creators)))
    creator_taste = [taste_rng.randrange(TASTE_COMMUNITIES) for _ in range(n_creators)]

    ranks = list(range(1, config.n_content + 1))
    rng.shuffle(ranks)
    epoch = datetime.combine(config.reference_date, time(), tzinfo=UTC)
    items = []
    for index in range(config.n_content):
        creator = rng.choices(range(n_creators), cum_weights=creator_cum)[0]
        content_type, primary = creators[creator]
        genres = [primary]
        for _ in range(rng.choices((0, 1, 2), weights=(0.45, 0.4, 0.15))[0]):
            options = {
                g: w
                for g, w in _GENRE_BY_TYPE[content_type].items()
                if g not in genres and all(frozenset((g, h)) not in _INCOMPATIBLE for h in genres)
            }
            genres.append(_weighted(rng, options))
        age_days = min(3 * 365.0, rng.expovariate(1 / 180))
        published = epoch - timedelta(seconds=round(age_days * 86_400) + 1)
        items.append(
            ContentItem(
                content_id=f"c-{index + 1:06d}",
                title=_title(rng, content_type, tuple(genres)),
                content_type=content_type,
                genres=tuple(genres),
                duration_seconds=_duration(rng, content_type, tuple(genres)),
                published_at=published,
                creator_id=f"cr-{creator + 1:05d}",
                popularity_rank=ranks[index],
                taste_community=(
                    creator_taste[creator]
                    if taste_rng.random() < CREATOR_TASTE_SHARE
                    else taste_rng.randrange(TASTE_COMMUNITIES)
                ),
            )
        )
    return items
