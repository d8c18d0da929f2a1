"""Ingestion: from a raw request body to stored, counted and quarantined events.

The order of steps is what makes the path lossless:

1. Request-level checks (size, JSON, shape, count). A failing request is quarantined whole and
   answered with one 4xx.
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
from datetime import UTC, datetime, timedelta
from typing import Any, Generic

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from audience.core.objectstore.ports import ObjectStore
from audience.ingest.delivery import deliver
from audience.ingest.ports import EventSink, IdLedger, Row
from audience.ingest.records import UniqueRecords, build_lake_records, first_per_event_id
from schemas.engagement import SCHEMA_VERSIONS, DeviceType, EngagementEvent, EventType, LakeRecord

QUARANTINE_PREFIX = "quarantine"


class IngestError(Exception):
    """A request that cannot be processed as a whole; becomes one 4xx answer."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PayloadTooLargeError(IngestError):
    status = 413


class UnsupportedMediaTypeError(IngestError):
    status = 415


class StorageUnavailableError(Exception):
    """Nothing was acknowledged; the client should retry the same request later."""


@dataclass(frozen=True)
class IngestLimits:
    max_events: int = 500
    max_event_bytes: int = 32 * 1024
    max_body_bytes: int = 1024 * 1024
    max_event_age: timedelta = timedelta(days=7)
    max_future: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class RequestContext:
    """What the API knows about a request that is not personal data."""

    request_id: str
    source: str = "api"
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    deadline: float | None = None  # time.monotonic() by which the answer must be on its way


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str
    code: str
    message: str
    event_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


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


def parse_body(body: bytes, limits: IngestLimits, items: str = "events") -> list[Any]:
    """Request-level checks; raises :class:`IngestError` with a message a client developer can act on.

    ``items`` is the batch's array field (``events``, or ``posts`` for social posts)."""
    return _parse_request(body, limits, items)[0]


