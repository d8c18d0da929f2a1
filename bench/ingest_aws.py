"""The ingest handler's CPU per event on the AWS path: what a Lambda invocation is billed for.

The handler runs with its AWS adapters (Firehose's ``PutRecordBatch``, DynamoDB's ``BatchGetItem``
and ``TransactWriteItems``) and real boto3 clients: parameters built, serialised, signed, the
endpoint resolved and the answer parsed. Only the network is replaced, at botocore's ``before-send``
hook, by AWS's answer to a request that succeeds (every record put, no id known yet). Network wait
is not CPU; everything the function computes is here. The same bodies' JSON parse + dump floor is
measured in the same run, interleaved round by round, as in :func:`bench.ingest.in_process`.

Runs in a process of its own (``python -m bench.ingest_aws``, one JSON line out): settings and
wiring are read once per process, and this one is configured for AWS.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from typing import Any

_ENV = {
    "AUDIENCE_BACKEND": "aws",
    "AUDIENCE_DELIVERY_STREAM": "bench-stream",
    "AUDIENCE_COUNTERS_TABLE": "bench-counters",
    "AUDIENCE_LAKE_BUCKET": "bench-lake",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "1",
}


class _Body:
    """The raw HTTP body botocore reads an answer from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def measure(n_batches: int = 20, rounds: int = 3) -> dict[str, Any]:
    os.environ.update(_ENV)
    os.environ["AUDIENCE_HOME"] = tempfile.mkdtemp(prefix="bench-aws-")
    import boto3  # noqa: TID251 - the network is replaced under boto3's default session, as a test would
    from botocore.awsrequest import AWSResponse

    calls: Counter[str] = Counter()

    def answer(request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else str(target)).rpartition(".")[2]
        calls[operation] += 1
        body: dict[str, Any] = {}
        if operation == "PutRecordBatch":
            records = bytes(request.body).count(b'"Data"')  # base64 holds no quote: one per record
            body = {
                "FailedPutCount": 0,
                "Encrypted": False,
                "RequestResponses": [{"RecordId": "r"}] * records,
            }
        elif operation == "BatchGetItem":
            body = {"Responses": {_ENV["AUDIENCE_COUNTERS_TABLE"]: []}, "UnprocessedKeys": {}}
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "bench"}, _Body(json.dumps(body).encode()))

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send", answer)

    from bench.ingest import batches, post_events
    from functions.ingest.app import handler

    data = [
        [json.dumps({"events": b}).encode() for b in batches(n_batches, seed=31 + r)]
        for r in range(rounds + 1)
    ]

    def post(body: bytes) -> None:
        status = post_events(handler, body)
        assert status == 200, status

    def floor(body: bytes) -> None:
        json.dumps(json.loads(body))

    for body in data[0][:3]:  # clients, endpoints and code warm, as in a warm Lambda
        post(body)
    calls.clear()
    floors: list[float] = []
    handlers: list[float] = []
    for bodies in data[1:]:
        for fn, out in ((floor, floors), (post, handlers)):
            started = time.thread_time()
            for body in bodies:
                fn(body)
            out.append(time.thread_time() - started)
    events = n_batches * 500
    floor_s, handler_s = min(floors), min(handlers)
    requests = n_batches * rounds
    return {
        "events": events,
        "rounds": rounds,
        "floor_cpu_us_per_event": floor_s / events * 1e6,
        "handler_cpu_us_per_event": handler_s / events * 1e6,
        "handler_vs_floor": handler_s / floor_s,
        "calls_per_request": {op: n / requests for op, n in sorted(calls.items())},
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(json.dumps(measure(size)))
