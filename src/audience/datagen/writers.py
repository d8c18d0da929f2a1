"""Files: the reference tables as CSV (byte-for-byte reproducible) and events as JSON lines."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from audience.datagen.catalog import ContentItem, catalog
from audience.datagen.config import GeneratorConfig
from audience.datagen.events import GeneratedEvent
from audience.datagen.reference import CONTENT_TYPES
from audience.datagen.users import UserProfile, users

CATALOG_FILE: Final = "content_catalog.csv"
USERS_FILE: Final = "users.csv"
EVENTS_FILE: Final = "events.jsonl"

CATALOG_COLUMNS: Final = (
    "content_id",
    "title",
    "content_type",
    "genres",
    "duration_seconds",
    "published_at",
    "creator_id",
    "planted_popularity_rank",
)
USER_COLUMNS: Final = (
    "user_id",
    "signup_date",
    "country",
    "region",
    "city",
    "utc_offset_hours",
    "age_group",
    "subscription_tier",
    "marketing_opt_in",
    "preferred_platform",
    "preferred_device_type",
    "platforms",
    "planted_segment",
    "planted_activity",
    "planted_favorite_genre",
    "planted_top_genres",
    "planted_top_content_type",
    "planted_churn_propensity",
    "planted_churns",
    "planted_churn_point",
)


def catalog_row(item: ContentItem) -> tuple[str, ...]:
    return (
        item.content_id,
        item.title,
        item.content_type,
        "|".join(item.genres),
        str(item.duration_seconds),
        item.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        item.creator_id,
        str(item.popularity_rank),
    )


def user_row(person: UserProfile) -> tuple[str, ...]:
    preferred = person.preferred_surface
    top_type = CONTENT_TYPES[person.type_affinity.index(max(person.type_affinity))]
    return (
        person.user_id,
        person.signup_date.isoformat(),
        person.country,
        person.region,
        person.city,
        f"{person.utc_offset:g}",
        person.age_group,
        person.subscription_tier,
        str(person.marketing_opt_in).lower(),
        preferred.platform,
        preferred.device_type,
        "|".join(f"{s.platform}:{s.device_type}" for s, _ in person.surfaces),
        person.segment,
        f"{person.activity:.4f}",
        person.favorite_genre,
        "|".join(person.top_genres()),
        top_type,
        f"{person.churn_propensity:.4f}",
        str(person.churn_point is not None).lower(),
        "" if person.churn_point is None else f"{person.churn_point:.4f}",
    )


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_catalog_csv(items: Iterable[ContentItem], path: Path) -> None:
    _write_csv(path, CATALOG_COLUMNS, (catalog_row(item) for item in items))


def write_users_csv(people: Iterable[UserProfile], path: Path) -> None:
    _write_csv(path, USER_COLUMNS, (user_row(person) for person in people))


def write_reference_tables(config: GeneratorConfig, out_dir: Path) -> list[Path]:
    """Write ``content_catalog.csv`` and ``users.csv`` for ``config`` into ``out_dir``."""
    paths = [out_dir / CATALOG_FILE, out_dir / USERS_FILE]
    write_catalog_csv(catalog(config), paths[0])
    write_users_csv(users(config), paths[1])
    return paths


def reference_mismatch(config: GeneratorConfig, data_dir: Path) -> str | None:
    """Why the reference tables in ``data_dir`` do not describe ``config``'s events, or ``None``.

    Every stage after ingestion reads the catalogue and the profiles from these files (the
    Personalize items, the titles, the Explorer's genres), not from the generator. They must be
    what ``config`` generates: the whole catalogue (its items depend on ``n_content`` through the
    number of creators, so a 1,500-item run shares ids, not items, with the 2,000-item file) and the
    first ``n_users`` profiles (users are drawn one after another, so fewer users are a prefix).
    """
    expected_items = [catalog_row(item) for item in catalog(config)]
    found_items = _read_rows(data_dir / CATALOG_FILE, CATALOG_COLUMNS)
    if found_items != expected_items:
        return (
            f"{data_dir / CATALOG_FILE} is not the catalogue of seed {config.seed} with {config.n_content:,} "
            f"items ({len(found_items):,} rows; {_first_difference(found_items, expected_items)}): generate "
            f"with the reference tables' seed and sizes, or rewrite them (python -m audience.datagen --out DIR "
            f"--seed {config.seed} --content {config.n_content} --users N)"
        )
    expected_users = [user_row(person) for person in users(config)]
    found_users = _read_rows(data_dir / USERS_FILE, USER_COLUMNS)[: len(expected_users)]
    if found_users != expected_users:
        return (
            f"{data_dir / USERS_FILE} does not start with the {config.n_users:,} users of seed {config.seed} "
            f"({_first_difference(found_users, expected_users)})"
        )
    return None


def _read_rows(path: Path, header: tuple[str, ...]) -> list[tuple[str, ...]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [tuple(row) for row in csv.reader(handle)]
    return rows[1:] if rows and rows[0] == header else []


def _first_difference(found: list[tuple[str, ...]], expected: list[tuple[str, ...]]) -> str:
    for found_row, expected_row in zip(found, expected, strict=False):
        if found_row != expected_row:
            return f"{expected_row[0]} differs"
    return f"{len(expected):,} rows expected"


def write_events_jsonl(events: Iterable[GeneratedEvent], path: Path) -> int:
    """One event body (what a client POSTs) per line; returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for event in events:
            handle.write(json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count
