"""Live counter semantics, shared by every counter adapter.

Per content there is one ``TOTAL`` bucket and one bucket per event hour (UTC, by the event's own
timestamp). Each bucket counts every event type and the seconds viewed. A request's records are
aggregated here first, so an adapter writes once per (content, bucket) per request, not per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.engagement import EventType, LakeRecord

TOTAL_BUCKET = "TOTAL"
EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)


def hour_bucket(record: LakeRecord) -> str:
    at = record.event_timestamp
    return f"HOUR#{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}"


@dataclass(frozen=True, order=True)
class CounterKey:
    content_id: str
    bucket: str


@dataclass
class CounterDelta:
    """What one request adds to one bucket."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENT_TYPES, 0))
    view_seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(self.counts.values())

    def add(self, record: LakeRecord) -> None:
        self.counts[record.event_type] += 1
        self.view_seconds += record.metadata.view_duration or 0.0


def aggregate(records: Iterable[LakeRecord]) -> dict[CounterKey, CounterDelta]:
    """One delta per (content, bucket), ordered by (content, bucket): adapters write in that order.

    Keyed by plain tuples while summing (an event hour is formatted once per distinct hour), then
    turned into :class:`CounterKey`: this runs once per request on the ingestion hot path."""
    deltas: dict[tuple[str, str], CounterDelta] = {}
    hours: dict[tuple[int, int, int, int], str] = {}
    for record in records:
        at = record.event_timestamp
        hour_key = (at.year, at.month, at.day, at.hour)
        hour = hours.get(hour_key) or hours.setdefault(hour_key, hour_bucket(record))
        seconds = record.metadata.view_duration or 0.0
        for key in ((record.content_id, TOTAL_BUCKET), (record.content_id, hour)):
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = CounterDelta()
            delta.counts[record.event_type] += 1
            delta.view_seconds += seconds
    return {CounterKey(*key): deltas[key] for key in sorted(deltas)}


@dataclass(frozen=True)
class ContentCounters:
    """A content's all-time live counters."""

    content_id: str
    counts: dict[str, int]
    view_seconds: float

    @property
    def events(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class HourlyCounters:
    content_id: str
    hour: str  # YYYY-MM-DDTHH, UTC
    counts: dict[str, int]
    view_seconds: float
