"""The local serving store (SQLite, DynamoDB's role) and the stream cursor file (SSM's role)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from audience.core.sqlite import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    as_of TEXT NOT NULL,
    stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_as_of ON runs (as_of);
"""


class SqliteResultStore:
    """Implements :class:`~audience.influencers.ports.ResultStore`: one JSON document per run."""

    def __init__(self, path: Path) -> None:
        self.db = SqliteDatabase(path, _SCHEMA)

    def save_run(self, run: dict[str, Any]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, as_of, document) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET as_of = excluded.as_of, document = excluded.document",
                (run["run_id"], run["as_of"], json.dumps(run)),
            )

    def latest_run(self) -> dict[str, Any] | None:
        row = (
            self.db.connection()
            .execute("SELECT document FROM runs ORDER BY as_of DESC, stored_at DESC LIMIT 1")
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    def close(self) -> None:
        self.db.close()


class FileCursorStore:
    """Implements :class:`~audience.influencers.ports.CursorStore`: one small file per stream,
    replaced atomically so a crash leaves the previous cursor, never half a number."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.cursor"

    def load(self, name: str) -> int | None:
        path = self._path(name)
        if not path.exists():
            return None
        text = path.read_text().strip()
        return int(text) if text else None

    def save(self, name: str, cursor: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(name).with_suffix(".tmp")
        tmp.write_text(f"{cursor}\n")
        os.replace(tmp, self._path(name))
