"""The local Glue runner: the job scripts started as Glue starts them, in one warm child process.

:class:`GlueJobHost` starts ``python -m audience.features.adapters.local.glue_host`` (one local
SparkSession with :func:`local_spark_conf`) and sends it each job run: the script
``<project root>/glue_jobs/<job>.py`` and exactly the ``--JOB_NAME``/``--name value`` arguments Glue
passes (``glue_jobs/README.md``). A batch of runs (the three feature jobs, the models' feature days
and training sets) pays for one JVM start instead of one per run. What a run wrote, or why it failed,
comes back from the JSON outcome line the script prints on stdout (its CloudWatch log on Glue) and the
error it raised; nothing here imports the scripts.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from audience.core.settings import find_project_root
from audience.features.ports import GlueJobError, GlueJobRunner, JobDataQualityError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REFERENCE_DIR: Final = find_project_root() / "data"
"""The repository's reference tables (``content_catalog.csv``, ``users.csv``)."""

JOBS: Final = ("user_content_features", "user_features", "content_features")
"""The job scripts in ``glue_jobs/``, in the order they run."""

INSTALL_JAVA: Final = (
    "Spark needs a Java 17 runtime and `java` is not on PATH. Install it, e.g. "
    "`apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu; `make setup` does it as root) or "
    "`brew install openjdk@17` (macOS), or set JAVA_HOME."
)


class JavaMissingError(RuntimeError):
    """No Java runtime for Spark; the message says how to install one."""


def require_java(which: Callable[[str], str | None] = shutil.which) -> None:
    java_home = os.environ.get("JAVA_HOME")
    if which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").is_file()):
        raise JavaMissingError(INSTALL_JAVA)


def resolve_as_of(value: str | date | None, today: date | None = None) -> date:
    """``None``/``today`` is today's UTC date (the demo's events end now, inside that day's window);
    ``yesterday`` the day before; else ``YYYY-MM-DD``."""
    if isinstance(value, date):
        return value
    current = today or datetime.now(UTC).date()
    if value in (None, "today"):
        return current
    if value == "yesterday":
        return current - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"as_of must be YYYY-MM-DD, 'today' or 'yesterday', not {value!r}") from None


@dataclass
class JobReport:
    job: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def local_spark_conf(cores: int | None = None) -> dict[str, str]:
    """SQL settings for Spark on one machine, applied to the local session only, never in the scripts.

    Glue sizes its own cluster (the scripts set only what every run needs: UTC, timestamp type); a
    laptop or a 2-core CI box needs the opposite of Spark's cluster defaults:

    * few shuffle partitions (2 per core, not 200), which adaptive execution coalesces further
      towards 64 MiB each, never below one per core;
    * large file splits, and small files packed together (the lake holds many small Parquet files,
      one per delivery), so a scan is a few tasks rather than one per file;
    * reference tables broadcast rather than shuffled (they are a few MiB);
    * no map-side top-1 before the deduplication's shuffle (``windowGroupLimitThreshold=-1``): the
      lake's duplicates are rare Firehose retries, so sorting every row before the shuffle to drop
      them early saves almost nothing (4M events: the scan stage's CPU 7 s to 4 s, the job's 5% less).
    """
    partitions = 2 * (cores or os.cpu_count() or 2)
    return {
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # parallelismFirst stays Spark's default (true): coalescing never drops below the cores.
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": "64m",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.files.maxPartitionBytes": "256m",
        "spark.sql.files.openCostInBytes": "1m",
        "spark.sql.autoBroadcastJoinThreshold": "64m",
        "spark.sql.optimizer.windowGroupLimitThreshold": "-1",
    }


def apply_local_conf(spark: SparkSession, overrides: dict[str, str] | None = None) -> SparkSession:
    """Set :func:`local_spark_conf` (and ``overrides``) on a local session; returns it."""
    for key, value in {**local_spark_conf(), **(overrides or {})}.items():
        spark.conf.set(key, value)
    return spark


def job_rows(job: str, reply: Mapping[str, Any], log: str = "") -> dict[str, int]:
    """The rows written per table from a host's reply, or the failure it reports, raised.

    A run succeeded when the script printed a ``SUCCEEDED`` outcome and raised nothing. A
    ``DataQualityError`` becomes :class:`JobDataQualityError` with the failed checks; anything else
    :class:`GlueJobError` with the script's error and the tail of the host's log.
    """
    outcome = reply.get("outcome") or {}
    error = reply.get("error")
    if error is None and outcome.get("status") == "SUCCEEDED":
        return {str(table): int(rows) for table, rows in dict(outcome.get("rows") or {}).items()}
    tail = f"\n--- log tail ---\n{log[-3000:]}" if log else ""
    if outcome.get("error") == "DataQualityError":
        failures = [str(f) for f in outcome.get("failures") or []]
        raise JobDataQualityError(job, failures, str(outcome.get("message")))
    if error is None:
        error = f"the script printed no outcome line ({outcome or 'nothing'})"
    raise GlueJobError(job, f"{job} failed: {error}{tail}")


