"""`make demo`: the platform end to end on the embedded backend: history, then the live day over HTTP.

Generates a realistic, seeded stream of engagement over 91 days (with a small share of deliberately
bad events and client retries). The first 90 days are history: written as JSON lines and imported
with the historical backfill (``audience import``'s logic: validated, deduplicated, into the arrival
partitions of their event dates, counters rebuilt). The last day is live: the local API runs as its
own process and the day's events are posted in 500-event batches from 4 concurrent clients; the
server is stopped (which delivers what is buffered). Then what landed is read back (the Parquet lake
through DuckDB, the quarantine, the live counters) and the later stages run: features for a series
of ``as_of`` days, the models with their default label windows, the Explorer, activation, insights.

Every stage is timed; the timings and every printed figure go to ``$AUDIENCE_HOME/report.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audience.core.settings import Settings
from audience.datagen import GeneratorConfig, generate
from audience.datagen.writers import reference_mismatch
from audience.models.stage import GROUND_TRUTH
from devhost.client import PostOutcome, batched, post_all
from devhost.report import report_path, write_section
from devhost.stages.api import free_port, stage_server, start_server
from devhost.stages.history import import_history
from devhost.stages.segments import segment_stage
from devhost.stages.summary import summarise

if TYPE_CHECKING:
    from audience.features.wiring import GlueJobRunner


@dataclass
class DemoConfig:
    events: int = 300_000
    """All generated items, history and the live day together (bad events and retries included)."""
    seed: int = 7
    workers: int = 4
    batch_size: int = 500
    fresh: bool = True
    features: bool = True
    models: bool = True
    segments: bool = True
    recommendations: bool = True
    influencers: bool = True
    history_days: int = 90
    users: int = 2_000
    """At most the 5,000 users of ``data/users.csv`` (the demo's users are its first ``users``)."""
    content: int = 2_000
    """Exactly the items of ``data/content_catalog.csv``: every stage reads the catalogue from there."""


REFERENCE_SEED = GeneratorConfig().seed
"""The seed of ``data/``'s reference tables (the generator's default configuration)."""


class ReferenceMismatchError(RuntimeError):
    """The generator would draw events over other users or items than ``data/``'s reference tables."""


class Stages:
    """The demo's stages, timed: ``with stages("name"):`` around each; stages can be added freely."""

    def __init__(
        self, console: Console, home: Path | None = None, config: dict[str, Any] | None = None
    ) -> None:
        self.console = console
        self.home = home
        self.config = config or {}
        """What this run was (seed, sizes): figures from two seeds are told apart by it."""
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    def __call__(self, name: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def timed() -> Iterator[None]:
            began = time.perf_counter()
            try:
                yield
            finally:
                self.seconds[name] = round(time.perf_counter() - began, 2)
                if self.home is not None:  # after every stage, so an interrupted run keeps its timings
                    write_section(self.home, "demo", {**self.report(), "machine": machine()})

        return timed()

    def report(self) -> dict[str, Any]:
        return {
            **({"config": self.config} if self.config else {}),
            "stages_seconds": dict(self.seconds),
            "total_seconds": round(time.perf_counter() - self.started, 2),
        }


def run(settings: Settings, config: DemoConfig, console: Console | None = None) -> dict[str, object]:
    console = console or Console()
    home = settings.home.resolve()
    # Before anything is cleared: the events must be drawn over data/'s users and items. At the
    # reference tables' seed a size that does not match them is refused; another seed (make demo
    # SEED=11) has other users and items by design, and is told what that means for its figures.
    reference = GeneratorConfig(seed=config.seed, n_users=config.users, n_content=config.content)
    if mismatch := reference_mismatch(reference, settings.project_root / "data"):
        if config.seed == REFERENCE_SEED:
            raise ReferenceMismatchError(mismatch)
        console.print(
            f"[yellow]seed {config.seed}: data/ holds the reference tables of seed {REFERENCE_SEED}, which every "
            "stage after ingestion reads; the catalogue's types and genres and the profiles do not describe "
            "this seed's events, so the figures that use them (engagement, segments, the recommendations "
            "baseline) are not comparable with seed 7's[/yellow]"
        )
    if config.fresh:
        for part in ("lake", "state", "models", "import"):
            shutil.rmtree(home / part, ignore_errors=True)
        (home / "report.json").unlink(missing_ok=True)
        console.print(
            f"[dim]fresh state under {home} (lake/, state/, models/, import/ and report.json cleared)[/dim]"
        )

    api_key = settings.api_key or "demo-key"
    port = free_port()
    log = home / "server.log"
    stages = Stages(
        console,
        home,
        {
            "seed": config.seed,
            "events": config.events,
            "history_days": config.history_days,
            "users": config.users,
            "content": config.content,
        },
    )
    home.mkdir(parents=True, exist_ok=True)
    live_start = datetime.now(UTC) - timedelta(days=1)
    gen = GeneratorConfig(
        seed=config.seed,
        target_events=config.events,
        now=datetime.now(UTC) - timedelta(minutes=1),
        window_days=config.history_days + 1,
        n_users=config.users,
        n_content=config.content,
    )
    (home / GROUND_TRUTH).write_text(
        json.dumps(
            {
                "seed": gen.seed,
                "now": gen.now.isoformat(),
                "target_events": gen.target_events,
                "window_days": gen.window_days,
                "n_users": gen.n_users,
                "n_content": gen.n_content,
            },
            indent=2,
        )
        + "\n"
    )
    defects: Counter[str] = Counter()
    history_defects: Counter[str] = Counter()
    history_file = home / "import" / "history.jsonl"
    live: list[dict[str, Any]] = []
    with stages("generate"):
        console.rule(
            f"Generating {config.history_days} days of history and the live day (seed {config.seed})"
        )
        history_file.parent.mkdir(parents=True, exist_ok=True)
        boundary = live_start.strftime("%Y-%m-%dT%H:%M:%S")
        history_rows = 0
        with history_file.open("w", encoding="utf-8") as out:
            clock = ""
            for item in generate(gen):
                stamp = item.payload.get("timestamp")
                if item.defect is None and isinstance(stamp, str):
                    clock = stamp
                if clock < boundary:
                    if item.defect:
                        history_defects[item.defect] += 1
                    out.write(json.dumps(item.payload, separators=(",", ":")) + "\n")
                    history_rows += 1
                else:
                    if item.defect:
                        defects[item.defect] += 1
                    live.append(item.payload)
        console.print(
            f"  {history_rows:,} history rows to {history_file}; {len(live):,} live events for the last day"
        )
    with stages("backfill"):
        backfill = import_history(settings, history_file, console)
    # One local Glue job host (one JVM, kept warm) for every Glue job run of the features and the
    # models stages, launched now so that its JVM boots while the live day is posted; its log keeps
    # the scripts' own output.
    glue = None
    if config.features:
        from audience.features.wiring import glue_host

        glue = glue_host(settings, log=home / "glue-host.log")
        glue.launch()
    try:
        console.print(f"starting the local API on port {port} …")
        with stages("live_http"):
            server = start_server(settings, port, api_key, log)
            outcomes: list[PostOutcome] = []
            started = time.perf_counter()
            try:
                with Progress(
                    TextColumn("posting the live day"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress:
                    task = progress.add_task("post", total=len(live))
                    outcomes = post_all(
                        f"http://127.0.0.1:{port}",
                        api_key,
                        batched(iter(live), config.batch_size),
                        workers=config.workers,
                        on_done=lambda o: progress.advance(task, o.events),
                    )
                if config.influencers:
                    from devhost.stages.influencers import post_network

                    console.print("posting the generated social network to POST /social/posts …")
                    social = post_network(f"http://127.0.0.1:{port}", api_key, seed=config.seed)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=300)
            elapsed = time.perf_counter() - started
        last = log.read_text().strip().splitlines()
        console.print(f"[dim]local API: {last[-1] if last else 'no output'} (log: {log})[/dim]")
        from devhost.server import deliver_spool

        leftover = deliver_spool(settings)  # what a slow disk kept past the stop's deadline
        if leftover.rows:
            console.print(f"[dim]delivered {leftover.rows} events the stop left in the spool[/dim]")
        summary = summarise(settings, outcomes, defects, len(live), elapsed, console, backfill=backfill)
        summary["backfill"] = backfill
        summary["history_defects"] = dict(history_defects)
        write_section(home, "ingest", _jsonable(summary))
        if glue is not None:
            with stages("features"):
                summary["features"] = build_features(settings, console, glue)
            if config.models:
                from audience.models.stage import MissingDataError, demo_stage

                try:
                    with stages("models"):
                        models = demo_stage(settings, console, glue)
                        summary["models"] = models
                        write_section(home, "models", models["section"])
                except MissingDataError as exc:
                    console.print(f"[yellow]models skipped: {exc}[/yellow]")
    finally:
        if glue is not None:
            glue.close()
    if config.segments:
        from devhost.stages.explorer import run_stage

        with stages("explorer"):
            summary["explorer"] = run_stage(settings, console)
        write_section(home, "explorer", _jsonable(summary["explorer"]))
    with stages("activation"):
        activation = segment_stage(settings, settings.project_root / "data", console)
    summary["activation"] = activation
    write_section(home, "segments", _segments_figures(activation))
    if config.recommendations:  # needs the Personalize export the segment stage wrote
        from devhost.stages.recommendations import recommendations_stage

        with stages("recommendations"):
            section = recommendations_stage(
                home, settings.project_root / "data", console, lambda: stage_server(settings, home, api_key)
            )
        write_section(home, "recommendations", section)
        summary["recommendations"] = section
    from devhost.stages.insights import show_insights

    with stages("insights"):
        summary["insights"] = show_insights(settings, console)
    if config.influencers:
        from audience.influencers.settings import InfluencerSettings
        from devhost.stages.influencers import run_stage as influencers_stage

        with stages("influencers"):
            figures = influencers_stage(InfluencerSettings(home=home), *social, console)
        write_section(home, "influencers", figures)
        summary["influencers"] = figures
    write_section(home, "insights", _jsonable(summary["insights"]))
    console.print(f"[dim]every figure above: {report_path(home)}[/dim]")
    return summary


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _segments_figures(activation: dict[str, Any]) -> dict[str, Any]:
    """The activation stage's figures: per segment users/endpoints/opted out, and the Action
    segment's holdout evaluation (model and baseline at each top N)."""
    post = activation.get("postprocess") or {}
    evaluation = activation.get("evaluation") or {}
    return {
        "datasets": activation.get("datasets"),
        "segments": [
            {
                "name": s.get("name"),
                "query": s.get("query"),
                "users": s.get("users"),
                "endpoints": s.get("endpoints"),
                "opted_out_users": s.get("opted_out_users", 0),
                "no_endpoint_users": s.get("unresolved_users"),
            }
            for s in post.get("segments", [])
        ],
        "evaluation": _jsonable(evaluation) if evaluation else None,
    }


def build_features(settings: Settings, console: Console, glue: GlueJobRunner | None = None) -> dict[str, int]:
    """Run the three Glue job scripts on local Spark over the lake just written (on ``glue``, the
    demo's Glue job host, or on a host of their own)."""
    from audience.features.wiring import run_features

    console.print()
    console.rule("Feature engineering: the Glue jobs on local Spark")
    lake = settings.home.resolve() / "lake"
    reports = run_features(lake, runner=glue, progress=lambda message: console.print(f"  {message}"))
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
