"""The demo's history stage: the generated JSON lines through the historical backfill (the logic of
``audience import``), with its progress bar and a table of what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audience.core.settings import Settings


def import_history(settings: Settings, history: Path, console: Console) -> dict[str, Any]:
    """The history through the backfill (the logic of ``audience import``), with its progress bar."""
    from audience.ingest.backfill import BackfillOptions, run_backfill
    from audience.ingest.wiring import backfill_ports
    from audience.insights.wiring import build_lake_query

    console.rule("Historical backfill: audience import --events " + str(history))
    ports = backfill_ports(settings)
    with Progress(
        TextColumn("importing history"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("import", total=None)
        report = run_backfill(
            [history],
            lake=ports.lake,
            journal=ports.journal,
            counters=ports.counters,
            lake_query=lambda: build_lake_query(settings),
            options=BackfillOptions(chunk_rows=100_000),
            on_start=lambda total: progress.update(task, total=total),
            on_progress=lambda rows: progress.advance(task, rows),
        )
    figures = report.as_dict()
    table = Table(title="Backfill")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("rows", "accepted", "duplicates", "rejected", "partitions", "content_rebuilt"):
        table.add_row(key.replace("_", " "), f"{figures[key]:,}")
    table.add_row("days", f"{figures['first_day']} .. {figures['last_day']}")
    console.print(table)
    return figures
