"""Script-mode training of the engagement model: a user x content pair's engagement score, by gradient boosting.

SageMaker runs ``python train_engagement.py --max-iter 300 ...`` in the scikit-learn container with
``SM_CHANNEL_TRAINING`` (pairs whose features are as of an earlier day, with the score they reached in
the days after it), ``SM_CHANNEL_VALIDATION`` (the same for a later day: the time-based holdout),
``SM_MODEL_DIR`` and ``SM_OUTPUT_DATA_DIR``. Locally, ``audience.models`` runs this same file as a
process with the same variables. The holdout is scored against the naive baseline the builder puts in
``baseline_user_mean`` (the user's mean pair score up to the features' day).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import modelkit
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

MODEL = "engagement"
BASELINE = "baseline_user_mean"


def train(args: Any) -> dict[str, Any]:
    started = time.time()
    train_set = modelkit.read_channel(args.train)
    holdout = modelkit.read_channel(args.validation)
    contract = modelkit.feature_contract(train_set, MODEL)
    model = HistGradientBoostingRegressor(
        max_iter=args.max_iter,
        learning_rate=args.learning_rate,
        max_leaf_nodes=args.max_leaf_nodes,
        min_samples_leaf=args.min_samples_leaf,
        l2_regularization=args.l2_regularization,
        random_state=args.random_state,
    )
    model.fit(modelkit.align(train_set, contract), train_set[modelkit.TARGET].to_numpy(dtype=float))

    y_true = holdout[modelkit.TARGET].to_numpy(dtype=float)
    predicted = model.predict(modelkit.align(holdout, contract))
    # A user with no history before the holdout day gets the training set's mean score.
    fallback = float(train_set[modelkit.TARGET].mean())
    baseline = holdout[BASELINE].astype(float).fillna(fallback).to_numpy() if BASELINE in holdout else None
    if baseline is None:
        raise modelkit.FeatureMismatchError(f"the validation channel lacks the {BASELINE} column")
    model_figures = modelkit.regression_metrics(y_true, predicted)
    baseline_figures = modelkit.regression_metrics(y_true, np.asarray(baseline))
    metrics = {
        "model": MODEL,
        "primary_metric": "r2",
        "higher_is_better": True,
        "holdout": model_figures,
        "baseline": {"name": "the user's mean pair score up to the features' day", **baseline_figures},
        "beats_baseline": (model_figures["r2"] or -1e9) > (baseline_figures["r2"] or -1e9),
        "rows": {"train": len(train_set), "holdout": len(holdout)},
        "split": {
            "train_as_of": modelkit.split_dates(train_set),
            "holdout_as_of": modelkit.split_dates(holdout),
        },
        "feature_set_version": contract["feature_set_version"],
        "sklearn_version": contract["sklearn_version"],
        "hyperparameters": {
            "max_iter": args.max_iter,
            "learning_rate": args.learning_rate,
            "max_leaf_nodes": args.max_leaf_nodes,
            "min_samples_leaf": args.min_samples_leaf,
            "l2_regularization": args.l2_regularization,
        },
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(time.time() - started, 3),
    }
    modelkit.save_run(Path(args.model_dir), Path(args.output_data_dir), model, contract, metrics)
    return metrics


def parse_args(argv: list[str] | None = None) -> Any:
    parser = modelkit.common_args(__doc__ or MODEL)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--max-leaf-nodes", type=int, default=31)
    parser.add_argument("--min-samples-leaf", type=int, default=40)
    parser.add_argument("--l2-regularization", type=float, default=1.0)
    args, _unknown = parser.parse_known_args(argv)
    return args


if __name__ == "__main__":
    figures = train(parse_args())
    print(f"engagement holdout r2={figures['holdout']['r2']} baseline r2={figures['baseline']['r2']}")
