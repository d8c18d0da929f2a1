"""The local runner: the Glue job scripts' ``main`` functions, called in-process on one SparkSession.

Each job gets exactly the ``--name value`` arguments it gets on Glue (``glue_jobs/README.md``); only the
session is handed in, so the three jobs share one JVM instead of starting three.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Final

from audience.core.settings import find_project_root

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REFERENCE_DIR: Final = find_project_root() / "data"
"""The repository's reference tables (``content_catalog.csv``, ``users.csv``)."""

JOBS: Final = ("user_content_features", "user_features", "content_features")
"""The job scripts in ``glue_jobs/``, in the order they run."""

INSTALL_JAVA: Final = (
    "Spark needs a Java 17 runtime and `java` is not on PATH. Install it, e.g. "
    "`apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu; `make setup` does it as root) or "
    "`brew install openjdk@17` (macOS), or set JAVA_HOME."
)


class JavaMissingError(RuntimeError):
    """No Java runtime for Spark; the message says how to install one."""


def require_java(which: Callable[[str], str | None] = shutil.which) -> None:
    java_home = os.environ.get("JAVA_HOME")
    if which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").is_file()):
        raise JavaMissingError(INSTALL_JAVA)


def resolve_as_of(value: str | date | None, today: date | None = None) -> date:
    """``None``/``today`` is today's UTC date (the demo's events end now, inside that day's window);
    ``yesterday`` the day before; else ``YYYY-MM-DD``."""
    if isinstance(value, date):
        return value
    current = today or datetime.now(UTC).date()
    if value in (None, "today"):
        return current
    if value == "yesterday":
        return current - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of must be YYYY-MM-DD, 'today' or 'yesterday', not {value!r}") from None


@dataclass
class JobReport:
    job: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _job_module(name: str) -> ModuleType:
    from glue_jobs import content_features, user_content_features, user_features

    modules = {m.JOB: m for m in (user_content_features, user_features, content_features)}
    if name not in modules:
        raise ValueError(f"unknown job {name!r}; jobs: {', '.join(JOBS)}")
    return modules[name]


def local_spark_conf(cores: int | None = None) -> dict[str, str]:
    """SQL settings for Spark on one machine, applied to the local session only, never in the scripts.

    Glue sizes its own cluster (the scripts set only what every run needs: UTC, timestamp type); a
    laptop or a 2-core CI box needs the opposite of Spark's cluster defaults:

    * few shuffle partitions (2 per core, not 200), which adaptive execution coalesces further
      towards 64 MiB each, never below one per core;
    * large file splits, and small files packed together (the lake holds many small Parquet files,
      one per delivery), so a scan is a few tasks rather than one per file;
    * reference tables broadcast rather than shuffled (they are a few MiB).
    """
    partitions = 2 * (cores or os.cpu_count() or 2)
    return {
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # parallelismFirst stays Spark's default (true): coalescing never drops below the cores.
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": "64m",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.files.maxPartitionBytes": "256m",
        "spark.sql.files.openCostInBytes": "1m",
        "spark.sql.autoBroadcastJoinThreshold": "64m",
    }


def apply_local_conf(spark: SparkSession, overrides: dict[str, str] | None = None) -> SparkSession:
    """Set :func:`local_spark_conf` (and ``overrides``) on a local session; returns it."""
    for key, value in {**local_spark_conf(), **(overrides or {})}.items():
        spark.conf.set(key, value)
    return spark


def local_spark() -> SparkSession:
    """One session for all jobs: local[*], 2 GiB driver, UTC, quiet logs, :func:`local_spark_conf`."""
    from glue_jobs.features_lib.io import local_session

    conf = local_spark_conf()
    session = local_session(
        "audience-features",
        master="local[*]",
        driver_memory="2g",
        shuffle_partitions=int(conf["spark.sql.shuffle.partitions"]),
    )
    return apply_local_conf(session)


def data_quality_error() -> type[Exception]:
    """The scripts' data-quality failure (a job's checks failed and it wrote nothing), for callers to catch."""
    from glue_jobs.features_lib.quality import DataQualityError

    return DataQualityError


def run_features(
    lake_dir: Path,
    reference_dir: Path = REFERENCE_DIR,
    as_of: str | date | None = None,
    *,
    jobs: Sequence[str] = JOBS,
    options: dict[str, str] | None = None,
    spark: SparkSession | None = None,
    progress: Callable[[str], None] = print,
) -> list[JobReport]:
    """Run the jobs for ``as_of`` over ``lake_dir`` (``engagement-events/`` in, ``features/`` out).

    ``options`` adds job arguments (``{"lookback_days": "14"}``). With no ``spark``, a local session
    is started and stopped at the end. Raises :class:`JavaMissingError` first if Java is missing, and
    ``DataQualityError`` (from ``glue_jobs.features_lib.quality``) when a job's checks fail: that
    job wrote nothing.
    """
    modules = [_job_module(name) for name in jobs]
    day = resolve_as_of(as_of)
    argv = ["--lake_path", str(lake_dir), "--reference_path", str(reference_dir), "--as_of", day.isoformat()]
    for name, value in (options or {}).items():
        argv += [f"--{name}", value]
    own_session = spark is None
    if own_session:
        require_java()
        progress("starting a local Spark session")
    session = spark or local_spark()
    reports = []
    try:
        for module in modules:
            started = time.perf_counter()
            rows = module.main([f"{module.JOB}.py", *argv], spark=session)
            report = JobReport(module.JOB, rows, time.perf_counter() - started)
            reports.append(report)
            written = ", ".join(f"{table} {count:,} rows" for table, count in rows.items())
            progress(f"{module.JOB} (as_of={day}): {written} in {report.seconds:.1f} s")
    finally:
        if own_session:
            session.stop()
    return reports
