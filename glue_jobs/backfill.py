"""Glue job: the cloud path of the historical backfill, an S3 prefix of events written into the lake.

``audience import`` is the local door for history; in AWS a prefix of files can hold billions of
rows, so the same rules run on Spark (docs/backfill.md):

* every row is validated by the **same function as the API** (``validate_event`` over the pydantic
  contract in ``schemas/``, shipped to Glue in ``--extra-py-files`` with pydantic as an
  ``--additional-python-modules`` module), with the freshness window replaced by ``--max_age_days``;
  rejected rows go to ``quarantine/backfill/run=<run_id>/`` with their reasons, file and row;
* rows whose ``event_id`` the lake already holds (in the arrival partitions an event of the input's
  dates can sit in) or that an earlier row carried are skipped;
* the rest is written to ``engagement-events/year=/month=/day=`` of the *event* date with
  ``ingest_source = 'backfill'``, in the Glue table's columns.

Rerunning is idempotent (every row is then a duplicate), and a failed run writes nothing: Spark
commits a job's files only when it succeeds. The live counters follow with
``audience reconcile --start <first day> --end <last day + 1>`` on the ``aws`` backend (Athena and
DynamoDB), which the job's last log line spells out.

Locally (tests): ``python glue_jobs/backfill.py --source_path in/ --lake_path .audience/lake``.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, StringType, StructField, StructType

from glue_jobs.features_lib import io
from glue_jobs.features_lib.contract import _load, lake_ddl
from glue_jobs.features_lib.params import job_name, read_options

JOB = "backfill"
ARGUMENTS = ("source_path", "lake_path", "format", "max_age_days", "run_id", "now")
LIVE_MAX_LATENESS_DAYS = 8
"""A live event sits in an arrival partition at most this many days after its own date."""


def _validator(max_age_days: float, now: datetime) -> Any:
    """The API's per-event validation with the age window of a backfill (imported on the executors)."""

    def validate(partition: Iterator[tuple[str, str, int]]) -> Iterator[tuple[bool, str]]:
        from audience.ingest.service import IngestLimits, RequestContext, validate_event
        from schemas.engagement import LakeRecord

        limits = IngestLimits(max_event_age=timedelta(days=max_age_days))
        ctx = RequestContext(request_id=f"backfill-{now:%Y%m%dT%H%M%S}", source="backfill", received_at=now)
        for text, file, row in partition:
            try:
                raw: Any = _nest(json.loads(text))
            except ValueError as exc:
                reasons = [{"index": row, "field": "", "code": "malformed_json", "message": str(exc)}]
                yield False, json.dumps({"file": file, "row": row, "reasons": reasons, "event": text})
                continue
            outcome = validate_event(raw, row, limits, ctx)
            if isinstance(outcome, LakeRecord):
                yield True, outcome.to_json_line()
            else:
                reasons = [r.as_dict() for r in outcome]
                yield (
                    False,
                    json.dumps({"file": file, "row": row, "reasons": reasons, "event": raw}, default=str),
                )

    return validate


def _nest(flat: Any) -> Any:
    """CSV/Parquet columns named ``location.country`` become the contract's objects; nulls are absent."""
    if not isinstance(flat, dict):
        return flat
    out: dict[str, Any] = {}
    for name, value in flat.items():
        if value is None or value == "":
            continue
        parent, dot, child = name.partition(".")
        if dot:
            out.setdefault(parent, {})[child] = value
        else:
            out[name] = _nest(value)
    return out


def read_source(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    """(text, file, row): each input row as JSON text with where it came from."""
    if fmt == "jsonl":
        frame = spark.read.text(path)
        text = F.col("value")
    elif fmt == "csv":
        frame = spark.read.option("header", True).csv(path)
        text = F.to_json(F.struct(*[F.col(f"`{c}`") for c in frame.columns]))
    elif fmt == "parquet":
        frame = spark.read.parquet(path)
        text = F.to_json(F.struct(*frame.columns))
    else:
        raise ValueError(f"--format must be jsonl, csv or parquet, not {fmt!r}")
    return (
        frame.select(text.alias("text"), F.input_file_name().alias("file"))
        .where(F.trim("text") != "")
        .withColumn("row", F.monotonically_increasing_id())
    )


def main(argv: Sequence[str] | None = None, spark: SparkSession | None = None) -> dict[str, int]:
    args = list(sys.argv if argv is None else argv)
    options = read_options(ARGUMENTS, args)
    for name in ("source_path", "lake_path"):
        if not options.get(name):
            raise ValueError(f"--{name} is required")
    lake = options["lake_path"].rstrip("/")
    fmt = options.get("format") or "jsonl"
    now = datetime.fromisoformat(options["now"]) if options.get("now") else datetime.now(UTC)
    run_id = options.get("run_id") or f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    max_age = float(options.get("max_age_days") or 3 * 365)
    with io.job_session(JOB, job_name(args), spark) as session:
        spark_ = session.spark
        source = read_source(spark_, options["source_path"], fmt)
        checked = (
            source.rdd.map(tuple)
            .mapPartitions(_validator(max_age, now))
            .toDF(StructType([StructField("ok", BooleanType()), StructField("line", StringType())]))
            .cache()
        )
        good = (
            spark_.read.schema(lake_ddl())
            .option("timestampFormat", "yyyy-MM-dd HH:mm:ss.SSSSSS")
            .json(checked.where("ok").select("line").rdd.map(lambda r: r[0]))
        )
        valid = good.count()  # rows that passed the contract, repeated ids included
        good = (
            good.dropDuplicates(["event_id"]).withColumn("event_date", F.to_date("event_timestamp")).cache()
        )
        span = good.agg(F.min("event_date"), F.max("event_date")).first()
        counts = {"accepted": 0, "duplicates": 0, "rejected": checked.where(~F.col("ok")).count()}
        if span is not None and span[0] is not None:
            first, last = span[0], span[1] + timedelta(days=LIVE_MAX_LATENESS_DAYS)
            held = _existing_ids(spark_, lake, first, last)
            fresh = good.join(held, "event_id", "left_anti") if held is not None else good
            fresh = fresh.cache()
            counts["accepted"] = fresh.count()
            counts["duplicates"] = valid - counts["accepted"]
            (
                fresh.withColumn("year", F.date_format("event_date", "yyyy"))
                .withColumn("month", F.date_format("event_date", "MM"))
                .withColumn("day", F.date_format("event_date", "dd"))
                .select(*[c["Name"] for c in _load("glue_columns.json")["columns"]], "year", "month", "day")
                .write.mode("append")
                .partitionBy("year", "month", "day")
                .parquet(f"{lake}/engagement-events")
            )
            print(
                f"backfill {run_id}: repair the live counters with: audience reconcile --start {span[0]} "
                f"--end {span[1] + timedelta(days=1)} (AUDIENCE_BACKEND=aws)"
            )
        if counts["rejected"]:
            checked.where(~F.col("ok")).select("line").write.mode("overwrite").text(
                f"{lake}/quarantine/backfill/run={run_id}"
            )
        return counts


def _existing_ids(spark: SparkSession, lake: str, first: Any, last: Any) -> DataFrame | None:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    paths = io.arrival_partition_paths(lake, days)
    found = [p for p in paths if io._exists(spark, p)]
    if not found:
        return None
    return (
        spark.read.option("basePath", f"{lake}/engagement-events")
        .parquet(*found)
        .select("event_id")
        .distinct()
    )


if __name__ == "__main__":
    io.configure_logging()
    print(json.dumps(main()))
