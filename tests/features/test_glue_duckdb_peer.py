"""The benchmark's DuckDB peer computes exactly what the user x content job computes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from audience.features.adapters.local.glue import REFERENCE_DIR, run_features
from bench.duckdb_peer import user_content_features
from bench.features import mismatches
from bench.lake import build_lake

AS_OF = date(2026, 11, 21)


def test_duckdb_peer_matches_the_spark_job_row_by_row(glue_runner: Any, tmp_path: Path) -> None:
    # GIVEN a generated lake of 20,000 events (with 1% retried duplicates) over the 28-day window
    lake = build_lake(20_000, as_of=AS_OF, cache=tmp_path)
    # WHEN the Glue job runs on local Spark and the DuckDB query runs on the same lake
    run_features(
        lake,
        REFERENCE_DIR,
        AS_OF,
        jobs=["user_content_features"],
        runner=glue_runner,
        progress=lambda _: None,
    )
    peer = tmp_path / "peer.parquet"
    user_content_features(lake, REFERENCE_DIR / "users.csv", AS_OF).write_parquet(str(peer))
    # THEN they agree on every row and column
    rows, differing = mismatches(lake / "features" / "user_content_features" / f"as_of={AS_OF}", peer)
    assert rows > 5_000
    assert differing == 0
