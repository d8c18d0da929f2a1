"""Deliberately bad events: each kind breaks one rule of the contract or of the API's time window."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final


class Defect(StrEnum):
    MISSING_FIELD = "missing_field"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    NAIVE_TIMESTAMP = "naive_timestamp"
    INVALID_COUNTRY = "invalid_country"
    NEGATIVE_VIEW_DURATION = "negative_view_duration"
    COMPLETION_RATE_ABOVE_ONE = "completion_rate_above_one"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_FIELD = "unknown_field"
    OVERLONG_STRING = "overlong_string"


DEFECTS: Final[tuple[Defect, ...]] = tuple(Defect)

REQUIRED_FIELDS: Final = (
    "user_id",
    "content_id",
    "event_type",
    "timestamp",
    "platform",
    "device_type",
    "location",
    "session_id",
)
_UNKNOWN_TYPES: Final = ("purchase", "hover", "rewind", "VIEW", "views", "click")
_BAD_COUNTRIES: Final = ("UK", "XX", "EU", "ZZ", "USA", "")
_EXTRA_FIELDS: Final = (
    ("referrer", "https://example.com/landing"),
    ("ip_address", "203.0.113.7"),
    ("app_version", "5.12.0"),
    ("experiment", "homepage-b"),
)

FUTURE_RANGE: Final = (timedelta(minutes=15), timedelta(days=2))
"""Future timestamps lie this far after ``now``: well past the API's 5 minutes, even for a slow run."""
PAST_RANGE: Final = (timedelta(days=8), timedelta(days=60))
"""Old timestamps lie this far before ``now``: past the API's 7 days."""


def _iso(at: datetime, *, naive: bool = False) -> str:
    text = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    return text if naive else text + "Z"


def corrupt(payload: dict[str, Any], defect: Defect, rng: random.Random, now: datetime) -> dict[str, Any]:
    """A copy of a valid event ``payload`` broken by ``defect`` (``now`` is the config's, aware UTC)."""
    event = {**payload, "location": dict(payload["location"]), "metadata": dict(payload["metadata"])}
    metadata = event["metadata"]
    match defect:
        case Defect.MISSING_FIELD:
            del event[rng.choice(REQUIRED_FIELDS)]
        case Defect.UNKNOWN_EVENT_TYPE:
            event["event_type"] = rng.choice(_UNKNOWN_TYPES)
        case Defect.TIMESTAMP_IN_FUTURE:
            low, high = FUTURE_RANGE
            event["timestamp"] = _iso(now + low + (high - low) * rng.random())
        case Defect.TIMESTAMP_TOO_OLD:
            low, high = PAST_RANGE
            event["timestamp"] = _iso(now - low - (high - low) * rng.random())
        case Defect.NAIVE_TIMESTAMP:
            event["timestamp"] = event["timestamp"].removesuffix("Z")
        case Defect.INVALID_COUNTRY:
            event["location"]["country"] = rng.choice(_BAD_COUNTRIES)
        case Defect.NEGATIVE_VIEW_DURATION:
            metadata["view_duration"] = -round(rng.uniform(1, 600), 1)
        case Defect.COMPLETION_RATE_ABOVE_ONE:
            metadata["completion_rate"] = round(rng.uniform(1.01, 3.0), 4)
        case Defect.WRONG_TYPE:
            if rng.random() < 0.5:
                metadata["view_duration"] = str(metadata.get("view_duration", 12.5))
            else:
                metadata["interaction_count"] = str(metadata.get("interaction_count", 1))
        case Defect.UNKNOWN_FIELD:
            name, value = rng.choice(_EXTRA_FIELDS)
            event[name] = value
        case Defect.OVERLONG_STRING:
            event["platform"] = (event["platform"] + "-") * (500 // (len(event["platform"]) + 1) + 1)
            event["platform"] = event["platform"][:500]
    return event
