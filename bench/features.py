"""Feature-job benchmark: the Glue scripts on local Spark against a DuckDB query, same lake, same run.

For each lake size, the user x content job runs on local Spark (`local[*]`, in the local Glue job
host the runner uses: one child process, one warm session, the scripts started as Glue starts them) and the same features are computed by one DuckDB query (``bench/duckdb_peer.py``),
both writing Parquet. The two outputs are compared row by row (every column), so the peer is
known to compute the same thing. The user and content jobs are timed too.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from audience.features.wiring import REFERENCE_DIR, glue_host, run_features
from bench.duckdb_peer import user_content_features
from bench.lake import build_lake
from schemas.features import UserContentFeatures

AS_OF = date(2026, 11, 21)
KEYS = ("user_id", "content_id")


def mismatches(spark_dir: Path, duck_file: Path) -> tuple[int, int]:
    """(rows, rows that differ): a full outer join on the keys, every column compared (doubles to 1e-9)."""
    columns = UserContentFeatures.model_fields
    conditions = []
    for name, field in columns.items():
        if name in KEYS:
            continue
        if "float" in str(field.annotation):
            conditions.append(f"abs(coalesce(s.{name}, -1) - coalesce(d.{name}, -1)) > 1e-9")
        else:
            conditions.append(f"s.{name} IS DISTINCT FROM d.{name}")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW s AS SELECT * FROM read_parquet('{spark_dir}/**/*.parquet')")
    con.execute(f"CREATE VIEW d AS SELECT * FROM read_parquet('{duck_file}')")
    rows = con.sql("SELECT count(*) FROM s").fetchone()
    differ = con.sql(
        "SELECT count(*) FROM s FULL OUTER JOIN d USING (user_id, content_id) "
        f"WHERE s.user_id IS NULL OR d.user_id IS NULL OR {' OR '.join(conditions)}"
    ).fetchone()
    assert rows is not None and differ is not None
    return int(rows[0]), int(differ[0])


def run(sizes: tuple[int, ...] = (1_000_000, 4_000_000), progress: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {"as_of": AS_OF.isoformat(), "sizes": {}}
    with glue_host() as host:
        warm = build_lake(50_000, as_of=AS_OF)
        run_features(warm, as_of=AS_OF, runner=host, progress=lambda _: None)  # JVM and code warm-up
        for size in sizes:
            progress(f"building a lake of {size:,} events (cached after the first run)")
            lake = build_lake(size, as_of=AS_OF)
            timings: dict[str, float] = {}
            for report in run_features(lake, as_of=AS_OF, runner=host, progress=lambda _: None):
                timings[report.job] = report.seconds
            spark_out = lake / "features" / "user_content_features" / f"as_of={AS_OF.isoformat()}"

            out = Path(tempfile.mkdtemp(prefix="bench-duckdb-"))
            started = time.perf_counter()
            user_content_features(lake, REFERENCE_DIR / "users.csv", AS_OF).write_parquet(
                str(out / "part.parquet")
            )
            duck_seconds = time.perf_counter() - started
            rows, differ = mismatches(spark_out, out / "part.parquet")
            shutil.rmtree(out, ignore_errors=True)

            results["sizes"][size] = {
                "spark_user_content_s": timings["user_content_features"],
                "spark_user_s": timings["user_features"],
                "spark_content_s": timings["content_features"],
                "spark_user_content_events_per_s": size / timings["user_content_features"],
                "duckdb_user_content_s": duck_seconds,
                "duckdb_user_content_events_per_s": size / duck_seconds,
                "spark_vs_duckdb": timings["user_content_features"] / duck_seconds,
                "rows": rows,
                "rows_differing": differ,
            }
            progress(f"{size:,} events: {results['sizes'][size]}")
    first, last = sizes[0], sizes[-1]
    if first != last:
        a, b = results["sizes"][first], results["sizes"][last]
        results["growth"] = {
            "size_ratio": last / first,
            "spark_time_ratio": b["spark_user_content_s"] / a["spark_user_content_s"],
            "duckdb_time_ratio": b["duckdb_user_content_s"] / a["duckdb_user_content_s"],
        }
    return results
