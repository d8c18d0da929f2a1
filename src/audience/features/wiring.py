"""The features slice's composition root: which runner executes the Glue scripts.

In the cloud, Step Functions starts the Glue jobs themselves; here the only runner is the local Glue
job host, which starts the very same scripts as Glue does, on one warm local Spark session. Callers
(the CLI, the demo, the models' training sets, the benchmarks) take it from here, never from the
adapter.
"""

from __future__ import annotations

from pathlib import Path

from audience.core.settings import CoreSettings
from audience.features.adapters.local.glue import (
    JOBS,
    REFERENCE_DIR,
    GlueJobHost,
    JavaMissingError,
    JobReport,
    require_java,
    resolve_as_of,
    run_features,
)
from audience.features.ports import GlueJobError, GlueJobRunner, JobDataQualityError


def glue_host(settings: CoreSettings | None = None, *, log: Path | None = None) -> GlueJobHost:
    """The local Glue job host for a batch of runs (not started: use it as a context manager)."""
    return GlueJobHost(settings.project_root if settings is not None else None, log=log)


__all__ = [
    "JOBS",
    "REFERENCE_DIR",
    "GlueJobError",
    "GlueJobHost",
    "GlueJobRunner",
    "JavaMissingError",
    "JobDataQualityError",
    "JobReport",
    "glue_host",
    "require_java",
    "resolve_as_of",
    "run_features",
]
