"""The models' stage of ``make demo`` (and ``python -m audience.models train``): sets, training, gate, scoring."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from audience.core.settings import Settings
from audience.models.ports import MODELS
from audience.models.registry import LocalRegistry
from audience.models.wiring import local_training as runner
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


class MissingDataError(RuntimeError):
    """The lake cannot give the sets these days need; the message says what it holds and what to run."""


def event_days(lake: Path) -> tuple[date, date] | None:
    """The first and last day (UTC) of the lake's engagement events, or ``None`` when it has none."""
    files = lake / "engagement-events"
    if not any(files.rglob("*.parquet")):
        return None
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(
            "SELECT min(CAST(event_timestamp AS DATE)), max(CAST(event_timestamp AS DATE)) "
            "FROM read_parquet(?, hive_partitioning = true, union_by_name = true)",
            [f"{files}/**/*.parquet"],
        ).fetchone()
    if not row or row[0] is None:
        return None
    return row[0], row[1]


def precheck(lake: Path, days: runner.SetDays) -> None:
    """Say what is missing before any work: features as of the training day need events before it,
    and labels need events up to the last label day. Raises :class:`MissingDataError`."""
    span = event_days(lake)
    if span is None:
        raise MissingDataError(f"the lake ({lake}) holds no engagement events: run `make demo` first")
    first, last = span
    held = (last - first).days + 1
    fits = max(0, ((days.label_end - first).days - 1) // 2)
    if days.train <= first or last < days.label_end:
        hint = (
            f"use LABEL_DAYS={fits} (the longest window these days allow)"
            if fits >= 1 and last >= days.label_end
            else "ingest more history (`make demo`), or set LABEL_END to a day the lake holds"
        )
        raise MissingDataError(
            f"the lake holds {held} days of events ({first} to {last}); {days.label_days}-day labels up to "
            f"{days.label_end} need features as of {days.train} (events before it) and events up to "
            f"{days.label_end}: {hint}"
        )


def run(
    settings: Settings,
    console: Console,
    *,
    label_end: date | None = None,
    label_days: int | None = None,
    score_day: date | None = None,
    build: bool = True,
    hyperparameters: dict[str, dict[str, str]] | None = None,
    glue: runner.GlueJobRunner | None = None,
) -> dict[str, Any]:
    """Build the sets (local Spark), train both models, gate them, score ``score_day`` into the lake.

    ``glue`` runs the Glue jobs (feature days, training sets); by default a local Glue job host is
    started for them. The demo passes the host its features stage already warmed up."""
    lake = settings.lake_dir.resolve()
    today = datetime.now(UTC).date()
    days = runner.SetDays(label_end or today - timedelta(days=1), label_days or settings.model_label_days)
    score_day = score_day or today
    precheck(lake, days)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 2)
        clock = now

    console.rule("Models: engagement and churn (sagemaker/ scripts as local processes)")
    console.print(
        f"  features as of {days.train} (training) and {days.holdout} (holdout); labels from the "
        f"{days.label_days} days after each, up to {days.label_end}"
    )
    if build:
        runner.build_sets(
            lake,
            settings.project_root / "data",
            days,
            score_day,
            runner=glue,
            progress=lambda m: console.print(f"  {m}"),
        )
        lap("sets")
    registry = LocalRegistry(settings.models_dir.resolve())
    runs = []
    for model in MODELS:
        training, validation = runner.channels(lake, model, days.label_end)
        result = runner.train(model, training, validation, registry, (hyperparameters or {}).get(model))
        console.print(f"  {model}: version {result.version}; gate: {result.decision.reason}")
        runs.append(result)
        lap(f"train_{model}")
    console.print(metrics_table(runs))
    serving = predictor(settings)
    scored = {}
    for model in MODELS:
        scored[model] = runner.score(lake, serving, model, score_day)
        console.print(
            f"  scored {scored[model]:,} rows into predictions/{runner.PREDICTION_TABLES[model]}/as_of={score_day}"
        )
        lap(f"score_{model}")
    return {
        "runs": {
            r.model: {"version": r.version, "promoted": r.decision.promote, "metrics": r.metrics}
            for r in runs
        },
        "scored": scored,
        "seconds": seconds,
    }


GROUND_TRUTH = "ground-truth.json"
"""Written by the demo beside the lake: the generator config whose ground truth is the oracle."""


def _read_rows(channel: Path) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    files = sorted(channel.rglob("*.csv"))
    return pd.concat(
        [
            pd.read_csv(f, dtype={"user_id": "string", "content_id": "string", "as_of": "string"})
            for f in files
        ],
        ignore_index=True,
    )


