"""One worker of the local collector: the ingest handler behind waitress, on the supervisor's socket.

Started by :mod:`devhost.server` (``python -m <this module> --fd N``); never on its own. It
dies with the supervisor (``PR_SET_PDEATHSIG``), so a SIGKILLed server leaves no worker serving.
On SIGTERM it stops accepting, lets its in-flight requests finish (each bounded by its own deadline
and by the drain deadline: then 503), and exits.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

_PR_SET_PDEATHSIG = 1
_QUEUE_GRACE_SECONDS = 0.3  # on SIGTERM: time to take the connections already in the accept queue
# The HTTP loop's select() timeout, a backstop only: the loop is woken by its trigger on every event
# that matters (a request's end, the slot freed, the stop). Waitress reads it as an integer: 0.1
# became 0, a select() that never waited (half a core spinning even when idle).
LOOP_TIMEOUT_SECONDS = 1


def _die_with_parent(parent: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent-pid check below still applies
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _idle(server: Any) -> bool:
    """No request queued, running, or with response bytes still to send."""
    dispatcher = server.task_dispatcher
    with dispatcher.lock:
        if dispatcher.queue or dispatcher.active_count:
            return False
    return not any(
        getattr(channel, "requests", None)
        or getattr(channel, "request", None)
        or getattr(channel, "total_outbufs_len", 0)
        for channel in list(server._map.values())
        if channel is not server
    )


def _one_request_per_connection(server: Any) -> None:
    """Close each connection after its answer: the client's next request goes back to the shared
    accept queue, hence to an idle worker, instead of queueing behind this worker's invocation on a
    kept-alive connection. (WSGI apps may not send ``Connection``; the task decides it.)"""
    from waitress.channel import HTTPChannel
    from waitress.task import WSGITask

    class ClosingTask(WSGITask):  # type: ignore[misc]
        def build_response_header(self) -> Any:
            self.request.headers["CONNECTION"] = "close"
            return super().build_response_header()

    class ClosingChannel(HTTPChannel):  # type: ignore[misc]
        task_class = ClosingTask

    server.channel_class = ClosingChannel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--parent", type=int, required=True)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; it sends SIGTERM

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    import waitress
    from waitress import wasyncore

    from audience.core.settings import get_settings
    from devhost.apigw import API_GATEWAY_MAX_PAYLOAD
    from devhost.proxy import (
        InvocationSlot,
        StopClock,
        create_app,
        json_errors,
        log_requests,
        resolve_api_key,
    )
    from devhost.server import shutdown_budget
    from functions.ingest.app import handler
    from functions.recommendations.app import handler as recommendations_handler

    settings = get_settings()
    # A queued task is the design here (one invocation at a time), not a warning to log per request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    wake: list[Any] = []  # the loop's trigger, once the server exists

    class WakingSlot(InvocationSlot):
        """Wakes the HTTP loop when an invocation ends, so ``readable()`` (which accepts only while
        free) is asked again at once rather than at the loop's next timeout."""

        def _done(self, future: Any) -> None:
            super()._done(future)
            for pull in wake:
                pull()

    slot, clock = WakingSlot(), StopClock()
    sock = socket.socket(fileno=args.fd)
    server = waitress.create_server(
        create_app(
            settings,
            resolve_api_key(settings),
            handler,
            {"/recommendations/": recommendations_handler},
            slot=slot,
            clock=clock,
        ),
        sockets=[sock],
        threads=args.threads,
        connection_limit=4 * args.threads,
        asyncore_loop_timeout=LOOP_TIMEOUT_SECONDS,
        channel_timeout=30,
        max_request_body_size=API_GATEWAY_MAX_PAYLOAD + 1,
        ident="audience",
    )
    wake.append(server.pull_trigger)
    _one_request_per_connection(server)
    json_errors(server)
    log_requests()
    accepts = server.readable

    def free() -> bool:
        """No invocation running or queued, and no request being read: idle keep-alive or
        preconnected sockets (browsers open them) do not count."""
        if slot.busy():
            return False
        return not any(
            getattr(channel, "request", None) or getattr(channel, "requests", None)
            for channel in list(server._map.values())
        )

    draining = threading.Event()
    # Accept only while free: a busy worker leaves new connections in the shared accept queue for
    # an idle one (Lambda routes each request to a free instance). When the stop comes, connections
    # already queued are requests in flight: they are all taken, then the socket is closed.
    server.readable = lambda: accepts() and (draining.is_set() or free())
    loop = threading.Thread(target=server.run, name="http-loop", daemon=True)
    loop.start()
    while not stopping.wait(0.5):
        if not loop.is_alive() or os.getppid() != args.parent:
            break

    # Stop accepting; answer what was accepted (each invocation's wait is cut at the drain
    # deadline: 503), let the answers go out, then leave. Every wait here is bounded. Sockets are
    # closed by the loop's own thread (a trigger thunk): closing one under its select() would
    # kill the loop, and with it the answers still to be written.
    drain, _ = shutdown_budget(settings)
    deadline = time.monotonic() + max(0.0, drain - 0.5)
    clock.stop_by = deadline
    draining.set()
    server.pull_trigger()  # wake the loop: it re-reads readable() and takes the queue
    time.sleep(min(_QUEUE_GRACE_SECONDS, max(0.0, deadline - time.monotonic())))
    closed = threading.Event()

    def stop_listening() -> None:
        wasyncore.dispatcher.close(server)
        closed.set()

    server.trigger.pull_trigger(stop_listening)
    closed.wait(timeout=max(0.0, deadline - time.monotonic()))
    while time.monotonic() < deadline and not _idle(server):
        time.sleep(0.02)
    server.task_dispatcher.shutdown(cancel_pending=False, timeout=max(0.0, deadline - time.monotonic()))
    sys.stdout.flush()
    # The kernel closes the remaining sockets; an invocation stuck on a slow disk must not hold
    # the exit, and nothing it still does has been acknowledged.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
