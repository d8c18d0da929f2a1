"""The fixed world the generator draws from: genres, places, client surfaces and audience archetypes.

Everything here is data, not logic. The archetypes (:data:`SEGMENTS`) are the *planted* structure:
each one drives its members' genre and content-type interests, activity, daily rhythm, devices,
patience (how long content they finish) and churn propensity. ``data/README.md`` documents them for
the issues that must recover them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

GENRES: Final[tuple[str, ...]] = (
    "Action",
    "Comedy",
    "Drama",
    "Documentary",
    "News",
    "Sports",
    "Music",
    "Tech",
    "Kids",
    "Horror",
    "Romance",
    "Sci-Fi",
)
CONTENT_TYPES: Final[tuple[str, ...]] = ("video", "podcast", "article")
AGE_GROUPS: Final[tuple[str, ...]] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
TIERS: Final[tuple[str, ...]] = ("free", "standard", "premium")


@dataclass(frozen=True)
class Surface:
    """A client application on a kind of device: the event's ``platform`` and ``device_type``."""

    platform: str
    device_type: str


IOS_PHONE: Final = Surface("ios-app", "mobile")
IOS_TABLET: Final = Surface("ios-app", "tablet")
ANDROID_PHONE: Final = Surface("android-app", "mobile")
ANDROID_TABLET: Final = Surface("android-app", "tablet")
WEB: Final = Surface("web", "desktop")
MOBILE_WEB: Final = Surface("mobile-web", "mobile")
ROKU: Final = Surface("roku", "tv")
SMART_TV: Final = Surface("smart-tv-app", "tv")
FIRE_TV: Final = Surface("fire-tv", "tv")
CONSOLE: Final = Surface("game-console", "other")
SURFACES: Final[tuple[Surface, ...]] = (
    IOS_PHONE,
    IOS_TABLET,
    ANDROID_PHONE,
    ANDROID_TABLET,
    WEB,
    MOBILE_WEB,
    ROKU,
    SMART_TV,
    FIRE_TV,
    CONSOLE,
)


@dataclass(frozen=True)
class City:
    region: str
    city: str
    utc_offset: float
    """Standard-time offset in hours; daylight saving is ignored, an hour off is close enough here."""
    weight: float


# A US-heavy audience; each city's region is the state, province or region it lies in.
COUNTRIES: Final[Mapping[str, tuple[float, tuple[City, ...]]]] = {
    "US": (
        55,
        (
            City("California", "Los Angeles", -8, 10),
            City("California", "San Francisco", -8, 5),
            City("California", "San Diego", -8, 4),
            City("New York", "New York City", -5, 12),
            City("New York", "Buffalo", -5, 1.5),
            City("Texas", "Houston", -6, 6),
            City("Texas", "Dallas", -6, 5),
            City("Texas", "Austin", -6, 3),
            City("Illinois", "Chicago", -6, 7),
            City("Florida", "Miami", -5, 5),
            City("Florida", "Orlando", -5, 2.5),
            City("Washington", "Seattle", -8, 4),
            City("Massachusetts", "Boston", -5, 4),
            City("Georgia", "Atlanta", -5, 4.5),
            City("Colorado", "Denver", -7, 3),
            City("Arizona", "Phoenix", -7, 4),
            City("Pennsylvania", "Philadelphia", -5, 4.5),
            City("Ohio", "Columbus", -5, 2.5),
            City("Michigan", "Detroit", -5, 3),
            City("North Carolina", "Charlotte", -5, 2.5),
            City("Minnesota", "Minneapolis", -6, 2.5),
            City("Oregon", "Portland", -8, 2),
        ),
    ),
    "GB": (
        8,
        (
            City("England", "London", 0, 9),
            City("England", "Manchester", 0, 2.5),
            City("England", "Birmingham", 0, 2.5),
            City("Scotland", "Edinburgh", 0, 1),
            City("Scotland", "Glasgow", 0, 1.2),
            City("Wales", "Cardiff", 0, 0.8),
        ),
    ),
    "CA": (
        7,
        (
            City("Ontario", "Toronto", -5, 6),
            City("Ontario", "Ottawa", -5, 1.5),
            City("Quebec", "Montreal", -5, 4),
            City("British Columbia", "Vancouver", -8, 2.5),
            City("Alberta", "Calgary", -7, 1.5),
        ),
    ),
    "DE": (
        5,
        (
            City("Berlin", "Berlin", 1, 3.6),
            City("Hamburg", "Hamburg", 1, 1.8),
            City("Bavaria", "Munich", 1, 1.5),
            City("North Rhine-Westphalia", "Cologne", 1, 1.1),
            City("Hesse", "Frankfurt", 1, 0.8),
        ),
    ),
    "IN": (
        5,
        (
            City("Maharashtra", "Mumbai", 5.5, 4),
            City("Delhi", "New Delhi", 5.5, 4),
            City("Karnataka", "Bengaluru", 5.5, 3),
            City("Tamil Nadu", "Chennai", 5.5, 2),
        ),
    ),
    "BR": (
        4,
        (
            City("São Paulo", "São Paulo", -3, 5),
            City("Rio de Janeiro", "Rio de Janeiro", -3, 3),
            City("Minas Gerais", "Belo Horizonte", -3, 1.5),
        ),
    ),
    "AU": (
        4,
        (
            City("New South Wales", "Sydney", 10, 5),
            City("Victoria", "Melbourne", 10, 5),
            City("Queensland", "Brisbane", 10, 2.5),
            City("Western Australia", "Perth", 8, 2),
        ),
    ),
    "MX": (
        3,
        (
            City("Ciudad de México", "Mexico City", -6, 5),
            City("Jalisco", "Guadalajara", -6, 1.5),
            City("Nuevo León", "Monterrey", -6, 1.5),
        ),
    ),
    "FR": (
        3,
        (
            City("Île-de-France", "Paris", 1, 5),
            City("Auvergne-Rhône-Alpes", "Lyon", 1, 1.5),
            City("Provence-Alpes-Côte d'Azur", "Marseille", 1, 1.5),
        ),
    ),
    "JP": (2, (City("Tokyo", "Tokyo", 9, 4), City("Osaka", "Osaka", 9, 2))),
    "ES": (2, (City("Community of Madrid", "Madrid", 1, 3), City("Catalonia", "Barcelona", 1, 2.5))),
    "IE": (1, (City("Leinster", "Dublin", 0, 1),)),
    "NL": (1, (City("North Holland", "Amsterdam", 1, 1),)),
}


