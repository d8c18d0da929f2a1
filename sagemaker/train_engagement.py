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
    model = HistGradientBoostingRegressor(**modelkit.boosting_params(args), random_state=args.random_state)
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
    metrics = modelkit.run_metrics(
        model=MODEL,
        primary_metric="r2",
        holdout_figures=model_figures,
        baseline_name="the user's mean pair score up to the features' day",
        baseline_figures=baseline_figures,
        train_set=train_set,
        holdout=holdout,
        contract=contract,
        hyperparameters=modelkit.boosting_params(args),
        started=started,
    )
    modelkit.save_run(Path(args.model_dir), Path(args.output_data_dir), model, contract, metrics)
    return metrics


def parse_args(argv: list[str] | None = None) -> Any:
    parser = modelkit.common_args(__doc__ or MODEL)
    modelkit.add_boosting_args(parser, max_iter=300, max_leaf_nodes=31, min_samples_leaf=40)
    args, _unknown = parser.parse_known_args(argv)
    return args


if __name__ == "__main__":
    figures = train(parse_args())
    print(f"engagement holdout r2={figures['holdout']['r2']} baseline r2={figures['baseline']['r2']}")
