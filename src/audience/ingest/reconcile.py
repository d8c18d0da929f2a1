"""Counter reconciliation: recompute the live counters from the lake, repair drift, report it.

The live counters (DynamoDB in the cloud, SQLite locally) are exact by construction, but they can
still drift from the lake: a counter write that failed after delivery and was never retried, a
restore from a backup, a manual edit, or history that entered the lake without passing the API (the
backfill). The lake is the record of truth, so reconciliation reads it with SQL (Athena in AWS, DuckDB
locally, through the insights slice's :class:`~audience.insights.ports.LakeQuery` port), compares
every hourly bucket of the time range with the counters and writes the *differences* as signed
additions. Adding differences, rather than overwriting values, keeps a live increment that lands
between the read and the write: it is neither lost nor doubled.

The ``TOTAL`` bucket moves by the sum of the hourly differences; when the range is all time, it is
compared with the lake's total directly, so drift in ``TOTAL`` alone is repaired too.

Ranges should end before the delivery buffer (Firehose's 60 s to 15 min): events counted but not yet
in the lake would otherwise be taken for drift. ``audience reconcile`` ends its default range an
hour ago for that reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Protocol

from audience.ingest.counters import EVENT_TYPES, TOTAL_BUCKET, CounterDelta, CounterKey
from audience.insights.ports import LakeQuery, Param

EVENTS_TABLE: Final = "engagement_events"
LIVE_MAX_LATENESS: Final = timedelta(days=8)
"""An event reaches an arrival partition at most this long after its own time (the API's age window
plus a day); backfilled events sit in the partition of their own date."""
IDS_PER_QUERY: Final = 200
EPSILON: Final = 1e-6


class CounterRepairStore(Protocol):
    """What reconciliation needs from a counter store beyond :class:`~audience.ingest.ports.CounterStore`."""

    def snapshot(
        self, start_hour: str | None, end_hour: str | None, content_ids: Sequence[str] | None
    ) -> dict[CounterKey, CounterDelta]:
        """Hourly buckets ``HOUR#start_hour``..``HOUR#end_hour`` inclusive (every hour when ``None``)
        and the ``TOTAL`` buckets, of ``content_ids`` (all content when ``None``)."""
        ...

    def add(self, deltas: Mapping[CounterKey, CounterDelta]) -> None:
        """Add signed differences to buckets (creating missing ones), atomically per bucket."""
        ...

    def remember(self, event_ids: Sequence[str]) -> None:
        """Mark ids as counted without counting them (history written to the lake directly), so
        a live resend of one is recognised as a duplicate."""
        ...


@dataclass(frozen=True)
class BucketChange:
    content_id: str
    bucket: str
    before: dict[str, int]
    after: dict[str, int]
    view_seconds_before: float
    view_seconds_after: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "content_id": self.content_id,
            "bucket": self.bucket,
            "before": self.before,
            "after": self.after,
            "view_seconds_before": round(self.view_seconds_before, 3),
            "view_seconds_after": round(self.view_seconds_after, 3),
        }


@dataclass
class ReconcileReport:
    start: datetime | None
    end: datetime | None
    lake_events: int = 0
    buckets_checked: int = 0
    changes: list[BucketChange] = field(default_factory=list)
    repaired: bool = False

    @property
    def events_added(self) -> int:
        return sum(
            sum(c.after.values()) - sum(c.before.values()) for c in self.changes if c.bucket != TOTAL_BUCKET
        )

    def as_dict(self, limit: int = 50) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "lake_events": self.lake_events,
            "buckets_checked": self.buckets_checked,
            "buckets_changed": len(self.changes),
            "events_added": self.events_added,
            "repaired": self.repaired,
            "changes": [c.as_dict() for c in self.changes[:limit]],
        }


def hour_key(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H}"


def _days(start: datetime | None, end: datetime | None) -> tuple[str, str]:
    first = start.astimezone(UTC).date() if start else date(1970, 1, 1)
    last = (end.astimezone(UTC) + LIVE_MAX_LATENESS).date() if end else date(9999, 12, 31)
    return first.isoformat(), last.isoformat()


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def lake_counts_sql(n_ids: int) -> str:
    """Per content, event hour and type: count and seconds viewed, each ``event_id`` once.

    The SQL both Athena (Trino) and DuckDB run; values are bound as parameters, never formatted in.
    """
    ids = f" AND content_id IN ({', '.join('?' for _ in range(n_ids))})" if n_ids else ""
    return (
        "SELECT e.content_id AS content_id, CAST(date_trunc('hour', e.event_timestamp) AS VARCHAR) AS hour, "
        "e.event_type AS event_type, count(*) AS n, sum(coalesce(e.view_duration, 0)) AS seconds "
        "FROM (SELECT content_id, event_timestamp, event_type, metadata.view_duration AS view_duration, "
        "row_number() OVER (PARTITION BY event_id ORDER BY ingested_at) AS rn "
        f"FROM {EVENTS_TABLE} WHERE event_timestamp >= CAST(? AS TIMESTAMP) "
        "AND event_timestamp < CAST(? AS TIMESTAMP) "
        f"AND (year || '-' || month || '-' || day) BETWEEN ? AND ?{ids}) e "
        "WHERE e.rn = 1 GROUP BY 1, 2, 3"
    )


def lake_buckets(
    lake: LakeQuery,
    start: datetime | None,
    end: datetime | None,
    content_ids: Sequence[str] | None = None,
) -> dict[CounterKey, CounterDelta]:
    """The counters the lake implies for the range: hourly buckets and per-content sums of them."""
    out: dict[CounterKey, CounterDelta] = {}
    if not lake.available(EVENTS_TABLE):
        return out
    first_day, last_day = _days(start, end)
    window: list[Param] = [
        _ts(start) if start else "1970-01-01 00:00:00",
        _ts(end) if end else "9999-12-31 23:59:59",
        first_day,
        last_day,
    ]
    groups: list[list[str]] = (
        [[]]
        if content_ids is None
        else [list(content_ids[i : i + IDS_PER_QUERY]) for i in range(0, len(content_ids), IDS_PER_QUERY)]
    )
    for ids in groups:
        for row in lake.run(lake_counts_sql(len(ids)), [*window, *ids]):
            content_id, event_type = str(row["content_id"]), str(row["event_type"])
            if event_type not in EVENT_TYPES:
                continue
            # 'YYYY-MM-DD HH:...' in both engines (the zone suffix differs; the session is UTC)
            hour = str(row["hour"])[:13].replace(" ", "T")
            for bucket in (f"HOUR#{hour}", TOTAL_BUCKET):
                delta = out.setdefault(CounterKey(content_id, bucket), CounterDelta())
                delta.counts[event_type] += int(row["n"])
                delta.view_seconds += float(row["seconds"] or 0.0)
    return out


def _difference(want: CounterDelta, have: CounterDelta) -> CounterDelta | None:
    counts = {t: want.counts[t] - have.counts[t] for t in EVENT_TYPES}
    seconds = want.view_seconds - have.view_seconds
    if not any(counts.values()) and abs(seconds) <= EPSILON * max(1.0, abs(want.view_seconds)):
        return None
    return CounterDelta(counts=counts, view_seconds=seconds)


def reconcile(
    lake: LakeQuery,
    counters: CounterRepairStore,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    content_ids: Sequence[str] | None = None,
    repair: bool = True,
) -> ReconcileReport:
    """Compare the counters of ``[start, end)`` (all time when both are ``None``) with the lake, and
    with ``repair`` add the differences. Returns every bucket that differed, before and after."""
    if start and end and start >= end:
        raise ValueError("start must be before end")
    start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0) if start else None
    end = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0) if end else None
    all_time = start is None and end is None
    want = lake_buckets(lake, start, end, content_ids)
    last_hour = hour_key(end - timedelta(hours=1)) if end else None
    ids = content_ids
    have = counters.snapshot(hour_key(start) if start else None, last_hour, ids)
    report = ReconcileReport(start, end)
    report.lake_events = sum(d.events for k, d in want.items() if k.bucket == TOTAL_BUCKET)

    deltas: dict[CounterKey, CounterDelta] = {}
    keys = sorted({k for k in (*want, *have) if k.bucket != TOTAL_BUCKET})
    report.buckets_checked = len(keys)
    for key in keys:
        diff = _difference(want.get(key, CounterDelta()), have.get(key, CounterDelta()))
        if diff is None:
            continue
        deltas[key] = diff
        total = deltas.setdefault(CounterKey(key.content_id, TOTAL_BUCKET), CounterDelta())
        for t in EVENT_TYPES:
            total.counts[t] += diff.counts[t]
        total.view_seconds += diff.view_seconds
    if all_time:
        # Over all time, TOTAL must equal the lake's sum, whatever the hourly buckets say.
        totals = sorted({k for k in (*want, *have) if k.bucket == TOTAL_BUCKET})
        report.buckets_checked += len(totals)
        for key in totals:
            diff = _difference(want.get(key, CounterDelta()), have.get(key, CounterDelta()))
            if diff is None:
                deltas.pop(key, None)
            else:
                deltas[key] = diff
    for key, diff in sorted(deltas.items()):
        before = have.get(key, CounterDelta())
        report.changes.append(
            BucketChange(
                key.content_id,
                key.bucket,
                dict(before.counts),
                {t: before.counts[t] + diff.counts[t] for t in EVENT_TYPES},
                before.view_seconds,
                before.view_seconds + diff.view_seconds,
            )
        )
    if repair and deltas:
        counters.add(deltas)
    report.repaired = repair
    return report
