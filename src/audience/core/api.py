"""What every API function answers the same way: JSON bodies, and a JSON 404 for unknown routes.

The API functions (ingest, recommendations, the influencer allocator) run Powertools' ``APIGatewayRestResolver``; its own
404 is a text body, while our contract is that every error is JSON with an ``error`` code and a
``message`` (docs/architecture.md, the developers' guide). One place, so the two cannot drift.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    """A JSON answer with ``status``."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def answer_unknown_routes_as_json(app: APIGatewayRestResolver) -> None:
    """Register ``app``'s not-found handler: a JSON 404 naming the method and path it has no route for."""

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return json_response(
            404,
            {
                "error": "not_found",
                "message": f"no route for {app.current_event.http_method} {app.current_event.path}",
            },
        )
