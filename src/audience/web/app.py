"""The web UI as its own WSGI app: what the web function runs behind API Gateway (functions/web)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, jsonify

from audience.core.settings import Settings
from audience.web import register

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StagePrefix:
    """Put API Gateway's stage in ``SCRIPT_NAME`` on its default endpoint.

    The browser sees ``https://<id>.execute-api.<region>.amazonaws.com/<stage>/explorer`` while the
    function gets ``/explorer``; with the stage as the script root, ``url_for`` and the pages' links
    include it. A custom domain maps the stage away, so nothing is added there.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        context = environ.get("apig_wsgi.request_context") or {}
        host = str(environ.get("HTTP_HOST", ""))
        stage = context.get("stage")
        if stage and host.endswith(".amazonaws.com") and not environ.get("SCRIPT_NAME"):
            environ["SCRIPT_NAME"] = f"/{stage}"
        return self.app(environ, start_response)


def create_app(settings: Settings) -> Flask:
    app = Flask("audience.web")
    register(app, settings)

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok"})

    app.wsgi_app = StagePrefix(app.wsgi_app)  # type: ignore[method-assign]
    return app