class GlueJobHost:
    """One child process with one warm local SparkSession that runs job scripts as Glue does.

    Use as a context manager (``with GlueJobHost(root) as host: host.run("user_features", {...})``);
    the process and its JVM stop when the block ends. ``log`` keeps the host's stderr (the scripts'
    INFO lines, Spark's errors); by default a temporary file, removed after a clean close.
    """

    def __init__(
        self,
        project_root: Path | None = None,
        *,
        master: str = "local[*]",
        driver_memory: str = "2g",
        conf: Mapping[str, str] | None = None,
        log: Path | None = None,
        start_timeout: float = 300.0,
        job_timeout: float = 3600.0,
    ) -> None:
        self.project_root = (project_root or find_project_root()).resolve()
        self.master = master
        self.driver_memory = driver_memory
        self.conf = {**local_spark_conf(), **(conf or {})}
        self.start_timeout = start_timeout
        self.job_timeout = job_timeout
        self._own_log = log is None
        self.log = log or Path(tempfile.mkstemp(prefix="glue-host-", suffix=".log")[1])
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._failed = False
        self._ready = False

    def __enter__(self) -> GlueJobHost:
        self.start()
        return self

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (its JVM is a descendant): for measuring its CPU."""
        return None if self._proc is None else self._proc.pid

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the child and wait for its session (raises :class:`JavaMissingError` without Java)."""
        self.launch()
        self._wait_ready()

    def launch(self) -> None:
        """Start the child without waiting: its JVM boots while the caller does other work (the demo
        launches it before posting the live day); the first :meth:`run` waits for it."""
        if self._proc is not None:
            return
        require_java()
        self._buffer = b""
        root = self.project_root
        paths = [str(root), str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": os.pathsep.join(paths)}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "audience.features.adapters.local.glue_host",
                    "--spark-conf",
                    json.dumps(self.conf),
                    "--master",
                    self.master,
                    "--driver-memory",
                    self.driver_memory,
                    "--log-config",
                    str(root / "glue_jobs" / "features_lib" / "log4j2-local.properties"),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=root,
                env=env,
            )
        self._ready = False

    def _wait_ready(self) -> None:
        if not self._ready:
            self._reply("the Glue job host", self.start_timeout)
            self._ready = True

    def run(self, job: str, arguments: Mapping[str, str]) -> dict[str, int]:
        """Run ``glue_jobs/<job>.py`` with ``--JOB_NAME job`` and ``--name value`` per argument."""
        script = self.project_root / "glue_jobs" / f"{job}.py"
        if not script.is_file():
            raise ValueError(f"unknown job {job!r}: no {script}")
        self.start()
        assert self._proc is not None and self._proc.stdin is not None
        argv = ["--JOB_NAME", job]
        for name, value in arguments.items():
            argv += [f"--{name}", str(value)]
        try:
            self._proc.stdin.write((json.dumps({"script": str(script), "argv": argv}) + "\n").encode())
            self._proc.stdin.flush()
        except BrokenPipeError:
            self._failed = True
            raise GlueJobError(job, f"the Glue job host has exited:\n{self.log_tail()}") from None
        reply = self._reply(job, self.job_timeout)
        try:
            return job_rows(job, reply, self.log_tail())
        except GlueJobError:
            self._failed = True
            raise

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _reply(self, what: str, timeout: float) -> dict[str, Any]:
        """The child's next reply line; a dead or silent child is an error naming ``what``."""
        assert self._proc is not None and self._proc.stdout is not None
        out = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._failed = True
                self._proc.kill()
                raise GlueJobError(what, f"{what}: no answer within {timeout:.0f} s\n{self.log_tail()}")
            ready, _, _ = select.select([out], [], [], min(left, 5.0))
            if not ready:
                continue
            chunk = os.read(out, 65536)
            if not chunk:
                self._failed = True
                code = self._proc.wait(timeout=30)
                raise GlueJobError(
                    what, f"the Glue job host exited ({code}) during {what}:\n{self.log_tail()}"
                )
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self, timeout: float = 60.0) -> None:
        """End the child (its session stops when its input ends); kill it if it does not end in time."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._own_log and not self._failed:
            self.log.unlink(missing_ok=True)


def run_features(
    lake_dir: Path,
    reference_dir: Path = REFERENCE_DIR,
    as_of: str | date | None = None,
    *,
    jobs: Sequence[str] = JOBS,
    options: dict[str, str] | None = None,
    runner: GlueJobRunner | None = None,
    progress: Callable[[str], None] = print,
) -> list[JobReport]:
    """Run the jobs for ``as_of`` over ``lake_dir`` (``engagement-events/`` in, ``features/`` out).

    ``options`` adds job arguments (``{"lookback_days": "14"}``). With no ``runner``, a
    :class:`GlueJobHost` is started for these jobs and stopped at the end. Raises
    :class:`JavaMissingError` first if Java is missing, and :class:`JobDataQualityError` when a job's
    checks fail: that job wrote nothing.
    """
    unknown = [name for name in jobs if name not in JOBS]
    if unknown:
        raise ValueError(f"unknown job {unknown[0]!r}; jobs: {', '.join(JOBS)}")
    day = resolve_as_of(as_of)
    arguments = {
        "lake_path": str(lake_dir),
        "reference_path": str(reference_dir),
        "as_of": day.isoformat(),
        **(options or {}),
    }
    if runner is None:
        progress("starting the local Glue job host (one Spark session for the batch)")
        with GlueJobHost() as host:
            return run_features(
                lake_dir, reference_dir, day, jobs=jobs, options=options, runner=host, progress=progress
            )
    reports = []
    for job in jobs:
        started = time.perf_counter()
        rows = runner.run(job, arguments)
        report = JobReport(job, rows, time.perf_counter() - started)
        reports.append(report)
        written = ", ".join(f"{table} {count:,} rows" for table, count in rows.items())
        progress(f"{job} (as_of={day}): {written} in {report.seconds:.1f} s")
    return reports
