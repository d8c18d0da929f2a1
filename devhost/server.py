"""The local API: the Lambda handlers behind a real HTTP server (waitress), plus the lake writer.

Shutdown is clean on SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then deliver
everything still buffered into the lake. A SIGKILL loses nothing acknowledged either: accepted
events are committed to the SQLite spool before the 2xx, and the next start delivers them.
"""

from __future__ import annotations

import errno
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

from flask import Flask, Response, g, request

from audience.core.settings import Settings
from devhost.apigw import (
    API_GATEWAY_MAX_PAYLOAD,
    ROUTES,
    LocalContext,
    needs_api_key,
    proxy_event,
)

log = logging.getLogger("audience.server")
requests_log = logging.getLogger("audience.server.requests")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


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
    """The web app (pages and their JSON APIs) plus the API Gateway routes of the functions.

    Only the routes API Gateway sends to the ingest function (``apigw.ROUTES``) reach ``handler``;
    ``routes`` maps a path prefix to the handler of another function (as API Gateway routes each
    resource to its Lambda). Any other path or method is answered by the web app: a page, its API,
    or a JSON 404/405. Each request is logged once (method, path without the query, status, ms).
    """
    app = Flask("audience")
    # A Lambda instance serves one request at a time, and Powertools' resolver keeps the current
    # event in shared state: concurrent calls would mix requests up. Like Lambda, run one at a time
    # (validation is CPU-bound under the GIL, so little throughput is lost).
    invoke_lock = threading.Lock()

    from audience.web import register

    register(app, settings)

    @app.before_request
    def _started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("started")
        ms = (time.perf_counter() - started) * 1000 if started else 0.0
        requests_log.info("%s %s %s %.0f ms", request.method, request.path, response.status_code, ms)
        return response

    def lambda_proxy() -> Response:
        route = request.path
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

    methods: dict[str, list[str]] = {}
    for method, path in ROUTES:
        methods.setdefault(path, []).append(method)
    for path, allowed in methods.items():
        app.add_url_rule(path, f"ingest:{path}", lambda_proxy, methods=allowed)
    for prefix in routes or {}:
        app.add_url_rule(
            f"{prefix.rstrip('/')}/<path:rest>",
            f"function:{prefix}",
            lambda rest: lambda_proxy(),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        )
    return app


class WriterLockedError(RuntimeError):
    """Another process already delivers this spool into the lake."""


class PortInUseError(RuntimeError):
    """The port is taken (another ``make serve``, or another program)."""


def _json_errors(server: Any) -> None:
    """Answer what waitress rejects before the app (malformed request lines, oversized headers or
    bodies) as JSON like every other error, not waitress's text page."""
    import json

    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            reason = str(error.reason)
            body = json.dumps(
                {"error": reason.lower().replace(" ", "_"), "message": f"{reason}: {str(error.body)[:80]}"}
            ).encode()
            self.status = f"{error.code} {reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)
            requests_log.info("- (unparsed request) %s 0 ms", error.code)

    class JsonChannel(HTTPChannel):  # type: ignore[misc]
        error_task_class = JsonErrorTask

    server.channel_class = JsonChannel


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
    if not requests_log.handlers:
        handler_ = logging.StreamHandler(sys.stdout)
        handler_.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        requests_log.addHandler(handler_)
        requests_log.setLevel(logging.INFO)
        requests_log.propagate = False
    import waitress
    from waitress import wasyncore

    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool, social_lake_writer
    from audience.ingest.wiring import ports, social_ports
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
        social_spool = social_ports().sink
        assert isinstance(social_spool, LocalSpool)
        social_writer = social_lake_writer(
            social_spool,
            settings.lake_dir,
            buffer_records=settings.local_buffer_records,
            buffer_seconds=settings.local_buffer_seconds,
        )
        social_writer.recover()
        social_writer.start()

        try:
            server = waitress.create_server(
                create_app(settings, api_key, handler, {"/recommendations/": recommendations_handler}),
                host=host,
                port=port,
                threads=threads,
                max_request_body_size=API_GATEWAY_MAX_PAYLOAD + 1,
                ident="audience",
            )
        except OSError as exc:
            writer.stop()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(
                    f"port {port} on {host} is in use (another `make serve`?): stop it, "
                    f"or pick a free port: PORT={port + 10} make serve"
                ) from None
            raise
        _json_errors(server)
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
        files = f"{report.files} file" + ("" if report.files == 1 else "s")
        social = social_writer.stop()
        print(
            f"stopped; delivered the last {report.rows:,} buffered events to the lake on shutdown ({files}), "
            f"and {social.rows:,} social posts",
            flush=True,
        )
        sys.stdout.flush()
    return 0
