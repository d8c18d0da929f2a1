"""Insights function (direct Lambda invoke): ``{"content_id" | "segment_id": ..., "time_range": ...}``.

Thin: parse the event into :class:`InsightRequest`, call the service, shape the answer. Bad input
and missing subjects are structured errors (``ok: false`` with a code and per-field reasons),
never an exception out of the handler.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from audience.core.observability import discard_unpublished_metrics, logger, metrics, tracer
from audience.core.settings import InsightsSettings, get_settings
from audience.insights.gather import SubjectNotFoundError
from audience.insights.models import InsightRequest
from audience.insights.ports import LakeQueryError
from audience.insights.service import InsightService
from audience.insights.wiring import insights_service


class InsightsFunctionSettings(InsightsSettings):
    """The insights function: Athena over the lake, the live counters, insights stored in the lake."""

    REQUIRED_IN_AWS = ("lake_bucket", "counters_table", "lake_database", "athena_workgroup")


SETTINGS = get_settings.load(InsightsFunctionSettings)  # cold start: a missing setting fails here


def _error(code: str, message: str, reasons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error": code, "message": message}
    if reasons is not None:
        body["reasons"] = reasons
    return body


def answer(event: Any, service: InsightService | None = None) -> dict[str, Any]:
    if not isinstance(event, dict):
        kind = {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(event), "number")
        return _error(
            "invalid_request",
            "the event must be a JSON object",
            [
                {
                    "field": "event",
                    "reason": f"expected a JSON object with content_id or segment_id, got {kind}",
                }
            ],
        )
    try:
        request = InsightRequest.model_validate(event)
    except ValidationError as exc:
        reasons = [
            {"field": ".".join(str(p) for p in e["loc"]) or "event", "reason": e["msg"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        metrics.add_metric(name="InsightsRejected", unit=MetricUnit.Count, value=1)
        return _error("invalid_request", "the request is not valid", reasons)
    try:
        record, how = (service or insights_service()).insight(request)
    except SubjectNotFoundError as exc:
        return _error("not_found", str(exc))
    except LakeQueryError as exc:
        logger.exception("lake query failed")
        return _error("lake_unavailable", f"the lake could not be queried: {exc}")
    metrics.add_metric(name=f"Insights{how.capitalize()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name=f"InsightsBy{record.writer.title().replace('-', '')}", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "insight answered",
        extra={"kind": request.kind, "time_range": request.time_range, "how": how, "writer": record.writer},
    )
    return {"ok": True, "served": how, **record.model_dump(mode="json")}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def _handler(
    event: dict[str, Any], context: LambdaContext, service: InsightService | None = None
) -> dict[str, Any]:
    return answer(event, service)


def handler(event: dict[str, Any], context: Any, service: InsightService | None = None) -> dict[str, Any]:
    """``service``: the insights service (default: the wiring's, built once per process)."""
    try:
        response: dict[str, Any] = _handler(event, context, service=service)
        return response
    finally:
        discard_unpublished_metrics()
