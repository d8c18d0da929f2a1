"""SQL over the local Parquet lake with DuckDB, under the Glue tables' names.

Each lake table becomes a view over its Hive-partitioned folder, so the queries written for Athena
run unchanged. Partition columns stay strings (``hive_types_autocast=false``), as in Glue. A view
is created once its folder holds Parquet, so a table another stage has not produced yet is simply
"not available". The session time zone is UTC, like Athena's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import duckdb

from audience.insights.ports import LakeQueryError, Param, Row

TABLE_PREFIXES: Final = {
    "engagement_events": "engagement-events",
    "user_content_features": "features/user_content_features",
    "user_features": "features/user_features",
    "content_features": "features/content_features",
    "content_daily": "features/content_daily",
    "content_hourly": "features/content_hourly",
    "churn_scores": "predictions/churn_scores",
    "engagement_scores": "predictions/engagement_scores",
    "segment_assignments": "segments/assignments",
}
"""Glue table name -> lake prefix (the agreed layout; identical in the S3 lake bucket)."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBLakeQuery:
    """Implements :class:`~audience.insights.ports.LakeQuery` on one in-process DuckDB connection.

    DuckDB connections are not thread-safe; the local server answers one request at a time and the
    lock keeps it so for any other caller.
    """

    def __init__(self, lake_dir: Path) -> None:
        self.lake_dir = lake_dir
        self._con = duckdb.connect()
        self._con.execute("SET TimeZone = 'UTC'")
        self._views: set[str] = set()
        self._lock = threading.Lock()

    def _has_files(self, table: str) -> bool:
        folder = self.lake_dir / TABLE_PREFIXES[table]
        return folder.is_dir() and next(folder.rglob("*.parquet"), None) is not None

    def available(self, table: str) -> bool:
        if table not in TABLE_PREFIXES:
            return False
        with self._lock:
            return self._ensure(table)

    def _ensure(self, table: str) -> bool:
        if table in self._views:
            return True
        if not self._has_files(table):
            return False
        # The path comes from settings, never from a caller; it is quoted as a literal all the same.
        glob = _literal(f"{self.lake_dir / TABLE_PREFIXES[table]}/**/*.parquet")
        self._con.execute(
            f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM read_parquet({glob}, '
            "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
        )
        self._views.add(table)
        return True

    def run(self, sql: str, params: Sequence[Param]) -> list[Row]:
        with self._lock:
            for table in TABLE_PREFIXES:
                self._ensure(table)
            try:
                cursor = self._con.execute(sql, list(params))
                names = [d[0] for d in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            except duckdb.Error as exc:
                raise LakeQueryError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._con.close()
