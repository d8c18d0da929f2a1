"""Segment post-processing at scale: a 1,000,000-user batch segment job output.

Measures, in one run:

* the baseline: reading the ``.out`` file and parsing its JSON lines (the least any consumer does);
* post-processing to the file destination (parse, name, resolve every user against a bulk endpoint
  mapping of 1.2 M users x 2 channels in one pass, write CSV + JSON + manifest), in users/s;
* the same to Pinpoint and to Customer Profiles with counting fakes, for the AWS API calls per
  segment (the reference sample makes one GetUserEndpoints call per user: 1,000,000 per segment).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audience.activation.adapters.aws.customer_profiles import CustomerProfilesDestination
from audience.activation.adapters.aws.pinpoint import PinpointDestination
from audience.activation.adapters.local.files import FileDestination
from audience.activation.endpoints import ENDPOINTS_KEY, PROFILE_CHANNEL, encode_mapping
from audience.activation.postprocess import postprocess
from audience.core.objectstore.adapters.local import FolderObjectStore
from bench.machine import child_json

NOW = datetime(2026, 11, 22, tzinfo=UTC)


class CountingStore:
    """An in-memory bucket that counts S3 calls."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.calls: Counter[str] = Counter()

    def put_object(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.calls["PutObject"] += 1
        self.objects[key] = body

    def get_object(self, key: str) -> bytes:
        self.calls["GetObject"] += 1
        return self.objects[key]

    def list_keys(self, prefix: str) -> list[str]:
        self.calls["ListObjectsV2"] += 1
        return sorted(k for k in self.objects if k.startswith(prefix))


class CountingClient:
    """Answers Pinpoint's and Customer Profiles' calls like the services, counting each."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        def call(**params: Any) -> dict[str, Any]:
            self.calls[name] += 1
            answers: dict[str, dict[str, Any]] = {
                "create_import_job": {"ImportJobResponse": {"Id": "imp", "JobStatus": "CREATED"}},
                "create_upload_job": {"JobId": "job"},
                "get_upload_job_path": {"Url": "https://upload.example/x", "ClientToken": "a2V5"},
                "get_upload_job": {"Status": "SUCCEEDED"},
            }
            return answers.get(name, {})

        return call


def _count(client: CountingClient, name: str) -> int:
    client.calls[name] += 1
    return 200


def _output(users: int, segments: int) -> list[str]:
    per = users // segments
    return [
        json.dumps(
            {
                "itemAttributes": f'ITEMS.genres = "Genre{s}"',
                "output": {"recommendedUsers": [f"u-{i:07d}" for i in range(s * per, (s + 1) * per)]},
            }
        )
        for s in range(segments)
    ]


def _mapping(users: int) -> bytes:
    rows = []
    for i in range(int(users * 1.2)):
        user = f"u-{i:07d}"
        rows.append((user, "EMAIL", f"ep-{i}", i % 10 != 0))  # 10% opted out
        rows.append((user, PROFILE_CHANNEL, user, i % 10 != 0))
    return encode_mapping(rows)


# Runs in a child process, so its peak memory is the post-processing's alone: the inputs are built
# first, then the kernel's peak-RSS mark is reset (/proc/self/clear_refs) and the job runs. It only
# imports the platform's package, so it measures whichever code PYTHONPATH points at.
_MEMORY_CHILD = """
import json, sys, tempfile, time, tracemalloc
from datetime import UTC, datetime
from pathlib import Path
import pyarrow as pa
from bench.activation import CountingStore, _mapping, _output
from audience.activation.endpoints import ENDPOINTS_KEY
from audience.activation.postprocess import postprocess
try:  # the layout of docs/architecture.md
    from audience.activation.adapters.local.files import FileDestination
    from audience.core.objectstore.adapters.local import FolderObjectStore
except ImportError:  # a checkout from before it, measured for comparison
    from audience.activation.destinations import FileDestination
    from audience.adapters.local.objectstore import FolderObjectStore

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
users = int(sys.argv[1])
text = "\\n".join(_output(users, 1))
lake = CountingStore()
lake.put_object(ENDPOINTS_KEY, _mapping(users))
with tempfile.TemporaryDirectory() as tmp:
    destination = FileDestination(FolderObjectStore(Path(tmp)), "segments")
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    tracemalloc.start()
    start = time.perf_counter()
    report = postprocess(text.splitlines(), job="bench", store=lake, destination=destination,
                         now=datetime(2026, 11, 22, tzinfo=UTC))
    seconds = time.perf_counter() - start
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not report.failed
print(json.dumps({"seconds": seconds, "rss_before": before, "rss_peak": status("VmHWM"),
                  "python_peak": python_peak, "arrow_peak": pa.default_memory_pool().max_memory()}))
"""


def peak_memory(users: int, source_root: Path | None = None) -> dict[str, Any]:
    """Peak memory of post-processing ``users`` to the file destination, in a fresh process.

    ``rss_peak - rss_before`` is what the job adds to the process (Arrow buffers included);
    ``python_peak`` is tracemalloc's peak of Python allocations during the job (tracing slows it,
    so ``seconds`` here is not the speed figure). ``source_root`` runs an other checkout's code."""
    env = dict(os.environ)
    if source_root is not None:
        env["PYTHONPATH"] = f"{source_root / 'src'}{os.pathsep}{source_root}"
    out = child_json(
        ["-c", _MEMORY_CHILD, str(users)], cwd=source_root or Path(__file__).parents[1], env=env, timeout=1800
    )
    out["job_peak_mib"] = (out["rss_peak"] - out["rss_before"]) / 2**20
    return out


