"""``python -m audience.insights --content ID | --segment ID``: one insight from the local lake.

The same service as the insights function and the Insights page (``/insights``): gathered from the
lake, served from the insight store while fresh (``--refresh`` writes a new one), written by the
rules writer locally (Bedrock in AWS when configured). ``make insights CONTENT=… | SEGMENT=…``.
"""

from __future__ import annotations

import json
import sys

import typer
from pydantic import ValidationError
from rich.console import Console

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    content: str = typer.Option(None, "--content", help="A content id (c-000123)."),
    segment: str = typer.Option(None, "--segment", help="A segment id (from the Explorer or `make demo`)."),
    time_range: str = typer.Option("30d", "--time-range", help="7d, 30d or 90d."),
    refresh: bool = typer.Option(False, "--refresh", help="Ignore a fresh stored insight; write a new one."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored record as JSON."),
) -> None:
    """Print the insight for one content item or one segment."""
    from audience.insights.gather import SubjectNotFoundError
    from audience.insights.models import InsightRequest
    from audience.insights.ports import LakeQueryError
    from audience.insights.printing import print_record
    from audience.insights.wiring import insights_service

    err = Console(stderr=True)
    if (content is None) == (segment is None):
        err.print(
            "give exactly one of CONTENT=<content id> or SEGMENT=<segment id> (make insights CONTENT=c-000001)"
        )
        raise typer.Exit(2)
    try:
        request = InsightRequest.model_validate(
            {
                **({"content_id": content} if content else {"segment_id": segment}),
                "time_range": time_range,
                "refresh": refresh,
            }
        )
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        err.print(f"invalid request: {reasons}", markup=False)
        raise typer.Exit(2) from None
    try:
        record, how = insights_service().insight(request)
    except SubjectNotFoundError as exc:
        err.print(
            f"{exc}. Content ids and segment ids with data are listed on the Insights page "
            "(make serve, then /insights); an empty lake needs `make demo` first.",
            markup=False,
        )
        raise typer.Exit(1) from None
    except LakeQueryError as exc:
        err.print(f"the lake could not be queried: {exc}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps({"served": how, **record.model_dump(mode="json")}, indent=2) + "\n")
        return
    console = Console()
    title = record.subject.title or record.subject.id
    console.print(
        f"[bold underline]{record.subject.kind} {title} ({record.subject.id}), last {request.days} days[/bold underline]"
    )
    print_record(record, console)
    console.print(f"[dim]served: {how} (stored insights stay fresh for the TTL; --refresh writes anew)[/dim]")


if __name__ == "__main__":
    app()
