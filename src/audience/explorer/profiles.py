"""``rich_audience_data.csv``: first-, second- and third-party attributes for every generated user.

The generator reuses :func:`audience.datagen.users` (same ids, same planted segment, age group,
sign-up date and planted churn), and draws every other attribute from a distribution that depends
on the planted segment, with noise: a segmentation that works should recover the planted segments
(``tests`` measure the adjusted Rand index), and one that does not, should not. Deterministic:
the same seed always writes the same bytes.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from audience.datagen import GeneratorConfig
from audience.datagen.users import UserProfile, users
from schemas.engagement import Identifier

RICH_FILE: Final = "rich_audience_data.csv"

INCOME_BRACKETS: Final = ("<25k", "25-50k", "50-100k", "100-150k", "150k+")
TRAVELER_TYPES: Final = ("non_traveler", "leisure", "business", "adventure", "family")
EDUCATION_LEVELS: Final = ("high_school", "some_college", "bachelors", "masters", "doctorate")
MARITAL_STATUSES: Final = ("single", "partnered", "married", "divorced", "widowed")
HOMEOWNER_STATUSES: Final = ("renter", "owner", "living_with_family")
PARTNER_CATEGORIES: Final = (
    "electronics",
    "gaming",
    "books",
    "toys",
    "sports_gear",
    "fashion",
    "groceries",
    "travel",
    "home",
)
EVENT_GENRES: Final = ("concerts", "sports", "theatre", "conferences", "festivals", "kids_events", "comedy")

COLUMNS: Final = (
    "user_id",
    "age_group",
    "income_bracket",
    "time_on_social_media_min",
    "time_on_streaming_video_min",
    "time_on_podcasts_min",
    "monthly_conversions",
    "customer_since_date",
    "avg_monthly_spend",
    "last_seen_days_ago",
    "support_tickets_raised",
    "churned_in_last_90_days",
    "partner_purchase_categories",
    "traveler_type",
    "event_attendance_genres",
    "household_size",
    "presence_of_children",
    "education_level",
    "marital_status",
    "homeowner_status",
    "estimated_net_worth",
    "offline_purchase_intent",
)


@dataclass(frozen=True)
class Archetype:
    """How a planted segment shows in the rich attributes (means of daily minutes, weights of levels)."""

    social_min: float
    video_min: float
    podcast_min: float
    conversions: float
    spend: float
    tickets: float
    income: tuple[float, ...]
    traveler: tuple[float, ...]
    education: tuple[float, ...]
    marital: tuple[float, ...]
    homeowner: tuple[float, ...]
    household: float
    children: float
    net_worth: float
    intent: float
    partner: Mapping[str, float]
    events: Mapping[str, float]


ARCHETYPES: Final[Mapping[str, Archetype]] = {
    "binge_watchers": Archetype(
        social_min=45,
        video_min=190,
        podcast_min=6,
        conversions=2.2,
        spend=38,
        tickets=0.6,
        income=(0.1, 0.25, 0.4, 0.17, 0.08),
        traveler=(0.45, 0.35, 0.1, 0.05, 0.05),
        education=(0.2, 0.3, 0.35, 0.12, 0.03),
        marital=(0.45, 0.25, 0.2, 0.08, 0.02),
        homeowner=(0.6, 0.25, 0.15),
        household=1.9,
        children=0.15,
        net_worth=120_000,
        intent=45,
        partner={"electronics": 0.55, "gaming": 0.45, "groceries": 0.3},
        events={"concerts": 0.2, "comedy": 0.25, "festivals": 0.15},
    ),
    "podcast_commuters": Archetype(
        social_min=30,
        video_min=35,
        podcast_min=110,
        conversions=3.0,
        spend=42,
        tickets=0.4,
        income=(0.03, 0.12, 0.35, 0.3, 0.2),
        traveler=(0.15, 0.2, 0.5, 0.1, 0.05),
        education=(0.05, 0.12, 0.43, 0.3, 0.1),
        marital=(0.35, 0.25, 0.32, 0.07, 0.01),
        homeowner=(0.45, 0.5, 0.05),
        household=2.1,
        children=0.25,
        net_worth=320_000,
        intent=55,
        partner={"books": 0.6, "electronics": 0.4, "travel": 0.45},
        events={"conferences": 0.6, "theatre": 0.2, "comedy": 0.2},
    ),
    "news_skimmers": Archetype(
        social_min=70,
        video_min=20,
        podcast_min=10,
        conversions=1.6,
        spend=24,
        tickets=0.5,
        income=(0.08, 0.2, 0.35, 0.22, 0.15),
        traveler=(0.35, 0.4, 0.15, 0.03, 0.07),
        education=(0.1, 0.2, 0.35, 0.25, 0.1),
        marital=(0.2, 0.1, 0.5, 0.12, 0.08),
        homeowner=(0.25, 0.7, 0.05),
        household=2.3,
        children=0.2,
        net_worth=450_000,
        intent=35,
        partner={"books": 0.45, "home": 0.4, "groceries": 0.35},
        events={"theatre": 0.35, "conferences": 0.25},
    ),
    "sports_fans": Archetype(
        social_min=95,
        video_min=110,
        podcast_min=25,
        conversions=2.6,
        spend=46,
        tickets=0.7,
        income=(0.08, 0.25, 0.4, 0.18, 0.09),
        traveler=(0.25, 0.3, 0.1, 0.3, 0.05),
        education=(0.25, 0.3, 0.33, 0.1, 0.02),
        marital=(0.35, 0.2, 0.35, 0.08, 0.02),
        homeowner=(0.45, 0.45, 0.1),
        household=2.4,
        children=0.3,
        net_worth=180_000,
        intent=60,
        partner={"sports_gear": 0.7, "fashion": 0.3, "electronics": 0.3},
        events={"sports": 0.8, "concerts": 0.25, "festivals": 0.2},
    ),
    "kids_family": Archetype(
        social_min=50,
        video_min=140,
        podcast_min=8,
        conversions=3.4,
        spend=55,
        tickets=1.1,
        income=(0.05, 0.2, 0.45, 0.2, 0.1),
        traveler=(0.2, 0.15, 0.05, 0.05, 0.55),
        education=(0.15, 0.25, 0.4, 0.17, 0.03),
        marital=(0.05, 0.15, 0.72, 0.07, 0.01),
        homeowner=(0.25, 0.72, 0.03),
        household=4.1,
        children=0.95,
        net_worth=260_000,
        intent=70,
        partner={"toys": 0.8, "groceries": 0.55, "home": 0.45},
        events={"kids_events": 0.75, "festivals": 0.2},
    ),
    "casual_churners": Archetype(
        social_min=150,
        video_min=40,
        podcast_min=5,
        conversions=0.7,
        spend=9,
        tickets=1.6,
        income=(0.35, 0.35, 0.2, 0.07, 0.03),
        traveler=(0.55, 0.3, 0.03, 0.1, 0.02),
        education=(0.4, 0.35, 0.2, 0.04, 0.01),
        marital=(0.65, 0.2, 0.1, 0.05, 0.0),
        homeowner=(0.5, 0.1, 0.4),
        household=2.0,
        children=0.1,
        net_worth=30_000,
        intent=25,
        partner={"fashion": 0.55, "gaming": 0.3},
        events={"concerts": 0.35, "festivals": 0.3, "comedy": 0.2},
    ),
}
"""Keys are :data:`audience.datagen.reference.SEGMENT_NAMES`."""

_BASE_PARTNER: Final = 0.08
_BASE_EVENTS: Final = 0.06


def _minutes(rng: random.Random, mean: float) -> float:
    # Lognormal around the mean (sigma 0.3): heavy users exist in every segment, as in real data.
    return round(mean * math.exp(rng.gauss(-0.045, 0.3)), 1)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; fine for the small means used here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _multi(rng: random.Random, levels: Sequence[str], weights: Mapping[str, float], base: float) -> str:
    return "|".join(level for level in levels if rng.random() < weights.get(level, base))


def rich_row(rng: random.Random, person: UserProfile, reference: date) -> dict[str, str]:
    """One user's attributes as CSV text (the planted segment drives the distributions)."""
    a = ARCHETYPES[person.segment]
    children = rng.random() < a.children
    household = max(1, min(8, _poisson(rng, a.household - 1) + 1 + (1 if children else 0)))
    churned = person.churn_point is not None
    # Churners went quiet weeks ago; casual users drift in and out anyway.
    quiet = 18.0 if person.segment == "casual_churners" else 4.0
    last_seen = rng.randint(8, 45) if churned else min(89, int(rng.expovariate(1 / quiet)))
    return {
        "user_id": person.user_id,
        "age_group": person.age_group,
        "income_bracket": rng.choices(INCOME_BRACKETS, weights=a.income)[0],
        "time_on_social_media_min": f"{_minutes(rng, a.social_min):.1f}",
        "time_on_streaming_video_min": f"{_minutes(rng, a.video_min):.1f}",
        "time_on_podcasts_min": f"{_minutes(rng, a.podcast_min):.1f}",
        "monthly_conversions": str(_poisson(rng, a.conversions)),
        "customer_since_date": person.signup_date.isoformat(),
        "avg_monthly_spend": f"{a.spend * math.exp(rng.gauss(-0.08, 0.4)):.2f}",
        "last_seen_days_ago": str(last_seen),
        "support_tickets_raised": str(_poisson(rng, a.tickets)),
        "churned_in_last_90_days": str(churned).lower(),
        "partner_purchase_categories": _multi(rng, PARTNER_CATEGORIES, a.partner, _BASE_PARTNER),
        "traveler_type": rng.choices(TRAVELER_TYPES, weights=a.traveler)[0],
        "event_attendance_genres": _multi(rng, EVENT_GENRES, a.events, _BASE_EVENTS),
        "household_size": str(household),
        "presence_of_children": str(children).lower(),
        "education_level": rng.choices(EDUCATION_LEVELS, weights=a.education)[0],
        "marital_status": rng.choices(MARITAL_STATUSES, weights=a.marital)[0],
        "homeowner_status": rng.choices(HOMEOWNER_STATUSES, weights=a.homeowner)[0],
        "estimated_net_worth": str(round(a.net_worth * math.exp(rng.gauss(-0.2, 0.6)), -2).__int__()),
        "offline_purchase_intent": f"{min(100.0, max(0.0, rng.gauss(a.intent, 12))):.1f}",
    }


