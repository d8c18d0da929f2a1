"""The training-set Glue job on local Spark: features of past days joined with labels from later events."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from glue_testkit import Ev, at, view, write_lake
from pyspark.sql import SparkSession

from audience.features.adapters.local.glue import run_features
from glue_jobs import training_sets
from glue_jobs.features_lib.quality import DataQualityError

LABEL_END = date(2026, 11, 20)  # label_days 2: holdout features as of 11-18, training features as of 11-16


def _reference(folder: Path) -> Path:
    folder.mkdir(parents=True)
    with (folder / "users.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "signup_date", "country", "subscription_tier", "utc_offset_hours"])
        for user in ("u1", "u2", "u3", "u4"):
            w.writerow([user, "2026-01-01", "US", "free", 0])
    with (folder / "content_catalog.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["content_id", "content_type", "genres", "duration_seconds"])
        w.writerows([("c1", "video", "Drama|Comedy", 600), ("c2", "article", "Tech", 120)])
    return folder


def _events() -> list[Ev]:
    return [
        # u1: active before both feature days and in both label windows
        view("u1", "c1", at("2026-11-15T10:00:00")),
        view("u1", "c1", at("2026-11-17T10:00:00"), rate=1.0),
        Ev("u1", "c1", "complete", at("2026-11-17T10:10:00")),
        view("u1", "c2", at("2026-11-19T09:00:00")),
        Ev("u1", "c2", "like", at("2026-11-19T09:01:00")),
        # u2: active once, then never again (churned in both windows)
        view("u2", "c2", at("2026-11-15T12:00:00")),
        # u3: quiet in the training label window, back in the holdout's
        view("u3", "c1", at("2026-11-16T20:00:00")),
        view("u3", "c2", at("2026-11-20T08:00:00")),
        # u4: only after every window; its event shows the lake reaches past the last horizon
        view("u4", "c2", at("2026-11-21T01:00:00")),
    ]


def _read(folder: Path) -> pd.DataFrame:
    return pd.concat(pd.read_csv(f) for f in sorted(folder.glob("*.csv"))).sort_values(
        [c for c in ("user_id", "content_id") if c in pd.read_csv(next(folder.glob("*.csv"))).columns]
    )


@pytest.mark.slow  # six feature job runs and the builder on local Spark: about a minute on 2 cores
def test_training_sets_split_by_time_with_labels_from_the_following_days(
    spark: SparkSession, glue_runner: Any, tmp_path: Path
) -> None:
    # GIVEN a lake, its feature tables for the two feature days, and the reference data
    lake, reference = tmp_path / "lake", _reference(tmp_path / "ref")
    write_lake(lake, _events())
    for day in (date(2026, 11, 16), date(2026, 11, 18)):
        run_features(lake, reference, day, runner=glue_runner, progress=lambda _: None)
    # WHEN the job builds the sets for labels up to 11-20 over 2-day windows
    rows = training_sets.main(
        [
            "training_sets.py",
            "--lake_path",
            str(lake),
            "--reference_path",
            str(reference),
            "--as_of",
            LABEL_END.isoformat(),
            "--label_days",
            "2",
        ],
        spark=spark,
    )
    # THEN churn: training rows are the users of 11-16 labelled by 11-17..11-18, the holdout those of 11-18
    root = lake / "training-sets"
    train = _read(root / "churn" / "as_of=2026-11-20" / "training")
    holdout = _read(root / "churn" / "as_of=2026-11-20" / "validation")
    assert dict(zip(train.user_id, train.target, strict=True)) == {"u1": 0, "u2": 1, "u3": 1}
    assert dict(zip(holdout.user_id, holdout.target, strict=True)) == {"u1": 0, "u2": 1, "u3": 0}
    assert set(train.as_of) == {"2026-11-16"} and set(holdout.as_of) == {"2026-11-18"}
    assert list(train.baseline_recency_days) == list(train.days_since_last_event)
    # AND engagement: the pairs of each label window with their score there, features from before it
    pairs = _read(root / "engagement" / "as_of=2026-11-20" / "training")
    assert list(zip(pairs.user_id, pairs.content_id, pairs.target, strict=True)) == [("u1", "c1", 2.5)]
    assert pairs.p_has_history.tolist() == [1.0] and pairs.p_views.tolist() == [1.0]
    assert pairs.ug_view_share.tolist() == [1.0] and pairs.c_duration_seconds.tolist() == [600.0]
    later = _read(root / "engagement" / "as_of=2026-11-20" / "validation")
    assert list(zip(later.user_id, later.content_id, later.target, strict=True)) == [
        ("u1", "c2", 1.0),
        ("u3", "c2", 0.0),
    ]
    assert later.p_has_history.tolist() == [0.0, 0.0]  # neither pair existed by 11-18
    assert rows == {
        "churn/training": 3,
        "engagement/training": 1,
        "churn/validation": 3,
        "engagement/validation": 2,
    }

    # WHEN the scoring rows of 11-18 are built
    scored = training_sets.main(
        [
            "training_sets.py",
            "--lake_path",
            str(lake),
            "--reference_path",
            str(reference),
            "--as_of",
            "2026-11-18",
            "--mode",
            "score",
            "--top_content",
            "1",
        ],
        spark=spark,
    )
    # THEN every user of that day is scored, with their own pairs plus the most-reached content
    candidates = _read(lake / "scoring-sets" / "engagement" / "as_of=2026-11-18")
    assert scored["churn"] == 3
    assert set(zip(candidates.user_id, candidates.content_id, strict=True)) == {
        ("u1", "c1"),
        ("u2", "c2"),
        ("u3", "c1"),
        ("u2", "c1"),
    }
    assert "target" not in candidates.columns

    # WHEN sets are asked for days whose feature partitions were never written
    # THEN nothing is written and the failure says which partition to compute first
    with pytest.raises(DataQualityError, match="run the feature jobs for that day first"):
        training_sets.main(
            [
                "training_sets.py",
                "--lake_path",
                str(lake),
                "--reference_path",
                str(reference),
                "--as_of",
                "2026-11-24",
                "--label_days",
                "2",
                "--output_path",
                str(tmp_path / "never"),
            ],
            spark=spark,
        )
    assert not (tmp_path / "never").exists()
