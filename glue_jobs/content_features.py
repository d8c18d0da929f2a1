"""Glue job: content features and the dashboard's daily and hourly series over the window ending with
``as_of`` (tables ``content_features``, ``content_daily``, ``content_hourly``).

Runs unchanged on AWS Glue 5.0 (``--extra-py-files`` = the zip of ``glue_jobs.features_lib``) and
locally: ``python glue_jobs/content_features.py --lake_path .audience/lake --reference_path data
--as_of 2026-11-21``. Arguments: ``glue_jobs/README.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from glue_jobs.features_lib import io, quality, transforms
from glue_jobs.features_lib.params import COMMON, WEIGHTS, job_name, parse_job_args

JOB = "content_features"
ARGUMENTS = (*COMMON, *WEIGHTS)


def main(
    argv: Sequence[str] | None = None, spark: SparkSession | None = None, today: date | None = None
) -> dict[str, int]:
    """Run the job; returns the rows written per table. ``today`` (UTC) resolves ``--as_of yesterday``."""
    args = list(sys.argv if argv is None else argv)
    params = parse_job_args(ARGUMENTS, args, today or datetime.now(UTC).date())
    window = params.window
    with io.job_session(JOB, job_name(args), spark) as session, io.persisting() as keep:
        raw, _ = io.read_events(session.spark, params.lake_path, window.arrival_days())
        catalog = io.read_catalog(session.spark, params.reference_path)

        events = transforms.between(transforms.deduplicate(transforms.flatten(raw)), window.start, window.end)
        events = keep(events)
        outputs = {
            "content_features": transforms.content_features(events, catalog=catalog, weights=params.weights),
            "content_daily": transforms.content_daily(events, weights=params.weights),
            "content_hourly": transforms.content_hourly(events, weights=params.weights),
        }

        outputs = {name: keep(df) for name, df in outputs.items()}
        rows = quality.check_outputs(outputs, events, {"content_catalog.csv": (catalog, "content_id")})
        io.write_tables(outputs, params.table_path)
        return rows


if __name__ == "__main__":
    io.run_job(JOB, main)
