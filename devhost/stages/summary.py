"""The demo's read-back: what landed, from the lake (DuckDB over the Parquet), the quarantine and the
live counters, checked against what was sent; printed as tables and written to ``demo-summary.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from audience.core.settings import Settings
from devhost.client import PostOutcome

_STATUS_MEANING = {
    200: "every event accepted",
    207: "some events rejected, the rest accepted",
    400: "whole batch rejected",
    413: "batch too large",
    503: "storage unavailable after retries",
}


def _counts(title: str, label: str, unit: str, items: Iterable[tuple[str, int]]) -> Table:
    table = Table(title=title)
    table.add_column(label)
    table.add_column(unit, justify="right")
    for name, count in items:
        table.add_row(name, f"{count:,}")
    return table


def summarise(
    settings: Settings,
    outcomes: list[PostOutcome],
    defects: Counter[str],
    sent: int,
    elapsed: float,
    console: Console,
    *,
    backfill: dict[str, Any] | None = None,
) -> dict[str, object]:
    from audience.ingest.adapters.local.counters import SqliteCounterStore

    backfilled = int((backfill or {}).get("accepted", 0))
    backfill_rejected = int((backfill or {}).get("rejected", 0))
    statuses = Counter(o.status for o in outcomes)
    accepted = sum(int(o.body.get("accepted", 0)) for o in outcomes)
    duplicates = sum(int(o.body.get("duplicates", 0)) for o in outcomes)
    failed = sum(int(o.body.get("failed", 0)) for o in outcomes)
    reasons: Counter[str] = Counter()
    rejected_events = 0
    for o in outcomes:
        per_event: dict[int, list[str]] = {}
        for r in o.body.get("rejected", []):
            per_event.setdefault(r["index"], []).append(f"{r['code']} ({r['field'] or 'event'})")
        rejected_events += len(per_event)
        for codes in per_event.values():
            reasons[codes[0]] += 1

    lake = settings.home.resolve() / "lake"
    files = sorted((lake / "engagement-events").rglob("*.parquet"))
    rows: list[tuple[str, int]] = []
    lake_total = 0
    if files:
        con = duckdb.connect()
        glob = f"{lake}/engagement-events/**/*.parquet"
        lake_total = con.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0]  # type: ignore[index]
        distinct = con.sql(f"SELECT count(DISTINCT event_id) FROM read_parquet('{glob}')").fetchone()[0]  # type: ignore[index]
        rows = con.sql(
            f"SELECT event_type, count(*) FROM read_parquet('{glob}') GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        assert distinct == lake_total, "the lake holds an event twice"
    quarantine_files = list((lake / "quarantine").rglob("*.jsonl"))
    quarantined = sum(1 for f in quarantine_files for line in f.open() if "event" in json.loads(line))

    counters = SqliteCounterStore(
        settings.home / "state" / "counters.db", dedup_ttl_seconds=settings.dedup_ttl_seconds
    )
    top = counters.top_content(limit=5)
    counted_total = sum(c.events for c in counters.top_content(limit=1_000_000))
    counters.close()

    console.print()
    overview = Table(
        title=f"Demo summary: {sent:,} live events sent in {elapsed:.1f} s ({sent / elapsed:,.0f} events/s)"
    )
    overview.add_column("what")
    overview.add_column("count", justify="right")
    overview.add_row("HTTP answers", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    overview.add_row("backfilled history (stored and counted)", f"{backfilled:,}")
    overview.add_row("accepted live (stored and counted)", f"{accepted:,}")
    overview.add_row("duplicates (client retries)", f"{duplicates:,}")
    overview.add_row("rejected live / history", f"{rejected_events:,} / {backfill_rejected:,}")
    overview.add_row("not stored (503 after retries)", f"{failed:,}")
    overview.add_row("rows in the lake (Parquet files)", f"{lake_total:,} ({len(files):,})")
    overview.add_row("quarantined events (files)", f"{quarantined:,} ({len(quarantine_files)})")
    overview.add_row("live counters total", f"{counted_total:,}")
    console.print(overview)

    console.print(_counts("Rejected, by first reason", "reason", "events", reasons.most_common()))
    console.print(_counts("Bad events planted by the generator", "defect", "events", defects.most_common()))
    console.print(_counts("Lake rows by event type", "event type", "rows", rows))

    from audience.insights.catalog import CsvCatalog
    from audience.insights.wiring import LOCAL_CATALOG

    catalog = CsvCatalog(lambda: LOCAL_CATALOG.read_bytes() if LOCAL_CATALOG.exists() else None)
    leaders = Table(title="Top content by live counters")
    for col in ("content", "title", "events", "views", "completes", "likes", "shares", "hours viewed"):
        if col == "title":
            leaders.add_column(col, max_width=22, no_wrap=True, overflow="ellipsis")
        else:
            leaders.add_column(col, justify="right" if col != "content" else "left", no_wrap=True)
    for c in top:
        info = catalog.describe(c.content_id)
        leaders.add_row(
            c.content_id,
            info.title if info and info.title else "-",
            f"{c.events:,}",
            f"{c.counts['view']:,}",
            f"{c.counts['complete']:,}",
            f"{c.counts['like']:,}",
            f"{c.counts['share']:,}",
            f"{c.view_seconds / 3600:,.1f}",
        )
    console.print(leaders)

    consistent = (
        lake_total == accepted + backfilled == counted_total
        and rejected_events + backfill_rejected == quarantined
    )
    verdict = "[green]consistent[/green]" if consistent else "[red]INCONSISTENT[/red]"
    console.print(
        f"check: lake rows = backfilled + accepted live = live counters = {lake_total:,}; "
        f"rejected = quarantined = {quarantined:,}: {verdict}"
    )
    summary = {
        "sent": sent,
        "backfilled": backfilled,
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": rejected_events,
        "failed": failed,
        "lake_files": len(files),
        "lake_rows": lake_total,
        "quarantined": quarantined,
        "counted": counted_total,
        "consistent": consistent,
        "rejected_by_reason": dict(reasons),
    }
    (settings.home / "demo-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
