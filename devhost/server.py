"""The local API: the Lambda handlers behind a real HTTP server (waitress), plus the lake writer.

Shutdown is clean on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then deliver
everything still buffered into the lake. A SIGKILL loses nothing acknowledged either: accepted
events are committed to the SQLite spool before the 2xx, and the next start delivers them.
"""

from __future__ import annotations

import fcntl
import hmac
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from audience.core.settings import Settings
from devhost.apigw import API_GATEWAY_MAX_PAYLOAD, LocalContext, needs_api_key, proxy_event

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


def create_app(
    settings: Settings, api_key: str, handler: Handler, routes: dict[str, Handler] | None = None
) -> Flask:
    """``routes`` maps a path prefix to the handler of another function (as API Gateway routes
    each resource to its Lambda); everything else goes to ``handler``."""
    app = Flask("audience")
    # A Lambda instance serves one request at a time, and Powertools' resolver keeps the current
    # event in shared state: concurrent calls would mix requests up. Like Lambda, run one at a time
    # (validation is CPU-bound under the GIL, so little throughput is lost).
    invoke_lock = threading.Lock()

    from audience.web import register

    register(app, settings)

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
        target = next((h for prefix, h in (routes or {}).items() if route.startswith(prefix)), handler)
        with invoke_lock:
            result = target(event, LocalContext(aws_request_id=event["requestContext"]["requestId"]))
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


class WriterLockedError(RuntimeError):
    """Another process already delivers this spool into the lake."""


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One lake writer per spool: a second writer would deliver the same rows twice."""
    path = settings.home / "state" / "lake-writer.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriterLockedError(
                f"another audience server or flush is using {settings.home}; stop it or use another AUDIENCE_HOME"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _idle(server: Any) -> bool:
    """No request queued, running, or with response bytes still to send."""
    dispatcher = server.task_dispatcher
    with dispatcher.lock:
        if dispatcher.queue or dispatcher.active_count:
            return False
    return not any(
        getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
        for channel in list(server._map.values())
    )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    import waitress
    from waitress import wasyncore

    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool
    from audience.ingest.wiring import ports
    from functions.ingest.app import handler
    from functions.recommendations.app import handler as recommendations_handler

    api_key = resolve_api_key(settings)
    with writer_lock(settings):
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

        server = waitress.create_server(
            create_app(settings, api_key, handler, {"/recommendations/": recommendations_handler}),
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=API_GATEWAY_MAX_PAYLOAD + 1,
            ident="audience",
        )
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        loop = threading.Thread(target=server.run, name="http-loop", daemon=True)
        loop.start()
        print(
            f"audience API on http://{host}:{server.effective_port} (lake: {Path(settings.lake_dir)}); "
            f"pending in spool: {spool.pending()}",
            flush=True,
        )
        while not stopping.wait(0.5):
            if not loop.is_alive():
                break
        # Graceful stop: refuse new connections, let accepted requests finish and their answers
        # go out, then close, then deliver everything buffered into the lake.
        wasyncore.dispatcher.close(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _idle(server):
            time.sleep(0.05)
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        wasyncore.close_all(server._map)
        loop.join(timeout=5)
        report = writer.stop()
        print(f"stopped; delivered {report.rows} events in {report.files} files to the lake", flush=True)
        sys.stdout.flush()
    return 0
