"""Request-level rules of the ingestion API: the limits, the request's context, and the checks that
accept or refuse a body as a whole (size, encoding, JSON, shape, count), each refusal an
:class:`IngestError` that becomes one 4xx answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import from_json


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
