"""The web UI (the Explorer and every other blueprint) behind API Gateway, through apig-wsgi.

API Gateway authorises ``/api/...`` with the Cognito user pool before this function runs; the app
is the same Flask app the local server mounts (``audience.web.register``). It is built on the first
invocation, not at import, so a missing setting fails that request with a clear error in the logs
rather than the whole cold start.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from apig_wsgi import make_lambda_handler

from audience.settings import get_settings
from audience.web.app import create_app


@lru_cache(maxsize=1)
def _wsgi_handler() -> Any:
    return make_lambda_handler(create_app(get_settings()), binary_support=False)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = _wsgi_handler()(event, context)
    return result
