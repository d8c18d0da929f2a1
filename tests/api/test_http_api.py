"""The local server over real HTTP: bad input, concurrency with retries, SIGTERM and SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from builders import make_event
from servers import API_KEY, ROOT, Server, free_port

from audience.ingest.adapters.local.counters import SqliteCounterStore

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(home=tmp_path, port=free_port())
    srv.start()
    yield srv
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def post(url: str, payload: Any, *, key: str | None = API_KEY, **kwargs: Any) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    content = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return httpx.post(f"{url}/events", content=content, headers=headers, timeout=30, **kwargs)


def valid_events(n: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [
        make_event(
            event_id=f"{prefix}-{i}",
            content_id=f"c-{rng.randrange(20):03d}",
            user_id=f"u-{rng.randrange(50):03d}",
            event_type=rng.choice(["view", "view", "like", "share", "comment", "complete", "skip"]),
            timestamp=(now - timedelta(minutes=rng.randrange(1, 600))).isoformat(),
            metadata={"view_duration": float(rng.randrange(0, 300))},
        )
        for i in range(n)
    ]


def lake_rows(home: Path) -> list[tuple[str, str, str]]:
    pattern = f"{home}/lake/engagement-events/**/*.parquet"
    if not list((home / "lake").rglob("*.parquet")):
        return []
    return duckdb.sql(f"SELECT event_id, content_id, event_type FROM read_parquet('{pattern}')").fetchall()


# --- bad input ------------------------------------------------------------------------------------


def test_http_health_and_api_key(server: Server) -> None:
    # GIVEN a running server
    # WHEN health is asked, and events are posted without or with a wrong key
    health = httpx.get(f"{server.url}/health")
    missing = post(server.url, {"events": [make_event()]}, key=None)
    wrong = post(server.url, {"events": [make_event()]}, key="nope")
    # THEN health is open and events need the key (403, as API Gateway answers)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert missing.status_code == wrong.status_code == 403


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"{oops", 400, "malformed_json"),
        (b'{"events": "nope"}', 400, "wrong_shape"),
        (b"[1, 2]", 400, "wrong_shape"),
        (b"", 400, "empty_body"),
        (
            json.dumps({"events": [make_event(event_id=f"x{i}") for i in range(501)]}).encode(),
            413,
            "too_many_events",
        ),
        (b'{"events": ["' + b"x" * (1024 * 1024) + b'"]}', 413, "body_too_large"),
    ],
)
def test_http_bad_requests_get_one_clear_4xx(server: Server, payload: bytes, status: int, code: str) -> None:
    # WHEN a request that is wrong as a whole is posted
    response = post(server.url, payload)
    # THEN one 4xx with a machine code and a readable message, never a 5xx
    assert response.status_code == status
    assert response.json()["error"] == code and response.json()["message"]


def test_http_mixed_batch_reports_each_rejection(server: Server) -> None:
    # GIVEN a batch with good and bad events
    good = valid_events(3, seed=1, prefix="mix")
    bad_type = make_event(event_id="bad-1", event_type="purchase")
    bad_time = make_event(event_id="bad-2", timestamp="2001-01-01T00:00:00Z")
    # WHEN posted
    response = post(server.url, {"events": [good[0], bad_type, good[1], bad_time, good[2]]})
    # THEN good events are accepted and each bad one is listed with index, field and message
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (3, 0)
    assert [(r["index"], r["field"], r["code"]) for r in body["rejected"]] == [
        (1, "event_type", "enum"),
        (3, "timestamp", "timestamp_too_old"),
    ]
    # AND the rejected events are kept in quarantine with their reasons
    server.stop()
    kept = [
        json.loads(line) for f in (server.home / "lake" / "quarantine").rglob("*.jsonl") for line in f.open()
    ]
    assert sorted(k["event"]["event_id"] for k in kept if "event" in k) == ["bad-1", "bad-2"]


def test_http_cors_preflight_allows_only_listed_origins(server: Server) -> None:
    headers = {"access-control-request-method": "POST", "access-control-request-headers": "x-api-key"}
    ok = httpx.options(f"{server.url}/events", headers={**headers, "origin": "https://app.example.com"})
    bad = httpx.options(f"{server.url}/events", headers={**headers, "origin": "https://evil.example.net"})
    assert ok.headers.get("access-control-allow-origin") == "https://app.example.com"
    assert "access-control-allow-origin" not in bad.headers


# --- lossless under concurrency, retries and kills --------------------------------------------------


def test_http_concurrent_retried_batches_land_exactly_once_and_counters_match(server: Server) -> None:
    # GIVEN 4 clients, each sending 10 batches of 100 events, every batch sent twice (a retry),
    # and the clients' batches overlapping with their neighbour's
    batches = [valid_events(100, seed=i, prefix=f"b{i}") for i in range(40)]
    for i in range(0, 40, 2):
        batches[i + 1][:20] = batches[i][:20]  # shared events across clients

    def client(worker: int) -> list[dict[str, Any]]:
        answers = []
        with httpx.Client(timeout=30) as http:
            for batch in batches[worker::4]:
                for _ in range(2):
                    r = http.post(
                        f"{server.url}/events",
                        json={"events": batch},
                        headers={"x-api-key": API_KEY},
                    )
                    assert r.status_code == 200, r.text
                    answers.append(r.json())
        return answers

    # WHEN they run concurrently and the server is then stopped with SIGTERM
    with ThreadPoolExecutor(4) as pool:
        answers = [a for result in pool.map(client, range(4)) for a in result]
    output = server.stop()
    # THEN every acknowledged event is in the lake exactly once
    acknowledged = {e["event_id"] for batch in batches for e in batch}
    rows = lake_rows(server.home)
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)) == len(acknowledged) == 3600
    assert set(ids) == acknowledged
    assert sum(a["accepted"] for a in answers) == 3600
    assert sum(a["duplicates"] for a in answers) == 8000 - 3600
    assert "stopped; delivered the last" in output
    # AND the live counters equal the lake's counts per content and event type
    store = SqliteCounterStore(server.home / "state" / "counters.db", dedup_ttl_seconds=3600)
    lake_counts = Counter((content, event_type) for _, content, event_type in rows)
    contents = {c for _, c, _ in rows}
    for content in contents:
        live = store.content(content)
        assert live is not None
        for event_type, count in live.counts.items():
            assert count == lake_counts.get((content, event_type), 0)


def test_http_sigkill_after_ack_loses_nothing(server: Server) -> None:
    # GIVEN events acknowledged by the server (buffered, not yet in the lake)
    events = valid_events(300, seed=99, prefix="kill")
    for start in range(0, 300, 100):
        assert post(server.url, {"events": events[start : start + 100]}).status_code == 200
    # WHEN the server is killed with SIGKILL, restarted, and stopped cleanly
    server.stop(signal.SIGKILL)
    assert lake_rows(server.home) == []
    server.start()
    retry = post(server.url, {"events": events[:100]})  # a client retry after the crash
    output = server.stop()
    # THEN every acknowledged event is in the lake exactly once, and the retry was a duplicate
    ids = [r[0] for r in lake_rows(server.home)]
    assert sorted(ids) == sorted(e["event_id"] for e in events)
    assert retry.json()["duplicates"] == 100
    assert "delivered the last 300 buffered events" in output


def test_http_concurrent_distinct_batches_are_answered_for_themselves(server: Server) -> None:
    # GIVEN 8 clients sending distinct batches of different sizes at the same time
    batches = [valid_events(20 + i, seed=1000 + i, prefix=f"d{i}") for i in range(48)]

    def send(batch: list[dict[str, Any]]) -> dict[str, Any]:
        response = post(server.url, {"events": batch})
        assert response.status_code == 200, response.text
        return response.json()

    # WHEN they are posted concurrently
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, batches))
    server.stop()
    # THEN each answer describes its own request, and every acknowledged event is in the lake
    assert [a["received"] for a in answers] == [len(b) for b in batches]
    assert [a["accepted"] for a in answers] == [len(b) for b in batches]
    assert sorted(r[0] for r in lake_rows(server.home)) == sorted(e["event_id"] for b in batches for e in b)


def test_http_sigterm_lets_in_flight_requests_finish(server: Server) -> None:
    # GIVEN 8 requests in flight
    batches = [valid_events(400, seed=2000 + i, prefix=f"t{i}") for i in range(8)]
    sent = threading.Semaphore(0)

    def trace(name: str, info: dict[str, Any]) -> None:
        if name == "http11.send_request_body.complete":
            sent.release()  # this request is on the wire: in flight from here on

    def send(batch: list[dict[str, Any]]) -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            return http.post(
                f"{server.url}/events",
                content=json.dumps({"events": batch}).encode(),
                headers={"content-type": "application/json", "x-api-key": API_KEY},
                extensions={"trace": trace},
            )

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send, b) for b in batches]
        for _ in batches:
            assert sent.acquire(timeout=30)
        # WHEN the server is asked to stop
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        responses = [f.result() for f in futures]
    server.proc.wait(timeout=60)
    output = server.output()
    # THEN every request already accepted got its answer, and everything acknowledged is in the lake
    assert [r.status_code for r in responses] == [200] * 8
    assert len(lake_rows(server.home)) == 3200
    assert "delivered the last 3,200 buffered events" in output


def test_http_second_server_on_the_same_home_refuses_to_start(server: Server) -> None:
    # GIVEN a running server
    # WHEN another one is started on the same AUDIENCE_HOME
    result = subprocess.run(
        [sys.executable, "-m", "devhost.cli", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, "AUDIENCE_HOME": str(server.home), "AUDIENCE_API_KEY": API_KEY},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # THEN it exits with a clear message instead of delivering the same spool twice
    assert result.returncode == 1
    assert "another audience server" in result.stderr


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000,
        b'{"events": [' + b"9" * 5000 + b"]}",
    ],
)
def test_http_hostile_json_is_a_4xx(server: Server, payload: bytes) -> None:
    response = post(server.url, payload)
    assert response.status_code == 400 and response.json()["error"] == "malformed_json"


def test_http_lone_surrogate_and_overflowing_offset_are_rejected_per_event(server: Server) -> None:
    # GIVEN events that are valid JSON but not storable text / not a representable UTC time
    surrogate = json.dumps(make_event(event_id="s1")).replace('"ios-app"', '"ios-app\\ud800"')
    overflow = json.dumps(make_event(event_id="s2", timestamp="0001-01-01T00:00:00+23:59"))
    raw = '{"events": [' + surrogate + ", " + overflow + "]}"
    assert "\\ud800" in raw
    # WHEN posted
    response = post(server.url, raw.encode())
    # THEN both are rejected with reasons, not a 500
    assert response.status_code == 422
    assert [(r["index"], r["code"]) for r in response.json()["rejected"]] == [
        (0, "invalid_unicode"),
        (1, "value_error"),
    ]
