"""What the training scripts and the inference handlers share: channels, the feature contract, metrics.

This folder is the ``source_dir`` uploaded to SageMaker, so everything here must run in the
scikit-learn container (framework 1.4-2: Python 3.10, scikit-learn 1.4.2, pandas, numpy, joblib) as
well as locally (Python 3.11, our pinned scikit-learn). Hence: no ``datetime.UTC``, no pyarrow (the
training sets are CSV), only scikit-learn APIs present in both versions, and no import from the
``audience`` package.

The feature contract (``features.json``) is the ordered list of feature names with their dtypes,
a version derived from them, and the scikit-learn version the model was fitted with. The served
model checks every request against it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

ID_COLUMNS = ("user_id", "content_id", "as_of")
"""Columns that identify a row; never features."""
TARGET = "target"
BASELINE_PREFIX = "baseline_"
"""Columns the training-set builder adds for the naive baselines (never features)."""

MODEL_FILE = "model.joblib"
METRICS_FILE = "metrics.json"
FEATURES_FILE = "features.json"

NUMERIC_DTYPES = ("float64", "int64")


class FeatureMismatchError(ValueError):
    """A request or a training set whose columns do not match the model's feature contract."""


class VersionMismatchError(RuntimeError):
    """A model artefact fitted with another scikit-learn major.minor than the one loading it."""


def sklearn_version() -> str:
    return str(sklearn.__version__)


def common_args(description: str) -> argparse.ArgumentParser:
    """The script-mode argument contract: directories from SM_* variables, hyperparameters as flags."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAINING", "training"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "validation"))
    parser.add_argument("--output-data-dir", default=os.environ.get("SM_OUTPUT_DATA_DIR", "output"))
    parser.add_argument("--random-state", type=int, default=7)
    return parser


BOOSTING_ARGS = ("max_iter", "learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization")
"""The gradient-boosting hyperparameters both models take, as flags (``--max-iter``) and attributes."""


def add_boosting_args(
    parser: argparse.ArgumentParser, *, max_iter: int, max_leaf_nodes: int, min_samples_leaf: int
) -> None:
    """The shared boosting flags; each model passes its own defaults for the size-dependent ones."""
    parser.add_argument("--max-iter", type=int, default=max_iter)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--max-leaf-nodes", type=int, default=max_leaf_nodes)
    parser.add_argument("--min-samples-leaf", type=int, default=min_samples_leaf)
    parser.add_argument("--l2-regularization", type=float, default=1.0)


def boosting_params(args: Any) -> dict[str, Any]:
    """The boosting hyperparameters from parsed arguments, ready for ``HistGradientBoosting*``."""
    return {name: getattr(args, name) for name in BOOSTING_ARGS}


def run_metrics(
    *,
    model: str,
    primary_metric: str,
    holdout_figures: dict[str, float | None],
    baseline_name: str,
    baseline_figures: dict[str, float | None],
    train_set: pd.DataFrame,
    holdout: pd.DataFrame,
    contract: dict[str, Any],
    hyperparameters: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """The ``metrics.json`` of a run: model and baseline on the holdout, data, split and versions.

    ``beats_baseline`` compares the primary metric (higher is better for both models); a missing
    figure (a holdout with one class, say) never beats anything.
    """
    ours, theirs = holdout_figures.get(primary_metric), baseline_figures.get(primary_metric)
    return {
        "model": model,
        "primary_metric": primary_metric,
        "higher_is_better": True,
        "holdout": holdout_figures,
        "baseline": {"name": baseline_name, **baseline_figures},
        "beats_baseline": ours is not None and (theirs is None or ours > theirs),
        "rows": {"train": len(train_set), "holdout": len(holdout)},
        "split": {"train_as_of": split_dates(train_set), "holdout_as_of": split_dates(holdout)},
        "feature_set_version": contract["feature_set_version"],
        "sklearn_version": contract["sklearn_version"],
        "hyperparameters": hyperparameters,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(time.time() - started, 3),
    }


def read_channel(path: str | Path) -> pd.DataFrame:
    """Every CSV file under a channel directory (Spark writes ``part-*.csv``), as one frame."""
    root = Path(path)
    files = sorted(p for p in root.rglob("*.csv") if p.is_file()) if root.is_dir() else [root]
    frames = [pd.read_csv(f, dtype={c: "string" for c in ID_COLUMNS}) for f in files]
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        raise FileNotFoundError(f"no CSV rows under {root}")
    data = pd.concat(frames, ignore_index=True)
    if data.empty:
        raise ValueError(f"the channel {root} holds no rows")
    return data


def feature_columns(data: pd.DataFrame) -> list[str]:
    """Every column that is not an id, the target or a baseline, in file order."""
    return [
        c for c in data.columns if c not in ID_COLUMNS and c != TARGET and not c.startswith(BASELINE_PREFIX)
    ]


def feature_contract(data: pd.DataFrame, model: str) -> dict[str, Any]:
    """Ordered names and dtypes (every feature is numeric: int64 or float64), a version, sklearn's version."""
    features = []
    for name in feature_columns(data):
        series = data[name]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise FeatureMismatchError(f"feature {name!r} is not numeric ({series.dtype})")
        dtype = "int64" if pd.api.types.is_integer_dtype(series) else "float64"
        features.append({"name": name, "dtype": dtype})
    digest = hashlib.sha256(json.dumps([[f["name"], f["dtype"]] for f in features]).encode()).hexdigest()
    return {
        "model": model,
        "features": features,
        "feature_set_version": f"{model}-{digest[:12]}",
        "sklearn_version": sklearn_version(),
    }


