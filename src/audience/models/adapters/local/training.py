"""The models locally, the way the cloud runs them.

* :func:`build_sets`: the ``training_sets`` Glue script on the features slice's local Glue job host
  (after the feature jobs for the days it needs, when their partitions are missing), writing the CSV
  channels and scoring rows.
* :func:`train`: a training script of ``sagemaker/`` as a child process with SageMaker's environment
  contract (``SM_MODEL_DIR``, ``SM_CHANNEL_TRAINING``, ``SM_CHANNEL_VALIDATION``,
  ``SM_OUTPUT_DATA_DIR``, hyperparameters as ``--name value``), then the gate.
* :func:`score`: a day's scoring rows through a :class:`ModelPredictor` (the same handlers as the
  endpoint) into ``predictions/churn_scores/`` and ``predictions/engagement_scores/``.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from audience.models.gate import GateDecision
from audience.models.ports import ModelName, ModelPredictor
from audience.models.registry import SAGEMAKER_DIR, LocalRegistry

if TYPE_CHECKING:
    from audience.features.wiring import GlueJobRunner as GlueJobRunner  # re-exported for the stage's typing

NATIVE_THREADS_VAR: Final = "OMP_NUM_THREADS"


def native_threads() -> int:
    """Threads for the models' native (OpenMP) pools locally: ``OMP_NUM_THREADS`` if set, else 1.

    scikit-learn's gradient boosting forks and joins an OpenMP team for every tree. On a machine whose
    cores are shared (a 2-core CI box, a laptop running Spark and the local server, other users'
    jobs), one descheduled thread stalls every join: measured on the 2-core box at load 8-9,
    training took 49 s (churn) and 92 s (engagement) with the default team, 11 s each with one
    thread, and scoring 47,687 pairs 18.8 s against 5.8 s. On SageMaker the container owns its
    instance and uses its default; set ``OMP_NUM_THREADS`` to choose otherwise here.
    """
    value = os.environ.get(NATIVE_THREADS_VAR, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


PREDICTION_TABLES: Final = {"churn": "churn_scores", "engagement": "engagement_scores"}
"""The agreed lake tables: ``predictions/<table>/as_of=YYYY-MM-DD/``."""
BATCH_ROWS: Final = 1000


@dataclass(frozen=True)
class SetDays:
    """The days of one training run: labels end with ``label_end``; features as of ``holdout`` and ``train``."""

    label_end: date
    label_days: int

    @property
    def holdout(self) -> date:
        return self.label_end - timedelta(days=self.label_days)

    @property
    def train(self) -> date:
        return self.holdout - timedelta(days=self.label_days)


def channels(lake: Path, model: ModelName, label_end: date) -> tuple[Path, Path]:
    root = lake / "training-sets" / model / f"as_of={label_end.isoformat()}"
    return root / "training", root / "validation"


class EmptySetsError(RuntimeError):
    """A training or validation set came out empty: nothing was kept, the message says why."""


def build_sets(
    lake: Path,
    reference: Path,
    days: SetDays,
    score_day: date | None,
    *,
    runner: GlueJobRunner | None = None,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    """Feature partitions for the days needed (only those missing), then the training and scoring sets.

    Every step is a Glue job run (the feature jobs, then ``training_sets``) on ``runner``; with none, a
    local Glue job host is started for the whole batch (one Spark session) and stopped at the end.
    """
    from audience.features.wiring import GlueJobHost, run_features

    if runner is None:
        with GlueJobHost() as host:
            return build_sets(lake, reference, days, score_day, runner=host, progress=progress)
    created: list[Path] = []
    try:
        needed = [days.train, days.holdout, *([score_day] if score_day else [])]
        for day in needed:
            if not (lake / "features" / "user_features" / f"as_of={day.isoformat()}").exists():
                before = set(_partitions(lake, day))
                try:
                    run_features(lake, reference, day, runner=runner, progress=progress)
                finally:
                    created += [p for p in _partitions(lake, day) if p not in before]
        common = {"lake_path": str(lake), "reference_path": str(reference)}
        rows = runner.run(
            "training_sets",
            {**common, "as_of": days.label_end.isoformat(), "label_days": str(days.label_days)},
        )
        progress(f"training sets (labels to {days.label_end}): {rows}")
        empty = sorted(name for name, count in rows.items() if not count)
        if empty:
            created += sorted((lake / "training-sets").glob(f"*/as_of={days.label_end.isoformat()}"))
            raise EmptySetsError(
                f"no rows for {', '.join(empty)} with {days.label_days}-day labels up to {days.label_end}: "
                "the lake's events do not cover these days (try a shorter LABEL_DAYS or an earlier LABEL_END)"
            )
        created = []  # the features are complete and used: keep them
        if score_day:
            scored = runner.run("training_sets", {**common, "as_of": score_day.isoformat(), "mode": "score"})
            progress(f"scoring rows (as_of {score_day}): {scored}")
            rows.update({f"{k}/score": v for k, v in scored.items()})
        return rows
    except BaseException:
        # Never leave partitions of a failed run behind: a later run would take them as built.
        for partition in created:
            shutil.rmtree(partition, ignore_errors=True)
        raise


def _partitions(lake: Path, day: date) -> list[Path]:
    return sorted((lake / "features").glob(f"*/as_of={day.isoformat()}"))


@dataclass(frozen=True)
class TrainingRun:
    model: ModelName
    version: str
    metrics: dict[str, Any]
    decision: GateDecision


def train(
    model: ModelName,
    training: Path,
    validation: Path,
    registry: LocalRegistry,
    hyperparameters: Mapping[str, str] | None = None,
    *,
    min_gain: float = 0.0,
) -> TrainingRun:
    """Run ``sagemaker/train_<model>.py`` as SageMaker would, then gate the new version."""
    version = registry.new_version(model)
    target = registry.version_dir(model, version)
    output = target.parent / ".output" / version
    env = {
        **os.environ,
        "SM_MODEL_DIR": str(target),
        "SM_CHANNEL_TRAINING": str(training),
        "SM_CHANNEL_VALIDATION": str(validation),
        "SM_OUTPUT_DATA_DIR": str(output),
        "SM_CHANNELS": '["training","validation"]',
        NATIVE_THREADS_VAR: str(native_threads()),
    }
    args: list[str] = []
    for name, value in (hyperparameters or {}).items():
        args += [f"--{name}", str(value)]
    done = subprocess.run(
        [sys.executable, f"train_{model}.py", *args],
        cwd=SAGEMAKER_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise RuntimeError(f"training {model} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    metrics = registry.metrics(model, version)
    return TrainingRun(model, version, metrics, registry.consider(model, version, min_gain=min_gain))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def score(
    lake: Path,
    predictor: ModelPredictor,
    model: ModelName,
    day: date,
    *,
    batch_rows: int = BATCH_ROWS,
    now: datetime | None = None,
) -> int:
    """The day's scoring rows through the predictor, into the model's predictions table (partition replaced)."""
    import pandas as pd  # type: ignore[import-untyped]
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = lake / "scoring-sets" / model / f"as_of={day.isoformat()}"
    files = sorted(source.glob("*.csv"))
    if not files:
        raise FileNotFoundError(
            f"no scoring rows at {source}: build them first (python -m audience.models train)"
        )
    frame = pd.concat(
        [
            pd.read_csv(f, dtype={"user_id": "string", "content_id": "string", "as_of": "string"})
            for f in files
        ]
    )
    frame = frame.drop(columns=[c for c in frame.columns if c == "as_of" or c.startswith("baseline_")])
    records = [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    predictions: list[dict[str, Any]] = []
    version = ""
    with threadpool_limits(limits=native_threads()):  # see native_threads: in-process, the same rule
        for start in range(0, len(records), batch_rows):
            answer = predictor.predict(model, records[start : start + batch_rows])
            version = str(answer["model_version"])
            predictions.extend(answer["predictions"])
    scored_at = (now or datetime.now(UTC)).astimezone(UTC)
    if model == "churn":
        table = pa.table(
            {
                "user_id": pa.array([p["user_id"] for p in predictions], pa.string()),
                "churn_probability": pa.array([p["churn_probability"] for p in predictions], pa.float64()),
                "risk_band": pa.array([p["risk_band"] for p in predictions], pa.string()),
                "model_version": pa.array([version] * len(predictions), pa.string()),
                "scored_at": pa.array([scored_at] * len(predictions), pa.timestamp("us", tz="UTC")),
            }
        )
    else:
        table = pa.table(
            {
                "user_id": pa.array([p["user_id"] for p in predictions], pa.string()),
                "content_id": pa.array([p["content_id"] for p in predictions], pa.string()),
                "predicted_engagement": pa.array(
                    [p["predicted_engagement"] for p in predictions], pa.float64()
                ),
                "model_version": pa.array([version] * len(predictions), pa.string()),
                "scored_at": pa.array([scored_at] * len(predictions), pa.timestamp("us", tz="UTC")),
            }
        )
    target = lake / "predictions" / PREDICTION_TABLES[model] / f"as_of={day.isoformat()}"
    staging = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pq.write_table(table, staging / "part-00000.parquet")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return int(table.num_rows)
