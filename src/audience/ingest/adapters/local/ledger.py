"""Exactly-once memory of social posts by ``platform:post_id`` in SQLite (the DynamoDB ledger's role)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.claims import ClaimLog
from audience.ingest.ports import LakeRow


class SqliteIdLedger:
    """Implements :class:`~audience.ingest.ports.IdLedger`: claims keys atomically; a claimed key is new."""

    def __init__(self, path: Path, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.db = SqliteDatabase(path, "")
        self.claims = ClaimLog(self.db, legacy=("seen", "key"))
        self.ttl = ttl_seconds
        self.clock = clock

    def known(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        return self.claims.known(event_ids, self.clock())

    def apply(self, records: Sequence[LakeRow]) -> set[str]:
        if not records:
            return set()
        now = self.clock()
        with self.db.transaction() as conn:
            return set(self.claims.claim(conn, [r.event_id for r in records], now, self.ttl))

    def close(self) -> None:
        self.db.close()
