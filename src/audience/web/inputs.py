"""One input policy for every page's JSON API (Explorer, dashboard, insights), documented in docs/web.md.

- Query parameters: an unknown parameter, or one given more than once, is a 400 listing each
  offending parameter with its reason; an empty value means "not given".
- JSON bodies: ``Content-Type: application/json``, at most :data:`MAX_BODY_BYTES`, nested at most
  :data:`MAX_DEPTH` levels, and a JSON object at the top; anything else is a 400 (413 when too
  large, 415 for another media type), checked before the body is parsed, so a 5,000-level body
  costs a scan, not a recursion.
- Error messages quote at most a short prefix of what was sent (:func:`short`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from flask import Response, jsonify, request

PREFIX_CHARS: Final = 40
"""Error messages quote at most this much of what was sent."""
MAX_BODY_BYTES: Final = 256 * 1024
MAX_DEPTH: Final = 32


def short(value: object, limit: int = PREFIX_CHARS) -> str:
    """A short, printable prefix of something a caller sent, for an error message."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value)[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


class InputError(ValueError):
    """Bad input; answered as JSON with ``status`` and per-item ``reasons``."""

    def __init__(
        self, message: str, reasons: list[dict[str, str]] | None = None, status: int = 400, code: str = ""
    ) -> None:
        super().__init__(message)
        self.reasons = reasons or []
        self.status = status
        self.code = code or {400: "bad_request", 413: "payload_too_large", 415: "unsupported_media_type"}.get(
            status, "bad_request"
        )

    def response(self) -> tuple[Response, int]:
        body: dict[str, Any] = {"error": self.code, "message": str(self)}
        if self.reasons:
            body["reasons"] = self.reasons
        return jsonify(body), self.status


def query_args(allowed: Iterable[str], args: Mapping[str, list[str]] | None = None) -> dict[str, str]:
    """The query string as one value per allowed name, or :class:`InputError` naming every problem."""
    given = args if args is not None else request.args.to_dict(flat=False)
    names = set(allowed)
    reasons = [
        {"parameter": short(name), "reason": "unknown parameter"} for name in given if name not in names
    ]
    reasons += [
        {"parameter": name, "reason": "given more than once"}
        for name, values in given.items()
        if name in names and len(values) > 1
    ]
    if reasons:
        raise InputError("; ".join(f"{r['parameter']}: {r['reason']}" for r in reasons), reasons)
    return {name: values[0] for name, values in given.items() if values and values[0] != ""}


def nesting_depth(raw: bytes) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text, ignoring brackets inside strings (one pass)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def json_object_body() -> dict[str, Any]:
    """The request's JSON object body, under the policy above."""
    media = (request.mimetype or "").lower()
    if media != "application/json":
        raise InputError(
            f"the body must be JSON (Content-Type: application/json), not {short(media or 'none')}",
            status=415 if media else 400,
        )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise InputError(f"the body is larger than {MAX_BODY_BYTES:,} bytes", status=413)
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise InputError(f"the body is larger than {MAX_BODY_BYTES:,} bytes", status=413)
    if nesting_depth(raw) > MAX_DEPTH:
        raise InputError(f"the JSON body is nested more than {MAX_DEPTH} levels deep")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"the body is not valid JSON ({short(exc, 80)})") from None
    if not isinstance(body, dict):
        raise InputError(f"the body must be a JSON object, not {type(body).__name__}")
    return body
