"""Ingestion benchmarks.

* In-process: the Lambda handler's cost per event for 500-event batches (local backend: validation,
  enrichment, quarantine, fsynced spool, counters), against the floor of merely parsing and
  re-serialising the same JSON bodies in the same run.
* On the AWS path (``bench/ingest_aws.py``): the same handler on its Firehose and DynamoDB adapters
  with real boto3 clients, only the network replaced: the CPU a Lambda invocation is billed for.
* Local HTTP: events/s and p50/p99 request latency for 500-event batches from 4 concurrent clients
  against `audience serve`, against the same clients posting the same bodies to a route that does
  no work (HTTP, the API Gateway shim and routing only).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from audience.datagen import GeneratorConfig, generate
from bench.machine import child_json

ROOT = Path(__file__).parents[1]
BATCH = 500


def batches(n_batches: int, seed: int) -> list[list[dict[str, Any]]]:
    """Realistic valid events from the generator, with ids unique to this run."""
    config = GeneratorConfig(
        seed=seed,
        target_events=n_batches * BATCH * 2,
        now=datetime.now(UTC) - timedelta(minutes=2),
        bad_share=0.0,
        duplicate_share=0.0,
    )
    events: list[dict[str, Any]] = []
    for item in generate(config):
        payload = dict(item.payload)
        # Unique to this run and random, as clients' UUIDs are (and as the generator's): ids that
        # sort in arrival order would flatter any store keyed by them.
        payload["event_id"] = str(uuid.uuid4())
        events.append(payload)
        if len(events) == n_batches * BATCH:
            break
    return [events[i : i + BATCH] for i in range(0, len(events), BATCH)]


def post_events(handler: Callable[[dict[str, Any], Any], dict[str, Any]], body: bytes) -> int:
    """``POST /events`` with ``body`` through the Lambda handler as API Gateway calls it; the status."""
    from devhost.apigw import LocalContext, proxy_event

    event = proxy_event(
        method="POST",
        path="/events",
        headers={"content-type": "application/json"},
        query={},
        body=body,
        source_ip="127.0.0.1",
        stage="bench",
    )
    return int(handler(event, LocalContext(aws_request_id="bench"))["statusCode"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(n_batches: int = 40) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
    os.environ.update(
        {"AUDIENCE_HOME": str(home), "AUDIENCE_BACKEND": "local", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    )
    from audience.ingest import wiring as container
    from audience.ingest.service import RequestContext, screen_body, validate_body

    container.reset()
    from functions.ingest.app import handler

    n_rounds = 5
    rounds = [
        [json.dumps({"events": b}).encode() for b in batches(n_batches, seed=11 + r)] for r in range(n_rounds)
    ]
    bodies = rounds[0]
    events_total = n_batches * BATCH

    def timed(fn: Callable[[bytes], Any], data: list[bytes]) -> tuple[float, float]:
        """(wall seconds, this thread's CPU seconds). On a shared machine the CPU time is the steadier
        measure of work; the wall time also holds what the handler waits for (fsync)."""
        start, cpu = time.perf_counter(), time.thread_time()
        for body in data:
            fn(body)
        return time.perf_counter() - start, time.thread_time() - cpu

    from audience.core.settings import get_settings

    limits = container.limits(get_settings())
    ctx = RequestContext(request_id="bench")

    def floor_fn(body: bytes) -> None:
        json.dumps(json.loads(body))

    def validate_only(body: bytes) -> None:
        # Validation as the handler runs it: the request's checks and the contract's twin reading
        # the body's bytes in one pydantic-core call, then the size and time-window rules.
        screened = screen_body(body, limits, ctx)
        assert screened is not None and not screened[2]

    def validate_and_build(body: bytes) -> None:
        # ... and building each lake record once, with its JSON line.
        checked = validate_body(body, limits, ctx)
        assert checked is not None and not checked[2]

    statuses: list[int] = []

    def full(body: bytes) -> None:
        statuses.append(post_events(handler, body))

    # The three measures are interleaved round by round, each keeping its best round, so that on a
    # shared machine the floor and what is compared with it see the same load. Each handler round
    # sends new events (a repeat would only hit the duplicate path).
    floors, validations, builds, handlers = [], [], [], []
    for data in rounds:
        floors.append(timed(floor_fn, bodies))
        validations.append(timed(validate_only, bodies))
        builds.append(timed(validate_and_build, bodies))
        handlers.append(timed(full, data))
    floor, validation, handler_seconds, build = (
        min(w for w, _ in m) for m in (floors, validations, handlers, builds)
    )
    floor_cpu, validation_cpu, handler_cpu, build_cpu = (
        min(c for _, c in m) for m in (floors, validations, handlers, builds)
    )
    assert set(statuses) == {200}, f"unexpected statuses {set(statuses)}"
    container.reset()
    return {
        "events": events_total,
        "floor_us_per_event": floor / events_total * 1e6,
        "validation_us_per_event": validation / events_total * 1e6,
        "handler_us_per_event": handler_seconds / events_total * 1e6,
        "handler_vs_floor": handler_seconds / floor,
        "validation_vs_floor": validation / floor,
        "validation_build_us_per_event": build / events_total * 1e6,
        "validation_build_vs_floor": build / floor,
        "rounds": n_rounds,
        "cpu": {
            "floor_us_per_event": floor_cpu / events_total * 1e6,
            "validation_us_per_event": validation_cpu / events_total * 1e6,
            "validation_build_us_per_event": build_cpu / events_total * 1e6,
            "handler_us_per_event": handler_cpu / events_total * 1e6,
            "validation_vs_floor": validation_cpu / floor_cpu,
            "validation_build_vs_floor": build_cpu / floor_cpu,
            "handler_vs_floor": handler_cpu / floor_cpu,
        },
    }


def long_run(blocks: int = 8, batches_per_block: int = 80) -> dict[str, Any]:
    """The handler's CPU per event block after block in one home, as the id memories and counters
    fill (320,000 events by default): a store whose cost grows with its size shows here, where the
    best-of-rounds figure of :func:`in_process` (fresh home) would hide it."""
    home = Path(tempfile.mkdtemp(prefix="bench-longrun-"))
    os.environ.update(
        {"AUDIENCE_HOME": str(home), "AUDIENCE_BACKEND": "local", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    )
    from audience.ingest import wiring as container

    container.reset()
    from functions.ingest.app import handler

    per_block: list[float] = []
    for block in range(blocks):
        bodies = [json.dumps({"events": b}).encode() for b in batches(batches_per_block, seed=101 + block)]
        started = time.thread_time()
        for body in bodies:
            status = post_events(handler, body)
            assert status == 200, status
        per_block.append((time.thread_time() - started) / (batches_per_block * BATCH) * 1e6)
    container.reset()
    shutil.rmtree(home, ignore_errors=True)
    return {
        "events_per_block": batches_per_block * BATCH,
        "cpu_us_per_event_by_block": per_block,
        "last_vs_first_block": per_block[-1] / per_block[0],
    }


def aws_path(n_batches: int = 20) -> dict[str, Any]:
    """The handler on its AWS adapters, network replaced (``bench/ingest_aws.py``), in its own process."""
    return child_json(["-m", "bench.ingest_aws", str(n_batches)], cwd=ROOT, timeout=900)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(
    url: str, path: str, bodies: list[bytes], clients: int, key: str
) -> tuple[float, list[float], set[int]]:
    latencies: list[float] = []
    statuses: set[int] = set()

    def worker(index: int) -> None:
        with httpx.Client(timeout=60, headers={"x-api-key": key, "content-type": "application/json"}) as http:
            for body in bodies[index::clients]:
                start = time.perf_counter()
                response = http.post(f"{url}{path}", content=body)
                latencies.append(time.perf_counter() - start)
                statuses.add(response.status_code)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return time.perf_counter() - start, latencies, statuses


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc), for the server's CPU time."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo.extend(int(c) for c in task.read_text().split())
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (0 for any that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def http(n_batches: int = 80, clients: int = 4, workers: int = 0) -> dict[str, Any]:
    """``workers``: the collector's handler processes (0: its default); 1 is the single-file
    collector this one replaced (one invocation at a time), the baseline of the same run."""
    home = Path(tempfile.mkdtemp(prefix="bench-http-"))
    port, key = _free_port(), "bench-key"
    env = {**os.environ, "AUDIENCE_HOME": str(home), "AUDIENCE_API_KEY": key, "AUDIENCE_BACKEND": "local"}
    # The server's output (a line per request, the metrics) goes to a file: a pipe nobody reads
    # until the end fills after about 64 KiB, and then every worker blocks on its next write.
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devhost.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        warm = [json.dumps({"events": b}).encode() for b in batches(4, seed=5)]
        _load(url, "/events", warm, clients, key)
        bodies = [json.dumps({"events": b}).encode() for b in batches(n_batches, seed=7)]
        events_total = n_batches * BATCH
        floor_s, floor_lat, floor_status = _load(url, "/noop", bodies, clients, key)
        server_pids = _tree(proc.pid) if Path("/proc").is_dir() else []
        cpu_before = _cpu_seconds(server_pids)
        load_before = os.getloadavg()[0]
        ingest_s, lat, statuses = _load(url, "/events", bodies, clients, key)
        cpu_used = _cpu_seconds(server_pids) - cpu_before
        assert statuses == {200}, f"unexpected statuses {statuses}"
        assert floor_status == {404}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        log.close()
    out = (home / "server.log").read_text()
    workers_line = next((line for line in out.splitlines() if "workers;" in line), "")
    return {
        "events": events_total,
        "clients": clients,
        "workers": int(workers_line.split("(")[1].split()[0]) if workers_line else workers,
        "events_per_s": events_total / ingest_s,
        "p50_ms": percentile(lat, 0.50) * 1000,
        "p99_ms": percentile(lat, 0.99) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000,
        "floor_events_per_s": events_total / floor_s,
        "floor_p50_ms": percentile(floor_lat, 0.50) * 1000,
        "throughput_vs_floor": (events_total / ingest_s) / (events_total / floor_s),
        # Contention-robust figures: the server's CPU per event, and how many cores it kept busy
        # (above 1: the workers ran in parallel); the 1-minute load average shows the machine.
        "server_cpu_us_per_event": cpu_used / events_total * 1e6,
        "server_cores_used": cpu_used / ingest_s,
        "load_average": load_before,
    }


def collector(n_batches: int = 80, clients: int = 4, rounds: int = 2) -> dict[str, Any]:
    """The concurrent collector (default workers) against the single-file one (1 worker), in
    alternating rounds of the same run so both see the same machine; the best round of each."""
    single: list[dict[str, Any]] = []
    multi: list[dict[str, Any]] = []
    for _ in range(rounds):
        single.append(http(n_batches, clients, workers=1))
        multi.append(http(n_batches, clients, workers=0))
    best_single = max(single, key=lambda r: r["events_per_s"])
    best_multi = max(multi, key=lambda r: r["events_per_s"])
    return {
        "single": best_single,
        "collector": best_multi,
        "speedup": best_multi["events_per_s"] / best_single["events_per_s"],
        "rounds": rounds,
    }
