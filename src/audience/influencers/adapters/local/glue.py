"""Runs ``glue_jobs/influencer_scoring.py`` on local Spark as a process, with Glue's argument contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class GlueScriptError(RuntimeError):
    """The scoring script failed; the message carries the tail of its output."""


def run_scoring_job(
    project_root: Path,
    lake: Path,
    as_of: str,
    *,
    store: str,
    window_hours: float = 24.0,
    sentiment: str = "vader",
    timeout: float = 900.0,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": f"{project_root}{os.pathsep}{project_root / 'src'}",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "glue_jobs.influencer_scoring",
            "--lake_path",
            str(lake),
            "--as_of",
            as_of,
            "--window_hours",
            str(window_hours),
            "--sentiment",
            sentiment,
            "--store",
            store,
        ],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise GlueScriptError(f"influencer_scoring failed ({done.returncode}):\n{done.stderr[-3000:]}")
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "{}"
    try:
        report: dict[str, Any] = json.loads(last)
    except json.JSONDecodeError:
        report = {"output": last}
    return report
