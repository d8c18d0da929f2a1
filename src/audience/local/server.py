"""The local API: the Lambda handlers behind a real HTTP server (waitress), plus the lake writer.

Shutdown is clean on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then deliver
everything still buffered into the lake. A SIGKILL loses nothing acknowledged either: accepted
events are committed to the SQLite spool before the 2xx, and the next start delivers them.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask, Response, request

from audience.local.apigw import API_GATEWAY_MAX_PAYLOAD, LocalContext, needs_api_key, proxy_event
from audience.settings import Settings

log = logging.getLogger("audience.server")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def resolve_api_key(settings: Settings) -> str:
    """``AUDIENCE_API_KEY`` if set; else a key generated once and kept in ``$AUDIENCE_HOME/api_key``."""
    if settings.api_key:
        return settings.api_key
    path = settings.home / "api_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _json(status: int, message: str) -> Response:
    return Response(f'{{"message": "{message}"}}', status=status, mimetype="application/json")


def create_app(settings: Settings, api_key: str, handler: Handler) -> Flask:
    app = Flask("audience")

    @app.route("/", defaults={"path": ""}, methods=_METHODS)
    @app.route("/<path:path>", methods=_METHODS)
    def lambda_proxy(path: str) -> Response:
        route = "/" + path
        if (request.content_length or 0) > API_GATEWAY_MAX_PAYLOAD:
            return _json(413, "Request Too Long")
        if needs_api_key(request.method, route):
            sent = request.headers.get("x-api-key", "")
            if not hmac.compare_digest(sent.encode(), api_key.encode()):
                return _json(403, "Forbidden")
        headers = {k.lower(): v for k, v in request.headers.items()}
        event = proxy_event(
            method=request.method,
            path=route,
            headers=headers,
            query={k: request.args.getlist(k) for k in request.args},
            body=request.get_data(cache=False),
            source_ip=request.remote_addr or "127.0.0.1",
            stage=settings.stage,
        )
        result = handler(event, LocalContext(aws_request_id=event["requestContext"]["requestId"]))
        body: str | bytes = result.get("body") or ""
        if result.get("isBase64Encoded"):
            import base64

            body = base64.b64decode(body)
        response = Response(body, status=int(result.get("statusCode", 200)))
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = value
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response.headers.setlist(name, values)
        return response

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    import waitress

    from audience.adapters.local.lake import LakeWriter, LocalSpool
    from audience.container import ports
    from functions.ingest.app import handler

    api_key = resolve_api_key(settings)
    spool = ports().sink
    assert isinstance(spool, LocalSpool), "the local server runs on the local backend"
    writer = LakeWriter(
        spool,
        settings.lake_dir,
        buffer_records=settings.local_buffer_records,
        buffer_seconds=settings.local_buffer_seconds,
    )
    recovered = writer.recover()
    if recovered.rows:
        print(f"recovered {recovered.rows} spooled events from an interrupted delivery", flush=True)
    writer.start()

    app = create_app(settings, api_key, handler)
    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=API_GATEWAY_MAX_PAYLOAD + 1,
        ident="audience",
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"audience API on http://{host}:{server.effective_port} (lake: {Path(settings.lake_dir)}); "
        f"pending in spool: {spool.pending()}",
        flush=True,
    )
    try:
        server.run()
    except SystemExit:
        pass
    finally:
        server.close()
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=10)
        report = writer.stop()
        print(f"stopped; delivered {report.rows} events in {report.files} files to the lake", flush=True)
        sys.stdout.flush()
    return 0
