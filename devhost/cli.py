"""``audience``: the local command line (serve, demo, flush)."""

from __future__ import annotations

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
    threads: int = typer.Option(8, help="Worker threads."),
) -> None:
    """Run the local API (the Lambda handlers behind HTTP) and the lake writer."""
    from devhost.server import WriterLockedError
    from devhost.server import serve as run

    try:
        code = run(get_settings(), host=host, port=port, threads=threads)
    except WriterLockedError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def demo(
    events: int = typer.Option(100_000, help="How many events to generate and send."),
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
    """Generate data, run the local API, post everything over HTTP, flush the lake, print a summary."""
    from devhost.demo import DemoConfig, run

    summary = run(
        get_settings(),
        DemoConfig(
            events=events, seed=seed, workers=workers, fresh=not keep, features=features, models=models
        ),
    )
    raise typer.Exit(0 if summary["consistent"] else 1)


@app.command()
def flush() -> None:
    """Deliver everything in the local spool into the lake (when no server is running)."""
    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool
    from audience.ingest.wiring import ports
    from devhost.server import WriterLockedError, writer_lock

    settings = get_settings()
    try:
        with writer_lock(settings):
            spool = ports().sink
            assert isinstance(spool, LocalSpool)
            report = LakeWriter(spool, settings.lake_dir).flush(force=True)
    except WriterLockedError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"delivered {report.rows} events in {report.files} files")


if __name__ == "__main__":
    app()
