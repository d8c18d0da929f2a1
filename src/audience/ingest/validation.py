"""Per-event rules of the ingestion API, in the order a client sees them: JSON object, size, the
contract, the time window. Two paths give the same answers:

* the reference path, one event at a time (:func:`check_event`, :func:`validate_event`), over the
  contract's model; the backfill job uses it too;
* the batch path (:func:`screen_batch`, :func:`validate_batch`): the whole request goes through
  the contract's batch twin (:class:`~schemas.engagement.CheckedEvent`) in one pydantic-core call,
  into plain dicts. Any event the twin refuses, or that needs a rule the twin leaves out, takes the
  reference path, so every reason is the reference path's (``tests/ingest/test_ingest_batch.py``
  holds the two paths equal);
* the body path (:func:`screen_body`, :func:`validate_body`), the API's hot path: the batch path
  with the twin reading the request's JSON bytes itself, the body parsed into Python values only
  for the events that need them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from audience.ingest.records import CheckedValues, build_checked_records, checked_values
from audience.ingest.requests import IngestLimits, Rejection, RequestContext
from schemas.engagement import (
    IDENTIFIER_MAX_LENGTH,
    PLACE_NAME_MAX_LENGTH,
    SCHEMA_VERSION,
    SCHEMA_VERSIONS,
    SHORT_TEXT_MAX_LENGTH,
    TWIN_TIMESTAMP_MAX_LENGTH,
    CheckedBatch,
    CheckedEvent,
    CheckedItem,
    DeviceType,
    EngagementEvent,
    EventType,
    LakeRecord,
    attribution_error,
)


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
    timestamp: datetime, index: int, limits: IngestLimits, ctx: RequestContext, client_id: str | None
) -> list[Rejection]:
    if timestamp > ctx.received_at + limits.max_future:
        return [
            Rejection(
                index,
                "timestamp",
                "timestamp_in_future",
                f"timestamp is more than {int(limits.max_future.total_seconds())} s ahead of the server clock",
                client_id,
            )
        ]
    if timestamp < ctx.received_at - limits.max_event_age:
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
    return _window_rejections(event.timestamp, index, limits, ctx, client_id) or event


def validate_event(
    raw: Any, index: int, limits: IngestLimits, ctx: RequestContext
) -> LakeRecord | list[Rejection]:
    """One event: contract, size and time window. Returns the enriched record or its reasons."""
    outcome = check_event(raw, index, limits, ctx)
    if isinstance(outcome, list):
        return outcome
    return build_checked_records(
        [checked_values(outcome)],
        ingested_at=ctx.received_at,
        request_id=ctx.request_id,
        ingest_source=ctx.source,
    )[0]


_BODY: TypeAdapter[CheckedBatch] = TypeAdapter(CheckedBatch)
_ITEMS: TypeAdapter[list[CheckedItem]] = TypeAdapter(list[CheckedItem])

# The longest compact JSON a contract-valid event can have apart from its free-length texts: the
# longest enum values and version, floats at their longest repr, every text empty. The free texts are
# ``platform``, ``location.region`` and ``location.city`` (the contract strips whitespace after the
# length is known; the twin refuses it), ``timestamp``, and since contract 1.1 the identifiers (any
# printable text of up to 256 characters: quotes, backslashes and non-ASCII take more than one byte
# each). No character takes more than 6 bytes of compact JSON (``\\u001f``). A test checks the bound.
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


# The longest compact JSON of an event the twin accepts: the fixed part, the identifiers at their
# maximum length (the twin holds each to it), and the free texts, which the twin takes unstripped,
# at theirs (platform, region and city, the timestamp).
_LONGEST_EVENT = _LONGEST_FIXED_PART + 6 * (
    IDENTIFIER_MAX_LENGTH * len(_IDENTIFIERS)
    + SHORT_TEXT_MAX_LENGTH
    + 2 * PLACE_NAME_MAX_LENGTH
    + TWIN_TIMESTAMP_MAX_LENGTH
)

RawAt = Callable[[int], Any]
"""The request's ``index``-th event as parsed from its JSON (what the reference path and the
quarantine take)."""


class _ParsedOnNeed:
    """:data:`RawAt` for a body the twin read straight from its bytes: the body is parsed (as
    :func:`~audience.ingest.requests.parse_body` parses it) only when an event needs its raw form,
    that is when it is refused, rejected or goes to the reference path."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.events: list[Any] | None = None

    def __call__(self, index: int) -> Any:
        if self.events is None:
            self.events = from_json(self.body, allow_inf_nan=True)["events"]
        return self.events[index]


Screened = tuple[list[CheckedValues], list[tuple[Any, list[Rejection]]]]


def screen_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, *, surrogate_free: bool = False
) -> Screened:
    """Every rule on every event of a request: the accepted events' checked values (the contract's
    values with the id resolved and the timestamp in UTC), and the rejected with their reasons.

    The whole batch goes through the contract's twin in one pydantic-core call, so the contract runs
    in Rust without a Python round trip per event or per field. What the twin refuses, an event
    without an id (its id is derived from the contract's model), one the attribution rule, the
    timestamp's reading or its UTC conversion refuses, and the event that might be oversized (only
    under a size limit below what the twin admits) take :func:`check_event`, the one-by-one reference
    path: reasons are the same as checking each event alone, in the same order of rules.

    ``surrogate_free``: the body was read by jiter, which refuses lone surrogates (the one identifier
    rule the twin leaves out), so the twin may be used."""
    twins: list[CheckedItem] = (
        _ITEMS.validate_python(raw_events) if surrogate_free else [None] * len(raw_events)
    )
    return _screen(twins, raw_events.__getitem__, limits, ctx)


