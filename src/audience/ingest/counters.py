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


_TYPE_INDEX = {t: i for i, t in enumerate(EVENT_TYPES)}
_SECONDS = len(EVENT_TYPES)


def bucket_sums(records: Iterable[LakeRecord]) -> dict[tuple[str, str], list[float]]:
    """Per (content, bucket): the count of each event type in ``EVENT_TYPES`` order, then the seconds
    viewed, as one list, in no particular order. The arithmetic of :func:`aggregate` without its
    objects: the local counter store writes these straight into its upsert (ingestion hot path)."""
    sums: dict[tuple[str, str], list[float]] = {}
    hours: dict[tuple[int, int, int, int], str] = {}
    type_index, seconds_at, width = _TYPE_INDEX, _SECONDS, _SECONDS + 1
    for record in records:
        at = record.event_timestamp
        hour_key = (at.year, at.month, at.day, at.hour)
        hour = hours.get(hour_key) or hours.setdefault(hour_key, hour_bucket(record))
        seconds = record.metadata.view_duration or 0.0
        slot = type_index[record.event_type]
        content = record.content_id
        for key in ((content, TOTAL_BUCKET), (content, hour)):
            row = sums.get(key)
            if row is None:
                row = sums[key] = [0] * width
                row[seconds_at] = 0.0
            row[slot] += 1
            row[seconds_at] += seconds
    return sums


def aggregate(records: Iterable[LakeRecord]) -> dict[CounterKey, CounterDelta]:
    """One delta per (content, bucket), ordered by (content, bucket): adapters write in that order.

    Summed by :func:`bucket_sums` (an event hour is formatted once per distinct hour), then turned
    into :class:`CounterKey` and :class:`CounterDelta`: this runs once per request on the hot path."""
    sums = bucket_sums(records)
    return {
        CounterKey(*key): CounterDelta(
            dict(zip(EVENT_TYPES, map(int, sums[key][:_SECONDS]), strict=True)), sums[key][_SECONDS]
        )
        for key in sorted(sums)
    }


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
