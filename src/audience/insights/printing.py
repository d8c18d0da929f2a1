"""An insight as it reads in a terminal (``make insights`` and ``make demo``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from audience.insights.models import InsightRecord
from audience.insights.numbers import check_insight, figures, texts


def print_record(record: InsightRecord, console: Console) -> None:
    insight = record.insight
    console.print(f"[bold]{insight.summary}[/bold]")
    for title, items in (("Strengths", insight.strengths), ("Opportunities", insight.opportunities)):
        if items:
            console.print(f"[green]{title}[/green]" if title == "Strengths" else f"[yellow]{title}[/yellow]")
            for item in items:
                console.print(f"  • {item}", markup=False)
    table = Table(title="Recommendations", show_lines=False)
    for column in ("priority", "action", "expected impact"):
        table.add_column(column)
    for rec in insight.recommendations:
        table.add_row(rec.priority, rec.action, rec.expected_impact)
    console.print(table)
    for trend in insight.trends:
        console.print(f"  trend: {trend.description}", markup=False)
    ai = insight.audience_insights
    for label, items in (
        ("demographics", ai.demographics),
        ("behaviour", ai.behaviour),
        ("preferences", ai.preferences),
    ):
        for item in items:
            console.print(f"  {label}: {item}", markup=False)
    if record.inputs.not_available:
        console.print(f"[dim]not available: {'; '.join(record.inputs.not_available)}[/dim]")
    stated = [f for text in texts(insight) for f in figures(text)]
    unsupported = check_insight(insight, record.inputs)
    verdict = (
        "all traced to the query results" if not unsupported else f"NOT traced: {', '.join(unsupported)}"
    )
    console.print(
        f"[dim]writer: {record.writer}; {len(stated)} figures stated, {verdict}; "
        f"stored under lake/insights/ (inputs {record.inputs_hash[:12]})[/dim]"
    )
