"""Dashboard API latency and insights end-to-end time on a demo-sized lake (100k events).

* Dashboard: each metric through the real Flask blueprint (test client: routing, parameter
  parsing, JSON) with the lake cache off, so every request runs its queries on DuckDB. Baseline,
  same run: the very queries that request issued, replayed straight on the DuckDB connection.
  The ratio is what the API layer costs on top of the SQL.
* Insights: gather (about twenty queries) -> rules writer -> no-invented-numbers check -> store,
  for the top content and for a 90-day window, with ``refresh`` so nothing is served from the store.

``python -m bench.insights [--quick]`` runs this alone; ``make bench`` runs it with the others.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from audience.core.objectstore.adapters.local import FolderObjectStore
from audience.ingest.adapters.local.counters import SqliteCounterStore
from audience.insights import queries as q
from audience.insights.adapters.local.duckdb_sql import DuckDBLakeQuery
from audience.insights.adapters.local.rules_writer import write_insight
from audience.insights.catalog import CsvCatalog
from audience.insights.dashboard import METRICS, DashboardService
from audience.insights.gather import ALL_FILTERS, Gatherer, Window
from audience.insights.models import InsightRequest
from audience.insights.numbers import check_insight
from audience.insights.ports import Param, Row
from audience.insights.service import InsightService
from audience.insights.store import InsightStore
from audience.insights.wiring import LOCAL_CATALOG
from audience.web.pages import dashboard as web_dashboard
from bench.lake import build_lake

AS_OF = datetime(2026, 11, 21, tzinfo=UTC).date()


class Recording:
    """A LakeQuery that remembers what it ran (to replay the same SQL as the baseline)."""

    def __init__(self, inner: DuckDBLakeQuery) -> None:
        self.inner = inner
        self.log: list[tuple[str, list[Param]]] = []

    def available(self, table: str) -> bool:
        return self.inner.available(table)

    def run(self, sql: str, params: Sequence[Param]) -> list[Row]:
        self.log.append((sql, list(params)))
        return self.inner.run(sql, params)


def _pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def dashboard(lake_dir: Path, now: datetime, repeats: int) -> dict[str, Any]:
    duck = DuckDBLakeQuery(lake_dir)
    recording = Recording(duck)
    catalog = CsvCatalog(lambda: LOCAL_CATALOG.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        counters = SqliteCounterStore(Path(tmp) / "counters.db", dedup_ttl_seconds=86_400)
        service = DashboardService(recording, counters, catalog, cache_seconds=0, clock=lambda: now)
        original = web_dashboard.service
        web_dashboard.service = lambda: service  # type: ignore[assignment]
        try:
            app = Flask("bench")
            app.register_blueprint(web_dashboard.dashboard)
            client = app.test_client()
            out: dict[str, Any] = {}
            for metric in METRICS:
                url = f"/api/dashboard/{metric}?time_range=30d"
                assert client.get(url).status_code == 200  # warm-up (and catalog load)
                api: list[float] = []
                raw: list[float] = []
                for _ in range(repeats):
                    recording.log.clear()
                    started = time.perf_counter()
                    response = client.get(url)
                    api.append(time.perf_counter() - started)
                    assert response.status_code == 200
                    issued = list(recording.log)
                    started = time.perf_counter()
                    for sql, params in issued:
                        duck.run(sql, params)
                    raw.append(time.perf_counter() - started)
                p50, p95 = _pcts(api)
                raw50, raw95 = _pcts(raw)
                out[metric] = {
                    "queries": len(issued),
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "raw_p50_ms": raw50,
                    "raw_p95_ms": raw95,
                    "api_vs_raw": p50 / raw50,
                }
        finally:
            web_dashboard.service = original
            counters.close()
    duck.close()
    return out


def insights(lake_dir: Path, now: datetime, repeats: int) -> dict[str, Any]:
    duck = DuckDBLakeQuery(lake_dir)
    window = Window.ending(now, 30)
    top_query = q.query("top_content:all")
    top = duck.run(top_query.sql, top_query.bind({**Window.params(window.start, window.end), **ALL_FILTERS}))
    content_id = str(top[0]["content_id"])
    out: dict[str, Any] = {"content_id": content_id}
    with tempfile.TemporaryDirectory() as tmp:
        counters = SqliteCounterStore(Path(tmp) / "counters.db", dedup_ttl_seconds=86_400)
        recording = Recording(duck)
        service = InsightService(
            Gatherer(recording, counters, CsvCatalog(lambda: LOCAL_CATALOG.read_bytes())),
            InsightStore(FolderObjectStore(Path(tmp) / "lake")),
            model=None,
            ttl_seconds=0,
            clock=lambda: now,
            rules=write_insight,
        )
        for time_range in ("30d", "90d"):
            request = InsightRequest(content_id=content_id, time_range=time_range, refresh=True)
            service.insight(request)  # warm-up
            samples, checks = [], []
            for _ in range(repeats):
                recording.log.clear()
                started = time.perf_counter()
                record, _ = service.insight(request)
                samples.append(time.perf_counter() - started)
                started = time.perf_counter()
                assert check_insight(record.insight, record.inputs) == []
                checks.append(time.perf_counter() - started)
            p50, p95 = _pcts(samples)
            out[time_range] = {
                "queries": len(recording.log),
                "p50_ms": p50,
                "p95_ms": p95,
                "number_check_p50_ms": _pcts(checks)[0],
            }
        counters.close()
    duck.close()
    return out


def run(events: int = 100_000, repeats: int = 30, progress: Any = print) -> dict[str, Any]:
    progress(f"insights bench: lake of {events:,} events")
    lake_dir = build_lake(events, as_of=AS_OF)
    now = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return {
        "events": events,
        "dashboard": dashboard(lake_dir, now, repeats),
        "insights": insights(lake_dir, now, max(3, repeats // 6)),
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from bench.machine import describe

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    console = Console()
    console.print(f"[bold]Insights benchmark[/bold] on {describe()}")
    result = run(20_000 if args.quick else 100_000, 10 if args.quick else 30, console.log)
    print_tables(result, console, Table)


def print_tables(result: dict[str, Any], console: Any, table_cls: Any) -> None:
    table = table_cls(title=f"Dashboard API on {result['events']:,} events (30d, lake cache off)")
    for column in ("metric", "queries", "API p50 / p95 ms", "raw DuckDB p50 / p95 ms", "API / raw"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, r in result["dashboard"].items():
        table.add_row(
            metric,
            str(r["queries"]),
            f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f}",
            f"{r['raw_p50_ms']:.1f} / {r['raw_p95_ms']:.1f}",
            f"{r['api_vs_raw']:.2f}x",
        )
    console.print(table)
    ins = result["insights"]
    itable = table_cls(title=f"Insight end to end, rules writer (content {ins['content_id']})")
    for column in ("time range", "queries", "p50 / p95 ms", "number check p50 ms"):
        itable.add_column(column, justify="right")
    for time_range in ("30d", "90d"):
        r = ins[time_range]
        itable.add_row(
            time_range,
            str(r["queries"]),
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f}",
            f"{r['number_check_p50_ms']:.1f}",
        )
    console.print(itable)


if __name__ == "__main__":
    main()
