"""Recommendations API handler: ``GET /recommendations/{user_id}?num_results=&variant=``.

Thin: parse the path and query, call :func:`audience.recommend.serving.serve` with the ports from
the slice's wiring, answer JSON. Bad input is a 400 with one reason per field, an unknown user a
404 with the reason; a failing store is a 503 (retry), never an unexplained 5xx.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit

from audience.core.api import Injected, answer_unknown_routes_as_json, entry_point
from audience.core.observability import logger, metrics
from audience.recommend.ports import LiveRecommender, RecommendationTable, ServedLog
from audience.recommend.serving import RecommendationRequestError, parse_request, serve
from audience.recommend.settings import RecommendSettings
from audience.recommend.wiring import live_recommender, recommendations_table, served_log

app = APIGatewayRestResolver()


class Ports:
    def __init__(
        self,
        settings: RecommendSettings,
        table: RecommendationTable,
        log: ServedLog,
        live: LiveRecommender | None,
    ) -> None:
        self.settings, self.table, self.log, self.live = settings, table, log, live


@cache
def default_ports() -> Ports:
    """Built once per container (settings validated at cold start)."""
    settings = RecommendSettings()
    return Ports(settings, recommendations_table(settings), served_log(settings), live_recommender(settings))


_ports: Injected[Ports] = Injected(default_ports)


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


PREFIX = "/recommendations/"


# Not "/recommendations/<user_id>": Powertools' path parameters take only word characters and some
# URI punctuation, while a user id is any printable text (contract 1.1: en dashes, '#', quotes...).
# API Gateway's {user_id} already matched it; its decoded pathParameters value is the id.
@app.get(PREFIX + "[^/]+")
def get_recommendations() -> Response[str]:
    ports = _ports.current()
    event = app.current_event
    user_id = (event.path_parameters or {}).get("user_id") or event.path.split(PREFIX, 1)[-1]
    query = dict(app.current_event.query_string_parameters or {})
    request = parse_request(user_id, query, ports.settings)
    answer = serve(request, settings=ports.settings, table=ports.table, served_log=ports.log, live=ports.live)
    metrics.add_metric(name=f"Served{answer['variant'].capitalize()}", unit=MetricUnit.Count, value=1)
    if answer["cold_start"]:
        metrics.add_metric(name="ServedColdStart", unit=MetricUnit.Count, value=1)
    return _json(200, answer)


@app.exception_handler(RecommendationRequestError)  # type: ignore[untyped-decorator]
def bad_request(exc: RecommendationRequestError) -> Response[str]:
    body: dict[str, Any] = {
        "error": "invalid_request" if exc.status == 400 else "not_found",
        "message": exc.message,
    }
    if exc.reasons:
        body["reasons"] = exc.reasons
    return _json(exc.status, body)


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def unexpected(exc: Exception) -> Response[str]:
    logger.exception("recommendations could not be served")
    metrics.add_metric(name="RecommendationsFailed", unit=MetricUnit.Count, value=1)
    return _json(
        503,
        {
            "error": "unavailable",
            "message": f"recommendations are unavailable ({type(exc).__name__}); retry later",
        },
    )


answer_unknown_routes_as_json(app)


def handler(event: dict[str, Any], context: Any, ports: Ports | None = None) -> dict[str, Any]:
    """The Lambda entry point; tests and the local host may pass their own ports."""
    return _entry(event, context, ports)


_entry = entry_point(app, _ports)
