"""Exactly-once memory of social posts by ``platform:post_id`` in SQLite (the DynamoDB ledger's role)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from audience.core.sqlite import SqliteDatabase
from audience.ingest.ports import LakeRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_expiry ON seen (expires_at);
"""
_CLAIM = (
    "INSERT INTO seen (key, expires_at) SELECT value, ? FROM json_each(?) WHERE true "
    "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at < ? "
    "RETURNING key"
)


class SqliteIdLedger:
    """Implements :class:`~audience.ingest.ports.IdLedger`: claims keys atomically; a claimed key is new."""

    def __init__(self, path: Path, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.db = SqliteDatabase(path, _SCHEMA)
        self.ttl = ttl_seconds
        self.clock = clock

    def known(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        rows = self.db.connection().execute(
            "SELECT key FROM seen WHERE expires_at >= ? AND key IN (SELECT value FROM json_each(?))",
            (self.clock(), json.dumps(list(dict.fromkeys(event_ids)))),
        )
        return {r[0] for r in rows}

    def apply(self, records: Sequence[LakeRow]) -> set[str]:
        if not records:
            return set()
        now = self.clock()
        with self.db.transaction() as conn:
            keys = json.dumps([r.event_id for r in records])
            return {row[0] for row in conn.execute(_CLAIM, (now + self.ttl, keys, now)).fetchall()}

    def close(self) -> None:
        self.db.close()