def oracle_figures(settings: Settings, days: runner.SetDays) -> dict[str, dict[str, float | None]] | None:
    """The generator's ground truth scored on the same holdout rows as the models (``None`` without one).

    Churn: the true probability of no session in each holdout row's horizon. Engagement: a boosted
    regressor fitted on the training rows from true quantities only (the user's interest in the item,
    the planner's pick weight, the expected sessions in the label window), scored on the holdout.
    """
    import json

    import numpy as np
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        mean_absolute_error,
        r2_score,
        roc_auc_score,
    )

    from audience.datagen import GeneratorConfig
    from audience.datagen.oracle import Oracle

    path = settings.home / GROUND_TRUTH
    if not path.exists():
        return None
    spec = json.loads(path.read_text())
    oracle = Oracle(GeneratorConfig(**{**spec, "now": datetime.fromisoformat(spec["now"])}))
    lake = settings.lake_dir.resolve()

    def horizon(day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        return start, start + timedelta(days=days.label_days)

    out: dict[str, dict[str, float | None]] = {}
    _, churn_holdout = runner.channels(lake, "churn", days.label_end)
    rows = _read_rows(churn_holdout)
    start, end = horizon(days.holdout)
    truth = oracle.churn_probability(list(rows["user_id"]), start, end)
    proba = np.array([truth[u] for u in rows["user_id"]])
    y = rows["target"].to_numpy(dtype=int)
    top = np.argsort(-proba, kind="stable")[: max(1, int(np.ceil(len(y) * 0.1)))]
    out["churn"] = {
        "roc_auc": float(roc_auc_score(y, proba)),
        "pr_auc": float(average_precision_score(y, proba)),
        "brier": float(brier_score_loss(y, proba)),
        "top_decile_lift": float(y[top].mean() / y.mean()) if y.mean() else None,
    }

    def design(frame: Any, day: date) -> Any:
        s0, s1 = horizon(day)
        sessions = oracle.expected_sessions(list(dict.fromkeys(frame["user_id"])), s0, s1)
        return np.array(
            [
                [oracle.interest(u, c), oracle.item_weight(u, c), sessions[u]]
                for u, c in zip(frame["user_id"], frame["content_id"], strict=True)
            ]
        )

    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    training, validation = runner.channels(lake, "engagement", days.label_end)
    train_rows, holdout_rows = _read_rows(training), _read_rows(validation)
    model = HistGradientBoostingRegressor(max_iter=200, random_state=0)
    with threadpool_limits(limits=runner.native_threads()):  # as the local training and scoring
        model.fit(design(train_rows, days.train), train_rows["target"].to_numpy(dtype=float))
        predicted = model.predict(design(holdout_rows, days.holdout))
    target = holdout_rows["target"].to_numpy(dtype=float)
    out["engagement"] = {
        "r2": float(r2_score(target, predicted)),
        "mae": float(mean_absolute_error(target, predicted)),
    }
    return out


def model_report(result: dict[str, Any], oracle: dict[str, dict[str, float | None]] | None) -> dict[str, Any]:
    """The ``models`` section of report.json: every figure the stage prints, flat per model."""
    section: dict[str, Any] = {}
    for model, run_info in result["runs"].items():
        metrics = run_info["metrics"]
        figures: dict[str, Any] = {
            "version": run_info["version"],
            "promoted": run_info["promoted"],
            "rows_train": metrics["rows"]["train"],
            "rows_holdout": metrics["rows"]["holdout"],
            "baseline": metrics["baseline"].get("name"),
        }
        for key, _label, _higher in FIGURES[model]:
            figures[key] = metrics["holdout"].get(key)
            figures[f"baseline_{key}"] = metrics["baseline"].get(key)
        for key, value in ((oracle or {}).get(model) or {}).items():
            figures[f"oracle_{key}"] = value
        if model == "churn":
            figures["positive_rate"] = metrics["holdout"].get("positive_rate")
        section[model] = figures
    section["scored"] = result["scored"]
    return section


def oracle_table(section: dict[str, Any]) -> Table:
    table = Table(title="Models against the naive baseline and the generator's ground truth (oracle)")
    for column in ("model", "metric", "baseline", "model", "oracle"):
        table.add_column(column, justify="left" if column in ("model", "metric") else "right")
    for model, figures in FIGURES.items():
        for key, label, _higher in figures:
            values = [
                section[model].get(f"baseline_{key}"),
                section[model].get(key),
                section[model].get(f"oracle_{key}"),
            ]
            table.add_row(model, label, *("n/a" if v is None else f"{v:.4f}" for v in values))
    return table


def demo_stage(
    settings: Settings, console: Console, glue: runner.GlueJobRunner | None = None
) -> dict[str, Any]:
    """``make demo``'s models stage: default label windows (14 days) up to yesterday, today's features
    scored, the oracle beside. ``result["section"]`` holds every printed figure: the demo writes it
    as report.json's ``models`` section."""
    result = run(settings, console, glue=glue)
    today = datetime.now(UTC).date()
    days = runner.SetDays(today - timedelta(days=1), settings.model_label_days)
    started = time.perf_counter()
    oracle = oracle_figures(settings, days)
    result["seconds"]["oracle"] = round(time.perf_counter() - started, 2)
    section = model_report(result, oracle)
    section["seconds"] = result["seconds"]
    section["label_days"] = days.label_days
    section["features_as_of"] = {"train": days.train.isoformat(), "holdout": days.holdout.isoformat()}
    if oracle:
        console.print(oracle_table(section))
    churn = section["churn"]
    if churn.get("roc_auc") is not None and churn.get("baseline_roc_auc") is not None:
        gain = churn["roc_auc"] - churn["baseline_roc_auc"]
        console.print(f"  churn ROC-AUC gain over recency alone: {gain:+.4f} (target: at least +0.05)")
        section["churn"]["roc_auc_gain_over_baseline"] = gain
    result["section"] = section
    return result
