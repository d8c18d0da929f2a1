"""A batch segment job's output turned into named segments: every line, not only the last.

Each line of ``<input file name>.out`` is one query with its users. AWS's documentation writes
``{"itemAttributes": "...", "output": {"recommendedUsers": [...]}}``; the AWS samples read
``{"input": {"itemAttributes": ...}, "output": {"usersList": [...]}}``. Both are accepted, and a
line's ``error`` is surfaced as a failed segment rather than dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

_WORDS = re.compile(r"[a-z0-9]+")
_NOISE = {"items", "and", "in"}
MAX_NAME = 64  # Customer Profiles segment definition names: [a-zA-Z0-9_-]{1,64}


@dataclass(frozen=True)
class SegmentLine:
    """One line of the job output: the query, its users in rank order, or the error it reported."""

    line: int
    query: str
    users: list[str] = field(default_factory=list)
    error: str | None = None


def _query_of(obj: dict[str, Any]) -> str:
    text = obj.get("itemAttributes")
    if text is None and isinstance(obj.get("input"), dict):
        text = obj["input"].get("itemAttributes")
    return str(text) if text is not None else ""


def parse_line(number: int, raw: str) -> SegmentLine:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return SegmentLine(number, "", error=f"line is not JSON: {exc.msg}")
    if not isinstance(obj, dict):
        return SegmentLine(number, "", error="line is not a JSON object")
    query = _query_of(obj)
    if obj.get("error"):
        return SegmentLine(number, query, error=str(obj["error"]))
    output = obj.get("output")
    users = None
    if isinstance(output, dict):
        users = output.get("recommendedUsers", output.get("usersList"))
    if not isinstance(users, list):
        return SegmentLine(number, query, error="no output.recommendedUsers or output.usersList")
    if not query:
        return SegmentLine(number, query, error="no itemAttributes query on the line")
    return SegmentLine(number, query, users=[str(u) for u in users])


def parse_output(lines: Iterable[str]) -> list[SegmentLine]:
    return [parse_line(n, raw) for n, raw in enumerate(lines, start=1) if raw.strip()]


def segment_name(query: str, day: date, taken: set[str]) -> str:
    """A readable, unique name from the query: ``genres-action-2026-11-22`` (``-2``, ``-3``... on clashes).

    The name is added to ``taken``. Names fit Customer Profiles' and Pinpoint's limits.
    """
    words = [w for w in _WORDS.findall(query.lower()) if w not in _NOISE] or ["segment"]
    suffix = day.isoformat()
    stem = "-".join(words)[: MAX_NAME - len(suffix) - 4].strip("-") or "segment"
    name, n = f"{stem}-{suffix}", 1
    while name in taken:
        n += 1
        name = f"{stem}-{suffix}-{n}"
    taken.add(name)
    return name
