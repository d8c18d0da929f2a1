"""Issue 18: a SIGTERM stop always ends, under a slow disk, over real HTTP with the real server.

Slow storage is injected with ``AUDIENCE_TEST_FSYNC_DELAY_SECONDS``: every commit of the spool and
every fsync of the lake writer first sleeps that long. Each test then restarts the server on a
normal disk and checks that every acknowledged event is in the lake exactly once.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from builders import make_event
from servers import API_KEY, StreamingServer, free_port

pytestmark = pytest.mark.slow

DEADLINE = 4.0  # AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS in these tests
MARGIN = 3.0  # process exit and a contended 2-core machine
STOPPED = re.compile(
    r"stopped; delivered the last ([\d,]+) buffered events to the lake on shutdown \((\d+) files?\); "
    r"([\d,]+) stay spooled"
)


def events(n: int, prefix: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        make_event(
            event_id=f"{prefix}-{i}",
            content_id=f"c-{i % 20:03d}",
            user_id=f"u-{i % 50:03d}",
            timestamp=(now - timedelta(minutes=1 + i % 300)).isoformat(),
        )
        for i in range(n)
    ]


def post_all(url: str, all_events: list[dict[str, Any]], clients: int = 4) -> list[httpx.Response]:
    batches = [all_events[i : i + 500] for i in range(0, len(all_events), 500)]

    def send(batch: list[dict[str, Any]]) -> httpx.Response:
        return httpx.post(f"{url}/events", json={"events": batch}, headers={"x-api-key": API_KEY}, timeout=60)

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(send, batches))


def lake_ids(home: Path) -> list[str]:
    if not list((home / "lake").rglob("*.parquet")):
        return []
    pattern = f"{home}/lake/engagement-events/**/*.parquet"
    return [r[0] for r in duckdb.sql(f"SELECT event_id FROM read_parquet('{pattern}')").fetchall()]


def recorded_deliveries(home: Path) -> int:
    with sqlite3.connect(home / "state" / "spool.db", timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM deliveries").fetchone()[0])


def stopped(output: str) -> tuple[int, int, int]:
    match = STOPPED.search(output)
    assert match, output
    rows, files, pending = (int(g.replace(",", "")) for g in match.groups())
    return rows, files, pending


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def slow(home: Path, port: int, **env: str) -> StreamingServer:
    return StreamingServer(
        home=home,
        port=port,
        env={
            "AUDIENCE_TEST_FSYNC_DELAY_SECONDS": "1.0",
            "AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS": str(DEADLINE),
            "AUDIENCE_LOCAL_BUFFER_RECORDS": "2000",
            **env,
        },
    )


def timed_stop(server: StreamingServer, *, second_signal_after: str | None = None) -> tuple[float, int, str]:
    started = time.monotonic()
    server.send(signal.SIGTERM)
    if second_signal_after:
        server.wait_for(second_signal_after, timeout=DEADLINE)
        server.send(signal.SIGTERM)  # an impatient operator: it must change nothing
    code = server.wait(timeout=DEADLINE + 30)
    took = time.monotonic() - started
    print(f"SIGTERM to exit: {took:.2f} s, exit {code}; {server.output().strip().splitlines()[-1]}")
    return took, code, server.output()


def deliver_rest_and_check(home: Path, port: int, acknowledged: set[str]) -> str:
    """A normal restart delivers whatever stayed spooled; the lake then holds each event once."""
    server = StreamingServer(home=home, port=port)
    server.start()
    output = server.stop()
    ids = lake_ids(home)
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert set(ids) == acknowledged, f"{len(acknowledged - set(ids))} acknowledged events are missing"
    assert not list((home / "lake").rglob(".part-*.tmp")), "a temp file was left behind"
    return output


def test_sigterm_with_20000_pending_and_slow_fsync_ends_within_the_deadline(home: Path) -> None:
    # GIVEN 20,000 acknowledged events still in the spool (a server SIGKILLed after acking them)
    port = free_port()
    first = StreamingServer(home=home, port=port)
    first.start()
    sent = events(20_000, "pending")
    assert {r.status_code for r in post_all(first.url, sent)} == {200}
    first.stop(signal.SIGKILL)
    assert lake_ids(home) == []
    # AND a restart on a disk where every fsync takes a second (10 files of 2,000 to deliver)
    server = slow(home, port)
    server.start()
    # WHEN it is sent SIGTERM, and SIGTERM again during the final flush
    took, code, output = timed_stop(server, second_signal_after="stopping:")
    # THEN it ends within the deadline plus a small margin, exits 0, and says what stays spooled
    assert code == 0, output
    assert took <= DEADLINE + MARGIN, f"stop took {took:.1f} s:\n{output}"
    rows, _, pending = stopped(output)
    assert pending > 0, "the slow disk should have left events for the next start"
    in_lake = lake_ids(home)  # delivered at start (full buffers), while stopping, maybe a file abandoned
    assert len(in_lake) == len(set(in_lake)) >= rows
    assert len(in_lake) + pending >= 20_000
    # AND the next start delivers the rest, nothing lost or duplicated
    rest = deliver_rest_and_check(home, port, {e["event_id"] for e in sent})
    assert stopped(rest)[2] == 0


def test_sigterm_during_recovery(home: Path) -> None:
    # GIVEN a server killed in the middle of a delivery (its range stays recorded)
    port = free_port()
    first = slow(home, port, AUDIENCE_LOCAL_BUFFER_SECONDS="0.5", AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS="60")
    first.start()
    sent = events(4000, "recover")
    assert {r.status_code for r in post_all(first.url, sent)} == {200}
    deadline = time.monotonic() + 30
    while recorded_deliveries(home) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recorded_deliveries(home) > 0, "no delivery started"
    first.stop(signal.SIGKILL)
    # AND a restart on a disk so slow (20 s per fsync) that the rewrite outlasts any start-up
    server = slow(home, port, AUDIENCE_TEST_FSYNC_DELAY_SECONDS="20.0")
    server.start()
    server.wait_for("recovering", timeout=5)
    # WHEN SIGTERM arrives during the recovery
    took, code, output = timed_stop(server)
    # THEN the stop is bounded and clean
    assert code == 0, output
    assert took <= DEADLINE + MARGIN, f"stop took {took:.1f} s:\n{output}"
    rows, _, pending = stopped(output)
    assert len(lake_ids(home)) >= rows
    assert pending > 0, output
    # AND the next start finishes the recovery and the rest: each event once
    deliver_rest_and_check(home, port, {e["event_id"] for e in sent})


def test_sigterm_during_a_periodic_delivery(home: Path) -> None:
    # GIVEN a server on the slow disk whose buffer interval has started a delivery
    port = free_port()
    server = slow(home, port, AUDIENCE_LOCAL_BUFFER_SECONDS="0.5")
    server.start()
    sent = events(6000, "periodic")
    assert {r.status_code for r in post_all(server.url, sent)} == {200}
    deadline = time.monotonic() + 30
    while recorded_deliveries(home) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recorded_deliveries(home) > 0, "no periodic delivery started"
    # WHEN SIGTERM arrives while it runs
    took, code, output = timed_stop(server)
    # THEN the stop does not wait for the delivery past the deadline, and exits 0
    assert code == 0, output
    assert took <= DEADLINE + MARGIN, f"stop took {took:.1f} s:\n{output}"
    _, _, pending = stopped(output)
    assert len(lake_ids(home)) + pending >= 6000
    # AND what it delivered is in the lake once, the rest comes with the next start
    deliver_rest_and_check(home, port, {e["event_id"] for e in sent})


def test_slow_spool_answers_503_with_retry_after_and_the_retry_is_exact(home: Path) -> None:
    # GIVEN a server whose spool commits take 3 s, longer than a request's 1 s deadline
    port = free_port()
    server = StreamingServer(
        home=home,
        port=port,
        env={
            "AUDIENCE_TEST_FSYNC_DELAY_SECONDS": "3.0",
            "AUDIENCE_LOCAL_REQUEST_TIMEOUT_SECONDS": "1.0",
            "AUDIENCE_SHUTDOWN_TIMEOUT_SECONDS": "10",
        },
    )
    server.start()
    batch = events(200, "slow")
    # WHEN a batch is posted
    started = time.monotonic()
    first = post_all(server.url, batch)[0]
    took = time.monotonic() - started
    # THEN the answer is a 503 with Retry-After, in about the request's deadline, not an endless wait
    assert first.status_code == 503, first.text
    assert first.headers["retry-after"]
    assert took < 1.0 + 2.0
    # AND the client's retry, once the disk has caught up, is answered for what is durable
    time.sleep(3.5)
    retry = post_all(server.url, batch)[0]
    assert retry.status_code in (200, 503), retry.text
    while retry.status_code == 503:
        time.sleep(float(retry.headers["retry-after"]) / 5)
        retry = post_all(server.url, batch)[0]
    assert retry.json()["accepted"] + retry.json()["duplicates"] == 200
    took, code, output = timed_stop(server)
    assert code == 0 and took <= 10 + MARGIN, output
    # AND each event is in the lake once (after a restart on a normal disk delivers what stayed)
    deliver_rest_and_check(home, port, {e["event_id"] for e in batch})
