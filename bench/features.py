"""Feature-job benchmark: the Glue scripts on local Spark against a DuckDB query, same lake, same run.

For each lake size, the user x content job runs on local Spark (`local[*]`, in the local Glue job
host the runner uses: one child process, one warm session, the scripts started as Glue starts them) and the same features are computed by one DuckDB query (``bench/duckdb_peer.py``),
both writing Parquet. The two outputs are compared row by row (every column), so the peer is
known to compute the same thing. The user and content jobs are timed too.

Besides wall time, each side's CPU time is taken (the job host's process tree, the JVM included,
from ``/proc``; DuckDB's threads in this process): on a shared machine the CPU ratio moves far less
than the wall-time ratio, since both sides wait for the same busy cores.
"""

from __future__ import annotations

import os
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


def tree_cpu_seconds(root: int | None) -> float | None:
    """User + system CPU seconds used so far by ``root`` and its live descendants (Linux ``/proc``)."""
    proc = Path("/proc")
    if root is None or not proc.is_dir():
        return None
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # from the state on: ppid, ..., utime, stime
        pid = int(stat.parent.name)
        parents[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(children)
        tree |= children
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def run(sizes: tuple[int, ...] = (1_000_000, 4_000_000), progress: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {"as_of": AS_OF.isoformat(), "sizes": {}}
    with glue_host() as host:
        warm = build_lake(50_000, as_of=AS_OF)
        run_features(warm, as_of=AS_OF, runner=host, progress=lambda _: None)  # JVM and code warm-up
        for size in sizes:
            progress(f"building a lake of {size:,} events (cached after the first run)")
            lake = build_lake(size, as_of=AS_OF)
            timings: dict[str, float] = {}
            cpu_before = tree_cpu_seconds(host.pid)
            for report in run_features(
                lake, as_of=AS_OF, runner=host, progress=lambda _: None, jobs=("user_content_features",)
            ):
                timings[report.job] = report.seconds
            cpu_after = tree_cpu_seconds(host.pid)
            for report in run_features(
                lake,
                as_of=AS_OF,
                runner=host,
                progress=lambda _: None,
                jobs=("user_features", "content_features"),
            ):
                timings[report.job] = report.seconds
            spark_out = lake / "features" / "user_content_features" / f"as_of={AS_OF.isoformat()}"

            out = Path(tempfile.mkdtemp(prefix="bench-duckdb-"))
            started, cpu_started = time.perf_counter(), time.process_time()
            user_content_features(lake, REFERENCE_DIR / "users.csv", AS_OF).write_parquet(
                str(out / "part.parquet")
            )
            duck_seconds = time.perf_counter() - started
            duck_cpu = time.process_time() - cpu_started
            spark_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
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
                "spark_user_content_cpu_s": spark_cpu,
                "duckdb_user_content_cpu_s": duck_cpu,
                "spark_vs_duckdb_cpu": None if spark_cpu is None else spark_cpu / duck_cpu,
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
