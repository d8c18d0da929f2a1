"""The local Glue job host as a real child process: scripts started as Glue starts them, one warm
session for a batch, outcomes read from the scripts' JSON lines, failures reported and survived."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from glue_testkit import Ev, at, view, write_lake, write_reference

from audience.features.adapters.local.glue import GlueJobHost, job_rows
from audience.features.adapters.local.glue_host import outcome_line, run_script
from audience.features.ports import GlueJobError, JobDataQualityError

ROOT = Path(__file__).resolve().parents[2]
USERS = [("u1", "2026-10-01", "US", "free", 0.0), ("u2", "2026-10-01", "DE", "premium", 1.0)]
CATALOG = [("c1", "video", "Drama", "One"), ("c2", "article", "Tech", "Two")]
EVENTS = [
    view("u1", "c1", at("2026-11-19 10:00")),
    Ev("u1", "c1", "like", at("2026-11-19 10:05")),
    view("u2", "c2", at("2026-11-20 08:00")),
    view("u2", "c1", at("2026-11-20 09:00")),
]


def test_glue_host_outcome_line_is_the_last_json_line_naming_a_job() -> None:
    # GIVEN a script's stdout with log text, an unrelated JSON line and two outcome lines
    lines = [
        "starting",
        '{"other": 1}',
        '{"glue_job": "a", "status": "FAILED"}',
        '{"glue_job": "a", "status": "SUCCEEDED"}',
        "{not json",
    ]
    # WHEN the outcome is read THEN it is the last outcome line
    assert outcome_line(lines) == {"glue_job": "a", "status": "SUCCEEDED"}
    assert outcome_line(["plain text"]) is None


def test_glue_host_job_rows_raises_what_the_outcome_reports() -> None:
    # GIVEN replies of a success, a data-quality failure, a crash and a script that printed nothing
    ok = {"outcome": {"glue_job": "j", "status": "SUCCEEDED", "rows": {"t": 3}}, "error": None}
    checks = {
        "outcome": {
            "glue_job": "j",
            "status": "FAILED",
            "error": "DataQualityError",
            "failures": ["t: no rows"],
            "message": "m",
        },
        "error": "DataQualityError: m",
    }
    crash = {"outcome": None, "error": "ValueError: bad --as_of"}
    silent = {"outcome": None, "error": None}
    # WHEN each is read THEN the rows come back or the failure is raised with its reason
    assert job_rows("j", ok) == {"t": 3}
    with pytest.raises(JobDataQualityError) as quality:
        job_rows("j", checks)
    assert quality.value.failures == ["t: no rows"] and quality.value.job == "j"
    with pytest.raises(GlueJobError, match="bad --as_of"):
        job_rows("j", crash)
    with pytest.raises(GlueJobError, match="no outcome line"):
        job_rows("j", silent)


def test_glue_host_run_script_reports_a_failing_script_without_raising(tmp_path: Path) -> None:
    # GIVEN a script that prints its failure line and raises, as the job scripts do
    script = tmp_path / "failing.py"
    script.write_text(
        "import json, sys\n"
        "print(json.dumps({'glue_job': 'failing', 'status': 'FAILED', 'argv': sys.argv[1:]}))\n"
        "raise RuntimeError('broken input')\n"
    )
    # WHEN the host's runner runs it with Glue's arguments
    reply = run_script(script, ["--JOB_NAME", "failing", "--as_of", "2026-11-20"])
    # THEN the reply carries its outcome line (with the arguments it saw) and its error
    assert reply["outcome"]["argv"] == ["--JOB_NAME", "failing", "--as_of", "2026-11-20"]
    assert reply["error"].startswith("RuntimeError: broken input")


@pytest.mark.slow  # one JVM start in a child process: about 30 s on 2 quiet cores
def test_glue_host_runs_a_batch_in_one_process_and_survives_a_failed_job(tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17: apt-get install -y openjdk-17-jre-headless (make setup does it)")
    # GIVEN a lake, good reference tables and reference tables with a duplicated user
    lake = tmp_path / "lake"
    write_lake(lake, EVENTS)
    good = write_reference(tmp_path / "good", USERS, CATALOG)
    bad = write_reference(tmp_path / "bad", [*USERS, USERS[0]], CATALOG)
    common = {"lake_path": str(lake), "as_of": "2026-11-20"}
    log = tmp_path / "host.log"

    # WHEN one host (with the test session's settings for tiny inputs) runs a job whose checks fail,
    # then one with a bad argument, then a good one
    tiny = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}
    with GlueJobHost(ROOT, master="local[2]", driver_memory="1g", conf=tiny, log=log) as host:
        pid = host._proc.pid if host._proc else None
        with pytest.raises(JobDataQualityError) as quality:
            host.run("user_features", {**common, "reference_path": str(bad)})
        with pytest.raises(GlueJobError, match="lookback_days"):
            host.run("user_features", {**common, "reference_path": str(good), "lookback_days": "0"})
        again = host.run("user_features", {**common, "reference_path": str(good)})
        same_process = host._proc is not None and host._proc.pid == pid

    # THEN the rows come from the scripts' outcome lines, in the same process throughout
    assert again == {"user_features": 2}
    assert same_process
    # AND the failed checks came back as such
    assert any("users.csv: 1 user_id values appear more than once" in f for f in quality.value.failures)
    assert [p.name for p in (lake / "features").iterdir()] == ["user_features"]
    # AND the host's log holds the scripts' own output (their outcome lines)
    assert '"glue_job": "user_features", "status": "SUCCEEDED"' in log.read_text()
