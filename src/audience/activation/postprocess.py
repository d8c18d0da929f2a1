"""Post-processing of a batch segment job: every output line becomes a named, activated segment.

Steps: parse every line (both output key variants, errors kept), name each segment uniquely,
resolve all segments' users to endpoints in one bulk read, and hand each segment to the configured
destination. A failed line or a failed hand-over is reported per segment; the others still go out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from audience.activation.endpoints import ENDPOINTS_KEY, resolve_from_store
from audience.activation.ports import ActivationDestination, SegmentExport
from audience.activation.segments import parse_output, segment_name
from audience.core.objectstore.ports import ObjectStore


@dataclass
class SegmentOutcome:
    line: int
    query: str
    name: str | None
    users: int
    endpoints: int = 0
    unresolved_users: int = 0
    error: str | None = None
    opted_out_users: int = 0
    receipt: dict[str, Any] | None = None


@dataclass
class PostprocessReport:
    job: str
    destination: str
    segments: list[SegmentOutcome] = field(default_factory=list)
    resolution_api_calls: int = 0

    @property
    def failed(self) -> list[SegmentOutcome]:
        return [s for s in self.segments if s.error]

    @property
    def api_calls_per_segment(self) -> float:
        ok = [s for s in self.segments if s.receipt]
        if not ok:
            return 0.0
        calls = self.resolution_api_calls + sum(int(s.receipt["api_calls"]) for s in ok if s.receipt)
        return calls / len(ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "destination": self.destination,
            "segments": [asdict(s) for s in self.segments],
            "succeeded": len(self.segments) - len(self.failed),
            "failed": len(self.failed),
            "resolution_api_calls": self.resolution_api_calls,
            "api_calls_per_segment": round(self.api_calls_per_segment, 3),
        }


def postprocess(
    lines: Iterable[str],
    *,
    job: str,
    store: ObjectStore,
    destination: ActivationDestination,
    endpoints_key: str = ENDPOINTS_KEY,
    model_version: str | None = None,
    now: datetime | None = None,
) -> PostprocessReport:
    created_at = now or datetime.now(UTC)
    parsed = parse_output(lines)
    report = PostprocessReport(job=job, destination=destination.name)
    taken: set[str] = set()
    good = [p for p in parsed if p.error is None]
    resolution = resolve_from_store(
        store, [p.users for p in good], key=endpoints_key, channels=destination.channels
    )
    report.resolution_api_calls = resolution.api_calls
    resolved = dict(
        zip(
            (p.line for p in good),
            zip(
                resolution.endpoints,
                resolution.unresolved_users,
                resolution.opted_out_users or [0] * len(resolution.endpoints),
                strict=True,
            ),
            strict=True,
        )
    )
    for p in parsed:
        if p.error is not None:
            report.segments.append(SegmentOutcome(p.line, p.query, None, 0, error=p.error))
            continue
        name = segment_name(p.query, created_at.date(), taken)
        endpoints, unresolved, opted_out = resolved[p.line]
        outcome = SegmentOutcome(
            p.line, p.query, name, len(p.users), len(endpoints), unresolved, opted_out_users=opted_out
        )
        try:
            receipt = destination.activate(
                SegmentExport(
                    name=name,
                    query=p.query,
                    users=p.users,
                    endpoints=endpoints,
                    created_at=created_at,
                    job=job,
                    model_version=model_version,
                )
            )
        except Exception as exc:  # one destination failure must not lose the other segments
            outcome.error = f"{destination.name}: {type(exc).__name__}: {exc}"
        else:
            outcome.receipt = receipt.as_dict()
        report.segments.append(outcome)
    return report
