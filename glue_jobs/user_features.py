"""Glue job: user features and churn labels over the window ending with ``as_of`` (table ``user_features``).

Runs unchanged on AWS Glue 5.0 (``--extra-py-files`` = the zip of ``glue_jobs.features_lib``) and
locally: ``python glue_jobs/user_features.py --lake_path .audience/lake --reference_path data
--as_of 2026-11-21``. Arguments: ``glue_jobs/README.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import SparkSession

from glue_jobs.features_lib import io, quality, transforms
from glue_jobs.features_lib.params import COMMON, WEIGHTS, job_name, parse_job_args

JOB = "user_features"
ARGUMENTS = (*COMMON, *WEIGHTS, "churn_horizon_days", "trend_recent_days")


def main(
    argv: Sequence[str] | None = None, spark: SparkSession | None = None, today: date | None = None
) -> dict[str, int]:
    """Run the job; returns the rows written per table. ``today`` (UTC) resolves ``--as_of yesterday``."""
    args = list(sys.argv if argv is None else argv)
    params = parse_job_args(ARGUMENTS, args, today or datetime.now(UTC).date())
    window = params.window
    horizon = params.churn_horizon_days
    with io.job_session(JOB, job_name(args), spark) as session, io.persisting() as keep:
        # The window's arrival partitions and those of the churn horizon after it.
        raw, _ = io.read_events(session.spark, params.lake_path, window.arrival_days(after_end_days=horizon))
        users = io.read_users(session.spark, params.reference_path)
        catalog = io.read_catalog(session.spark, params.reference_path)

        all_events = keep(transforms.deduplicate(transforms.flatten(raw)))
        events = transforms.between(all_events, window.start, window.end)
        outputs = {
            JOB: transforms.user_features(
                transforms.with_local_time(events, users),
                all_events=all_events,
                catalog=catalog,
                users=users,
                as_of=params.as_of,
                reference_time=window.end,
                lookback_days=params.lookback_days,
                trend_recent_days=params.trend_recent_days,
                churn_horizon_end=window.end + timedelta(days=horizon),
                weights=params.weights,
            )
        }

        outputs = {name: keep(df) for name, df in outputs.items()}
        references = {"users.csv": (users, "user_id"), "content_catalog.csv": (catalog, "content_id")}
        rows = quality.check_outputs(outputs, events, references)
        io.write_tables(outputs, params.table_path)
        return rows


if __name__ == "__main__":
    io.run_job(JOB, main)
