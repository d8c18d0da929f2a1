"""The demo's segment stage: Personalize-format segments from the local model, activated to files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from audience.activation.stage import run_segments
from audience.activation.tables import print_evaluation, segments_table
from audience.core.settings import Settings


def segment_stage(settings: Settings, data_dir: Path, console: Console) -> dict[str, Any]:
    console.print()
    console.rule("Segments: local item-attribute affinity -> post-processing -> activation files")
    report = run_segments(settings, data_dir, progress=lambda message: console.print(f"  {message}"))
    console.print(segments_table(report))
    print_evaluation(report, console)
    home = settings.home.resolve()
    console.print(
        f"[dim]batch output {report.batch_output}; activation files under {home / 'activation'}[/dim]"
    )
    return {"datasets": report.datasets, "postprocess": report.postprocess, "evaluation": report.evaluation}
