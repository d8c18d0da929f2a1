"""Ports of the ingest slice: what ingestion needs from the outside world, with no word of AWS in them.

Each port has an ``aws`` adapter (boto3) and a ``local`` adapter (the embedded default), and unit
tests pass in-memory fakes. Adapters are chosen in :mod:`audience.ingest.wiring`. The object store
(the lake bucket) is shared by every slice: :mod:`audience.core.objectstore.ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar, runtime_checkable

from audience.ingest.counters import ContentCounters, HourlyCounters
from schemas.engagement import LakeRecord


class LakeRow(Protocol):
    """What the delivery machinery needs of a record of any type (an engagement event's
    :class:`LakeRecord`, a social post's ``SocialLakeRecord``): its idempotency key, arrival time and
    its Firehose line."""

    @property
    def event_id(self) -> str: ...

    @property
    def ingested_at(self) -> datetime: ...

    def to_json_line(self) -> str: ...


Row = TypeVar("Row", bound=LakeRow)
Row_contra = TypeVar("Row_contra", bound=LakeRow, contravariant=True)


@runtime_checkable
class IdLedger(Protocol[Row_contra]):
    """Exactly-once memory by ``event_id`` (the part of :class:`CounterStore` ingestion relies on);
    social posts use one keyed by ``platform:post_id`` with no counters."""

    def known(self, event_ids: Sequence[str]) -> set[str]: ...

    def apply(self, records: Sequence[Row_contra]) -> set[str]: ...


@dataclass(frozen=True)
class SinkLimits:
    """How much one delivery attempt may carry (Firehose PutRecordBatch: 500 records, 4 MiB)."""

    max_records: int = 500
    max_bytes: int = 4 * 1024 * 1024


@runtime_checkable
class EventSink(Protocol):
    """Durable, at-least-once delivery of accepted records into the lake (Firehose's role)."""

    limits: SinkLimits

    def put_batch(self, records: Sequence[LakeRow]) -> list[int]:
        """Make one delivery attempt within ``limits``.

        Returns the positions (into ``records``) of the records that were *not* accepted this time;
        an empty list means every record is durably stored. Transient failure of the whole call is
        reported the same way (every position), never by raising, so the caller retries uniformly.
        """
        ...


@runtime_checkable
class CounterStore(Protocol):
    """Live engagement counters with exactly-once counting per ``event_id`` (DynamoDB's role)."""

    def known(self, event_ids: Sequence[str]) -> set[str]:
        """The ids among ``event_ids`` already counted (a cheap pre-check; ``apply`` is authoritative)."""
        ...

    def apply(self, records: Sequence[LakeRecord]) -> set[str]:
        """Count the records whose ``event_id`` was never counted, atomically with remembering them.

        Returns the ids counted by this call; the others were duplicates. Counters are aggregated
        per (content, bucket) with :func:`audience.ingest.counters.aggregate` before writing.
        """
        ...

    def content(self, content_id: str) -> ContentCounters | None: ...

    def top_content(self, limit: int = 10, by: str = "events") -> list[ContentCounters]: ...

    def hourly(self, content_id: str, start_hour: str, end_hour: str) -> list[HourlyCounters]:
        """Hourly buckets of one content, ``start_hour``..``end_hour`` inclusive (``YYYY-MM-DDTHH``)."""
        ...
