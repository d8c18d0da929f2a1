"""Small training sets with a planted signal, in the columns the training-set builder writes.

The engagement target depends on the user, the content *and* the pair's genre match, so the user's
mean score (the baseline) misses part of it; churn depends on a falling trend and low frequency as
well as recency, so recency alone (the baseline) misses part of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SAGEMAKER_DIR = Path(__file__).resolve().parents[2] / "sagemaker"


def engagement_frame(rows: int, as_of: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 200, rows)
    user_effect = np.random.default_rng(1).normal(1.0, 0.4, 200)[users]
    content_effect = rng.gamma(2.0, 0.3, rows)
    genre_share = rng.beta(2, 3, rows)
    target = np.clip(
        user_effect * 0.5 + content_effect + 2.5 * genre_share**2 + rng.normal(0, 0.2, rows), 0, None
    )
    return pd.DataFrame(
        {
            "user_id": [f"u-{u:06d}" for u in users],
            "content_id": [f"c-{i:06d}" for i in rng.integers(0, 500, rows)],
            "as_of": as_of,
            "u_engagement_score": user_effect + rng.normal(0, 0.1, rows),
            "u_events": rng.poisson(20, rows),
            "c_engagement_score": content_effect + rng.normal(0, 0.1, rows),
            "c_views": rng.poisson(50, rows),
            "ug_view_share": genre_share,
            "pair_views": rng.poisson(0.5, rows),
            "baseline_user_mean": user_effect * 0.5 + 1.1 + rng.normal(0, 0.1, rows),
            "target": target,
        }
    )


def churn_frame(rows: int, as_of: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    recency = rng.exponential(1.0, rows)
    trend = rng.lognormal(0, 0.5, rows)
    events = rng.poisson(15, rows) + 1
    logit = -1.0 + 0.8 * recency - 2.0 * np.log(trend) - 0.08 * (events - 15)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "user_id": [f"u-{i:06d}" for i in range(rows)],
            "as_of": as_of,
            "days_since_last_event": recency,
            "events": events,
            "trend_ratio": trend,
            "avg_completion_rate": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows)),
            "baseline_recency_days": recency,
            "target": churned,
        }
    )
    return frame


def write_channels(root: Path, train: pd.DataFrame, holdout: pd.DataFrame) -> tuple[Path, Path]:
    """The two channels as Spark writes them: a folder of part files with a header row each."""
    paths = []
    for name, frame in (("training", train), ("validation", holdout)):
        folder = root / name
        folder.mkdir(parents=True)
        half = len(frame) // 2
        frame.iloc[:half].to_csv(folder / "part-00000.csv", index=False)
        frame.iloc[half:].to_csv(folder / "part-00001.csv", index=False)
        (folder / "_SUCCESS").write_text("")
        paths.append(folder)
    return paths[0], paths[1]
