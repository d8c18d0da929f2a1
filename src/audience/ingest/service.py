"""Ingestion: from a raw request body to stored, counted and quarantined events.

The order of steps is what makes the path lossless:

1. Request-level checks (size, JSON, shape, count). A failing request is quarantined whole and
   answered with one 4xx. (A well-formed request of a kind with a body check skips this step: the
   check reads the body and its events in one pass.)
2. Per-event validation against the contract, the age window and the size limit. Rejected events
   are quarantined with their reasons *before* anything is acknowledged.
3. Events already counted (by ``event_id``) are reported as duplicates and not sent again.
4. The rest is delivered through the sink, retrying only failed records; then counted exactly once.
5. If some records could not be delivered, the answer is 503 with ``Retry-After``: the client resends
   the same request, and ids make that idempotent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Generic

from audience.core.objectstore.ports import ObjectStore
from audience.ingest.delivery import deliver
from audience.ingest.ports import EventSink, IdLedger, Row
from audience.ingest.records import UniqueRecords, first_per_event_id
from audience.ingest.requests import (
    IngestError,
    IngestLimits,
    PayloadTooLargeError,
    Rejection,
    RequestContext,
    StorageUnavailableError,
    UnsupportedMediaTypeError,
    _parse_request,
    parse_body,
)
from audience.ingest.validation import (
    check_event,
    screen_batch,
    screen_body,
    validate_batch,
    validate_body,
    validate_event,
)
from schemas.engagement import LakeRecord

__all__ = [  # the request rules and per-event rules live in their own modules; importers keep this path
    "IngestError",
    "IngestLimits",
    "IngestResult",
    "IngestService",
    "PayloadTooLargeError",
    "RecordKind",
    "Rejection",
    "RequestContext",
    "StorageUnavailableError",
    "UnsupportedMediaTypeError",
    "check_event",
    "parse_body",
    "screen_batch",
    "screen_body",
    "validate_batch",
    "validate_body",
    "validate_event",
]

QUARANTINE_PREFIX = "quarantine"


@dataclass
class IngestResult:
    request_id: str
    received: int
    accepted: int = 0
    duplicates: int = 0
    failed: int = 0
    retried: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def status(self) -> int:
        if self.failed:
            return 503
        if not self.rejected:
            return 200
        return 207 if self.accepted or self.duplicates else 422

    def body(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "rejected": [r.as_dict() for r in self.rejected],
        }

    def rejected_by_code(self) -> Counter[str]:
        return Counter(r.code for r in self.rejected)


BatchCheck = Callable[
    [Sequence[Any], IngestLimits, RequestContext, bool], tuple[list[Row], list[tuple[Any, list[Rejection]]]]
]
BodyCheck = Callable[
    [bytes, IngestLimits, RequestContext], tuple[int, list[Row], list[tuple[Any, list[Rejection]]]] | None
]


@dataclass(frozen=True)
class RecordKind(Generic[Row]):
    """What varies between the record types the API collects: the batch's array field, the per-item
    validation (contract, size, time window) and where rejects are quarantined.

    ``validate_batch``, when a kind has one, checks a whole request at once and must give exactly the
    answers of ``validate`` applied item by item (engagement events: :func:`validate_batch`, the hot
    path); its last argument says the body was read by jiter, so no string holds a lone surrogate.

    ``validate_body``, when a kind has one, takes the request's bytes before anything else and gives
    (events received, records, rejected) exactly as parsing then ``validate_batch`` would, or ``None``
    to leave the request to the request-level checks (engagement events: :func:`validate_body`)."""

    items: str
    validate: Callable[[Any, int, IngestLimits, RequestContext], Row | list[Rejection]]
    quarantine_prefix: str = QUARANTINE_PREFIX
    validate_batch: BatchCheck[Row] | None = None
    validate_body: BodyCheck[Row] | None = None


def _events_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, surrogate_free: bool
) -> tuple[list[LakeRecord], list[tuple[Any, list[Rejection]]]]:
    return validate_batch(raw_events, limits, ctx, surrogate_free=surrogate_free)


ENGAGEMENT_EVENTS: RecordKind[LakeRecord] = RecordKind(
    "events", validate_event, validate_batch=_events_batch, validate_body=validate_body
)


def quarantine_key(ctx: RequestContext, kind: str, prefix: str = QUARANTINE_PREFIX) -> str:
    at = ctx.received_at.astimezone(UTC)
    return (
        f"{prefix}/year={at:%Y}/month={at:%m}/day={at:%d}/{at:%Y%m%dT%H%M%S%f}-{ctx.request_id}-{kind}.jsonl"
    )


class IngestService(Generic[Row]):
    """The ingestion use case, wired with ports so it runs the same on AWS and locally.

    One service per record type (``kind``): engagement events by default; social posts pass their own
    kind, sink and ledger and reuse every step below."""

    def __init__(
        self,
        *,
        sink: EventSink,
        counters: IdLedger[Row],
        quarantine: ObjectStore,
        limits: IngestLimits,
        delivery_attempts: int = 4,
        delivery_backoff_seconds: float = 0.1,
        sleep: Callable[[float], None] | None = None,
        kind: RecordKind[Row] | None = None,
    ) -> None:
        self.kind: RecordKind[Row] = kind or ENGAGEMENT_EVENTS  # type: ignore[assignment]
        self.sink = sink
        self.counters = counters
        self.quarantine = quarantine
        self.limits = limits
        self.delivery_attempts = delivery_attempts
        self.delivery_backoff_seconds = delivery_backoff_seconds
        self.sleep = sleep

    def ingest(self, body: bytes, ctx: RequestContext) -> IngestResult:
        checked = self.kind.validate_body(body, self.limits, ctx) if self.kind.validate_body else None
        if checked is None:
            try:
                raw_events, surrogate_free = _parse_request(body, self.limits, self.kind.items)
            except IngestError as exc:
                self.quarantine_request(body, ctx, exc)
                raise
            received = len(raw_events)
            records, bad = self._validate(raw_events, ctx, surrogate_free)
        else:
            received, records, bad = checked

        result = IngestResult(request_id=ctx.request_id, received=received)
        for _, reasons in bad:
            result.rejected.extend(reasons)
        if bad:
            self._quarantine_events(bad, ctx)

        # The one deduplication of the request: within it first, then against what was counted.
        unique = first_per_event_id(records)
        result.duplicates += len(records) - len(unique)
        try:
            known = self.counters.known([r.event_id for r in unique])
        except Exception as exc:
            raise StorageUnavailableError("counter store unavailable") from exc
        fresh: UniqueRecords[Row] = (
            UniqueRecords(r for r in unique if r.event_id not in known) if known else unique
        )
        result.duplicates += len(unique) - len(fresh)

        report = deliver(
            self.sink,
            fresh,
            attempts=self.delivery_attempts,
            backoff_seconds=self.delivery_backoff_seconds,
            sleep=self.sleep,
            deadline=ctx.deadline,
        )
        result.retried = report.retried
        result.failed = len(report.failed)
        try:
            counted = self.counters.apply(UniqueRecords(report.delivered))
        except Exception as exc:
            # Delivered but not counted: the client gets no 2xx and resends; the sink side is
            # at-least-once and the counters stay exactly-once, so the retry repairs this.
            raise StorageUnavailableError("counter store unavailable") from exc
        result.accepted = len(counted)
        result.duplicates += len(report.delivered) - len(counted)
        return result

    def _validate(
        self, raw_events: Sequence[Any], ctx: RequestContext, surrogate_free: bool
    ) -> tuple[list[Row], list[tuple[Any, list[Rejection]]]]:
        """Every item of the request: the kind's batch check if it has one, else item by item."""
        if self.kind.validate_batch is not None:
            return self.kind.validate_batch(raw_events, self.limits, ctx, surrogate_free)
        records: list[Row] = []
        bad: list[tuple[Any, list[Rejection]]] = []
        for index, raw in enumerate(raw_events):
            try:
                outcome = self.kind.validate(raw, index, self.limits, ctx)
            except Exception as exc:  # a validation bug must not turn one bad event into a 500
                outcome = [
                    Rejection(
                        index, "", "unprocessable", f"event could not be validated: {type(exc).__name__}"
                    )
                ]
            if isinstance(outcome, list):
                bad.append((raw, outcome))
            else:
                records.append(outcome)
        return records, bad

    def _quarantine_events(self, bad: Sequence[tuple[Any, list[Rejection]]], ctx: RequestContext) -> None:
        lines = [
            json.dumps(
                {
                    "received_at": ctx.received_at.isoformat(),
                    "request_id": ctx.request_id,
                    "index": reasons[0].index,
                    "reasons": [r.as_dict() for r in reasons],
                    "event": raw,
                },
                default=str,
            )
            for raw, reasons in bad
        ]
        self._put(
            quarantine_key(ctx, self.kind.items, self.kind.quarantine_prefix),
            ("\n".join(lines) + "\n").encode(),
        )

    def quarantine_request(self, body: bytes, ctx: RequestContext, exc: IngestError) -> None:
        """Keep a request rejected as a whole, with its reason: at most the body limit of it,
        enough to diagnose a sender while bounded in size."""
        kept = body[: self.limits.max_body_bytes]
        record = {
            "received_at": ctx.received_at.isoformat(),
            "request_id": ctx.request_id,
            "reasons": [{"index": None, "field": "", "code": exc.code, "message": exc.message}],
            "body_bytes": len(body),
            "body_truncated": len(kept) < len(body),
            "body": kept.decode("utf-8", errors="backslashreplace"),
        }
        self._put(
            quarantine_key(ctx, "request", self.kind.quarantine_prefix), (json.dumps(record) + "\n").encode()
        )

    def _put(self, key: str, data: bytes) -> None:
        try:
            self.quarantine.put_object(key, data, "application/x-ndjson")
        except Exception as exc:
            raise StorageUnavailableError("quarantine store unavailable") from exc