def hourly_profile(base: float, bumps: Sequence[tuple[float, float, float]]) -> tuple[float, ...]:
    """24 local-hour weights with mean 1: a floor plus Gaussian bumps ``(centre hour, width, height)``
    that wrap around midnight."""
    raw = []
    for hour in range(24):
        value = base
        for centre, width, height in bumps:
            distance = min(abs(hour + 0.5 - centre), 24 - abs(hour + 0.5 - centre))
            value += height * math.exp(-0.5 * (distance / width) ** 2)
        raw.append(value)
    mean = sum(raw) / 24
    return tuple(v / mean for v in raw)


@dataclass(frozen=True)
class Segment:
    """An audience archetype: the planted ground truth a segmentation should recover."""

    name: str
    share: float
    """Share of users in this segment."""
    genres: Mapping[str, float]
    """Genre interest in [0, 1]; genres not named get :attr:`other_genres`."""
    other_genres: float
    types: Mapping[str, float]
    """Content-type interest in [0, 1]."""
    sessions_per_day: float
    """Mean sessions per active day, before per-user variation (relative: totals are scaled to the target)."""
    events_per_session: float
    """Mean events per session."""
    weekday_hours: tuple[float, ...]
    weekend_hours: tuple[float, ...]
    weekend_factor: float
    """Activity on a Saturday or Sunday relative to a weekday."""
    patience_seconds: float
    """How long content this audience finishes: P(complete) falls as exp(-duration / patience)."""
    social: float
    """Multiplier on like, share and comment probabilities."""
    surfaces: Mapping[Surface, float]
    ages: tuple[float, ...]
    """Weights over :data:`AGE_GROUPS`."""
    tiers: tuple[float, ...]
    """Weights over :data:`TIERS`."""
    churn_propensity: float
    """Mean probability that a member stops being active partway through the window."""

    def genre_weight(self, genre: str) -> float:
        return self.genres.get(genre, self.other_genres)


_EVENING = hourly_profile(0.15, [(21.0, 1.8, 2.2), (13.0, 2.0, 0.35)])

