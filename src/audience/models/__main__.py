"""``python -m audience.models train|score|predict``: the models on the local backend."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from audience.core.settings import get_settings
from audience.models.ports import MODELS, ModelUnavailableError, PredictionRejectedError

app = typer.Typer(
    help="Engagement and churn models, locally.", no_args_is_help=True, pretty_exceptions_enable=False
)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@app.command()
def train(
    label_end: str = typer.Option(None, help="Last day of labels (YYYY-MM-DD); default yesterday (UTC)."),
    label_days: int = typer.Option(None, help="Label window in days (default AUDIENCE_MODEL_LABEL_DAYS)."),
    score_day: str = typer.Option(None, help="Day to score after training (default today)."),
    build: bool = typer.Option(True, help="Build the training and scoring sets first (local Spark)."),
) -> None:
    """Build the sets, train both models as SageMaker would, gate them, and score a day into the lake."""
    from rich.console import Console

    from audience.models.stage import run

    run(
        get_settings(),
        Console(),
        label_end=_day(label_end),
        label_days=label_days,
        score_day=_day(score_day),
        build=build,
    )


@app.command()
def score(as_of: str = typer.Option(..., help="Day whose scoring rows to score (YYYY-MM-DD).")) -> None:
    """Score a day's rows (scoring-sets/) with the current models into predictions/."""
    from audience.models.adapters.local import training as runner
    from audience.models.wiring import predictor

    settings = get_settings()
    serving = predictor(settings)
    for model in MODELS:
        rows = runner.score(settings.lake_dir, serving, model, date.fromisoformat(as_of))
        typer.echo(f"{model}: {rows} rows into predictions/{runner.PREDICTION_TABLES[model]}/as_of={as_of}")


@app.command()
def predict(
    model: str = typer.Argument(..., help="engagement or churn"),
    file: str | None = typer.Option(None, help="JSON rows ({'instances': [...]} or a list); default stdin."),
) -> None:
    """Rows of features in, predictions out, through the same handlers as the endpoint."""
    from audience.models.wiring import predictor

    if model not in MODELS:
        raise typer.BadParameter(f"model must be one of {', '.join(MODELS)}")
    body: Any = json.loads(Path(file).read_text() if file else sys.stdin.read())
    rows = body.get("instances", body) if isinstance(body, dict) else body
    try:
        answer = predictor(get_settings()).predict(model, rows)
    except PredictionRejectedError as error:
        typer.echo(json.dumps(error.to_dict(), indent=2))
        raise typer.Exit(1) from None
    except ModelUnavailableError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(answer, indent=2))


if __name__ == "__main__":
    app()
