"""audience.core.api: the API functions' shared JSON answers (one not-found handler for both)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from audience.core.api import answer_unknown_routes_as_json, json_response
from audience.recommend.settings import RecommendSettings
from devhost.apigw import LocalContext, proxy_event


def _event(method: str, path: str) -> dict[str, Any]:
    return proxy_event(
        method=method, path=path, headers={}, query={}, body=b"", source_ip="127.0.0.1", stage="test"
    )


def test_unknown_route_is_a_json_404_naming_method_and_path() -> None:
    # GIVEN a resolver with one route and the shared not-found handler
    app = APIGatewayRestResolver()

    @app.get("/known")
    def known() -> Any:
        return json_response(200, {"ok": True})

    answer_unknown_routes_as_json(app)
    # WHEN a route it does not have is called, and then the one it has
    missing = app.resolve(_event("DELETE", "/nope/x"), LocalContext(aws_request_id="r1"))
    found = app.resolve(_event("GET", "/known"), LocalContext(aws_request_id="r2"))
    # THEN the first is a JSON 404 that names the method and path; the route still answers
    assert missing["statusCode"] == 404
    assert missing["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert json.loads(missing["body"]) == {"error": "not_found", "message": "no route for DELETE /nope/x"}
    assert (found["statusCode"], json.loads(found["body"])) == (200, {"ok": True})


def test_recommendations_function_answers_unknown_routes_like_ingest() -> None:
    # GIVEN the recommendations function with fake ports (no store is touched for a 404)
    from functions.recommendations.app import Ports, handler

    ports = Ports(RecommendSettings(backend="local"), None, None, None)  # type: ignore[arg-type]
    # WHEN a path it does not serve is called
    result = handler(_event("GET", "/recommendationz/u-1"), LocalContext(aws_request_id="r"), ports=ports)
    # THEN it is the shared JSON 404
    assert result["statusCode"] == 404
    assert json.loads(result["body"])["error"] == "not_found"
