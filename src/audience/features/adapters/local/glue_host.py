"""The local Glue job host's child process: one warm SparkSession, job scripts run as Glue runs them.

``python -m audience.features.adapters.local.glue_host --spark-conf JSON`` starts a local session, says
``{"ready": ...}`` and then reads one request per line on stdin, ``{"script": PATH, "argv": [...]}``.
Each script runs as Glue runs it: as ``__main__`` (``runpy.run_path``) with ``sys.argv = [script,
--JOB_NAME, name, --name, value, ...]``; its ``glue_jobs`` imports come from ``PYTHONPATH`` (Glue's
``--extra-py-files``). The script finds the warm session as the process's active one
(``features_lib.io.job_session``), so a batch of runs pays for one JVM, not one each.

The job's outcome comes back through the channel it has on Glue: the JSON line it prints on stdout
(``{"glue_job": ..., "status": ..., "rows": ...}``, CloudWatch's output log there), plus the error it
raised, if any (the job run's ``ErrorMessage`` there). The host answers each request with one JSON
line on its own channel (the process's original stdout); everything else written to stdout (the
scripts' lines, the JVM) goes on to stderr, which the parent keeps as the host's log.

This module imports no job code: it runs files, never ``import glue_jobs``.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import time
import traceback
from collections.abc import Sequence
from contextlib import redirect_stdout
from io import TextIOBase
from pathlib import Path
from typing import Any, Final, TextIO

OUTCOME_KEY: Final = "glue_job"
"""The key of the outcome line the scripts print (``glue_jobs/features_lib/io.py`` ``run_job``)."""


class _Lines(TextIOBase):
    """A stdout that keeps each complete line and echoes everything on to ``echo`` (the log)."""

    def __init__(self, echo: TextIO) -> None:
        self.echo = echo
        self.lines: list[str] = []
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.echo.write(text)
        *complete, self._partial = (self._partial + text).split("\n")
        self.lines.extend(complete)
        return len(text)

    def flush(self) -> None:
        self.echo.flush()


def outcome_line(lines: Sequence[str]) -> dict[str, Any] | None:
    """The last line that is a job's outcome (a JSON object with ``glue_job``), else ``None``."""
    for line in reversed(lines):
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict) and OUTCOME_KEY in parsed:
            return parsed
    return None


def run_script(script: Path, argv: Sequence[str]) -> dict[str, Any]:
    """Run one job script as ``__main__`` with ``argv``, in this process; returns the host's reply.

    ``{"outcome": <the script's outcome line or None>, "error": <"Type: message" and the traceback's
    tail, or None>, "seconds": float}``. Never raises for the script's own failures: the host goes on
    to the next request, as Glue starts the next run.
    """
    saved = sys.argv
    sys.argv = [str(script), *argv]
    captured = _Lines(sys.stderr)
    error: str | None = None
    started = time.perf_counter()
    try:
        with redirect_stdout(captured):
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            error = f"SystemExit: exit status {stop.code}"
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}\n{traceback.format_exc()[-3000:]}"
    finally:
        sys.argv = saved
        captured.flush()
    return {
        "outcome": outcome_line([*captured.lines, captured._partial]),
        "error": error,
        "seconds": round(time.perf_counter() - started, 3),
    }


def start_session(conf: dict[str, str], *, master: str, driver_memory: str, log_config: Path | None) -> Any:
    """The warm session: local ``master``, this interpreter for Python workers, no UI, quiet logs."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # read when the SparkContext starts
    builder = (
        SparkSession.builder.appName("audience-glue-host")
        .master(master)
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
    )
    if log_config is not None and log_config.is_file():
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config.as_uri()}"
        )
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer each request line with one reply line, until ``requests`` ends."""
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        reply = run_script(Path(request["script"]), [str(a) for a in request["argv"]])
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audience.features.adapters.local.glue_host")
    parser.add_argument("--spark-conf", default="{}", help="JSON object of Spark settings")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--log-config", type=Path, help="log4j2 properties file for the JVM")
    args = parser.parse_args(argv)
    # The replies keep the original stdout; anything else printed (the scripts, the JVM) goes to stderr.
    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    spark = start_session(
        json.loads(args.spark_conf),
        master=args.master,
        driver_memory=args.driver_memory,
        log_config=args.log_config,
    )
    replies.write(json.dumps({"ready": True, "spark": spark.version}) + "\n")
    replies.flush()
    try:
        serve(sys.stdin, replies)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
