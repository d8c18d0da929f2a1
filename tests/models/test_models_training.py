"""The script-mode entry points: trained on small data with a planted signal, they beat their baselines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import modelkit
import models_testkit as kit
import pytest
import train_churn
import train_engagement


def _args(module, tmp_path: Path, train: Path, holdout: Path, *extra: str):
    return module.parse_args(
        [
            "--model-dir",
            str(tmp_path / "model"),
            "--train",
            str(train),
            "--validation",
            str(holdout),
            "--output-data-dir",
            str(tmp_path / "output"),
            *extra,
        ]
    )


def test_train_engagement_beats_the_user_mean_baseline(tmp_path: Path) -> None:
    # GIVEN pairs as of an earlier day for training and a later day for the holdout
    train, holdout = kit.write_channels(
        tmp_path, kit.engagement_frame(3000, "2026-11-10", 1), kit.engagement_frame(1000, "2026-11-12", 2)
    )
    # WHEN the engagement model trains
    metrics = train_engagement.train(_args(train_engagement, tmp_path, train, holdout, "--max-iter", "120"))
    # THEN its holdout R² and MAE beat the user-mean baseline, and the run's files are written
    assert metrics["holdout"]["r2"] > metrics["baseline"]["r2"] + 0.1
    assert metrics["holdout"]["mae"] < metrics["baseline"]["mae"]
    assert metrics["beats_baseline"] is True
    assert metrics["rows"] == {"train": 3000, "holdout": 1000}
    assert metrics["split"] == {"train_as_of": ["2026-11-10"], "holdout_as_of": ["2026-11-12"]}
    written = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert written == metrics == json.loads((tmp_path / "output" / "metrics.json").read_text())
    contract = json.loads((tmp_path / "model" / "features.json").read_text())
    assert [f["name"] for f in contract["features"]] == [
        "u_engagement_score",
        "u_events",
        "c_engagement_score",
        "c_views",
        "ug_view_share",
        "pair_views",
    ]
    assert {f["name"]: f["dtype"] for f in contract["features"]}["u_events"] == "int64"
    assert contract["sklearn_version"] == metrics["sklearn_version"]
    assert (tmp_path / "model" / "model.joblib").stat().st_size > 0


def test_train_churn_beats_recency_with_calibrated_probabilities(tmp_path: Path) -> None:
    # GIVEN users as of two days, with churn depending on trend and frequency as well as recency
    train, holdout = kit.write_channels(
        tmp_path, kit.churn_frame(3000, "2026-11-10", 3), kit.churn_frame(1500, "2026-11-12", 4)
    )
    # WHEN the churn model trains
    metrics = train_churn.train(_args(train_churn, tmp_path, train, holdout, "--max-iter", "80"))
    # THEN every figure beats the recency-only baseline
    model, base = metrics["holdout"], metrics["baseline"]
    assert model["roc_auc"] > base["roc_auc"] + 0.03
    assert model["pr_auc"] > base["pr_auc"]
    assert model["brier"] < base["brier"]
    assert model["top_decile_lift"] > base["top_decile_lift"] * 0.95
    assert 0 < model["positive_rate"] < 1
    assert metrics["primary_metric"] == "roc_auc" and metrics["beats_baseline"] is True


def test_train_churn_rejects_a_channel_without_the_baseline_column(tmp_path: Path) -> None:
    # GIVEN a training set that lost its recency baseline column
    frame = kit.churn_frame(200, "2026-11-10", 5).drop(columns=["baseline_recency_days"])
    train, holdout = kit.write_channels(tmp_path, frame, frame)
    # WHEN / THEN training stops with a clear error
    with pytest.raises(modelkit.FeatureMismatchError, match="baseline_recency_days"):
        train_churn.train(_args(train_churn, tmp_path, train, holdout))


def test_entry_point_runs_as_a_process_with_the_sagemaker_environment(tmp_path: Path) -> None:
    # GIVEN the channels and directories passed only through SM_* variables, and a hyperparameter flag
    train, holdout = kit.write_channels(
        tmp_path, kit.churn_frame(600, "2026-11-10", 6), kit.churn_frame(300, "2026-11-12", 7)
    )
    env = {
        **os.environ,
        "SM_MODEL_DIR": str(tmp_path / "model"),
        "SM_CHANNEL_TRAINING": str(train),
        "SM_CHANNEL_VALIDATION": str(holdout),
        "SM_OUTPUT_DATA_DIR": str(tmp_path / "output"),
    }
    # WHEN the script runs as SageMaker runs it (unknown arguments are ignored)
    done = subprocess.run(
        [sys.executable, "train_churn.py", "--max-iter", "20", "--unknown-flag", "x"],
        cwd=kit.SAGEMAKER_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it writes the three files and says how it did
    assert done.returncode == 0, done.stderr
    assert "churn holdout roc_auc=" in done.stdout
    assert {p.name for p in (tmp_path / "model").iterdir()} == {
        "model.joblib",
        "metrics.json",
        "features.json",
    }
    assert json.loads((tmp_path / "model" / "metrics.json").read_text())["hyperparameters"]["max_iter"] == 20
