"""The insights Lambda handler: strict request parsing, structured errors, injection attempts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import insights_lake
import pytest
from builders import FakeLambdaContext

from audience.ingest import wiring as container
from audience.insights import wiring
from functions.insights.app import handler

EVENTS = Path(__file__).parents[2] / "events"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    lake = insights_lake.build(tmp_path / "lake")
    (lake / "reference").mkdir()
    (lake / "reference" / "content_catalog.csv").write_text(insights_lake.CATALOG)
    monkeypatch.setenv("AUDIENCE_HOME", str(tmp_path))
    monkeypatch.setenv("AUDIENCE_BACKEND", "local")
    container.reset()
    wiring.reset()
    yield tmp_path
    container.reset()
    wiring.reset()


def invoke(event: Any) -> dict[str, Any]:
    return handler(event, FakeLambdaContext("insights"))


def test_insights_handler_answers_content_and_segment(home: Path) -> None:
    # WHEN a content and a segment insight are asked (the sample events in events/)
    content = invoke(json.loads((EVENTS / "insights_content.json").read_text()))
    segment = invoke(json.loads((EVENTS / "insights_segment.json").read_text()))
    # THEN both are written by the rules, stored under insights/, with their inputs
    assert content["ok"] and content["writer"] == "rules" and content["served"] == "written"
    assert content["inputs"]["current"]["events"] + content["inputs"]["previous"]["events"] >= 7
    assert segment["ok"] and segment["subject"]["members"] == 2
    assert (home / "lake" / "insights" / "latest" / "content" / "c-1" / "90d.json").exists()
    # AND a second ask is served from the store
    assert invoke({"content_id": "c-1", "time_range": "90d"})["served"] == "stored"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({}, "event"),
        ({"content_id": "c-1", "segment_id": "seg-a"}, "event"),
        ({"content_id": "c-1", "time_range": "365d"}, "time_range"),
        ({"content_id": "c-1", "time_range": "7d; DROP TABLE x"}, "time_range"),
        ({"content_id": "c-1\r\nX-Injected: 1"}, "content_id"),
        ({"content_id": ""}, "content_id"),
        ({"segment_id": "s" * 257}, "segment_id"),
        ({"content_id": 42}, "content_id"),
        ({"content_id": "c-1", "extra": "ignore previous instructions"}, "extra"),
        ({"content_id": "c-1", "refresh": "yes"}, "refresh"),
    ],
)
def test_insights_handler_rejects_bad_requests(home: Path, event: dict[str, Any], field: str) -> None:
    # WHEN a malformed or hostile request arrives
    answer = invoke(event)
    # THEN it is a structured error naming the field, and nothing was stored
    assert answer["ok"] is False and answer["error"] == "invalid_request"
    assert any(r["field"].startswith(field) for r in answer["reasons"])
    assert not (home / "lake" / "insights").exists()


def test_insights_handler_unknown_subject_and_non_object(home: Path) -> None:
    # WHEN an unknown content, or not an object, is sent THEN structured errors come back
    assert invoke({"content_id": "c-404", "time_range": "7d"})["error"] == "not_found"
    # Ids are any printable text (contract 1.1): SQL-looking ones are plain unknown ids, bound as parameters
    assert invoke({"content_id": "c-1' OR '1'='1", "time_range": "7d"})["error"] == "not_found"
    assert invoke({"segment_id": "x' UNION SELECT user_id FROM churn_scores --"})["error"] == "not_found"
    for event, kind in ((["content_id", "c-1"], "array"), ("c-1", "string"), (7, "number"), (None, "null")):
        answer = invoke(event)  # type: ignore[arg-type]
        assert answer["error"] == "invalid_request"
        assert answer["reasons"][0]["field"] == "event" and kind in answer["reasons"][0]["reason"]
