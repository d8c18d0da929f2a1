"""Ingestion API handler: parse the HTTP request, call the domain, shape the response.

Routes (API Gateway REST proxy events): ``POST /events`` and ``POST /social/posts`` (API key required
at the gateway), ``GET /health``, and CORS preflight for allow-listed origins. Both POST routes run the
same ingestion service, each with its record kind, stream and exactly-once ledger.
"""

from __future__ import annotations

import base64
import binascii
import gc
import json
import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from audience.core.api import answer_unknown_routes_as_json
from audience.core.observability import discard_unpublished_metrics, logger, metrics, tracer
from audience.core.settings import IngestSettings, get_settings
from audience.ingest.service import (
    IngestError,
    IngestService,
    RequestContext,
    StorageUnavailableError,
    UnsupportedMediaTypeError,
)
from audience.ingest.wiring import ingest_service, social_ingest_service


class IngestFunctionSettings(IngestSettings):
    """The ingestion function: Firehose into the lake bucket, live counters in DynamoDB."""

    REQUIRED_IN_AWS = ("lake_bucket", "delivery_stream", "counters_table")


SETTINGS = get_settings.load(IngestFunctionSettings)  # cold start: a missing setting fails here

_ACCEPTED_MEDIA = ("application/json", "text/plain")  # text/plain: navigator.sendBeacon and simple CORS


def _cors() -> CORSConfig | None:
    origins = get_settings().allowed_origins
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0], extra_origins=origins[1:], allow_headers=["x-api-key"], max_age=600
    )


app = APIGatewayRestResolver(cors=_cors())


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def _request_body() -> bytes:
    event = app.current_event
    media = (
        (event.headers.get("content-type") or event.headers.get("Content-Type") or "").split(";")[0].strip()
    )
    if media and media.lower() not in _ACCEPTED_MEDIA:
        raise UnsupportedMediaTypeError(
            "unsupported_media_type", f"content-type {media!r} is not application/json"
        )
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise IngestError("invalid_base64", "body is marked base64-encoded but is not valid base64") from None


@app.post("/events")
@tracer.capture_method
def post_events() -> Response[str]:
    return _ingest(_service(), "Events", "events")


@app.post("/social/posts")
@tracer.capture_method
def post_social_posts() -> Response[str]:
    return _ingest(social_ingest_service(), "Posts", "social posts")


def _ingest(service: IngestService[Any], metric: str, noun: str) -> Response[str]:
    settings = get_settings()
    # Stop retrying with time to spare, so the client gets a 503 with Retry-After, not a timeout.
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000
    ctx = RequestContext(
        request_id=app.current_event.request_context.request_id,
        source=f"api:{settings.stage}",
        deadline=time.monotonic() + max(0.0, remaining - settings.response_reserve_seconds),
    )
    try:
        body = _request_body()
    except IngestError as exc:
        service.quarantine_request((app.current_event.body or "").encode(), ctx, exc)
        raise
    result = service.ingest(body, ctx)
    rejected = len(result.rejected and {r.index for r in result.rejected})
    metrics.add_metric(name=f"{metric}Received", unit=MetricUnit.Count, value=result.received)
    metrics.add_metric(name=f"{metric}Accepted", unit=MetricUnit.Count, value=result.accepted)
    metrics.add_metric(name=f"{metric}Duplicate", unit=MetricUnit.Count, value=result.duplicates)
    metrics.add_metric(name=f"{metric}Rejected", unit=MetricUnit.Count, value=rejected)
    metrics.add_metric(name=f"{metric}Quarantined", unit=MetricUnit.Count, value=rejected)
    metrics.add_metric(name=f"{metric}Retried", unit=MetricUnit.Count, value=result.retried)
    metrics.add_metric(name=f"{metric}Failed", unit=MetricUnit.Count, value=result.failed)
    logger.info(
        f"{noun} ingested",
        extra={
            "status": result.status,
            "received": result.received,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": rejected,
            "rejected_codes": dict(result.rejected_by_code()),
            "retried": result.retried,
            "failed": result.failed,
        },
    )
    headers = {"Retry-After": str(settings.retry_after_seconds)} if result.status == 503 else None
    return _json(result.status, result.body(), headers)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "stage": get_settings().stage}


@app.exception_handler(IngestError)  # type: ignore[untyped-decorator]
def request_rejected(exc: IngestError) -> Response[str]:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.info("request rejected", extra={"code": exc.code, "status": exc.status})
    request_id = app.current_event.request_context.request_id
    return _json(exc.status, {"error": exc.code, "message": exc.message, "request_id": request_id})


@app.exception_handler(StorageUnavailableError)  # type: ignore[untyped-decorator]
def storage_unavailable(exc: StorageUnavailableError) -> Response[str]:
    metrics.add_metric(name="RequestsUnavailable", unit=MetricUnit.Count, value=1)
    logger.exception("storage unavailable; nothing acknowledged")
    return _json(
        503,
        {
            "error": "unavailable",
            "message": f"{exc}; retry the same request",
            "request_id": app.current_event.request_context.request_id,
        },
        {"Retry-After": str(get_settings().retry_after_seconds)},
    )


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(exc: Exception) -> Response[str]:
    """A bug, not bad input: answer JSON, keep the request for diagnosis, alarm on the metric."""
    logger.exception("unexpected error")
    metrics.add_metric(name="RequestsFailed", unit=MetricUnit.Count, value=1)
    request_id = app.current_event.request_context.request_id
    try:
        service = social_ingest_service() if app.current_event.path.startswith("/social/") else _service()
        service.quarantine_request(
            (app.current_event.body or "").encode(),
            RequestContext(request_id=request_id, source=f"api:{get_settings().stage}"),
            IngestError("internal_error", f"{type(exc).__name__} while processing the request"),
        )
    except Exception:
        logger.exception("could not quarantine the failed request")
    return _json(
        500, {"error": "internal_error", "message": "unexpected error; retry later", "request_id": request_id}
    )


answer_unknown_routes_as_json(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def _handler(
    event: dict[str, Any], context: LambdaContext, service: IngestService[Any] | None = None
) -> dict[str, Any]:
    app.append_context(service=service)  # type: ignore[no-untyped-call]
    return app.resolve(event, context)


def _service() -> IngestService[Any]:
    """The request's injected service, else the wiring's (built once per process)."""
    injected = app.context.get("service")
    return injected if isinstance(injected, IngestService) else ingest_service()


# Cold start ends here: what the imports built (pydantic's schemas, boto3's models, Powertools)
# lives as long as the process. Frozen, the garbage collector's full passes no longer walk those
# ~95,000 objects on every request (a few µs an event in bench/ingest.py).
gc.collect()
gc.freeze()


def handler(event: dict[str, Any], context: Any, service: IngestService[Any] | None = None) -> dict[str, Any]:
    """``service``: the ingestion service (default: the wiring's, from this function's settings)."""
    try:
        response: dict[str, Any] = _handler(event, context, service=service)
        return response
    finally:
        discard_unpublished_metrics()
