"""The local API: the Lambda handler behind a real HTTP server, as a concurrent collector.

Shaped like Lambda (docs/local-collector.md): a supervisor process holds the spool's writer lock,
binds the port, runs the lake writer, and starts worker processes that share the listening socket.
Each worker runs the very same handler alone, one invocation at a time (Powertools' resolver keeps
the current event in shared state), and accepts a connection only while its invocation slot is
free, so the kernel's accept queue hands each request to an idle worker. All workers commit to the
one SQLite spool (WAL, ``synchronous=FULL``, bounded busy timeout) before answering 2xx.

Shutdown has one deadline (``AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS``, 25 s): stop accepting, let
in-flight requests finish, deliver what can be delivered, exit 0 and say what stays spooled. No
wait on the way is unbounded. A SIGKILL loses nothing acknowledged either: the workers die with
the supervisor (``PR_SET_PDEATHSIG``) and the next start delivers the spool.

The app each worker serves (the handlers behind Flask, the API key, the invocation slot) is
:mod:`devhost.proxy`; this module holds the processes, the port, the spool's writer and the shutdown.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from audience.core.settings import Settings
from devhost.proxy import resolve_api_key

if TYPE_CHECKING:
    from audience.ingest.adapters.local.spool import FlushReport

log = logging.getLogger("audience.server")


class WriterLockedError(RuntimeError):
    """Another process already delivers this spool into the lake."""


class PortInUseError(RuntimeError):
    """The port is taken (another ``make serve``, or another program)."""


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


def deliver_spool(settings: Settings) -> FlushReport:
    """Deliver everything in the spools now, when no server runs (``audience flush``, the demo after
    its server stopped): the engagement events' report (the social posts' spool is delivered too)."""
    return deliver_spools(settings)[0]


def deliver_spools(settings: Settings) -> tuple[FlushReport, FlushReport]:
    """Both spools (engagement events, social posts) into the lake. Unbounded by design: it is asked
    for explicitly, and shows progress in files."""
    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool, social_lake_writer
    from audience.ingest.wiring import build_ports, social_ports

    with writer_lock(settings):
        spool = build_ports(settings).sink
        assert isinstance(spool, LocalSpool), "the local spool needs the local backend"
        writer = LakeWriter(spool, settings.lake_dir, buffer_records=settings.local_buffer_records)
        writer.sweep()
        events = writer.flush(force=True)
        social_spool = social_ports().sink
        assert isinstance(social_spool, LocalSpool)
        social = social_lake_writer(social_spool, settings.lake_dir)
        social.sweep()
        return events, social.flush(force=True)


def worker_count(settings: Settings, requested: int | None = None) -> int:
    if requested:
        return requested
    if settings.local_workers:
        return settings.local_workers
    return max(2, os.cpu_count() or 1)


def shutdown_budget(settings: Settings) -> tuple[float, float]:
    """(drain, total) seconds: workers get ``drain`` to finish in-flight requests; the lake writer,
    delivering all along, has until ``total``. The last part of the budget is kept for delivery."""
    total = settings.shutdown_timeout_seconds
    return max(0.0, total - min(5.0, 0.2 * total)), total


class _Workers:
    """The handler processes: started on the shared socket, restarted if one dies while serving."""

    def __init__(self, sock: socket.socket, count: int, threads: int) -> None:
        self.sock = sock
        self.count = count
        self.threads = threads
        self.procs: list[subprocess.Popen[bytes]] = []
        self.crashes = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        from devhost import worker

        fd = self.sock.fileno()
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                worker.__name__,
                "--fd",
                str(fd),
                "--threads",
                str(self.threads),
                "--parent",
                str(os.getpid()),
            ],
            pass_fds=(fd,),
            process_group=0,  # a terminal's Ctrl-C reaches the supervisor only, which then stops them
        )

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.count)]

    def replace_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            code = proc.poll()
            if code is not None:
                self.crashes += 1
                print(f"worker {proc.pid} exited with {code}; starting another", flush=True)
                if self.crashes > 3 * self.count:
                    raise RuntimeError("workers keep dying; see their output above")
                self.procs[i] = self._spawn()

    def stop(self, deadline: float) -> int:
        """SIGTERM each (they drain on their own), SIGKILL whoever is still there at ``deadline``.
        Returns how many had to be killed (their unanswered requests were never acknowledged)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        killed = 0
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                killed += 1
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1)
        return killed


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 4,
    workers: int | None = None,
) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from audience.core.objectstore.adapters.local import slow_fsync
    from audience.ingest.adapters.local.spool import LakeWriter, LocalSpool, social_lake_writer
    from audience.ingest.wiring import build_ports, social_ports

    resolve_api_key(settings)  # generated once here, read by every worker
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with writer_lock(settings):
        spool = build_ports(settings).sink
        assert isinstance(spool, LocalSpool), "the local server runs on the local backend"
        delay = settings.test_fsync_delay_seconds
        writer = LakeWriter(
            spool,
            settings.lake_dir,
            buffer_records=settings.local_buffer_records,
            buffer_seconds=settings.local_buffer_seconds,
            fsync=slow_fsync(delay) if delay else os.fsync,
            on_recovered=lambda r: print(
                f"recovered {r.rows} spooled events from an interrupted delivery", flush=True
            ),
        )
        social_spool = social_ports().sink
        assert isinstance(social_spool, LocalSpool), "the local server runs on the local backend"
        social_writer = social_lake_writer(
            social_spool,
            settings.lake_dir,
            buffer_records=settings.local_buffer_records,
            buffer_seconds=settings.local_buffer_seconds,
            fsync=slow_fsync(delay) if delay else os.fsync,
        )
        try:
            sock = socket.create_server((host, port), backlog=1024)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(
                    f"port {port} on {host} is in use (another `make serve`?): stop it, "
                    f"or pick a free port: PORT={port + 10} make serve"
                ) from None
            raise
        sock.set_inheritable(True)
        pool = _Workers(sock, worker_count(settings, workers), threads)
        pool.start()
        unfinished = writer.unfinished()
        if unfinished:
            print(f"recovering {unfinished} events of an interrupted delivery", flush=True)
        writer.start()
        social_writer.start()
        print(
            f"audience API on http://{host}:{sock.getsockname()[1]} ({pool.count} workers; "
            f"lake: {Path(settings.lake_dir)}); pending in spool: {spool.pending()}",
            flush=True,
        )
        try:
            while not stopping.wait(0.2):
                pool.replace_dead()
        except RuntimeError as exc:
            print(str(exc), flush=True)
            stopping.set()

        started = time.monotonic()
        drain, total = shutdown_budget(settings)
        deadline = started + total
        print(f"stopping: draining requests, then delivering; deadline {total:g} s", flush=True)
        writer.request_stop(deadline)  # deliver everything from now on, in parallel with the drain
        social_writer.request_stop(deadline)
        sock.close()  # the workers' copies stop accepting when they get SIGTERM
        killed = pool.stop(started + drain)
        drained = time.monotonic() - started
        report = writer.stop(deadline)
        social = social_writer.stop(deadline)
        took = time.monotonic() - started
        note = f", {killed} workers killed at the drain deadline" if killed else ""
        cut = ", a file in progress left for the next start" if report.abandoned else ""
        files = f"{report.files} file" + ("" if report.files == 1 else "s")
        print(
            f"stopped; delivered the last {report.rows:,} buffered events to the lake on shutdown "
            f"({files}); {report.pending:,} stay spooled for the next start (took {took:.1f} s of "
            f"the {total:g} s deadline: requests drained in {drained:.1f} s{note}{cut}); "
            f"{social.rows:,} social posts delivered, {social.pending:,} spooled",
            flush=True,
        )
        if report.abandoned or social.abandoned:
            # The writer thread is inside a file write past the deadline. Its range stays recorded
            # and the next start writes it again under the same name; exit now, as promised.
            sys.stdout.flush()
            os._exit(0)
    return 0
