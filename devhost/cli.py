"""``audience``: the local command line (serve, demo, flush)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from audience.core.settings import get_settings

app = typer.Typer(
    help="Audience Intelligence & Activation Platform: local commands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def serve(
    port: int = typer.Option(8000, envvar="PORT", help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    threads: int = typer.Option(4, help="HTTP threads per worker (each worker invokes one at a time)."),
    workers: int = typer.Option(
        0, help="Handler worker processes (0: AUDIENCE_LOCAL_WORKERS, else one per CPU, at least 2)."
    ),
) -> None:
    """Run the local API (the Lambda handlers behind HTTP, in worker processes) and the lake writer.

    SIGTERM stops it within AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS (25 s): what is not delivered by then
    stays in the spool for the next start."""
    from devhost.server import PortInUseError, WriterLockedError
    from devhost.server import serve as run

    try:
        code = run(get_settings(), host=host, port=port, threads=threads, workers=workers or None)
    except (WriterLockedError, PortInUseError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def demo(
    events: int = typer.Option(
        300_000, help="How many events to generate: the history (backfilled) and the live day (over HTTP)."
    ),
    history_days: int = typer.Option(90, min=1, help="Days of history before the live day."),
    users: int = typer.Option(2_000, min=1, help="Generated users."),
    seed: int = typer.Option(7, help="Generator seed."),
    workers: int = typer.Option(4, help="Concurrent HTTP clients."),
    keep: bool = typer.Option(
        False, help="Keep the existing local lake and counters instead of starting fresh."
    ),
    features: bool = typer.Option(True, help="Run the feature jobs (local Spark) after ingestion."),
    models: bool = typer.Option(
        True, help="Train, gate and score the engagement and churn models after the features."
    ),
) -> None:
    """Generate history and a live day; backfill the history, post the day over HTTP; run every stage."""
    from devhost.demo import DemoConfig, ReferenceMismatchError, run

    try:
        summary = run(
            get_settings(),
            DemoConfig(
                events=events,
                seed=seed,
                workers=workers,
                fresh=not keep,
                features=features,
                models=models,
                history_days=history_days,
                users=users,
            ),
        )
    except ReferenceMismatchError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if summary["consistent"] else 1)


@app.command()
def flush() -> None:
    """Deliver everything in the local spool into the lake (when no server is running)."""
    from devhost.server import WriterLockedError, deliver_spools

    try:
        report, social = deliver_spools(get_settings())
    except WriterLockedError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"delivered {report.rows} events in {report.files} files, {social.rows} social posts")


social = typer.Typer(
    help="Social posts: stream live sources, replay datasets (python -m audience.influencers)."
)
app.add_typer(social, name="social")


@social.command("stream")
def social_stream(
    source: str = typer.Option("bluesky", help="bluesky (Jetstream)"),
    frames: str | None = typer.Option(None, help="Recorded Jetstream messages instead of the network"),
    out: str | None = typer.Option(None, help="Append posts to a JSONL file instead of POST /social/posts"),
    max_seconds: float | None = typer.Option(None, help="Stop after this many seconds"),
    max_posts: int | None = typer.Option(None, help="Stop after this many posts"),
) -> None:
    """Stream a live source from its stored cursor into POST /social/posts."""
    from audience.influencers.__main__ import main as influencers

    argv = ["stream", "--source", source]
    for flag, value in (
        ("--frames", frames),
        ("--out", out),
        ("--max-seconds", max_seconds),
        ("--max-posts", max_posts),
    ):
        if value is not None:
            argv += [flag, str(value)]
    raise typer.Exit(influencers(argv))


@app.command(name="import")
def import_events(
    events: list[Path] = typer.Option(  # noqa: B008
        ..., "--events", help="A file or folder of events (JSON lines, CSV or Parquet); repeatable."
    ),
    max_age_days: float = typer.Option(
        3 * 365, help="Reject rows older than this many days (no freshness window applies)."
    ),
    chunk_rows: int = typer.Option(50_000, min=1, help="Rows per journaled chunk (the unit of resume)."),
) -> None:
    """Backfill history into the local lake: validated, deduplicated, resumable; counters rebuilt."""
    from datetime import timedelta

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool
    from audience.ingest.backfill import BackfillError, BackfillOptions, run_backfill
    from audience.ingest.wiring import backfill_ports
    from audience.insights.wiring import build_lake_query
    from devhost.server import WriterLockedError, writer_lock

    settings = get_settings()
    console = Console(stderr=True)
    options = BackfillOptions(max_age=timedelta(days=max_age_days), chunk_rows=chunk_rows)
    try:
        with writer_lock(settings):
            # Spooled live events first: the counter rebuild reads the lake and must see them.
            spool = LocalSpool(settings.home / "state" / "spool.db", settings.dedup_ttl_seconds)
            LakeWriter(spool, settings.lake_dir).flush(force=True)
            spool.close()
            ports = backfill_ports(settings)
            with Progress(
                TextColumn("importing events"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("import", total=None)
                report = run_backfill(
                    events,
                    lake=ports.lake,
                    journal=ports.journal,
                    counters=ports.counters,
                    lake_query=lambda: build_lake_query(settings),
                    options=options,
                    on_start=lambda total: progress.update(task, total=total),
                    on_progress=lambda rows: progress.advance(task, rows),
                )
    except (WriterLockedError, BackfillError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report.as_dict(), indent=2))


@app.command()
def reconcile(
    start: datetime = typer.Option(None, help="First hour (UTC) to check; default: all time."),  # noqa: B008
    end: datetime = typer.Option(  # noqa: B008
        None, help="End of the range (UTC, exclusive); default: an hour ago (past the delivery buffer)."
    ),
    dry_run: bool = typer.Option(False, help="Report the drift without repairing it."),
) -> None:
    """Recompute the live counters for a time range from the lake, repair drift, report what changed."""
    from datetime import UTC, timedelta

    from audience.ingest.reconcile import reconcile as run
    from audience.ingest.wiring import counter_repair_store
    from audience.insights.wiring import build_lake_query

    settings = get_settings()
    until = (
        (end or datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=UTC)
        if end is None or end.tzinfo is None
        else end
    )
    since = start.replace(tzinfo=UTC) if start is not None and start.tzinfo is None else start
    report = run(
        build_lake_query(settings), counter_repair_store(settings), start=since, end=until, repair=not dry_run
    )
    typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    app()
