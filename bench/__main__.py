"""`make bench`: run the benchmarks, print a table, keep the figures in bench/results/latest.json."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import ingest
from bench.machine import describe

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    console = Console()
    machine = describe()
    console.print(f"[bold]Benchmarks[/bold] on {machine}")

    n_inproc, n_http = (8, 16) if args.quick else (40, 80)
    with console.status("in-process handler…"):
        inproc = ingest.in_process(n_inproc)
    with console.status("local HTTP, 4 clients…"):
        http = ingest.http(n_http)

    table = Table(title="Ingestion (500-event batches)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row(
        "handler, µs/event",
        f"{inproc['handler_us_per_event']:.1f}",
        f"parse+serialise {inproc['floor_us_per_event']:.2f}",
        f"{inproc['handler_vs_floor']:.1f}x",
    )
    table.add_row(
        "validation only, µs/event",
        f"{inproc['validation_us_per_event']:.1f}",
        f"parse+serialise {inproc['floor_us_per_event']:.2f}",
        f"{inproc['validation_vs_floor']:.1f}x",
    )
    table.add_row(
        "HTTP events/s (4 clients)",
        f"{http['events_per_s']:,.0f}",
        f"no-op route {http['floor_events_per_s']:,.0f}",
        f"{http['throughput_vs_floor']:.2f}x",
    )
    table.add_row(
        "HTTP p50 / p99 ms",
        f"{http['p50_ms']:.0f} / {http['p99_ms']:.0f}",
        f"p50 {http['floor_p50_ms']:.0f}",
        "",
    )
    console.print(table)

    RESULTS.mkdir(exist_ok=True)
    out = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "quick": args.quick,
        "ingest_in_process": inproc,
        "ingest_http": http,
    }
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
    console.print(f"figures written to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
