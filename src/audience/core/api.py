"""What every API function answers the same way: JSON bodies, and a JSON 404 for unknown routes.

The API functions (ingest, recommendations, the influencer allocator) run Powertools' ``APIGatewayRestResolver``; its own
404 is a text body, while our contract is that every error is JSON with an ``error`` code and a
``message`` (docs/architecture.md, the developers' guide). One place, so the two cannot drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from audience.core.observability import discard_unpublished_metrics, logger, metrics, tracer

P = TypeVar("P")


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


class Injected(Generic[P]):
    """A function's ports for the invocation in progress: the ones a test passed to the handler, else
    the function's own (``default``, built once per container by the caller's cached wiring)."""

    def __init__(self, default: Callable[[], P]) -> None:
        self._default = default
        self._passed: list[P] = []

    def current(self) -> P:
        return self._passed[-1] if self._passed else self._default()


def entry_point(
    app: APIGatewayRestResolver, ports: Injected[P]
) -> Callable[[dict[str, Any], Any, P | None], dict[str, Any]]:
    """The Lambda entry point of an API function: ``app`` resolved with the shared logging, tracing and
    metrics, and ``handler(event, context, ports)`` taking a test's ports for that one invocation
    (the serverless-python-demo idiom, without module state to reset)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    def handler(event: dict[str, Any], context: Any, passed: P | None = None) -> dict[str, Any]:
        if passed is not None:
            ports._passed.append(passed)
        try:
            response: dict[str, Any] = resolve(event, context)
            return response
        finally:
            if passed is not None:
                ports._passed.pop()
            discard_unpublished_metrics()

    return handler
