"""The Explorer's stage of ``make demo``: run the segmentation job on the demo's lake and show it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from audience.core.settings import Settings


def run_stage(settings: Settings, console: Console) -> dict[str, object]:
    from audience.core.objectstore.adapters.local import FolderObjectStore
    from audience.explorer.job import JobConfig, run
    from audience.explorer.profiles import RICH_FILE

    console.print()
    console.rule("Audience segments: the Explorer's segmentation job")
    config = JobConfig(
        profiles_csv=settings.project_root / "data" / RICH_FILE,
        users_csv=settings.project_root / "data" / "users.csv",
        min_users=settings.explorer_min_users,
    )
    report = run(
        config,
        FolderObjectStore(settings.home.resolve() / "lake"),
        progress=lambda m: console.print(f"  {m}"),
    )
    summary: dict[str, object] = {"model_version": report.model_version}
    for method, result in report.results.items():
        ari = "" if result.ari is None else f", adjusted Rand index vs planted segments {result.ari:.3f}"
        table = Table(title=f"{method} segments ({result.params.get('k', 'density')}{ari})")
        for column in ("#", "segment", "name", "users", "share"):
            table.add_column(column, justify="right" if column in ("#", "users", "share") else "left")
        for number, s in enumerate(result.segments, start=1):
            table.add_row(
                "" if s.is_noise else str(number), s.segment_id, s.name, f"{s.size:,}", f"{s.share:.1%}"
            )
        console.print(table)
        summary[f"{method}_ari"] = result.ari
        summary[f"{method}_segments"] = sum(not s.is_noise for s in result.segments)

    kmeans = report.results.get("kmeans")
    scores = report.affinity.get("kmeans", [])
    if kmeans and scores:
        # Channels down, segments across (numbered as in the table above): fits a terminal.
        segments = [s for s in kmeans.segments if not s.is_noise]
        cell = {(a.segment_id, a.channel): a for a in scores}
        table = Table(
            title="Affinity (k-means; columns = segments above): >=120 sweet spot, <=80 de-prioritise, * low confidence"
        )
        table.add_column("channel")
        for number, _ in enumerate(segments, start=1):
            table.add_column(f"#{number}", justify="right")
        for channel in dict.fromkeys(a.channel for a in scores):
            row = []
            for s in segments:
                a = cell.get((s.segment_id, channel))
                if a is None or a.score is None:
                    row.append("n/a")
                    continue
                style = "green" if a.band == "sweet_spot" else "red" if a.band == "deprioritise" else ""
                text = f"{a.score:.0f}{'*' if a.low_confidence else ''}"
                row.append(f"[{style}]{text}[/{style}]" if style else text)
            table.add_row(channel, *row)
        console.print(table)
    console.print(
        "[dim]Explorer: `make serve`, then open http://127.0.0.1:8000/explorer "
        f"(segments under {settings.home.resolve() / 'lake' / 'segments'})[/dim]"
    )
    return summary
