"""Glue job: user x content features over the window ending with ``as_of`` (table ``user_content_features``).

Runs unchanged on AWS Glue 5.0 (``--extra-py-files`` = the zip of ``glue_jobs.features_lib``) and
locally: ``python glue_jobs/user_content_features.py --lake_path .audience/lake --reference_path data
--as_of 2026-11-21``. Arguments: ``glue_jobs/README.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from glue_jobs.features_lib import io, quality, transforms
from glue_jobs.features_lib.params import COMMON, WEIGHTS, job_name, parse_job_args

JOB = "user_content_features"
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
        users = io.read_users(session.spark, params.reference_path)

        # One pass over the events: the input checks are tallied in the features' own grouping, so
        # the deduplicated events are neither persisted nor aggregated a second time.
        events = transforms.between(transforms.deduplicate(transforms.flatten(raw)), window.start, window.end)
        local = transforms.with_local_time(events, users)
        features = transforms.user_content_features(
            local, reference_time=window.end, weights=params.weights, tallies=quality.input_tallies()
        )

        outputs = {JOB: keep(features)}
        rows = quality.check_outputs(outputs, JOB, {"users.csv": (users, "user_id")})
        io.write_tables({JOB: quality.contract_columns(outputs[JOB], JOB)}, params.table_path)
        return rows


if __name__ == "__main__":
    io.run_job(JOB, main)
