"""`make demo`: the collection path end to end on the embedded backend, over real HTTP.

Generates a realistic, seeded day-by-day stream of engagement (with a small share of deliberately
bad events and client retries), starts the local API as its own process, posts everything in
500-event batches from 4 concurrent clients, stops the server (which delivers what is buffered),
and reads back what landed: the Parquet lake through DuckDB, the quarantine, the live counters.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audience.core.settings import Settings
from audience.datagen import GeneratorConfig, generate
from devhost.client import PostOutcome, batched, post_all
from devhost.stages.segments import segment_stage


@dataclass
class DemoConfig:
    events: int = 100_000
    seed: int = 7
    workers: int = 4
    batch_size: int = 500
    fresh: bool = True
    features: bool = True
    models: bool = True
    segments: bool = True
    recommendations: bool = True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(settings: Settings, port: int, api_key: str, log: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "AUDIENCE_HOME": str(settings.home),
        "AUDIENCE_API_KEY": api_key,
        "AUDIENCE_BACKEND": "local",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:  # a file, not a pipe: a pipe nobody reads could block the server
        proc = subprocess.Popen(
            [sys.executable, "-m", "devhost.cli", "serve", "--port", str(port)],
            env=env,
            cwd=settings.project_root,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"local API exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("local API did not answer /health within 60 s")


def _stage_server(settings: Settings, home: Path, api_key: str) -> tuple[str, str, Any]:
    """The local API again, for a stage that talks to it over HTTP; returns (url, key, stop)."""
    port = _free_port()
    proc = _start_server(settings, port, api_key, home / "server-recommendations.log")

    def stop() -> None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)

    return f"http://127.0.0.1:{port}", api_key, stop


def run(settings: Settings, config: DemoConfig, console: Console | None = None) -> dict[str, object]:
    console = console or Console()
    home = settings.home.resolve()
    if config.fresh:
        for part in ("lake", "state", "models"):
            shutil.rmtree(home / part, ignore_errors=True)
        console.print(f"[dim]fresh state under {home} (lake/, state/ and models/ cleared)[/dim]")

    api_key = settings.api_key or "demo-key"
    port = _free_port()
    console.print(f"starting the local API on port {port} …")
    log = home / "server.log"
    server = _start_server(settings, port, api_key, log)

    gen = GeneratorConfig(
        seed=config.seed, target_events=config.events, now=datetime.now(UTC) - timedelta(minutes=1)
    )
    defects: Counter[str] = Counter()
    sent = 0

    def payloads() -> Iterator[dict[str, Any]]:
        nonlocal sent
        for item in generate(gen):
            if item.defect:
                defects[item.defect] += 1
            sent += 1
            yield item.payload

    outcomes: list[PostOutcome] = []
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("posting events"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("post", total=config.events)
            outcomes = post_all(
                f"http://127.0.0.1:{port}",
                api_key,
                batched(payloads(), config.batch_size),
                workers=config.workers,
                on_done=lambda o: progress.advance(task, o.events),
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=300)
    elapsed = time.perf_counter() - started
    last = log.read_text().strip().splitlines()
    console.print(f"[dim]local API: {last[-1] if last else 'no output'} (log: {log})[/dim]")
    summary = summarise(settings, outcomes, defects, sent, elapsed, console)
    if config.features:
        summary["features"] = build_features(settings, console)
    if config.features and config.models:
        from audience.models.stage import demo_stage

        summary["models"] = demo_stage(settings, console)
    if config.segments:
        from devhost.stages.explorer import run_stage

        summary["explorer"] = run_stage(settings, console)
    summary["activation"] = segment_stage(settings, settings.project_root / "data", console)
    if config.recommendations:  # issue 14: needs the Personalize export the segment stage wrote
        from devhost.report import write_section
        from devhost.stages.recommendations import recommendations_stage

        section = recommendations_stage(
            home, settings.project_root / "data", console, lambda: _stage_server(settings, home, api_key)
        )
        write_section(home, "recommendations", section)
        summary["recommendations"] = section
    from devhost.stages.insights import show_insights  # issue 7: insights stage

    summary["insights"] = show_insights(settings, console)
    return summary


def build_features(settings: Settings, console: Console) -> dict[str, int]:
    """Run the three Glue job scripts on local Spark over the lake just written."""
    from audience.features.adapters.local.glue import run_features

    console.print()
    console.rule("Feature engineering: the Glue jobs on local Spark")
    lake = settings.home.resolve() / "lake"
    reports = run_features(lake, progress=lambda message: console.print(f"  {message}"))
    rows = {table: count for report in reports for table, count in report.rows.items()}
    as_of = datetime.now(UTC).date().isoformat()
    top = duckdb.sql(
        f"SELECT content_id, content_type, primary_genre, unique_users, views, completions, "
        f"round(engagement_score, 2) FROM read_parquet('{lake}/features/content_features/as_of={as_of}/*.parquet') "
        "WHERE views >= 20 ORDER BY engagement_score DESC LIMIT 5"
    ).fetchall()
    table = Table(title=f"Most engaging content (as_of {as_of}, at least 20 views)")
    for column in ("content", "type", "genre", "users", "views", "completions", "engagement score"):
        table.add_column(column, justify="left" if column in ("content", "type", "genre") else "right")
    for row in top:
        table.add_row(*(str(v) for v in row))
    console.print(table)
    console.print(
        f"[dim]feature tables under {lake / 'features'}: {', '.join(f'{t} {n:,}' for t, n in rows.items())}[/dim]"
    )
    return rows


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
) -> dict[str, object]:
    from audience.ingest.adapters.local.counters import SqliteCounterStore

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
        title=f"Demo summary: {sent:,} events sent in {elapsed:.1f} s ({sent / elapsed:,.0f} events/s)"
    )
    overview.add_column("what")
    overview.add_column("count", justify="right")
    overview.add_row("HTTP answers", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    overview.add_row("accepted (stored and counted)", f"{accepted:,}")
    overview.add_row("duplicates (client retries)", f"{duplicates:,}")
    overview.add_row("rejected", f"{rejected_events:,}")
    overview.add_row("not stored (503 after retries)", f"{failed:,}")
    overview.add_row("lake files / rows", f"{len(files):,} / {lake_total:,}")
    overview.add_row("quarantined events (files)", f"{quarantined:,} ({len(quarantine_files)})")
    overview.add_row("live counters total", f"{counted_total:,}")
    console.print(overview)

    console.print(_counts("Rejected, by first reason", "reason", "events", reasons.most_common()))
    console.print(_counts("Bad events planted by the generator", "defect", "events", defects.most_common()))
    console.print(_counts("Lake rows by event type", "event type", "rows", rows))

    leaders = Table(title="Top content by live counters")
    for col in ("content", "events", "views", "completes", "likes", "shares", "hours viewed"):
        leaders.add_column(col, justify="right" if col != "content" else "left")
    for c in top:
        leaders.add_row(
            c.content_id,
            f"{c.events:,}",
            f"{c.counts['view']:,}",
            f"{c.counts['complete']:,}",
            f"{c.counts['like']:,}",
            f"{c.counts['share']:,}",
            f"{c.view_seconds / 3600:,.1f}",
        )
    console.print(leaders)

    consistent = lake_total == accepted == counted_total and rejected_events == quarantined
    verdict = "[green]consistent[/green]" if consistent else "[red]INCONSISTENT[/red]"
    console.print(
        f"check: lake rows = accepted = live counters = {lake_total:,}; rejected = quarantined = {quarantined:,}: {verdict}"
    )
    summary = {
        "sent": sent,
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
