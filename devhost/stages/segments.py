"""The demo's segment stage: Personalize-format segments from the local model, activated to files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from audience.activation.stage import run_segments
from audience.core.settings import Settings


def segment_stage(settings: Settings, data_dir: Path, console: Console) -> dict[str, Any]:
    console.print()
    console.rule("Segments: local item-attribute affinity -> post-processing -> activation files")
    report = run_segments(settings, data_dir, progress=lambda message: console.print(f"  {message}"))
    table = Table(
        title=f"Segments of {report.postprocess['job']} (destination: {report.postprocess['destination']})"
    )
    for column in ("line", "segment", "query", "users", "endpoints", "status"):
        table.add_column(column, justify="right" if column in ("line", "users", "endpoints") else "left")
    for s in report.postprocess["segments"]:
        status = s["error"] or (s["receipt"] or {}).get("status", "")
        table.add_row(
            str(s["line"]), s["name"] or "-", s["query"], f"{s['users']:,}", f"{s['endpoints']:,}", status
        )
    console.print(table)
    if report.evaluation:
        rows = ", ".join(
            f"top {r['n']}: model {r['model']:.1%} vs baseline {r['baseline']:.1%}"
            for r in report.evaluation["results"]
        )
        console.print(
            f"  Action segment on a time-based holdout ({report.evaluation['split']}): {rows}; "
            f"base rate {report.evaluation['base_rate']:.1%}"
        )
    home = settings.home.resolve()
    console.print(
        f"[dim]batch output {report.batch_output}; activation files under {home / 'activation'}[/dim]"
    )
    return {"datasets": report.datasets, "postprocess": report.postprocess, "evaluation": report.evaluation}