def _loads(body: bytes) -> tuple[Any, bool]:
    """The body as Python values, and whether pydantic-core's parser (jiter, Rust) read it.

    jiter is tried first (3x faster than :mod:`json`). It refuses some texts :mod:`json` takes
    (lone UTF-16 surrogates, a UTF-8 BOM, deep nesting) and reads everything else to the same values,
    so on any refusal the standard parser decides: its answer, value or error message, is the
    contract's. A ``True`` flag also tells the size check that no string holds a lone surrogate."""
    try:
        return from_json(body, allow_inf_nan=True), True
    except ValueError:
        pass
    try:
        return json.loads(body.decode("utf-8")), False
    except UnicodeDecodeError:
        raise IngestError("invalid_encoding", "body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise IngestError(
            "malformed_json", f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise IngestError("malformed_json", "body nests arrays or objects too deeply") from None
    except ValueError as exc:  # e.g. an integer literal longer than Python's 4,300-digit limit
        raise IngestError("malformed_json", f"body is not acceptable JSON: {exc}") from None


def _parse_request(body: bytes, limits: IngestLimits, items: str = "events") -> tuple[list[Any], bool]:
    """:func:`parse_body`, and whether jiter read the body (then no string holds a lone surrogate)."""
    if len(body) > limits.max_body_bytes:
        raise PayloadTooLargeError(
            "body_too_large", f"body is {len(body)} bytes; the limit is {limits.max_body_bytes} bytes"
        )
    if not body.strip():
        raise IngestError("empty_body", f'body is empty; send {{"{items}": [...]}}')
    data, parsed_by_jiter = _loads(body)
    if not isinstance(data, dict) or items not in data:
        raise IngestError("wrong_shape", f'body must be a JSON object {{"{items}": [...]}}')
    extra = sorted(set(data) - {items})
    if extra:
        raise IngestError("wrong_shape", f"unknown top-level field(s): {', '.join(extra)}")
    events = data[items]
    if not isinstance(events, list):
        raise IngestError("wrong_shape", f'"{items}" must be an array')
    if not events:
        raise IngestError(f"no_{items}", f'"{items}" is empty')
    if len(events) > limits.max_events:
        raise PayloadTooLargeError(
            f"too_many_{items}", f"{len(events)} {items} in one request; the limit is {limits.max_events}"
        )
    return events, parsed_by_jiter


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _client_id(raw: Any) -> str | None:
    return raw.get("event_id") if isinstance(raw, dict) and isinstance(raw.get("event_id"), str) else None


def _size_rejections(raw: Any, index: int, limits: IngestLimits, client_id: str | None) -> list[Rejection]:
    """The size rule, exactly: the event's compact UTF-8 JSON within ``max_event_bytes``."""
    try:
        size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    except UnicodeEncodeError:
        # A lone surrogate (e.g. "\\ud800") is valid JSON but not text: no column can store it.
        return [
            Rejection(index, "", "invalid_unicode", "event contains an unpaired UTF-16 surrogate", client_id)
        ]
    if size > limits.max_event_bytes:
        return [
            Rejection(
                index,
                "",
                "event_too_large",
                f"event is {size} bytes; the limit is {limits.max_event_bytes}",
                client_id,
            )
        ]
    return []


def _window_rejections(
    event: EngagementEvent, index: int, limits: IngestLimits, ctx: RequestContext, client_id: str | None
) -> list[Rejection]:
    if event.timestamp > ctx.received_at + limits.max_future:
        return [
            Rejection(
                index,
                "timestamp",
                "timestamp_in_future",
                f"timestamp is more than {int(limits.max_future.total_seconds())} s ahead of the server clock",
                client_id,
            )
        ]
    if event.timestamp < ctx.received_at - limits.max_event_age:
        return [
            Rejection(
                index,
                "timestamp",
                "timestamp_too_old",
                f"timestamp is older than the accepted window of {limits.max_event_age.days} days",
                client_id,
            )
        ]
    return []


def check_event(
    raw: Any, index: int, limits: IngestLimits, ctx: RequestContext
) -> EngagementEvent | list[Rejection]:
    """One event, every rule in order (shape, size, contract, time window): the event or its reasons.

    The reference path, one event at a time; :func:`validate_batch` gives the same answers faster."""
    client_id = _client_id(raw)
    if not isinstance(raw, dict):
        return [Rejection(index, "", "not_an_object", "each event must be a JSON object", client_id)]
    too_large = _size_rejections(raw, index, limits, client_id)
    if too_large:
        return too_large
    try:
        event = EngagementEvent.model_validate(raw)
    except ValidationError as exc:
        return [
            Rejection(index, _field(err["loc"]), err["type"], err["msg"], client_id)
            for err in exc.errors(include_url=False)
        ]
    return _window_rejections(event, index, limits, ctx, client_id) or event


def validate_event(
    raw: Any, index: int, limits: IngestLimits, ctx: RequestContext
) -> LakeRecord | list[Rejection]:
    """One event: contract, size and time window. Returns the enriched record or its reasons."""
    outcome = check_event(raw, index, limits, ctx)
    if isinstance(outcome, list):
        return outcome
    return build_lake_records(
        [outcome], ingested_at=ctx.received_at, request_id=ctx.request_id, ingest_source=ctx.source
    )[0]


_EVENTS: TypeAdapter[list[EngagementEvent]] = TypeAdapter(list[EngagementEvent])

# The longest compact JSON a contract-valid event can have apart from its free-length texts: the
# longest enum values and version, floats at their longest repr, every text empty. The free texts are
# ``platform``, ``location.region`` and ``location.city`` (whitespace is stripped after the length is
# known), ``timestamp``, and since contract 1.1 the identifiers (any printable text of up to 256
# characters: quotes, backslashes and non-ASCII take more than one byte each). No character takes more
# than 6 bytes of compact JSON (``\\u001f``). A test checks the bound.
_IDENTIFIERS = ("event_id", "user_id", "content_id", "session_id", "recommendation_id")
_LONGEST_FIXED_PART = len(
    json.dumps(
        {
            "event_id": "",
            "schema_version": max(SCHEMA_VERSIONS, key=len),
            "user_id": "",
            "content_id": "",
            "event_type": max((t.value for t in EventType), key=len),
            "timestamp": "",
            "platform": "",
            "device_type": max((t.value for t in DeviceType), key=len),
            "location": {"country": "XX", "region": None, "city": None},
            "session_id": "",
            "metadata": {
                "view_duration": -2.2250738585072014e-308,
                "completion_rate": -2.2250738585072014e-308,
                "interaction_count": -1_000_000,
            },
            "recommendation_id": "",
            "variant": "v" * 32,
        },
        separators=(",", ":"),
    ).encode()
)


def _surely_small(raw: dict[str, Any], limits: IngestLimits) -> bool:
    """Whether a contract-valid event is certainly within the size limit, without serialising it."""
    location = raw["location"]
    free = (
        len(raw["platform"])
        + len(raw["timestamp"])
        + len(location.get("region") or "")
        + len(location.get("city") or "")
        + sum(len(raw.get(name) or "") for name in _IDENTIFIERS)
    )
    return _LONGEST_FIXED_PART + 6 * free <= limits.max_event_bytes


def validate_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, *, surrogate_free: bool = False
) -> tuple[list[LakeRecord], list[tuple[Any, list[Rejection]]]]:
    """Every event of a request: the accepted lake records, and the rejected events with their reasons."""
    accepted, bad = screen_batch(raw_events, limits, ctx, surrogate_free=surrogate_free)
    records = build_lake_records(
        accepted, ingested_at=ctx.received_at, request_id=ctx.request_id, ingest_source=ctx.source
    )
    return records, bad


