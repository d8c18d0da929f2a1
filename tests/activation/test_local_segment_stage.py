"""The local segment stage end to end on a small lake: export, local model, job output, files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from audience.activation.stage import run_segments
from audience.core.settings import Settings

ROOT = Path(__file__).parents[2]


def _catalog() -> tuple[list[str], list[str]]:
    with (ROOT / "data" / "content_catalog.csv").open() as f:
        rows = list(csv.DictReader(f))
    action = [r["content_id"] for r in rows if "Action" in r["genres"].split("|")][:20]
    other = [r["content_id"] for r in rows if "Action" not in r["genres"].split("|")][:20]
    return action, other


def _users() -> list[str]:
    with (ROOT / "data" / "users.csv").open() as f:
        return [r["user_id"] for r in csv.DictReader(f)][:60]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    # GIVEN a lake where the first 20 users watch Action and the others do not
    action, other = _catalog()
    users = _users()
    start = datetime(2026, 11, 10, tzinfo=UTC)
    rows = []
    for u, user in enumerate(users):
        for k in range(10):
            item = action[k % 20] if u < 20 else other[k % 20]
            at = start + timedelta(hours=u + 7 * k)
            rows.append((f"e-{u}-{k}", user, item, "view", at.replace(tzinfo=None), at.replace(tzinfo=None)))
    part = tmp_path / "lake" / "engagement-events" / "year=2026" / "month=11" / "day=12"
    part.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (event_id VARCHAR, user_id VARCHAR, content_id VARCHAR, event_type VARCHAR, "
        "event_timestamp TIMESTAMP, ingested_at TIMESTAMP)"
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "COPY (SELECT *, 'r' AS request_id, {'view_duration': 30.0, 'completion_rate': 0.8, 'interaction_count': NULL} "
        f"AS metadata FROM t) TO '{part / 'part-0.parquet'}' (FORMAT PARQUET)"
    )
    yield tmp_path


def test_local_segment_stage_writes_job_output_and_activation_files(home: Path) -> None:
    settings = Settings(backend="local", home=home)
    # WHEN the stage runs with an Action query and one that matches no item
    report = run_segments(
        settings,
        ROOT / "data",
        queries=['ITEMS.genres = "Action"', 'ITEMS.genres = "NoSuchGenre"'],
        num_results=10,
        evaluate=False,
        now=datetime(2026, 11, 22, tzinfo=UTC),
    )
    # THEN the job output has the batch segment format, the Action segment holds the Action watchers
    lines = [json.loads(line) for line in report.batch_output.read_text().splitlines()]
    action_users = set(lines[0]["output"]["recommendedUsers"])
    assert len(action_users) == 10 and action_users <= set(_users()[:20])
    assert "no item matches" in lines[1]["error"]
    # AND the Action segment was activated to files (only opted-in users), the other line reported
    segments = report.postprocess["segments"]
    assert segments[0]["name"] == "genres-action-2026-11-22" and segments[0]["receipt"]["status"] == "WRITTEN"
    assert segments[1]["error"].startswith("no item matches")
    folder = home / "activation" / "segments" / "genres-action-2026-11-22"
    manifest = json.loads((folder / "genres-action-2026-11-22.manifest.json").read_text())
    with (ROOT / "data" / "users.csv").open() as f:
        opted_in = {r["user_id"] for r in csv.DictReader(f) if r["marketing_opt_in"] == "true"}
    assert manifest["size"] == len(action_users & opted_in)
    assert manifest["model_version"] == "local-item-attribute-affinity-1"
    assert report.datasets["interactions"] == 600