def align(data: pd.DataFrame, contract: dict[str, Any]) -> np.ndarray:
    """The contract's columns in order, as a float matrix (NaN allowed: the models handle missing values).

    Models are fitted on plain arrays, as the handlers predict on them."""
    names = [f["name"] for f in contract["features"]]
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise FeatureMismatchError(f"the data lacks features {missing}")
    return data[names].to_numpy(dtype="float64", na_value=np.nan)


def check_version(recorded: str, running: str | None = None) -> None:
    """Refuse an artefact fitted with another scikit-learn major.minor: pickles do not travel."""
    running = running or sklearn_version()
    if recorded.split(".")[:2] != running.split(".")[:2]:
        raise VersionMismatchError(
            f"this model was fitted with scikit-learn {recorded} and this process runs {running}: "
            "serve it where it was trained (a cloud model in the cloud container, a local model locally), "
            "or retrain it here"
        )


# --- metrics ----------------------------------------------------------------------------------


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    return {
        "r2": _clean(r2_score(y_true, y_pred)),
        "mae": _clean(mean_absolute_error(y_true, y_pred)),
    }


def top_decile_lift(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Positive rate among the 10% highest scores over the overall positive rate."""
    y_true = np.asarray(y_true, dtype=float)
    base = y_true.mean()
    if base == 0:
        return float("nan")
    k = max(1, math.ceil(len(y_true) * 0.1))
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    return float(y_true[order].mean() / base)


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float | None]:
    both = len(set(np.asarray(y_true).tolist())) == 2
    return {
        "roc_auc": _clean(roc_auc_score(y_true, proba)) if both else None,
        "pr_auc": _clean(average_precision_score(y_true, proba)) if both else None,
        "brier": _clean(brier_score_loss(y_true, proba)),
        "top_decile_lift": _clean(top_decile_lift(y_true, proba)),
        "positive_rate": _clean(float(np.mean(y_true))),
    }


def save_json(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n")


def split_dates(data: pd.DataFrame) -> list[str]:
    return sorted(data["as_of"].dropna().unique().tolist()) if "as_of" in data.columns else []


def save_run(
    model_dir: Path, output_dir: Path, model: Any, contract: dict[str, Any], metrics: dict[str, Any]
) -> None:
    """model.joblib + features.json + metrics.json in the model dir; metrics.json again in the output dir
    (``output.tar.gz`` in the cloud: the gate reads it without unpacking the model)."""
    import joblib

    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / MODEL_FILE)
    save_json(model_dir / FEATURES_FILE, contract)
    save_json(model_dir / METRICS_FILE, metrics)
    save_json(output_dir / METRICS_FILE, metrics)
