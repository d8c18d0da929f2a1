"""Every expected command-line failure: one clear line saying what to do, an exit code, no traceback.

Each command runs as the user runs it (a process, on its own AUDIENCE_HOME), so what is checked is
exactly what a terminal would show.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import insights_lake
import pytest

ROOT = Path(__file__).parents[2]


def run(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDIENCE_HOME": str(home), "AUDIENCE_API_KEY": "k"}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def _clean(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.stderr.strip()


def test_cli_serve_on_a_busy_port(tmp_path: Path) -> None:
    # GIVEN a port another program holds
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        # WHEN the server is started on it
        result = run(tmp_path, "-m", "devhost.cli", "serve", "--port", str(port))
    # THEN one line says so and how to pick another port, exit code 1
    message = _clean(result)
    assert result.returncode == 1
    assert len(message.splitlines()) == 1
    assert f"port {port}" in message and "PORT=" in message


def test_cli_models_on_an_empty_lake_says_what_to_run(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "audience.models", "train")
    message = _clean(result)
    assert result.returncode == 1
    assert "holds no engagement events" in message and "make demo" in message
    assert not (tmp_path / "lake" / "features").exists()


def _short_lake(lake: Path, days: int) -> None:
    """A lake of ``days`` days of events (one per day), as the API would have written it."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = [
        insights_lake._event(d, "u1", "c-1", "view", now - timedelta(days=d, hours=1), "web", "desktop", "US")
        for d in range(days)
    ]
    insights_lake.write_events(lake, rows)


def test_cli_models_default_window_longer_than_the_lake_stops_before_any_work(tmp_path: Path) -> None:
    # GIVEN a lake of 6 days, and the default 14-day label window
    _short_lake(tmp_path / "lake", 6)
    # WHEN the models are trained with the defaults
    result = run(tmp_path, "-m", "audience.models", "train")
    # THEN it says what the lake holds and which LABEL_DAYS fits, before building anything
    message = _clean(result)
    assert result.returncode == 1
    assert "the lake holds 6 days of events" in message
    assert re.search(r"LABEL_DAYS=\d", message)
    assert not (tmp_path / "lake" / "features").exists()


def test_cli_features_on_an_empty_lake(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "audience.features")
    assert result.returncode == 1
    assert "holds no engagement events" in _clean(result) and "make demo" in result.stderr


def test_cli_segments_without_events(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "audience.activation", "segments")
    assert result.returncode == 1
    assert "run `make demo` first" in _clean(result)


def test_cli_segments_eval_without_movielens(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "audience.activation", "evaluate-movielens", str(tmp_path / "nowhere"))
    message = _clean(result)
    assert result.returncode == 1
    assert "MovieLens" in message and "MOVIELENS=" in message


def test_cli_insights_errors(tmp_path: Path) -> None:
    neither = run(tmp_path, "-m", "audience.insights")
    assert neither.returncode == 2 and "CONTENT=" in _clean(neither)
    bad = run(tmp_path, "-m", "audience.insights", "--content", "c-1", "--time-range", "1y")
    assert bad.returncode == 2 and "time_range" in _clean(bad)
    missing = run(tmp_path, "-m", "audience.insights", "--content", "c-1")
    assert missing.returncode == 1 and "make demo" in _clean(missing)


def test_cli_readme_check_without_a_report(tmp_path: Path) -> None:
    result = run(tmp_path, "-m", "devhost.readme_check")
    assert result.returncode == 1 and "run `make demo` first" in _clean(result)


def test_make_help_is_aligned_and_has_no_literals() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) > 10
    assert not any("$$" in line or "$(" in line for line in lines)
    columns = {len(line) - len(line[2:].split("  ", 1)[1].lstrip()) for line in lines}
    assert len(columns) == 1, "every description starts in the same column"


def test_models_build_sets_leaves_no_partitions_when_a_step_fails(tmp_path: Path) -> None:
    # GIVEN a Glue runner whose feature jobs write the first day's partitions, then fail on the second day
    from collections.abc import Mapping
    from datetime import date

    from audience.features.ports import GlueJobError
    from audience.models.adapters.local import training

    lake = tmp_path / "lake"
    days_run: list[str] = []

    class FailingSecondDay:
        def run(self, job: str, arguments: Mapping[str, str]) -> dict[str, int]:
            if arguments["as_of"] not in days_run:
                days_run.append(arguments["as_of"])
            for table in ("user_features", "content_features"):
                part = Path(arguments["lake_path"]) / "features" / table / f"as_of={arguments['as_of']}"
                part.mkdir(parents=True, exist_ok=True)
                (part / "part-0.parquet").write_bytes(b"")
            if len(days_run) == 2:
                raise GlueJobError(job, "the job failed")
            return {table: 1 for table in ("user_features", "content_features")}

    days = training.SetDays(date(2026, 11, 20), 2)
    # WHEN the sets are built THEN the failure comes out, and no partition of this run is left
    with pytest.raises(GlueJobError, match="the job failed"):
        training.build_sets(lake, tmp_path, days, None, runner=FailingSecondDay(), progress=lambda _: None)
    assert days_run == ["2026-11-16", "2026-11-18"]
    assert list((lake / "features").glob("*/as_of=*")) == []


def test_cli_demo_with_other_reference_tables_stops_before_clearing_state(tmp_path: Path) -> None:
    # GIVEN some state from an earlier run
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "kept").write_text("x")

    # WHEN the demo is asked for more users than data/users.csv holds
    result = run(tmp_path, "-m", "devhost.cli", "demo", "--users", "6000")

    # THEN one line names the table, exit code 1, and nothing was cleared
    message = _clean(result)
    assert result.returncode == 1
    assert len(message.splitlines()) == 1
    assert "users.csv" in message and "6,000 users" in message
    assert (tmp_path / "lake" / "kept").exists()
