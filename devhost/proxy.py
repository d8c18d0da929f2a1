"""The app one collector worker serves: the Lambda handlers behind Flask, one invocation at a time.

:func:`create_app` turns each HTTP request into an API Gateway proxy event (:mod:`devhost.apigw`),
checks the API key where the route needs one, runs the handler in the worker's single
:class:`InvocationSlot` (a Lambda instance runs one invocation at a time) and answers within the
request's deadline, shortened by SIGTERM through :class:`StopClock`. Started by
:mod:`devhost.worker`; the processes, the port, the spool and the shutdown are
:mod:`devhost.server`'s.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
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
    tmp = path.with_name(f".api_key.{os.getpid()}")
    tmp.write_text(key + "\n")
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # first writer wins, whichever process generated its key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(f'{{"message": "{message}"}}', status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class InvocationSlot:
    """One Lambda instance: invocations run one at a time on one thread; a caller waits for its
    answer only until its own deadline (the handler then runs on, its answer dropped: the client
    got a 503 and retries the same request, which event ids make idempotent)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="invoke")
        self._lock = threading.Lock()
        self._outstanding = 0

    def busy(self) -> bool:
        with self._lock:
            return self._outstanding > 0

    def _done(self, _: Future[dict[str, Any]]) -> None:
        with self._lock:
            self._outstanding -= 1

    def invoke(self, handler: Handler, event: dict[str, Any], context: Any, wait: Callable[[], float]) -> Any:
        """``wait()`` gives the seconds still allowed (re-read, so a shutdown can shorten it).
        Returns the handler's result, or ``None`` when the deadline came first."""
        with self._lock:
            self._outstanding += 1
        future = self._executor.submit(handler, event, context)
        future.add_done_callback(self._done)
        while True:
            remaining = wait()
            try:
                return future.result(timeout=max(0.0, min(remaining, 0.25)))
            except FutureTimeout:
                if remaining <= 0.25:
                    future.cancel()  # not started yet: it never will be
                    return None


@dataclass
class StopClock:
    """When this worker must have answered everything (set by SIGTERM), as ``time.monotonic()``."""

    stop_by: float | None = None


def create_app(
    settings: Settings,
    api_key: str,
    handler: Handler,
    routes: dict[str, Handler] | None = None,
    slot: InvocationSlot | None = None,
    clock: StopClock | None = None,
) -> Flask:
    """The web app (pages and their JSON APIs) plus the API Gateway routes of the functions.

    Only the routes API Gateway sends to the ingest function (``apigw.ROUTES``) reach ``handler``;
    ``routes`` maps a path prefix to the handler of another function (as API Gateway routes each
    resource to its Lambda); all of them run in this worker's one invocation slot. Any other path or method is answered by the web app: a page, its API,
    or a JSON 404/405. Each request is logged once (method, path without the query, status, ms).
    """
    app = Flask("audience")
    slot = slot or InvocationSlot()
    clock = clock or StopClock()
    timeout = settings.local_request_timeout_seconds
    retry_after = str(settings.retry_after_seconds)

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
        deadline = time.monotonic() + timeout
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
        context = LocalContext(aws_request_id=event["requestContext"]["requestId"], deadline=deadline)

        def time_left() -> float:
            until = deadline if clock.stop_by is None else min(deadline, clock.stop_by)
            return until - time.monotonic()

        target = next((h for prefix, h in (routes or {}).items() if route.startswith(prefix)), handler)
        result = slot.invoke(target, event, context, time_left)
        if result is None:
            # The disk (or a queue of requests) is slower than this request's deadline: nothing is
            # acknowledged; whatever the handler still commits is a duplicate on the client's retry.
            return _json(
                503,
                "Service Unavailable: storage is slow; retry the same request",
                {"Retry-After": retry_after},
            )
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


def json_errors(server: Any) -> None:
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


def log_requests() -> None:
    """One line per request on stdout (method, path without the query, status, ms)."""
    if not requests_log.handlers:
        handler_ = logging.StreamHandler(sys.stdout)
        handler_.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        requests_log.addHandler(handler_)
        requests_log.setLevel(logging.INFO)
        requests_log.propagate = False
