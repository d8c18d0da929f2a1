"""The backfill's local adapters: the folder lake it writes, and its SQLite journal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import duckdb
import pyarrow.json as pj
import pyarrow.parquet as pq

from audience.core.objectstore.adapters.local import atomic_write
from audience.core.sqlite import SqliteDatabase
from audience.ingest.adapters.local.spool import EVENTS_PREFIX, lake_schema
from schemas.engagement import LakeRecord


class FolderBackfillLake:
    """The local lake folder: Parquet with the Glue table's schema, in ``year=/month=/day=`` partitions."""

    def __init__(self, lake_dir: Path) -> None:
        self.lake_dir = Path(lake_dir)
        self.schema = lake_schema()

    def _partition(self, day: date) -> str:
        return f"{EVENTS_PREFIX}/year={day:%Y}/month={day:%m}/day={day:%d}"

    def existing_ids(self, first_day: date, last_day: date) -> set[str]:
        files: list[str] = []
        day = first_day
        while day <= last_day:
            folder = self.lake_dir / self._partition(day)
            if folder.is_dir():
                files.extend(str(p) for p in sorted(folder.glob("*.parquet")))
            day += timedelta(days=1)
        if not files:
            return set()
        with duckdb.connect() as con:
            rows = con.execute("SELECT DISTINCT event_id FROM read_parquet(?)", [files]).fetchall()
        return {str(r[0]) for r in rows}

    def event_key(self, day: date, name: str) -> str:
        return f"{self._partition(day)}/{name}"

    def write_events(self, day: date, name: str, records: Sequence[LakeRecord]) -> str:
        # The same conversion as the local Firehose: the JSON lines Firehose would get, parsed against
        # the Glue table's schema (an unknown field is an error).
        table = pj.read_json(
            BytesIO("".join(r.to_json_line() for r in records).encode()),
            parse_options=pj.ParseOptions(explicit_schema=self.schema, unexpected_field_behavior="error"),
        )
        buffer = BytesIO()
        pq.write_table(table, buffer, compression="snappy")
        key = self.event_key(day, name)
        atomic_write(self.lake_dir / key, buffer.getvalue())
        return key

    def write_quarantine(self, key: str, body: bytes) -> str:
        atomic_write(self.lake_dir / key, body)
        return key

    def remove(self, keys: Sequence[str]) -> None:
        root = self.lake_dir.resolve()
        for key in keys:
            path = (root / key).resolve()
            if path.is_relative_to(root):
                path.unlink(missing_ok=True)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    file_key TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('begun', 'done')),
    objects TEXT NOT NULL,
    stats TEXT,
    PRIMARY KEY (file_key, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_content (content_id TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class SqliteBackfillJournal:
    """The write-ahead journal of imports (``state/backfill.db``): WAL, fsynced commits."""

    def __init__(self, path: Path) -> None:
        self.db = SqliteDatabase(path, _SCHEMA)

    def unfinished(self) -> list[tuple[str, int, list[str]]]:
        rows = self.db.connection().execute(
            "SELECT file_key, chunk, objects FROM chunks WHERE state = 'begun' ORDER BY file_key, chunk"
        )
        return [(str(k), int(c), list(json.loads(o))) for k, c, o in rows]

    def abandon(self, file_key: str, chunk: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM chunks WHERE file_key = ? AND chunk = ? AND state = 'begun'", (file_key, chunk)
            )

    def done(self, file_key: str) -> set[int]:
        rows = self.db.connection().execute(
            "SELECT chunk FROM chunks WHERE file_key = ? AND state = 'done'", (file_key,)
        )
        return {int(r[0]) for r in rows}

    def begin(self, file_key: str, chunk: int, keys: Sequence[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO chunks (file_key, chunk, state, objects) VALUES (?, ?, 'begun', ?)",
                (file_key, chunk, json.dumps(list(keys))),
            )

    def finish(self, file_key: str, chunk: int, stats: dict[str, int], content_ids: Sequence[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE chunks SET state = 'done', stats = ? WHERE file_key = ? AND chunk = ?",
                (json.dumps(stats), file_key, chunk),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO pending_content (content_id) VALUES (?)", [(c,) for c in content_ids]
            )

    def pending_content(self) -> list[str]:
        rows = self.db.connection().execute("SELECT content_id FROM pending_content ORDER BY content_id")
        return [str(r[0]) for r in rows]

    def clear_content(self, content_ids: Sequence[str]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("DELETE FROM pending_content WHERE content_id = ?", [(c,) for c in content_ids])

    def close(self) -> None:
        self.db.close()
