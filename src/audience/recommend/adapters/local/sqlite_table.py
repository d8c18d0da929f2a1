"""The recommendations table on SQLite: one row per (user, variant), with DynamoDB's TTL semantics
(an expired row is never served, and is deleted on the next write)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from audience.recommend.ports import StoredList

SCHEMA = """
CREATE TABLE IF NOT EXISTS recommendations (
    user_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    items TEXT NOT NULL,
    scores TEXT NOT NULL,
    model TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    cold_start INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, variant)
) WITHOUT ROWID;
"""


class SqliteRecommendationTable:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._now = time.time
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def put_lists(self, lists: Sequence[StoredList], ttl_seconds: int) -> int:
        now = int(self._now())
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM recommendations WHERE expires_at <= ?", (now,))
            conn.executemany(
                "INSERT OR REPLACE INTO recommendations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.user_id,
                        s.variant,
                        json.dumps(s.items),
                        json.dumps(s.scores),
                        s.model,
                        s.generated_at,
                        int(s.cold_start),
                        now + ttl_seconds,
                    )
                    for s in lists
                ],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(lists)

    def get_list(self, user_id: str, variant: str) -> StoredList | None:
        row = (
            self._conn()
            .execute(
                "SELECT items, scores, model, generated_at, cold_start FROM recommendations "
                "WHERE user_id = ? AND variant = ? AND expires_at > ?",
                (user_id, variant, int(self._now())),
            )
            .fetchone()
        )
        if row is None:
            return None
        return StoredList(
            user_id, variant, json.loads(row[0]), json.loads(row[1]), row[2], row[3], bool(row[4])
        )

    def count(self, variant: str | None = None) -> int:
        sql = "SELECT count(*) FROM recommendations WHERE expires_at > ?"
        args: tuple[object, ...] = (int(self._now()),)
        if variant is not None:
            sql += " AND variant = ?"
            args += (variant,)
        return int(self._conn().execute(sql, args).fetchone()[0])
