"""The user x content job at an earlier commit and at this tree, alternated in one run, against DuckDB.

``python -m bench.features_ab 7cd9a57 --rounds 2``: the commit's ``glue_jobs``, ``src``, ``schemas`` and
``data`` are extracted with ``git archive`` into a temporary folder, and each tree gets its own warm
local Glue job host (its own scripts, with the settings passed here: ``--before-conf`` gives the
commit's own where they differ). Per size and round: the job on each host, then the DuckDB peer;
wall and CPU seconds (the host's process tree with its JVM; DuckDB's threads), and the rows compared
with the peer. On a shared machine this is the before/after figure to read: both sides see the
same load.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from audience.features.adapters.local.glue import GlueJobHost
from audience.features.wiring import REFERENCE_DIR, run_features
from bench.duckdb_peer import user_content_features
from bench.features import AS_OF, mismatches, tree_cpu_seconds
from bench.lake import build_lake

ROOT = Path(__file__).resolve().parents[1]
JOB = ("user_content_features",)


def extract(commit: str, into: Path) -> Path:
    """The commit's job scripts, core package, schemas and reference data under ``into``."""
    archive = subprocess.run(
        ["git", "archive", commit, "glue_jobs", "src", "schemas", "data"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0] if Path("/proc/loadavg").exists() else "?"


def run(
    commit: str,
    sizes: tuple[int, ...] = (1_000_000, 4_000_000),
    rounds: int = 2,
    before_conf: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="features-ab-") as tmp:
        hosts = {"before": GlueJobHost(extract(commit, Path(tmp)), conf=before_conf), "after": GlueJobHost()}
        try:
            for host in hosts.values():
                host.start()
                for size in (50_000, *sizes):  # JVM and code warm-up, as the bench does
                    lake = build_lake(size, as_of=AS_OF)
                    run_features(lake, as_of=AS_OF, runner=host, progress=lambda _: None, jobs=JOB)
            for round_ in range(rounds):
                for size in sizes:
                    lake = build_lake(size, as_of=AS_OF)
                    row: dict[str, Any] = {"round": round_, "events": size, "load_before": _load()}
                    for name, host in hosts.items():
                        cpu = tree_cpu_seconds(host.pid)
                        [report] = run_features(
                            lake, as_of=AS_OF, runner=host, progress=lambda _: None, jobs=JOB
                        )
                        row[f"{name}_s"] = report.seconds
                        after = tree_cpu_seconds(host.pid)
                        row[f"{name}_cpu_s"] = None if cpu is None or after is None else after - cpu
                        out = Path(tempfile.mkdtemp(prefix="ab-duckdb-"))
                        started, cpu_started = time.perf_counter(), time.process_time()
                        user_content_features(lake, REFERENCE_DIR / "users.csv", AS_OF).write_parquet(
                            str(out / "part.parquet")
                        )
                        if name == "after":  # the peer's figure: the same query after each job
                            row["duckdb_s"] = time.perf_counter() - started
                            row["duckdb_cpu_s"] = time.process_time() - cpu_started
                        spark_dir = lake / "features" / "user_content_features" / f"as_of={AS_OF}"
                        row["rows"], row[f"{name}_rows_differing"] = mismatches(
                            spark_dir, out / "part.parquet"
                        )
                        shutil.rmtree(out, ignore_errors=True)
                    row["load_after"] = _load()
                    for name in hosts:
                        row[f"{name}_vs_duckdb"] = row[f"{name}_s"] / row["duckdb_s"]
                        if row[f"{name}_cpu_s"] is not None:
                            row[f"{name}_vs_duckdb_cpu"] = row[f"{name}_cpu_s"] / row["duckdb_cpu_s"]
                    rows.append(row)
                    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
        finally:
            for host in hosts.values():
                host.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("commit", help="the commit to compare against (e.g. the base of a branch)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", default="1000000,4000000", help="comma-separated event counts")
    parser.add_argument("--before-conf", default="{}", help="JSON Spark settings for the commit's host")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    run(args.commit, sizes, args.rounds, json.loads(args.before_conf))


if __name__ == "__main__":
    main()