def generate_rows(config: GeneratorConfig) -> Iterable[dict[str, str]]:
    rng = random.Random(f"{config.seed}:rich-profiles")
    for person in users(config):
        yield rich_row(rng, person, config.reference_date)


def write_rich_csv(config: GeneratorConfig, path: Path) -> int:
    """Write ``rich_audience_data.csv`` for ``config``; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in generate_rows(config):
            writer.writerow(row)
            count += 1
    return count


def _split(value: object) -> object:
    if isinstance(value, str):
        return [v for v in value.split("|") if v]
    return value


class RichProfile(BaseModel):
    """One validated row of ``rich_audience_data.csv`` (the file's contract)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    user_id: Identifier  # the event contract's ids (1.1): any printable text, joined with the lake verbatim
    age_group: Literal["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    income_bracket: Literal["<25k", "25-50k", "50-100k", "100-150k", "150k+"]
    time_on_social_media_min: float = Field(ge=0, le=1440)
    time_on_streaming_video_min: float = Field(ge=0, le=1440)
    time_on_podcasts_min: float = Field(ge=0, le=1440)
    monthly_conversions: int = Field(ge=0)
    customer_since_date: date
    avg_monthly_spend: float = Field(ge=0)
    last_seen_days_ago: int = Field(ge=0)
    support_tickets_raised: int = Field(ge=0)
    churned_in_last_90_days: bool
    partner_purchase_categories: list[Literal[PARTNER_CATEGORIES]]  # type: ignore[valid-type]
    traveler_type: Literal[TRAVELER_TYPES]  # type: ignore[valid-type]
    event_attendance_genres: list[Literal[EVENT_GENRES]]  # type: ignore[valid-type]
    household_size: int = Field(ge=1, le=20)
    presence_of_children: bool
    education_level: Literal[EDUCATION_LEVELS]  # type: ignore[valid-type]
    marital_status: Literal[MARITAL_STATUSES]  # type: ignore[valid-type]
    homeowner_status: Literal[HOMEOWNER_STATUSES]  # type: ignore[valid-type]
    estimated_net_worth: float
    offline_purchase_intent: float = Field(ge=0, le=100)

    _lists = field_validator("partner_purchase_categories", "event_attendance_genres", mode="before")(_split)


class ProfileFileError(ValueError):
    """The file does not meet the contract; ``problems`` name each bad row (1 = first data row) and column."""

    def __init__(self, path: str, problems: list[tuple[int, str, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"row {row}, column {col}: {msg}" for row, col, msg in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{path}: {len(problems)} bad value(s): {shown}{more}")


def load_rich_csv(path: Path, max_problems: int = 100) -> list[RichProfile]:
    """Read and validate the file; every bad value is reported with its row number and column.

    Row numbers count data rows from 1 (the header is row 0), as a spreadsheet minus its header.
    """
    problems: list[tuple[int, str, str]] = []
    profiles: list[RichProfile] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        if missing or extra:
            detail = [(0, c, "missing column") for c in missing] + [
                (0, c, "unexpected column") for c in extra
            ]
            raise ProfileFileError(str(path), detail)
        for number, raw in enumerate(reader, start=1):
            try:
                profile = RichProfile.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "?"
                    problems.append((number, column, f"{err['msg']} (got {raw.get(column)!r})"))
                if len(problems) >= max_problems:
                    break
                continue
            if profile.user_id in seen:
                problems.append((number, "user_id", f"duplicate user_id {profile.user_id!r}"))
            seen.add(profile.user_id)
            profiles.append(profile)
    if problems:
        raise ProfileFileError(str(path), problems)
    return profiles
