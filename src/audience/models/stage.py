"""The models' stage of ``make demo`` (and ``python -m audience.models train``): sets, training, gate, scoring."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from audience.core.settings import Settings
from audience.models.adapters.local import training as runner
from audience.models.ports import MODELS
from audience.models.registry import LocalRegistry
from audience.models.wiring import predictor

FIGURES = {
    "engagement": (("r2", "R²", True), ("mae", "MAE", False)),
    "churn": (
        ("roc_auc", "ROC-AUC", True),
        ("pr_auc", "PR-AUC", True),
        ("brier", "Brier", False),
        ("top_decile_lift", "top-decile lift", True),
    ),
}


def metrics_table(runs: list[runner.TrainingRun]) -> Table:
    table = Table(title="Models on the time-based holdout, beside their naive baselines")
    for column in ("model", "metric", "model value", "baseline", "better", "rows train / holdout", "gate"):
        table.add_column(column, justify="left" if column in ("model", "metric", "gate") else "right")
    for run in runs:
        holdout, baseline = run.metrics["holdout"], run.metrics["baseline"]
        for key, label, higher in FIGURES[run.model]:
            value, base = holdout.get(key), baseline.get(key)
            better = value is not None and base is not None and (value > base if higher else value < base)
            table.add_row(
                run.model,
                label,
                "n/a" if value is None else f"{value:.4f}",
                "n/a" if base is None else f"{base:.4f}",
                "yes" if better else "no",
                f"{run.metrics['rows']['train']:,} / {run.metrics['rows']['holdout']:,}",
                ("promoted " if run.decision.promote else "kept current: ") + run.version
                if key == run.metrics["primary_metric"]
                else "",
            )
    return table


def run(
    settings: Settings,
    console: Console,
    *,
    label_end: date | None = None,
    label_days: int | None = None,
    score_day: date | None = None,
    build: bool = True,
    hyperparameters: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Build the sets (local Spark), train both models, gate them, score ``score_day`` into the lake."""
    lake = settings.lake_dir.resolve()
    today = datetime.now(UTC).date()
    days = runner.SetDays(label_end or today - timedelta(days=1), label_days or settings.model_label_days)
    score_day = score_day or today
    console.rule("Models: engagement and churn (sagemaker/ scripts as local processes)")
    console.print(
        f"  features as of {days.train} (training) and {days.holdout} (holdout); labels from the "
        f"{days.label_days} days after each, up to {days.label_end}"
    )
    if build:
        runner.build_sets(
            lake, settings.project_root / "data", days, score_day, progress=lambda m: console.print(f"  {m}")
        )
    registry = LocalRegistry(settings.models_dir.resolve())
    runs = []
    for model in MODELS:
        training, validation = runner.channels(lake, model, days.label_end)
        result = runner.train(model, training, validation, registry, (hyperparameters or {}).get(model))
        console.print(f"  {model}: version {result.version}; gate: {result.decision.reason}")
        runs.append(result)
    console.print(metrics_table(runs))
    serving = predictor(settings)
    scored = {}
    for model in MODELS:
        scored[model] = runner.score(lake, serving, model, score_day)
        console.print(
            f"  scored {scored[model]:,} rows into predictions/{runner.PREDICTION_TABLES[model]}/as_of={score_day}"
        )
    return {
        "runs": {
            r.model: {"version": r.version, "promoted": r.decision.promote, "metrics": r.metrics}
            for r in runs
        },
        "scored": scored,
    }


DEMO_LABEL_DAYS = 2
"""The demo's lake holds 6 days (the API refuses events older than 7), so labels span 2 days, not 14."""


def demo_stage(settings: Settings, console: Console) -> dict[str, Any]:
    """``make demo``'s models stage: labels up to yesterday, 2-day windows, today's features scored."""
    return run(settings, console, label_days=DEMO_LABEL_DAYS)
