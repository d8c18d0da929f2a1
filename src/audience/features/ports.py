"""What the features slice needs from outside: something that runs a Glue job script and says how it went.

In AWS that is Glue itself (Step Functions starts the jobs); locally it is the Glue job host, a child
process with one warm Spark session (``adapters/local/glue.py``). Callers (the CLI, the demo, the
models' training sets, the benchmarks) hold a :class:`GlueJobRunner` and never the scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class GlueJobError(RuntimeError):
    """A job run failed; ``job`` names it and the message carries the script's error (and log tail)."""

    def __init__(self, job: str, message: str) -> None:
        self.job = job
        super().__init__(message)


class JobDataQualityError(GlueJobError):
    """A job's data-quality checks failed, so it wrote nothing; ``failures`` lists each failed check."""

    def __init__(self, job: str, failures: list[str], message: str) -> None:
        self.failures = failures
        super().__init__(job, message)


class GlueJobRunner(Protocol):
    """Runs ``glue_jobs/<job>.py`` with Glue's ``--name value`` arguments; returns the rows written per table.

    Raises :class:`JobDataQualityError` when the job's checks failed, :class:`GlueJobError` for any
    other failure.
    """

    def run(self, job: str, arguments: Mapping[str, str]) -> dict[str, int]: ...