def screen_body(
    body: bytes, limits: IngestLimits, ctx: RequestContext
) -> tuple[int, list[CheckedValues], list[tuple[Any, list[Rejection]]]] | None:
    """:func:`screen_batch` of a whole ``POST /events`` body, the twin reading its JSON bytes.

    The hot path: one pydantic-core call parses and checks the request, without building the
    parsed body's Python values first (they are built only if an event needs them). ``None`` when
    the body is not a well-formed request the twin reads (too large, not JSON jiter reads, not
    ``{"events": [...]}`` with 1 to ``max_events`` events): the request-level checks of
    :func:`~audience.ingest.requests.parse_body` answer it. Otherwise (events received, accepted
    values, rejected with reasons), exactly :func:`screen_batch`'s answer on the parsed body.

    The accepted values' ``location`` and ``metadata`` dicts become the lake records' own when
    :func:`~audience.ingest.records.build_checked_records` builds them: do not change them after."""
    if len(body) > limits.max_body_bytes:
        return None
    try:
        twins = _BODY.validate_json(body)["events"]
    except ValueError:  # ValidationError included: the request's own checks say what is wrong
        return None
    if not twins or len(twins) > limits.max_events:
        return None
    accepted, bad = _screen(twins, _ParsedOnNeed(body), limits, ctx)
    return len(twins), accepted, bad


def _screen(
    twins: Sequence[CheckedItem], raw_at: RawAt, limits: IngestLimits, ctx: RequestContext
) -> Screened:
    latest = ctx.received_at + limits.max_future
    earliest = ctx.received_at - limits.max_event_age
    small = limits.max_event_bytes >= _LONGEST_EVENT
    accepted: list[CheckedValues] = []
    bad: list[tuple[Any, list[Rejection]]] = []
    for index, twin in enumerate(twins):
        try:
            outcome = (
                None
                if twin is None
                else _screen_twin(twin, raw_at, index, limits, ctx, latest, earliest, small)
            )
            if outcome is None:
                event = check_event(raw_at(index), index, limits, ctx)
                outcome = event if isinstance(event, list) else checked_values(event)
        except Exception as exc:  # a validation bug must not turn one bad event into a 500
            outcome = [
                Rejection(index, "", "unprocessable", f"event could not be validated: {type(exc).__name__}")
            ]
        if isinstance(outcome, list):
            bad.append((raw_at(index), outcome))
        else:
            accepted.append(outcome)
    return accepted, bad


def _screen_twin(
    twin: CheckedEvent,
    raw_at: RawAt,
    index: int,
    limits: IngestLimits,
    ctx: RequestContext,
    latest: datetime,
    earliest: datetime,
    small: bool,
) -> CheckedValues | list[Rejection] | None:
    """The rules left after the twin accepted an event; ``None`` sends it to the reference path.

    ``small``: every event the twin accepts is within the size limit."""
    values: dict[str, Any] = twin  # type: ignore[assignment]
    event_id = values.get("event_id")
    version = values.get("schema_version", SCHEMA_VERSION)
    if event_id is None:
        return None
    if ("recommendation_id" in values or "variant" in values) and attribution_error(
        version, values.get("recommendation_id"), values.get("variant")
    ):
        return None
    text: str = values["timestamp"]
    try:
        # The twin's pattern admits only forms this reads as the contract does (see
        # schemas.engagement.TWIN_TIMESTAMP_PATTERN); a calendar error goes to the contract.
        stamp = datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not small:
        too_large = _size_rejections(raw_at(index), index, limits, event_id)
        if too_large:
            return too_large
    if not earliest <= stamp <= latest:
        return _window_rejections(stamp, index, limits, ctx, event_id)
    values["timestamp"] = stamp
    if text[-1] == "Z":
        # Already UTC: the lake line's digits are the text's (the twin's pattern fixed the form).
        size = len(text)
        if size == 24:  # JavaScript's toISOString, the commonest form
            values["event_timestamp"] = f"{text[:10]} {text[11:23]}000"
        elif size == 27:
            values["event_timestamp"] = f"{text[:10]} {text[11:26]}"
        elif size == 20:
            values["event_timestamp"] = f"{text[:10]} {text[11:19]}.000000"
    values["schema_version"] = version
    values["event_id_source"] = "client"
    return values


def validate_batch(
    raw_events: Sequence[Any], limits: IngestLimits, ctx: RequestContext, *, surrogate_free: bool = False
) -> tuple[list[LakeRecord], list[tuple[Any, list[Rejection]]]]:
    """Every event of a request: the accepted lake records, and the rejected events with their reasons."""
    accepted, bad = screen_batch(raw_events, limits, ctx, surrogate_free=surrogate_free)
    return _records(accepted, ctx), bad


def validate_body(
    body: bytes, limits: IngestLimits, ctx: RequestContext
) -> tuple[int, list[LakeRecord], list[tuple[Any, list[Rejection]]]] | None:
    """:func:`validate_batch` of a whole body read by the twin (:func:`screen_body`); ``None``: the
    request-level checks answer it."""
    screened = screen_body(body, limits, ctx)
    if screened is None:
        return None
    received, accepted, bad = screened
    return received, _records(accepted, ctx), bad


def _records(accepted: list[CheckedValues], ctx: RequestContext) -> list[LakeRecord]:
    return build_checked_records(
        accepted, ingested_at=ctx.received_at, request_id=ctx.request_id, ingest_source=ctx.source
    )
