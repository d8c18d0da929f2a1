"""Sessions, reading the lake and the reference tables, and writing feature partitions.

The only module that touches storage; the transformations in :mod:`.transforms` take and return
DataFrames. Paths are local directories or ``s3://`` URIs alike (Hadoop's filesystem API in both).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.features_lib.contract import lake_ddl

log = logging.getLogger("features")

EVENTS_PREFIX = "engagement-events"

_LOCAL_LOG_CONFIG = Path(__file__).with_name("log4j2-local.properties")

SESSION_CONF: dict[str, str] = {
    # Hour-of-day, dates and timestamp literals are UTC, as on Glue.
    "spark.sql.session.timeZone": "UTC",
    # int64 microseconds rather than the legacy INT96: read alike by Athena, DuckDB and pyarrow.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
"""SQL settings every job sets on its session, on Glue and locally."""


def configure_logging() -> None:
    """For a script's ``__main__``: the jobs' INFO lines, py4j's chatter only from WARNING."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("py4j").setLevel(logging.WARNING)


def local_session(
    app_name: str = "audience-features",
    *,
    master: str = "local[*]",
    driver_memory: str = "2g",
    shuffle_partitions: int = 8,
) -> SparkSession:
    """A plain local SparkSession for the jobs (modest settings for a small machine, quiet logs).

    Python workers run this very interpreter: PySpark would otherwise start whatever ``python3`` is
    first on PATH, which need not be the driver's minor version (PySpark refuses the mix)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # read when the SparkContext starts
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOCAL_LOG_CONFIG.as_uri()}")
    )
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass
class JobSession:
    spark: SparkSession
    glue_job: Any = None
    """``awsglue.job.Job`` when running on Glue."""


@contextmanager
def job_session(
    app_name: str, job_name: str | None, spark: SparkSession | None = None
) -> Iterator[JobSession]:
    """The session a job runs in: the one given (tests), Glue's, the process's active one, or a new local one.

    On Glue, the ``Job`` is committed when the block ends without an error. Elsewhere a session that
    is already active in this process is reused as it is: the local Glue job host keeps one warm
    session (with its one-machine settings) for a batch of job runs, as a Glue worker keeps its JVM.
    """
    if spark is not None:
        for key, value in SESSION_CONF.items():
            spark.conf.set(key, value)
        yield JobSession(spark)
        return
    try:
        from awsglue.context import GlueContext  # type: ignore[import-not-found,unused-ignore]
        from awsglue.job import Job  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        local = SparkSession.getActiveSession() or local_session(app_name)
        for key, value in SESSION_CONF.items():
            local.conf.set(key, value)
        yield JobSession(local)
        return
    from pyspark.context import SparkContext

    glue_context = GlueContext(SparkContext.getOrCreate())
    session: SparkSession = glue_context.spark_session
    for key, value in SESSION_CONF.items():
        session.conf.set(key, value)
    job = Job(glue_context)
    job.init(job_name or app_name, {})
    yield JobSession(session, job)
    job.commit()


OUTCOME_KEY = "glue_job"
"""The key of a job's outcome line on stdout (CloudWatch's ``output`` log on Glue)."""


def run_job(job: str, main: Callable[[], Mapping[str, int]]) -> None:
    """A script's ``__main__``: run ``main`` and print its outcome as one JSON line on stdout.

    ``{"glue_job": ..., "status": "SUCCEEDED", "rows": {table: rows}}``, or ``"FAILED"`` with the
    error's class, its message and (for a data-quality failure) each failed check; a failure is then
    raised again, so the run fails (a non-zero exit; on Glue, the job run's ``ErrorMessage``). The
    line is what a caller reads: on AWS from the job's output log, locally from the process.
    """
    configure_logging()
    try:
        rows = dict(main())
    except Exception as error:
        failed: dict[str, Any] = {
            OUTCOME_KEY: job,
            "status": "FAILED",
            "error": type(error).__name__,
            "message": str(error),
        }
        failures = getattr(error, "failures", None)
        if isinstance(failures, list):
            failed["failures"] = [str(f) for f in failures]
        print(json.dumps(failed), flush=True)
        raise
    print(json.dumps({OUTCOME_KEY: job, "status": "SUCCEEDED", "rows": rows}), flush=True)


@contextmanager
def persisting() -> Iterator[Callable[[DataFrame], DataFrame]]:
    """``keep(df)`` persists a frame until the block ends.

    Unpersisting matters when one session runs several jobs (the local runner, the tests): Spark finds
    cached data by plan, and a later run over the same paths would otherwise read the stale cache.
    """
    kept: list[DataFrame] = []

    def keep(df: DataFrame) -> DataFrame:
        kept.append(df.persist())
        return kept[-1]

    try:
        yield keep
    finally:
        for df in kept:
            df.unpersist()


def _exists(spark: SparkSession, path: str) -> bool:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return bool(fs.exists(hadoop_path))


def arrival_partition_paths(lake_path: str, days: Sequence[date]) -> list[str]:
    base = f"{lake_path.rstrip('/')}/{EVENTS_PREFIX}"
    return [f"{base}/year={d:%Y}/month={d:%m}/day={d:%d}" for d in days]


def read_events(spark: SparkSession, lake_path: str, arrival_days: Sequence[date]) -> tuple[DataFrame, int]:
    """The lake's rows from the given arrival partitions only (the others are never listed).

    Returns the rows (the events table's columns, without the partition columns) and how many of
    the partitions exist. With none, the rows are an empty DataFrame of the same schema.
    """
    base = f"{lake_path.rstrip('/')}/{EVENTS_PREFIX}"
    paths = [p for p in arrival_partition_paths(lake_path, arrival_days) if _exists(spark, p)]
    empty = spark.createDataFrame([], lake_ddl())
    if not paths:
        return empty, 0
    raw = spark.read.option("basePath", base).parquet(*paths)
    return raw.select(*empty.columns), len(paths)


def _read_csv(spark: SparkSession, path: str) -> DataFrame:
    # RFC 4180: quotes doubled inside quoted fields; UTF-8; every column read as text, then cast by name.
    return (
        spark.read.option("header", "true")
        .option("escape", '"')
        .option("encoding", "UTF-8")
        .option("mode", "FAILFAST")
        .csv(path)
    )


def read_users(spark: SparkSession, reference_path: str) -> DataFrame:
    """``users.csv``: user_id, country, subscription_tier, signup_date (date), utc_offset_hours (double)."""
    users = _read_csv(spark, f"{reference_path.rstrip('/')}/users.csv")
    return users.select(
        "user_id",
        "country",
        "subscription_tier",
        F.to_date("signup_date").alias("signup_date"),
        F.col("utc_offset_hours").cast("double").alias("utc_offset_hours"),
    )


def read_catalog(spark: SparkSession, reference_path: str) -> DataFrame:
    """``content_catalog.csv``: content_id, content_type, genres (``|``-separated)."""
    catalog = _read_csv(spark, f"{reference_path.rstrip('/')}/content_catalog.csv")
    return catalog.select("content_id", "content_type", "genres")


def write_partition(df: DataFrame, path: str) -> None:
    """Replace the ``as_of=`` partition at ``path`` as a whole (rerunning an ``as_of`` is idempotent)."""
    df.write.mode("overwrite").parquet(path)


def write_tables(outputs: Mapping[str, DataFrame], path_of: Callable[[str], str]) -> None:
    """Write each checked output to its partition (``path_of(table)``)."""
    for name, df in outputs.items():
        write_partition(df, path_of(name))
        log.info("wrote %s to %s", name, path_of(name))
