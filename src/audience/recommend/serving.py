"""``GET /recommendations/{user_id}?num_results=&variant=``: validate, pick the arm, answer, log.

* Without ``variant`` the user's arm is a stable hash: SHA-256 of ``experiment:user_id`` read as a
  number in [0, 1) and placed on the cumulative split of the configured arms, so a user keeps the
  same arm across requests, processes and Lambda instances, and changing the experiment name
  re-draws everyone.
* Lists come from the recommendations table, or, for the ``personalize`` arm when a campaign is
  configured, from ``GetRecommendations``.
* A known user without interactions (a cold start) was stored with the baseline's popular items
  and ``cold_start`` set; the answer says so. A user the table does not know is a 404 with the reason.
* Every answer carries a fresh ``recommendation_id``; clients send it back on the events the list
  causes (contract 1.1), and the served list goes to the lake for the online comparison.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from audience.recommend.ports import LiveRecommender, RecommendationTable, ServedList, ServedLog
from audience.recommend.settings import VARIANTS, RecommendSettings
from schemas.engagement import Identifier

_USER_ID: TypeAdapter[str] = TypeAdapter(Identifier)
"""The event contract's identifier (1..256 printable characters), so every user the API accepts
events from can be asked for recommendations by the same id."""


class RecommendationRequestError(ValueError):
    """A 4xx: ``status`` and one reason per bad field."""

    def __init__(self, status: int, message: str, reasons: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.reasons = status, message, reasons or []


@dataclass(frozen=True)
class ServeRequest:
    user_id: str
    num_results: int
    variant: str | None


def parse_request(user_id: str, query: Mapping[str, str], settings: RecommendSettings) -> ServeRequest:
    reasons: list[dict[str, str]] = []
    try:
        _USER_ID.validate_python(user_id)
    except ValidationError:
        reasons.append(
            {"field": "user_id", "reason": "must be 1-256 printable characters (no control characters)"}
        )
    unknown = sorted(set(query) - {"num_results", "variant"})
    for name in unknown:
        reasons.append({"field": name, "reason": "unknown parameter (num_results, variant)"})
    num = settings.recommendation_default_results
    raw = query.get("num_results")
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw) <= settings.recommendation_max_results:
            reasons.append(
                {
                    "field": "num_results",
                    "reason": f"must be an integer from 1 to {settings.recommendation_max_results}",
                }
            )
        else:
            num = int(raw)
    variant = query.get("variant")
    if variant is not None and variant not in settings.recommendation_arms:
        reasons.append(
            {
                "field": "variant",
                "reason": f"must be one of {', '.join(sorted(settings.recommendation_arms))}",
            }
        )
    if reasons:
        raise RecommendationRequestError(400, "the request is not valid", reasons)
    return ServeRequest(user_id, num, variant)


def assign_arm(user_id: str, arms: Mapping[str, float], experiment: str) -> str:
    digest = hashlib.sha256(f"{experiment}:{user_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    total = sum(arms.values())
    cumulative = 0.0
    names = [v for v in VARIANTS if v in arms]
    for name in names:
        cumulative += arms[name] / total
        if point < cumulative:
            return name
    return names[-1]


def _lake_time(now: datetime) -> str:
    return now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def serve(
    request: ServeRequest,
    *,
    settings: RecommendSettings,
    table: RecommendationTable,
    served_log: ServedLog,
    live: LiveRecommender | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    variant = request.variant or assign_arm(
        request.user_id, settings.recommendation_arms, settings.recommendation_experiment
    )
    stored = table.get_list(request.user_id, variant)
    if stored is None:
        # Known to the other arm only? Then this arm's list is missing: say which.
        if any(table.get_list(request.user_id, v) for v in settings.recommendation_arms if v != variant):
            raise RecommendationRequestError(404, f"no {variant} list for user {request.user_id} yet")
        raise RecommendationRequestError(
            404, f"unknown user {request.user_id}: no recommendations (new users join at the next batch run)"
        )
    items, scores, source, model = stored.items, stored.scores, "table", stored.model
    if stored.cold_start:
        cold = table.get_list(request.user_id, "baseline") or stored
        items, scores, model = cold.items, cold.scores, cold.model
    elif variant == "personalize" and live is not None:
        items, scores = live.recommend(request.user_id, request.num_results)
        source, model = "campaign", "aws-user-personalization-v2"
    items, scores = items[: request.num_results], scores[: request.num_results]
    served = ServedList(
        recommendation_id=str(uuid.uuid4()),
        user_id=request.user_id,
        variant=variant,
        items=list(items),
        served_at=_lake_time(now()),
        cold_start=stored.cold_start,
        source=source,
        model=model,
        experiment=settings.recommendation_experiment,
    )
    served_log.record(served)
    return {
        "recommendation_id": served.recommendation_id,
        "user_id": request.user_id,
        "variant": variant,
        "experiment": served.experiment,
        "assigned": request.variant is None,
        "cold_start": stored.cold_start,
        "source": source,
        "model": model,
        "generated_at": stored.generated_at,
        "items": [{"item_id": i, "score": s} for i, s in zip(items, scores, strict=True)],
    }
