"""The web UI (the Explorer and every other blueprint) behind API Gateway, through apig-wsgi.

API Gateway authorises ``/api/...`` with the Cognito user pool before this function runs; the app
is the same Flask app the local server mounts (``audience.web.register``). It is built on the first
invocation, not at import, so a missing setting fails that request with a clear error in the logs
rather than the whole cold start. Each request is logged once, as structured JSON: method, route,
status and duration (never the query string or body: seeds of user ids travel in bodies).
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from apig_wsgi import make_lambda_handler

from audience.core.observability import logger, tracer
from audience.core.settings import WebSettings, get_settings
from audience.web.app import create_app


class WebFunctionSettings(WebSettings):
    """The web shell in Lambda: its pages read the lake (Athena), the live counters and the Explorer's runs."""

    REQUIRED_IN_AWS = ("lake_bucket", "counters_table", "lake_database", "athena_workgroup")


SETTINGS = get_settings.load(WebFunctionSettings)  # cold start: a missing setting fails here


@lru_cache(maxsize=1)
def _wsgi_handler() -> Any:
    return make_lambda_handler(create_app(get_settings()), binary_support=False)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = _wsgi_handler()(event, context)
    logger.info(
        "web request",
        extra={
            "method": event.get("httpMethod"),
            "route": event.get("resource"),
            "status": result.get("statusCode"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return result
