"""The features slice's composition root: which runner executes the Glue scripts.

In the cloud, Step Functions starts the Glue jobs themselves; here the only runner is the local one,
which runs the very same scripts on local Spark. Callers (the CLI, the demo, the models' training
sets, the benchmarks) take it from here, never from the adapter.
"""

from audience.features.adapters.local.glue import (
    JOBS,
    REFERENCE_DIR,
    JavaMissingError,
    JobReport,
    data_quality_error,
    local_spark,
    require_java,
    resolve_as_of,
    run_features,
)

__all__ = [
    "JOBS",
    "REFERENCE_DIR",
    "JavaMissingError",
    "JobReport",
    "data_quality_error",
    "local_spark",
    "require_java",
    "resolve_as_of",
    "run_features",
]
