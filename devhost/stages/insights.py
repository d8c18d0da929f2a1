"""`make demo`'s insights stage: insights for the top content and one segment, from the demo's own lake.

Runs on the embedded backend: DuckDB over ``$AUDIENCE_HOME/lake``, the SQLite counters, the rules
writer (no Bedrock locally), insights stored under ``lake/insights/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.core.settings import Settings
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.insights import queries as q
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from audience.insights.adapters.local.rules_writer import write_insight
from audience.insights.catalog import CsvCatalog
from audience.insights.gather import ALL_FILTERS, Gatherer, SubjectNotFoundError, Window
from audience.insights.models import InsightRequest, TimeRange
from audience.insights.printing import print_record
from audience.insights.service import InsightService
from audience.insights.store import InsightStore
from audience.insights.wiring import LOCAL_CATALOG

TIME_RANGE: TimeRange = "7d"
DAYS = 7


def show_insights(settings: Settings, console: Console, port: int = 8000) -> dict[str, Any]:
    console.print()
    console.rule("Insights: real aggregates over the lake, written by the rules writer")
    home = settings.home.resolve()
    lake = DuckDBLakeQuery(home / "lake")
    counters = SqliteCounterStore(
        home / "state" / "counters.db", dedup_ttl_seconds=settings.dedup_ttl_seconds
    )
    catalog = CsvCatalog(lambda: LOCAL_CATALOG.read_bytes() if LOCAL_CATALOG.exists() else None)
    service = InsightService(
        Gatherer(lake, counters, catalog),
        InsightStore(FolderObjectStore(home / "lake")),
        model=None,
        ttl_seconds=settings.insights_ttl_seconds,
        rules=write_insight,
    )
    out: dict[str, Any] = {}
    try:
        if not lake.available(q.EVENTS):
            console.print("[yellow]the lake holds no events: no insights[/yellow]")
            return out
        window = Window.ending(datetime.now(UTC), DAYS)
        top_query = q.query("top_content:all")
        top = lake.run(
            top_query.sql, top_query.bind({**Window.params(window.start, window.end), **ALL_FILTERS})
        )
        if top:
            content_id = str(top[0]["content_id"])
            record, _ = service.insight(
                InsightRequest(content_id=content_id, time_range=TIME_RANGE, refresh=True)
            )
            console.print(f"\n[bold underline]Top content {content_id} (last {DAYS} days)[/bold underline]")
            print_record(record, console)
            out["content"] = {
                "content_id": content_id,
                "writer": record.writer,
                "summary": record.insight.summary,
            }
        if lake.available(q.SEGMENTS):
            segments_query = q.query("segments")
            segments = lake.run(segments_query.sql, [])
            if segments:
                # The Explorer's default method (k-means) first: its segments are the ones people see.
                chosen = next((s for s in segments if s.get("method") == "kmeans"), segments[0])
                segment_id = str(chosen["segment_id"])
                try:
                    record, _ = service.insight(
                        InsightRequest(segment_id=segment_id, time_range=TIME_RANGE, refresh=True)
                    )
                    console.print(
                        f"\n[bold underline]Segment {segment_id} (last {DAYS} days)[/bold underline]"
                    )
                    print_record(record, console)
                    out["segment"] = {"segment_id": segment_id, "summary": record.insight.summary}
                except SubjectNotFoundError as exc:
                    console.print(f"[yellow]segment {segment_id}: {exc}[/yellow]")
        else:
            console.print("[dim]segments/assignments not available yet: no segment insight[/dim]")
    finally:
        counters.close()
        lake.close()
    console.print(
        f"\nThe web app: run [bold]make serve[/bold] and open http://127.0.0.1:{port}/ "
        "(the dashboard, the Explorer and insights on demand, from this lake); "
        "[bold]make insights CONTENT=<id>[/bold] prints one insight here"
    )
    return out
