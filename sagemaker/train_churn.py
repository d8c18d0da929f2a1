"""Script-mode training of the churn model: calibrated gradient boosting on user features.

The training channel holds users' features as of an earlier day with ``target`` = 1 when they had no
event in the following horizon; the validation channel the same for a later day (the time-based
holdout). Probabilities are calibrated (``CalibratedClassifierCV``, cross-validated on the training
period) so the served ``churn_probability`` can be read as one. The baseline is recency alone: a
logistic regression on ``baseline_recency_days`` (days since the user's last event) fitted on the same
training rows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import modelkit
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

MODEL = "churn"
BASELINE = "baseline_recency_days"


def train(args: Any) -> dict[str, Any]:
    started = time.time()
    train_set = modelkit.read_channel(args.train)
    holdout = modelkit.read_channel(args.validation)
    for name, frame in (("training", train_set), ("validation", holdout)):
        if BASELINE not in frame:
            raise modelkit.FeatureMismatchError(f"the {name} channel lacks the {BASELINE} column")
    contract = modelkit.feature_contract(train_set, MODEL)
    y_train = train_set[modelkit.TARGET].to_numpy(dtype=int)
    booster = HistGradientBoostingClassifier(**modelkit.boosting_params(args), random_state=args.random_state)
    model = CalibratedClassifierCV(booster, method=args.calibration, cv=args.calibration_folds)
    model.fit(modelkit.align(train_set, contract), y_train)

    y_true = holdout[modelkit.TARGET].to_numpy(dtype=int)
    proba = model.predict_proba(modelkit.align(holdout, contract))[:, 1]
    recency = LogisticRegression()
    recency.fit(train_set[[BASELINE]].to_numpy(dtype=float), y_train)
    baseline_proba = recency.predict_proba(holdout[[BASELINE]].to_numpy(dtype=float))[:, 1]
    model_figures = modelkit.classification_metrics(y_true, proba)
    baseline_figures = modelkit.classification_metrics(y_true, np.asarray(baseline_proba))
    metrics = modelkit.run_metrics(
        model=MODEL,
        primary_metric="roc_auc",
        holdout_figures=model_figures,
        baseline_name="recency only (logistic regression on days since last event)",
        baseline_figures=baseline_figures,
        train_set=train_set,
        holdout=holdout,
        contract=contract,
        hyperparameters={
            **modelkit.boosting_params(args),
            "calibration": args.calibration,
            "calibration_folds": args.calibration_folds,
        },
        started=started,
    )
    modelkit.save_run(Path(args.model_dir), Path(args.output_data_dir), model, contract, metrics)
    return metrics


def parse_args(argv: list[str] | None = None) -> Any:
    parser = modelkit.common_args(__doc__ or MODEL)
    modelkit.add_boosting_args(parser, max_iter=200, max_leaf_nodes=15, min_samples_leaf=30)
    parser.add_argument("--calibration", choices=("sigmoid", "isotonic"), default="sigmoid")
    parser.add_argument("--calibration-folds", type=int, default=3)
    args, _unknown = parser.parse_known_args(argv)
    return args


if __name__ == "__main__":
    figures = train(parse_args())
    print(
        f"churn holdout roc_auc={figures['holdout']['roc_auc']} baseline roc_auc={figures['baseline']['roc_auc']}"
    )
