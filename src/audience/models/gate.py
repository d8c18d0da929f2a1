"""The metrics gate: never promote a model worse than its baseline or than the model in service.

Pure logic shared by the local registry (``python -m audience.models train``) and the retraining
state machine's evaluate step (``functions/model_gate``). It reads the ``metrics.json`` the training
scripts write: ``primary_metric`` (``r2`` for engagement, ``roc_auc`` for churn, higher is better),
``holdout`` and ``baseline`` figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str
    metric: str
    candidate: float | None
    baseline: float | None
    current: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _figure(metrics: Mapping[str, Any] | None, section: str, name: str) -> float | None:
    if not metrics:
        return None
    value = (metrics.get(section) or {}).get(name)
    return None if value is None else float(value)


def decide(
    candidate: Mapping[str, Any], current: Mapping[str, Any] | None = None, *, min_gain: float = 0.0
) -> GateDecision:
    """Promote ``candidate`` only if its primary holdout metric beats its baseline and is at least the
    in-service model's plus ``min_gain`` (no model in service: the baseline is the only bar)."""
    metric = str(candidate.get("primary_metric") or "")
    if not metric:
        return GateDecision(False, "the candidate's metrics name no primary_metric", metric, None, None, None)
    if current is not None and current.get("model") not in (None, candidate.get("model")):
        raise ValueError(
            f"cannot compare a {candidate.get('model')} model with a {current.get('model')} model"
        )
    value = _figure(candidate, "holdout", metric)
    baseline = _figure(candidate, "baseline", metric)
    in_service = _figure(current, "holdout", metric) if current is not None else None
    if value is None:
        return GateDecision(
            False, f"the candidate has no holdout {metric}", metric, None, baseline, in_service
        )
    if baseline is not None and value <= baseline:
        return GateDecision(
            False,
            f"{metric} {value:.4f} does not beat the baseline's {baseline:.4f}",
            metric,
            value,
            baseline,
            in_service,
        )
    if in_service is not None and value < in_service + min_gain:
        return GateDecision(
            False,
            f"{metric} {value:.4f} is below the model in service ({in_service:.4f}{f' + {min_gain}' if min_gain else ''})",
            metric,
            value,
            baseline,
            in_service,
        )
    why = "no model in service" if in_service is None else f"at least the model in service ({in_service:.4f})"
    return GateDecision(
        True, f"{metric} {value:.4f} beats the baseline and is {why}", metric, value, baseline, in_service
    )
