"""Shared builders for tests: contract-valid events and in-memory fakes of the ports."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from audience.ingest.counters import EVENT_TYPES, TOTAL_BUCKET, ContentCounters, HourlyCounters, aggregate
from audience.ingest.ports import SinkLimits
from audience.ingest.records import first_per_event_id
from schemas.engagement import LakeRecord

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "evt-0001",
        "user_id": "u-000001",
        "content_id": "c-000001",
        "event_type": "view",
        "timestamp": iso(NOW - timedelta(minutes=10)),
        "platform": "ios-app",
        "device_type": "mobile",
        "location": {"country": "US", "region": "California", "city": "Oakland"},
        "session_id": "s-0001",
        "metadata": {"view_duration": 120.5, "completion_rate": 0.4, "interaction_count": 1},
    }
    for key, value in overrides.items():
        if value is _DELETE:
            event.pop(key, None)
        else:
            event[key] = value
    return copy.deepcopy(event)


_DELETE = object()
DELETE: Any = _DELETE


class FakeSink:
    """An in-memory EventSink that can fail chosen attempts."""

    def __init__(self, limits: SinkLimits | None = None, fail_plan: Sequence[set[int] | str] = ()) -> None:
        self.limits = limits or SinkLimits()
        self.fail_plan = list(fail_plan)
        self.calls: list[list[str]] = []
        self.stored: list[LakeRecord] = []

    def put_batch(self, records: Sequence[LakeRecord]) -> list[int]:
        self.calls.append([r.event_id for r in records])
        plan = self.fail_plan.pop(0) if self.fail_plan else set()
        failed = list(range(len(records))) if plan == "all" else sorted(p for p in plan if p < len(records))
        self.stored.extend(r for i, r in enumerate(records) if i not in failed)
        return failed


class FakeCounters:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.totals: dict[tuple[str, str], dict[str, float]] = {}
        self.fail = False

    def known(self, event_ids: Sequence[str]) -> set[str]:
        return {i for i in event_ids if i in self.seen}

    def apply(self, records: Sequence[LakeRecord]) -> set[str]:
        if self.fail:
            raise ConnectionError("counter store down")
        new = [r for r in first_per_event_id(records) if r.event_id not in self.seen]
        self.seen.update(r.event_id for r in new)
        for key, delta in aggregate(new).items():
            row = self.totals.setdefault((key.content_id, key.bucket), {})
            for name, count in delta.counts.items():
                row[name] = row.get(name, 0) + count
            row["view_seconds"] = row.get("view_seconds", 0) + delta.view_seconds
        return {r.event_id for r in new}

    def _counters(self, content_id: str, bucket: str) -> tuple[dict[str, int], float]:
        row = self.totals.get((content_id, bucket), {})
        counts = {t: int(row.get(t, 0)) for t in EVENT_TYPES}
        return counts, float(row.get("view_seconds", 0.0))

    def content(self, content_id: str) -> ContentCounters | None:
        if (content_id, TOTAL_BUCKET) not in self.totals:
            return None
        return ContentCounters(content_id, *self._counters(content_id, TOTAL_BUCKET))

    def top_content(self, limit: int = 10, by: str = "events") -> list[ContentCounters]:
        rows = [ContentCounters(c, *self._counters(c, b)) for c, b in self.totals if b == TOTAL_BUCKET]
        return sorted(rows, key=lambda r: (-(r.events if by == "events" else r.counts[by]), r.content_id))[
            :limit
        ]

    def hourly(self, content_id: str, start_hour: str, end_hour: str) -> list[HourlyCounters]:
        return [
            HourlyCounters(content_id, b.removeprefix("HOUR#"), *self._counters(content_id, b))
            for c, b in sorted(self.totals)
            if c == content_id and f"HOUR#{start_hour}" <= b <= f"HOUR#{end_hour}"
        ]


class FakeObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail = False

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        if self.fail:
            raise ConnectionError("bucket unavailable")
        self.objects[key] = body

    def get_object(self, key: str) -> bytes:
        if key not in self.objects:
            raise FileNotFoundError(key)
        return self.objects[key]

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))


@dataclass
class FakeLambdaContext:
    """The parts of a Lambda context that the handlers and Powertools read: the one fake of it."""

    function_name: str = "under-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "req-1"
    log_group_name: str = "/aws/lambda/under-test"
    log_stream_name: str = "test"
    remaining_millis: int = 60_000
    invoked_function_arn: str = field(default="")

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
