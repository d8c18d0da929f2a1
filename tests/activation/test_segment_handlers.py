"""The two segment Lambda handlers in-process on the local backend, with the real-shaped inputs of events/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from builders import FakeLambdaContext
from pydantic import ValidationError

from audience.activation.endpoints import ENDPOINTS_KEY, encode_mapping
from audience.activation.queries import QueryConfigError
from audience.core.settings import get_settings
from functions.segment_postprocess.app import NoSegmentActivatedError
from functions.segment_postprocess.app import handler as postprocess
from functions.segment_queries.app import handler as validate

EVENTS = Path(__file__).parents[2] / "events"


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AUDIENCE_BACKEND", "local")
    monkeypatch.setenv("AUDIENCE_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _put(home: Path, key: str, body: bytes) -> None:
    path = home / "lake" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def test_segment_queries_handler_returns_the_queries_or_every_reason(home: Path) -> None:
    # GIVEN the sample input and a queries file with two queries
    event = _event("segment_queries.json")
    _put(
        home,
        event["queries_key"],
        b'{"itemAttributes": "ITEMS.genres = \\"Action\\""}\n{"itemAttributes": "ITEMS.genres = \\"Kids\\""}\n',
    )
    # WHEN validated  THEN both queries come back with numResults
    assert validate(event, FakeLambdaContext("segment")) == {
        "queries": ['ITEMS.genres = "Action"', 'ITEMS.genres = "Kids"'],
        "count": 2,
        "num_results": 10000,
    }
    # AND a bad numResults or a bad input shape is refused with its reason
    with pytest.raises(QueryConfigError, match="numResults"):
        validate({**event, "num_results": 0}, FakeLambdaContext("segment"))
    with pytest.raises(ValidationError):
        validate({"num_results": 5}, FakeLambdaContext("segment"))


def test_segment_postprocess_handler_activates_to_local_files_and_fails_when_nothing_activates(
    home: Path,
) -> None:
    # GIVEN the sample input, a job output and the mapping in the local lake
    event = _event("segment_postprocess.json")
    _put(home, ENDPOINTS_KEY, encode_mapping([("u1", "EMAIL", "e1", True)]))
    _put(
        home,
        event["output_key"],
        (
            json.dumps({"itemAttributes": 'ITEMS.genres = "Action"', "output": {"recommendedUsers": ["u1"]}})
            + "\n"
        ).encode(),
    )
    # WHEN post-processed  THEN the segment lands under $AUDIENCE_HOME/activation/
    report = postprocess(event, FakeLambdaContext("segment"))
    assert report["succeeded"] == 1 and report["segments"][0]["receipt"]["status"] == "WRITTEN"
    [folder] = list((home / "activation" / "segments").iterdir())
    assert folder.name.startswith("genres-action-")
    # AND an output whose every line failed raises, with the lines' reasons
    _put(home, event["output_key"], b'{"itemAttributes": "x", "error": "bad query"}\n')
    with pytest.raises(NoSegmentActivatedError, match="line 1: bad query"):
        postprocess(event, FakeLambdaContext("segment"))
