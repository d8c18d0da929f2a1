"""SQLite connections shared by the local adapters: WAL, full fsync, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteDatabase:
    """A database file opened per thread. ``synchronous=FULL`` in WAL mode makes every commit durable
    before it returns, which is what lets the API acknowledge only what survives a SIGKILL."""

    def __init__(
        self,
        path: Path,
        schema: str,
        *,
        busy_timeout_seconds: float = 30.0,
        commit_delay_seconds: float = 0.0,
    ) -> None:
        """``busy_timeout_seconds`` bounds every wait for the write lock, in this process and across
        processes (the local collector's workers share one spool). ``commit_delay_seconds`` is the
        test-only slow-disk injection: SQLite fsyncs inside ``COMMIT``, out of Python's reach, so
        the delay is added there, while the write lock is held, as a slow fsync would hold it."""
        self.path = Path(path)
        self.busy_timeout = busy_timeout_seconds
        self.commit_delay = commit_delay_seconds
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Writers in this process queue on a lock that wakes the next one at once; SQLite's own
        # busy handler polls with sleeps of up to 100 ms, which showed as p99 latency spikes.
        self._write_lock = threading.Lock()
        self.connection().executescript(schema)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of failing to upgrade."""
        conn = self.connection()
        if not self._write_lock.acquire(timeout=self.busy_timeout):
            raise sqlite3.OperationalError(f"database is locked (waited {self.busy_timeout:g} s)")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                if self.commit_delay:
                    time.sleep(self.commit_delay)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT must not leave the connection wedged
                    conn.execute("ROLLBACK")
                raise
        finally:
            self._write_lock.release()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
