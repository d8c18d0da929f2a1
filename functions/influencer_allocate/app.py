"""Budget allocator handler: ``POST /api/influencers/allocate`` on the web API (Cognito-authorised).

The web function cannot carry scipy beside pyarrow within Lambda's 250 MB, so API Gateway routes this
one path (more specific than the web function's ``/api/{proxy+}``) here. Thin: the latest scoring
run from the slice's result store, :func:`audience.influencers.budget.answer` for the checks and the
allocation, JSON back. Bad input is a 400 with the reason; no run yet a 503; a failing store a 503.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

# Imported at cold start (not on first use, as the web app does): this function exists to allocate,
# so a package without scipy fails its init, not its first request.
import audience.influencers.allocation  # noqa: F401
from audience.core.api import Injected, answer_unknown_routes_as_json, entry_point, json_response
from audience.core.observability import logger, metrics
from audience.influencers.budget import answer
from audience.influencers.ports import ResultStore
from audience.influencers.settings import InfluencerAllocateSettings
from audience.influencers.wiring import result_store

app = APIGatewayRestResolver()
answer_unknown_routes_as_json(app)


@cache
def default_store() -> ResultStore:
    """Built once per container; the settings are validated at cold start (below)."""
    return result_store(InfluencerAllocateSettings())


_store: Injected[ResultStore] = Injected(default_store)


@app.post("/api/influencers/allocate")
def allocate() -> Response[str]:
    store = _store.current()
    try:
        body = app.current_event.json_body
    except ValueError:
        body = None
    status, payload = answer(body, store.latest_run() if isinstance(body, dict) else None)
    if status == 200:
        metrics.add_metric(name="AllocationsSolved", unit=MetricUnit.Count, value=1)
    return json_response(status, payload)


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(exc: Exception) -> Response[str]:
    logger.exception("the allocation failed")
    metrics.add_metric(name="AllocationsFailed", unit=MetricUnit.Count, value=1)
    return json_response(503, {"error": f"the allocator is unavailable ({type(exc).__name__}); retry later"})


def handler(event: dict[str, Any], context: Any, ports: ResultStore | None = None) -> dict[str, Any]:
    """The Lambda entry point; tests pass their own result store."""
    return _entry(event, context, ports)


_entry = entry_point(app, _store)
