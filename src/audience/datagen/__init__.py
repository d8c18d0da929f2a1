"""A seeded generator of realistic engagement data with planted, recoverable structure.

``generate(config)`` streams contract-shaped events (with labelled bad events and client retries);
``catalog(config)`` and ``users(config)`` give the reference tables the events refer to. Local-only
code: nothing here is packaged for Lambda. ``python -m audience.datagen --help`` writes the files.
"""

from audience.datagen.catalog import ContentItem, catalog
from audience.datagen.config import GeneratorConfig
from audience.datagen.defects import Defect
from audience.datagen.events import GeneratedEvent, generate
from audience.datagen.reference import GENRES, SEGMENT_NAMES, SEGMENTS, Segment
from audience.datagen.users import UserProfile, users
from audience.datagen.writers import (
    write_catalog_csv,
    write_events_jsonl,
    write_reference_tables,
    write_users_csv,
)

__all__ = [
    "GENRES",
    "SEGMENTS",
    "SEGMENT_NAMES",
    "ContentItem",
    "Defect",
    "GeneratedEvent",
    "GeneratorConfig",
    "Segment",
    "UserProfile",
    "catalog",
    "generate",
    "users",
    "write_catalog_csv",
    "write_events_jsonl",
    "write_reference_tables",
    "write_users_csv",
]
