"""The online comparison's SQL on DuckDB over the local lake (Athena's role): the events' Parquet and
the served lists' JSON lines, both Hive-partitioned as in S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SERVED_COLUMNS = (
    "{recommendation_id: 'VARCHAR', user_id: 'VARCHAR', variant: 'VARCHAR', items: 'VARCHAR[]', "
    "served_at: 'VARCHAR', cold_start: 'BOOLEAN', source: 'VARCHAR', model: 'VARCHAR', experiment: 'VARCHAR'}"
)


class DuckDBOnlineQuery:
    def __init__(self, lake_dir: Path) -> None:
        self.lake = Path(lake_dir)

    def available(self) -> bool:
        return any((self.lake / "recommendations-served").glob("**/*.jsonl")) and any(
            (self.lake / "engagement-events").glob("**/*.parquet")
        )

    def run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        import duckdb

        con = duckdb.connect()
        try:
            events = str(self.lake / "engagement-events" / "**" / "*.parquet")
            served = str(self.lake / "recommendations-served" / "**" / "*.jsonl")
            con.execute(
                "CREATE VIEW engagement_events AS SELECT * FROM read_parquet("
                f"'{events}', hive_partitioning = true, union_by_name = true)"
            )
            con.execute(
                "CREATE VIEW recommendations_served AS SELECT * FROM read_json("
                f"'{served}', format = 'newline_delimited', columns = {SERVED_COLUMNS}, hive_partitioning = true)"
            )
            return con.execute(sql, params).fetchall()
        finally:
            con.close()
