"""The metrics gate shared by the local registry and the retraining workflow."""

from __future__ import annotations

import pytest

from audience.models.gate import decide


def metrics(value: float | None, baseline: float | None = 0.6, model: str = "churn") -> dict:
    return {
        "model": model,
        "primary_metric": "roc_auc",
        "holdout": {"roc_auc": value},
        "baseline": {"roc_auc": baseline},
    }


def test_decide_promotes_the_first_model_that_beats_its_baseline() -> None:
    # GIVEN no model in service / WHEN a candidate beats its baseline / THEN it is promoted
    decision = decide(metrics(0.7))
    assert decision.promote and "no model in service" in decision.reason
    assert (decision.candidate, decision.baseline, decision.current) == (0.7, 0.6, None)


def test_decide_rejects_a_model_that_does_not_beat_its_baseline() -> None:
    # GIVEN / WHEN a candidate equal to its baseline / THEN it is rejected, saying why
    decision = decide(metrics(0.6, 0.6))
    assert not decision.promote and "does not beat the baseline" in decision.reason


def test_decide_never_promotes_a_model_worse_than_the_one_in_service() -> None:
    # GIVEN a model in service at 0.75 / WHEN a candidate scores 0.74 / THEN it is rejected
    assert not decide(metrics(0.74), metrics(0.75)).promote
    # AND a candidate at least as good passes; a required gain raises the bar
    assert decide(metrics(0.75), metrics(0.75)).promote
    assert not decide(metrics(0.76), metrics(0.75), min_gain=0.02).promote


def test_decide_rejects_metrics_without_a_primary_metric_or_value() -> None:
    # GIVEN malformed metrics / WHEN decided / THEN nothing is promoted
    assert not decide({"model": "churn"}).promote
    assert not decide(metrics(None)).promote


def test_decide_refuses_to_compare_different_models() -> None:
    # GIVEN a churn candidate and an engagement model in service / WHEN / THEN a clear error
    with pytest.raises(ValueError, match="cannot compare"):
        decide(metrics(0.7), metrics(0.7, model="engagement"))
