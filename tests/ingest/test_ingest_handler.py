"""The Lambda handler in-process, with the real-shaped API Gateway events of events/ and local adapters."""

from __future__ import annotations

import base64
import copy
import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from builders import FakeLambdaContext

from audience.ingest import wiring as container

EVENTS = Path(__file__).parents[2] / "events"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def fresh_body(event: dict[str, Any]) -> dict[str, Any]:
    """Sample events carry fixed timestamps; move them to now so the age window accepts them."""
    event = copy.deepcopy(event)
    raw = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
    body = json.loads(raw)
    for i, item in enumerate(body["events"]):
        item["timestamp"] = (datetime.now(UTC) - timedelta(minutes=5 + i)).isoformat()
    encoded = json.dumps(body).encode()
    event["body"] = base64.b64encode(encoded).decode() if event["isBase64Encoded"] else encoded.decode()
    return event


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("AUDIENCE_HOME", str(tmp_path))
    monkeypatch.setenv("AUDIENCE_BACKEND", "local")
    monkeypatch.setenv("AUDIENCE_ALLOWED_ORIGINS", "https://app.example.com,https://admin.example.com")
    container.reset()
    import functions.ingest.app as module

    yield importlib.reload(module)
    container.reset()


def invoke(module: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = module.handler(event, FakeLambdaContext("IngestFunction", aws_request_id="test"))
    body = json.loads(response["body"]) if response.get("body") else {}
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, v in (response.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = ",".join(v)
    return response["statusCode"], body, headers


@pytest.mark.parametrize("sample", ["ingest_post_events.json", "ingest_post_events_base64.json"])
def test_handler_accepts_sample_post_events(app_module: ModuleType, sample: str) -> None:
    # GIVEN the sample API Gateway event (plain and base64-encoded body)
    event = fresh_body(load(sample))
    # WHEN the handler runs
    status, body, _ = invoke(app_module, event)
    # THEN both events are accepted
    assert status == 200
    assert (body["received"], body["accepted"], body["rejected"]) == (2, 2, [])
    assert body["request_id"] == event["requestContext"]["requestId"]


def test_handler_health_sample(app_module: ModuleType) -> None:
    status, body, _ = invoke(app_module, load("ingest_health.json"))
    assert status == 200 and body["status"] == "ok"


def test_handler_preflight_echoes_only_allowed_origins(app_module: ModuleType) -> None:
    # GIVEN the preflight sample from an allowed origin, and the same from another origin
    allowed = load("ingest_preflight.json")
    other = copy.deepcopy(allowed)
    other["headers"]["origin"] = other["multiValueHeaders"]["origin"] = "https://evil.example.net"
    other["multiValueHeaders"]["origin"] = ["https://evil.example.net"]
    # WHEN both are handled
    _, _, ok_headers = invoke(app_module, allowed)
    _, _, bad_headers = invoke(app_module, other)
    # THEN only the allowed origin is echoed, never '*'
    assert ok_headers["access-control-allow-origin"] == "https://app.example.com"
    assert "x-api-key" in ok_headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in bad_headers


def test_handler_rejects_invalid_base64_with_400_and_quarantines(
    app_module: ModuleType, tmp_path: Path
) -> None:
    # GIVEN a body flagged as base64 that is not
    event = load("ingest_post_events_base64.json")
    event["body"] = "!!!not-base64!!!"
    # WHEN handled
    status, body, _ = invoke(app_module, event)
    # THEN one clear 400, and the request is kept in quarantine
    assert (status, body["error"]) == (400, "invalid_base64")
    assert list((tmp_path / "lake" / "quarantine").rglob("*-request.jsonl"))


def test_handler_rejects_unsupported_media_type(app_module: ModuleType) -> None:
    event = fresh_body(load("ingest_post_events.json"))
    event["headers"]["content-type"] = "application/xml"
    status, body, _ = invoke(app_module, event)
    assert (status, body["error"]) == (415, "unsupported_media_type")


def test_handler_answers_503_with_retry_after_when_storage_fails(
    app_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a counter store that is down
    def down(*_: Any) -> set[str]:
        raise ConnectionError("down")

    monkeypatch.setattr(container.ports().counters, "known", down)
    # WHEN a valid request arrives
    status, body, headers = invoke(app_module, fresh_body(load("ingest_post_events.json")))
    # THEN the client is told to retry, not given a 5xx crash page
    assert status == 503 and body["error"] == "unavailable"
    assert headers["retry-after"] == "5"


def test_handler_unknown_route_is_404(app_module: ModuleType) -> None:
    event = load("ingest_health.json")
    event["path"] = "/nope"
    status, body, _ = invoke(app_module, event)
    assert (status, body["error"]) == (404, "not_found")