def warm_up(users: int = 1_000) -> float:
    """Post-process a small job once, as a warm Lambda container has: Arrow builds its compute
    function registry on the first kernel call of a process (about a second of CPU), a fixed cost
    of the cold start, not of the segment. Returns that first job's wall seconds (reported)."""
    store = CountingStore()
    store.put_object(ENDPOINTS_KEY, _mapping(users))
    with tempfile.TemporaryDirectory() as tmp:
        destination = FileDestination(FolderObjectStore(Path(tmp)), "segments")
        t0 = time.perf_counter()
        report = postprocess(_output(users, 1), job="warm-up", store=store, destination=destination, now=NOW)
        assert not report.failed
        return time.perf_counter() - t0


def run(users: int = 1_000_000, segments: int = 1) -> dict[str, Any]:
    lines = _output(users, segments)
    text = "\n".join(lines)
    mapping = _mapping(users)

    # Baseline: parse the JSON lines and count the users.
    t0, c0 = time.perf_counter(), time.process_time()
    parsed_users = sum(len(json.loads(line)["output"]["recommendedUsers"]) for line in text.splitlines())
    baseline_s, baseline_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    assert parsed_users == users

    results: dict[str, Any] = {"users": users, "segments": segments, "baseline_parse_s": baseline_s}
    results["first_call_s"] = warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        lake = CountingStore()
        lake.put_object(ENDPOINTS_KEY, mapping)
        lake.calls.clear()
        destination = FileDestination(FolderObjectStore(Path(tmp)), "segments")
        t0, c0 = time.perf_counter(), time.process_time()
        report = postprocess(text.splitlines(), job="bench", store=lake, destination=destination, now=NOW)
        files_s, files_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    assert not report.failed
    results.update(
        files_s=files_s,
        files_users_per_s=users / files_s,
        baseline_users_per_s=users / baseline_s,
        files_vs_baseline=files_s / baseline_s,
        # CPU seconds of every thread (Arrow's pool included): steadier than wall on a shared machine
        files_cpu_s=files_cpu_s,
        baseline_cpu_s=baseline_cpu_s,
        endpoints_written=sum(s.endpoints for s in report.segments),
        files_api_calls_per_segment=report.api_calls_per_segment,
    )

    def calls_per_segment(destination: Any, client: CountingClient, store: CountingStore) -> dict[str, Any]:
        store.calls.clear()
        t0 = time.perf_counter()
        r = postprocess(text.splitlines(), job="bench", store=store, destination=destination, now=NOW)
        elapsed = time.perf_counter() - t0
        assert not r.failed, r.failed
        calls: Mapping[str, int] = {**store.calls, **client.calls}
        return {
            "seconds": elapsed,
            "users_per_s": users / elapsed,
            "api_calls": dict(calls),
            "api_calls_per_segment": sum(calls.values()) / segments,
        }

    store, pinpoint = CountingStore(), CountingClient()
    store.put_object(ENDPOINTS_KEY, mapping)
    results["pinpoint"] = calls_per_segment(
        PinpointDestination(
            store=store,
            bucket="b",
            prefix="activation/pinpoint",
            application_id="a",
            role_arn="r",
            client=pinpoint,
        ),
        pinpoint,
        store,
    )
    store, profiles = CountingStore(), CountingClient()
    store.put_object(ENDPOINTS_KEY, mapping)
    results["connect"] = calls_per_segment(
        CustomerProfilesDestination(
            domain_name="d",
            client=profiles,
            uploader=lambda *a: _count(profiles, "PUT pre-signed URL"),
            sleep=lambda s: None,
        ),
        profiles,
        store,
    )
    results["reference_sample_calls_per_segment"] = users // segments  # one GetUserEndpoints per user
    return results
