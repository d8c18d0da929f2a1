"""How the activation stage's report reads in a terminal (``make segments`` and ``make demo``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from audience.activation.stage import StageReport


def segments_table(report: StageReport) -> Table:
    """The activation table: per segment, its users, the endpoints sent, and the users not sent
    because they opted out of marketing or have no endpoint at all."""
    table = Table(
        title=f"Segments of {report.postprocess['job']} (destination: {report.postprocess['destination']})"
    )
    numeric = ("line", "users", "endpoints", "opted out", "no endpoint")
    for column in ("line", "segment", "query", "users", "endpoints", "opted out", "no endpoint", "status"):
        table.add_column(column, justify="right" if column in numeric else "left")
    for s in report.postprocess["segments"]:
        status = s["error"] or (s["receipt"] or {}).get("status", "")
        table.add_row(
            str(s["line"]),
            s["name"] or "-",
            s["query"],
            f"{s['users']:,}",
            f"{s['endpoints']:,}",
            f"{s.get('opted_out_users', 0):,}",
            f"{s['unresolved_users']:,}",
            status,
        )
    return table


def print_evaluation(report: StageReport, console: Console) -> None:
    if report.evaluation:
        rows = ", ".join(
            f"top {r['n']}: model {r['model']:.1%} vs baseline {r['baseline']:.1%}"
            for r in report.evaluation["results"]
        )
        console.print(
            f"  Action segment on a time-based holdout ({report.evaluation['split']}): {rows}; "
            f"base rate {report.evaluation['base_rate']:.1%}"
        )
