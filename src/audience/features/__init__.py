"""Run the Glue feature jobs locally: the very same scripts (``glue_jobs/``), started as Glue starts them,
in one child process with one warm local SparkSession.

``run_features(lake_dir, reference_dir, as_of)`` runs the three jobs in order; ``python -m
audience.features`` does it on ``$AUDIENCE_HOME/lake`` with the repository's ``data/``.
"""

from audience.features.wiring import (
    JOBS,
    JavaMissingError,
    JobReport,
    require_java,
    resolve_as_of,
    run_features,
)

__all__ = ["JOBS", "JavaMissingError", "JobReport", "require_java", "resolve_as_of", "run_features"]
