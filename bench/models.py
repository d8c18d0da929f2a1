"""Model benchmark: training time at two sizes and per-row latency through the inference handlers.

Training runs the script-mode entry points' ``train()`` in-process (CSV channels in, model and metrics
out), against a same-run baseline: a linear model (LinearRegression / LogisticRegression) fitted on
the same rows. Inference runs ``input_fn`` → ``predict_fn`` → ``output_fn`` on JSON bodies (single
rows, and 1,000-row batches), against ``model.predict`` / ``predict_proba`` on the same rows as a
ready numpy array. The data are synthetic frames with the training-set builder's column counts
(engagement 30 features, churn 35) and a planted signal.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

SAGEMAKER_DIR = Path(__file__).resolve().parents[1] / "sagemaker"
if str(SAGEMAKER_DIR) not in sys.path:
    sys.path.insert(0, str(SAGEMAKER_DIR))

N_FEATURES = {"engagement": 30, "churn": 35}


def frame(model: str, rows: int, as_of: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, N_FEATURES[model]))
    signal = x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + 0.3 * np.abs(x[:, 3])
    data = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(x.shape[1])])
    data.insert(0, "as_of", as_of)
    data.insert(0, "user_id", [f"u-{i:07d}" for i in range(rows)])
    if model == "churn":
        data["baseline_recency_days"] = x[:, 0] + rng.normal(scale=1.0, size=rows)
        data["target"] = (rng.random(rows) < 1 / (1 + np.exp(-signal))).astype(int)
    else:
        data.insert(1, "content_id", [f"c-{i % 2000:06d}" for i in range(rows)])
        data["baseline_user_mean"] = x[:, 0] * 0.5
        data["target"] = signal + rng.normal(scale=0.5, size=rows)
    return data


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def training(model: str, rows: int, root: Path) -> dict[str, Any]:
    import train_churn  # type: ignore[import-not-found]
    import train_engagement  # type: ignore[import-not-found]
    from sklearn.linear_model import LinearRegression, LogisticRegression

    module = train_churn if model == "churn" else train_engagement
    train_set, holdout = frame(model, rows, "2026-11-10", 1), frame(model, rows // 3, "2026-11-12", 2)
    folder = root / f"{model}-{rows}"
    for name, data in (("training", train_set), ("validation", holdout)):
        (folder / name).mkdir(parents=True)
        data.to_csv(folder / name / "part-00000.csv", index=False)
    args = module.parse_args(
        ["--model-dir", str(folder / "model"), "--train", str(folder / "training"),
         "--validation", str(folder / "validation"), "--output-data-dir", str(folder / "out")]
    )  # fmt: skip
    seconds = _timed(lambda: module.train(args))
    x = train_set[[c for c in train_set.columns if c.startswith("f")]].to_numpy()
    y = train_set["target"].to_numpy()
    linear = LogisticRegression(max_iter=1000) if model == "churn" else LinearRegression()
    baseline = _timed(lambda: linear.fit(x, y))
    return {"rows": rows, "seconds": seconds, "linear_seconds": baseline, "ratio": seconds / baseline}


def inference(model: str, root: Path, single_calls: int = 300, batches: int = 10) -> dict[str, Any]:
    import inference as handlers  # type: ignore[import-not-found]

    bundle = handlers.model_fn(str(root / f"{model}-{sorted_size(root, model)}" / "model"))
    rows = frame(model, 1000, "2026-11-12", 3)
    features = [name for name, _ in bundle.features]
    records = rows[["user_id", *features]].to_dict(orient="records")
    matrix = rows[features].to_numpy()
    predict = bundle.model.predict_proba if model == "churn" else bundle.model.predict

    def through_handlers(batch: list[dict[str, Any]]) -> str:
        data = handlers.input_fn(json.dumps({"instances": batch}), "application/json")
        body, _ = handlers.output_fn(handlers.predict_fn(data, bundle), "application/json")
        return str(body)

    single = (
        _timed(lambda: [through_handlers([records[i % 1000]]) for i in range(single_calls)]) / single_calls
    )
    direct_single = (
        _timed(lambda: [predict(matrix[i % 1000 : i % 1000 + 1]) for i in range(single_calls)]) / single_calls
    )
    batch = _timed(lambda: [through_handlers(records) for _ in range(batches)]) / (batches * 1000)
    direct_batch = _timed(lambda: [predict(matrix) for _ in range(batches)]) / (batches * 1000)
    return {
        "single_row_us": single * 1e6,
        "single_row_direct_us": direct_single * 1e6,
        "single_ratio": single / direct_single,
        "batch_row_us": batch * 1e6,
        "batch_row_direct_us": direct_batch * 1e6,
        "batch_ratio": batch / direct_batch,
    }


def sorted_size(root: Path, model: str) -> int:
    return max(int(p.name.split("-")[1]) for p in root.glob(f"{model}-*"))


def run(sizes: dict[str, tuple[int, int]] | None = None, progress: Any = print) -> dict[str, Any]:
    sizes = sizes or {"engagement": (20_000, 80_000), "churn": (5_000, 20_000)}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
        root = Path(tmp)
        for model, (small, large) in sizes.items():
            progress(f"training {model} at {small:,} and {large:,} rows")
            runs = [training(model, n, root) for n in (small, large)]
            progress(f"{model}: inference through the handlers")
            results[model] = {"training": runs, "inference": inference(model, root)}
    return results


if __name__ == "__main__":
    print(json.dumps(run({"engagement": (2_000, 8_000), "churn": (1_000, 4_000)}), indent=2))