SEGMENTS: Final[tuple[Segment, ...]] = (
    Segment(
        name="binge_watchers",
        share=0.18,
        genres={"Drama": 1.0, "Sci-Fi": 0.9, "Action": 0.8, "Horror": 0.6, "Comedy": 0.55, "Romance": 0.45},
        other_genres=0.06,
        types={"video": 1.0, "podcast": 0.04, "article": 0.04},
        sessions_per_day=1.8,
        events_per_session=11.0,
        weekday_hours=hourly_profile(0.08, [(21.5, 1.8, 2.6), (0.5, 1.2, 0.8)]),
        weekend_hours=hourly_profile(0.12, [(21.0, 2.2, 2.2), (15.0, 2.5, 1.0)]),
        weekend_factor=1.35,
        patience_seconds=6 * 3600,
        social=0.8,
        surfaces={
            ROKU: 0.25,
            SMART_TV: 0.3,
            FIRE_TV: 0.1,
            WEB: 0.15,
            IOS_PHONE: 0.1,
            ANDROID_PHONE: 0.1,
        },
        ages=(0.24, 0.36, 0.22, 0.11, 0.05, 0.02),
        tiers=(0.15, 0.4, 0.45),
        churn_propensity=0.06,
    ),
    Segment(
        name="podcast_commuters",
        share=0.14,
        genres={"Tech": 1.0, "News": 0.75, "Documentary": 0.8, "Comedy": 0.55, "Sports": 0.3, "Music": 0.25},
        other_genres=0.08,
        types={"podcast": 1.0, "article": 0.18, "video": 0.08},
        sessions_per_day=1.6,
        events_per_session=4.0,
        weekday_hours=hourly_profile(0.05, [(7.8, 0.9, 3.0), (17.8, 1.0, 2.6), (12.5, 0.8, 0.5)]),
        weekend_hours=hourly_profile(0.2, [(10.5, 1.8, 1.5), (16.0, 2.0, 0.8)]),
        weekend_factor=0.55,
        patience_seconds=4 * 3600,
        social=0.6,
        surfaces={IOS_PHONE: 0.5, ANDROID_PHONE: 0.4, WEB: 0.1},
        ages=(0.12, 0.34, 0.3, 0.15, 0.07, 0.02),
        tiers=(0.35, 0.4, 0.25),
        churn_propensity=0.07,
    ),
    Segment(
        name="news_skimmers",
        share=0.17,
        genres={"News": 1.0, "Tech": 0.55, "Sports": 0.35, "Documentary": 0.35},
        other_genres=0.07,
        types={"article": 1.0, "video": 0.22, "podcast": 0.08},
        sessions_per_day=2.6,
        events_per_session=9.0,
        weekday_hours=hourly_profile(0.1, [(7.3, 1.2, 2.2), (12.5, 1.0, 1.4), (20.0, 1.8, 1.2)]),
        weekend_hours=hourly_profile(0.15, [(9.5, 1.6, 1.8), (20.0, 2.0, 1.0)]),
        weekend_factor=0.8,
        patience_seconds=900,
        social=0.5,
        surfaces={WEB: 0.35, IOS_PHONE: 0.25, ANDROID_PHONE: 0.25, MOBILE_WEB: 0.15},
        ages=(0.06, 0.16, 0.22, 0.24, 0.2, 0.12),
        tiers=(0.5, 0.35, 0.15),
        churn_propensity=0.07,
    ),
    Segment(
        name="sports_fans",
        share=0.15,
        genres={"Sports": 1.0, "Action": 0.35, "News": 0.35, "Documentary": 0.3, "Comedy": 0.2},
        other_genres=0.06,
        types={"video": 1.0, "article": 0.55, "podcast": 0.25},
        sessions_per_day=1.4,
        events_per_session=7.0,
        weekday_hours=hourly_profile(0.1, [(20.0, 1.6, 2.4), (12.5, 1.0, 0.4)]),
        weekend_hours=hourly_profile(0.15, [(15.5, 2.6, 1.8), (20.0, 1.6, 1.6)]),
        weekend_factor=1.7,
        patience_seconds=3 * 3600,
        social=1.6,
        surfaces={
            SMART_TV: 0.25,
            ROKU: 0.15,
            IOS_PHONE: 0.2,
            ANDROID_PHONE: 0.2,
            WEB: 0.15,
            CONSOLE: 0.05,
        },
        ages=(0.2, 0.3, 0.24, 0.15, 0.08, 0.03),
        tiers=(0.3, 0.4, 0.3),
        churn_propensity=0.09,
    ),
    Segment(
        name="kids_family",
        share=0.12,
        genres={"Kids": 1.0, "Comedy": 0.5, "Music": 0.45, "Action": 0.2, "Sci-Fi": 0.15},
        other_genres=0.03,
        types={"video": 1.0, "podcast": 0.04, "article": 0.02},
        sessions_per_day=1.5,
        events_per_session=10.0,
        weekday_hours=hourly_profile(0.06, [(16.8, 1.4, 2.6), (7.3, 0.7, 0.9), (19.0, 0.8, 1.0)]),
        weekend_hours=hourly_profile(0.08, [(9.5, 1.6, 2.2), (16.5, 2.0, 1.6)]),
        weekend_factor=1.4,
        patience_seconds=3000,
        social=0.4,
        surfaces={IOS_TABLET: 0.3, ANDROID_TABLET: 0.2, SMART_TV: 0.25, ROKU: 0.15, FIRE_TV: 0.1},
        ages=(0.02, 0.32, 0.44, 0.16, 0.04, 0.02),
        tiers=(0.25, 0.45, 0.3),
        churn_propensity=0.07,
    ),
    Segment(
        name="casual_churners",
        share=0.24,
        genres={"Comedy": 1.0, "Music": 0.75, "Romance": 0.6, "Action": 0.5, "Drama": 0.45},
        other_genres=0.12,
        types={"video": 1.0, "article": 0.3, "podcast": 0.12},
        sessions_per_day=0.45,
        events_per_session=3.5,
        weekday_hours=_EVENING,
        weekend_hours=hourly_profile(0.2, [(20.5, 2.2, 1.8), (14.0, 2.5, 0.8)]),
        weekend_factor=1.1,
        patience_seconds=1500,
        social=0.5,
        surfaces={IOS_PHONE: 0.3, ANDROID_PHONE: 0.35, MOBILE_WEB: 0.15, WEB: 0.2},
        ages=(0.3, 0.3, 0.18, 0.12, 0.07, 0.03),
        tiers=(0.7, 0.25, 0.05),
        churn_propensity=0.45,
    ),
)
SEGMENT_NAMES: Final[tuple[str, ...]] = tuple(s.name for s in SEGMENTS)
