"""Builders for the Glue tests: lake rows, a lake on disk with arrival partitions, reference CSVs."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession

from audience.ingest.adapters.local.spool import lake_schema
from glue_jobs.features_lib.contract import lake_ddl, table

AS_OF = date(2026, 11, 20)
"""A Friday. With the default 28-day lookback the window is [2026-10-24, 2026-11-21) UTC."""
END = datetime(2026, 11, 21, tzinfo=UTC)
"""The window's end and the reference time for AS_OF."""
WEIGHTS = (2.0, 3.0, 5.0)

_ids = count(1)


def at(text: str) -> datetime:
    """``"2026-11-20 10:00"`` (UTC) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """A collected timestamp (PySpark gives naive local time) as an aware UTC datetime."""
    return value.astimezone(UTC)


def days(value: float) -> timedelta:
    return timedelta(days=value)


@dataclass
class Ev:
    """One lake row; unspecified fields get plausible values. ``arrived`` defaults to the event time."""

    user_id: str
    content_id: str
    event_type: str
    ts: datetime
    event_id: str = ""
    platform: str = "web"
    device_type: str = "desktop"
    session_id: str = "s-1"
    view_duration: float | None = None
    completion_rate: float | None = None
    arrived: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        arrived = self.arrived or self.ts
        return {
            "event_id": self.event_id or f"e-{next(_ids):06d}",
            "schema_version": "1.0",
            "user_id": self.user_id,
            "content_id": self.content_id,
            "event_type": self.event_type,
            "event_timestamp": self.ts,
            "platform": self.platform,
            "device_type": self.device_type,
            "location": {"country": "US", "region": None, "city": None},
            "session_id": self.session_id,
            "metadata": {
                "view_duration": None if self.view_duration is None else float(self.view_duration),
                "completion_rate": None if self.completion_rate is None else float(self.completion_rate),
                "interaction_count": None,
            },
            "event_id_source": "client",
            "ingested_at": arrived,
            "request_id": "r-1",
            "ingest_source": "api:test",
            **self.extra,
        }


def view(user: str, content: str, ts: datetime, seconds: float = 60.0, rate: float = 0.5, **kw: Any) -> Ev:
    return Ev(user, content, "view", ts, view_duration=seconds, completion_rate=rate, **kw)


def lake_frame(spark: SparkSession, events: Iterable[Ev]) -> DataFrame:
    """The events as the raw lake DataFrame (the events table's columns)."""
    records = [e.record() for e in events]
    columns = [f.name for f in spark.createDataFrame([], lake_ddl()).schema.fields]
    rows = [
        tuple(
            (r[c]["country"], r[c]["region"], r[c]["city"])
            if c == "location"
            else (
                (r[c]["view_duration"], r[c]["completion_rate"], r[c]["interaction_count"])
                if c == "metadata"
                else r.get(c)
            )
            for c in columns
        )
        for r in records
    ]
    # Checkpointed: the plans under test scan their inputs many times; this keeps Python out of it.
    return spark.createDataFrame(rows, lake_ddl()).localCheckpoint()


def write_lake(lake: Path, events: Sequence[Ev]) -> dict[date, int]:
    """Write the events as the local lake does: Parquet under their ARRIVAL day's partition."""
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        record = event.record()
        by_day[record["ingested_at"].date()].append(record)
    for day, records in by_day.items():
        folder = lake / "engagement-events" / f"year={day:%Y}" / f"month={day:%m}" / f"day={day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        n = len(list(folder.glob("*.parquet")))
        pq.write_table(pa.Table.from_pylist(records, schema=lake_schema()), folder / f"part-{n:04d}.parquet")
    return {day: len(records) for day, records in by_day.items()}


USERS_HEADER = ("user_id", "signup_date", "country", "subscription_tier", "utc_offset_hours")
CATALOG_HEADER = ("content_id", "content_type", "genres", "title")


def write_reference(
    folder: Path,
    users: Sequence[tuple[str, str, str, str, float]] = (),
    catalog: Sequence[tuple[str, str, str, str]] = (),
) -> Path:
    """users.csv and content_catalog.csv with the columns the jobs read (and a quoted title)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (
        ("users.csv", USERS_HEADER, users),
        ("content_catalog.csv", CATALOG_HEADER, catalog),
    ):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def users_frame(spark: SparkSession, rows: Sequence[tuple[str, str, str, str, float]]) -> DataFrame:
    """users as ``io.read_users`` returns them."""
    ddl = (
        "user_id string, country string, subscription_tier string, signup_date date, utc_offset_hours double"
    )
    data = [(u, c, t, date.fromisoformat(s), o) for u, s, c, t, o in rows]
    return spark.createDataFrame(data, ddl).localCheckpoint()


def catalog_frame(spark: SparkSession, rows: Sequence[tuple[str, str, str]]) -> DataFrame:
    """catalog as ``io.read_catalog`` returns it: (content_id, content_type, genres)."""
    return spark.createDataFrame(
        list(rows), "content_id string, content_type string, genres string"
    ).localCheckpoint()


def expected(spark: SparkSession, table_name: str, rows: Sequence[dict[str, Any]]) -> DataFrame:
    """Rows (dicts by column) as a DataFrame of the table's contract schema."""
    contract = table(table_name)
    return spark.createDataFrame(
        [tuple(r[c] for c in contract.names) for r in rows], contract.spark_schema(spark)
    )


def read_table(spark: SparkSession, lake: Path, table_name: str, as_of: date = AS_OF) -> DataFrame:
    return spark.read.parquet(str(lake / "features" / table_name / f"as_of={as_of.isoformat()}"))


class InlineGlueRunner:
    """The Glue job host's work without its process, for tests on the session-scoped SparkSession.

    Each run goes through the host's own code (:func:`run_script`: the script as ``__main__`` with
    Glue's ``sys.argv``, its outcome read from the JSON line it prints) in this process, where the
    test session is the active one the script picks up. One JVM for the whole suite instead of one
    per test; ``tests/features/test_glue_host.py`` runs the real child process.
    """

    def __init__(self, spark: SparkSession, root: Path = Path(__file__).resolve().parents[2]) -> None:
        self.spark = spark
        self.root = root
        self.runs: list[tuple[str, dict[str, str]]] = []

    def run(self, job: str, arguments: Mapping[str, str]) -> dict[str, int]:
        from audience.features.adapters.local.glue import job_rows
        from audience.features.adapters.local.glue_host import run_script

        self.runs.append((job, dict(arguments)))
        argv = [
            "--JOB_NAME",
            job,
            *(part for name, value in arguments.items() for part in (f"--{name}", value)),
        ]
        return job_rows(job, run_script(self.root / "glue_jobs" / f"{job}.py", argv))