def screen_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, *, surrogate_free: bool = False
) -> tuple[list[EngagementEvent], list[tuple[Any, list[Rejection]]]]:
    """Every rule on every event of a request: the accepted events, and the rejected with their reasons.

    The whole batch goes through pydantic-core in one call (``TypeAdapter(list[EngagementEvent])``),
    so the contract runs in Rust without a Python round trip per event. Events it refuses, and the
    rare event that might be oversized, take :func:`check_event`, the one-by-one reference path:
    reasons are the same as checking each event alone, in the same order of rules.

    ``surrogate_free``: the body was read by jiter, which refuses lone surrogates, so a valid event
    whose size is bounded needs no serialisation to be measured."""
    valid: list[EngagementEvent | None]
    try:
        valid = list(_EVENTS.validate_python(raw_events))
    except Exception:  # some event is refused (or a validator failed): each takes the reference path
        valid = [None] * len(raw_events)
    accepted: list[EngagementEvent] = []
    bad: list[tuple[Any, list[Rejection]]] = []
    for index, (raw, event) in enumerate(zip(raw_events, valid, strict=True)):
        try:
            if event is not None:
                client_id = event.event_id
                reasons = (
                    []
                    if surrogate_free and _surely_small(raw, limits)
                    else _size_rejections(raw, index, limits, client_id)
                ) or _window_rejections(event, index, limits, ctx, client_id)
                outcome: EngagementEvent | list[Rejection] = reasons or event
            else:
                outcome = check_event(raw, index, limits, ctx)
        except Exception as exc:  # a validation bug must not turn one bad event into a 500
            outcome = [
                Rejection(index, "", "unprocessable", f"event could not be validated: {type(exc).__name__}")
            ]
        if isinstance(outcome, list):
            bad.append((raw, outcome))
        else:
            accepted.append(outcome)
    return accepted, bad


BatchCheck = Callable[
    [Sequence[Any], IngestLimits, RequestContext, bool], tuple[list[Row], list[tuple[Any, list[Rejection]]]]
]


@dataclass(frozen=True)
class RecordKind(Generic[Row]):
    """What varies between the record types the API collects: the batch's array field, the per-item
    validation (contract, size, time window) and where rejects are quarantined.

    ``validate_batch``, when a kind has one, checks a whole request at once and must give exactly the
    answers of ``validate`` applied item by item (engagement events: :func:`validate_batch`, the hot
    path); its last argument says the body was read by jiter, so no string holds a lone surrogate."""

    items: str
    validate: Callable[[Any, int, IngestLimits, RequestContext], Row | list[Rejection]]
    quarantine_prefix: str = QUARANTINE_PREFIX
    validate_batch: BatchCheck[Row] | None = None


def _events_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, surrogate_free: bool
) -> tuple[list[LakeRecord], list[tuple[Any, list[Rejection]]]]:
    return validate_batch(raw_events, limits, ctx, surrogate_free=surrogate_free)


ENGAGEMENT_EVENTS: RecordKind[LakeRecord] = RecordKind("events", validate_event, validate_batch=_events_batch)


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
        try:
            raw_events, surrogate_free = _parse_request(body, self.limits, self.kind.items)
        except IngestError as exc:
            self.quarantine_request(body, ctx, exc)
            raise

        result = IngestResult(request_id=ctx.request_id, received=len(raw_events))
        records, bad = self._validate(raw_events, ctx, surrogate_free)
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
