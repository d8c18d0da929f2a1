"""FirehoseSink against moto (records land in S3) and against Stubber (partial failures, errors)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import DELIVERY_BUCKET, STREAM, client, lake_record
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from audience.ingest.adapters.aws.firehose import MAX_RECORD_BYTES, PACKED_RECORD_BYTES, FirehoseSink, pack
from audience.ingest.delivery import deliver
from audience.ingest.ports import EventSink
from schemas.engagement import LakeRecord


def no_sleep(_: float) -> None:
    return None


def delivered_lines() -> list[str]:
    s3 = client("s3")
    lines: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DELIVERY_BUCKET, Prefix="events/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=DELIVERY_BUCKET, Key=obj["Key"])["Body"].read().decode()
            lines.extend(body.splitlines(keepends=True))
    return lines


def record_calls(firehose: Any) -> list[list[bytes]]:
    """Spy on the ``Records`` of every PutRecordBatch the client makes (botocore's event hooks)."""
    calls: list[list[bytes]] = []

    def spy(params: dict[str, Any], **_: Any) -> None:
        calls.append([r["Data"] for r in params["Records"]])

    firehose.meta.events.register("before-parameter-build.firehose.PutRecordBatch", spy)
    return calls


def entries(records: list[LakeRecord]) -> list[dict[str, bytes]]:
    return [{"Data": r.to_json_line().encode()} for r in records]


def wide(event_id: str) -> LakeRecord:
    """A record whose line is over half a packed record, so it travels in a Firehose record alone."""
    return lake_record(event_id).model_copy(update={"platform": "p" * (PACKED_RECORD_BYTES // 2)})


def answer(failed: set[int], n: int) -> dict[str, Any]:
    return {
        "FailedPutCount": len(failed),
        "Encrypted": False,
        "RequestResponses": [
            {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}
            if i in failed
            else {"RecordId": f"rid-{i}"}
            for i in range(n)
        ],
    }


# --- against moto: what is sent arrives ---------------------------------------------------------


def test_aws_firehose_sink_is_an_event_sink_with_firehose_limits() -> None:
    # GIVEN a sink (no client is created until the first call)
    sink = FirehoseSink(STREAM)
    # WHEN / THEN it satisfies the port with Firehose's batch limits
    assert isinstance(sink, EventSink)
    assert (sink.limits.max_records, sink.limits.max_bytes) == (500, 4 * 1024 * 1024)
    assert sink._client is None


def test_aws_firehose_records_arrive_as_json_lines(firehose: Any) -> None:
    # GIVEN a stream delivering to S3 and three records
    records = [
        lake_record(f"e{i}", event_type=("view", "like", "skip")[i], seconds=1.5 * i) for i in range(3)
    ]
    sink = FirehoseSink(STREAM, client=firehose)
    # WHEN they are put in one batch
    failed = sink.put_batch(records)
    # THEN none failed and the delivered objects hold exactly their JSON lines, which parse back
    assert failed == []
    lines = delivered_lines()
    assert lines == [r.to_json_line() for r in records]
    assert [LakeRecord.from_json_line(line) for line in lines] == records


def test_aws_firehose_deliver_chunks_by_count(firehose: Any) -> None:
    # GIVEN 1,201 small records and a spy on the client
    records = [lake_record(f"e{i:05d}") for i in range(1201)]
    calls = record_calls(firehose)
    # WHEN the domain delivers them through the sink
    report = deliver(FirehoseSink(STREAM, client=firehose), records, sleep=no_sleep)
    # THEN each call carries at most 500 events, packed into records of at most 5,000 bytes, and
    # every record arrives exactly once
    assert [sum(d.count(b"\n") for d in c) for c in calls] == [500, 500, 201]
    assert max(len(d) for c in calls for d in c) <= PACKED_RECORD_BYTES
    assert sum(len(c) for c in calls) < 1201 / 5
    assert report.failed == [] and report.retried == 0
    assert sorted(delivered_lines()) == sorted(r.to_json_line() for r in records)


def test_aws_firehose_deliver_chunks_by_bytes(firehose: Any) -> None:
    # GIVEN 300 records of about 30 KiB each (9 MB in all, far below 500 records)
    records = [lake_record(f"e{i:03d}").model_copy(update={"platform": "p" * 30_000}) for i in range(300)]
    calls = record_calls(firehose)
    # WHEN they are delivered
    report = deliver(FirehoseSink(STREAM, client=firehose), records, sleep=no_sleep)
    # THEN no call exceeds 4 MiB, it took at least three calls, and nothing is lost
    sizes = [sum(len(d) for d in c) for c in calls]
    assert len(calls) >= 3
    assert max(sizes) <= 4 * 1024 * 1024
    assert sum(len(c) for c in calls) == 300
    assert len(report.delivered) == 300 and report.failed == []
    assert len(delivered_lines()) == 300


def test_aws_firehose_packs_lines_into_records_of_one_billing_increment(firehose: Any) -> None:
    # GIVEN 40 small records (about 500 bytes a line) and a spy on the client
    records = [lake_record(f"e{i:03d}") for i in range(40)]
    calls = record_calls(firehose)
    # WHEN they are put in one batch
    assert FirehoseSink(STREAM, client=firehose).put_batch(records) == []
    # THEN they travel as a few records of at most 5,000 bytes, each holding whole lines, in order
    (sent,) = calls
    assert len(sent) <= len(records) / 8
    assert all(len(d) <= PACKED_RECORD_BYTES and d.endswith(b"\n") for d in sent)
    assert b"".join(sent).decode().splitlines(keepends=True) == [r.to_json_line() for r in records]
    # AND the lake receives exactly the lines, which parse back
    assert [LakeRecord.from_json_line(line) for line in delivered_lines()] == records


def test_pack_keeps_order_and_gives_a_long_line_its_own_record() -> None:
    # GIVEN short lines around one longer than a packed record
    lines = [b"a" * 2_000 + b"\n", b"b" * 2_000 + b"\n", b"c" * 6_000 + b"\n", b"d\n", b"e\n"]
    # WHEN packed / THEN the lines keep their order, and each record knows its lines' positions
    assert [(len(data), members) for data, members in pack(lines)] == [
        (4_002, [0, 1]),
        (6_001, [2]),
        (4, [3, 4]),
    ]


# --- against Stubber: failures ------------------------------------------------------------------


def test_aws_firehose_refused_packed_record_resends_every_line_in_it() -> None:
    # GIVEN 12 small records packed into two Firehose records; Firehose refuses the second
    records = [lake_record(f"e{i:02d}") for i in range(12)]
    packed = pack([r.to_json_line().encode() for r in records])
    assert len(packed) == 2
    second = packed[1][1]
    firehose = client("firehose")
    with Stubber(firehose) as stub:
        stub.add_response(
            "put_record_batch",
            answer({1}, 2),
            {"DeliveryStreamName": STREAM, "Records": [{"Data": data} for data, _ in packed]},
        )
        stub.add_response(
            "put_record_batch",
            answer(set(), 1),
            {"DeliveryStreamName": STREAM, "Records": [{"Data": packed[1][0]}]},
        )
        # WHEN the domain delivers them
        report = deliver(FirehoseSink(STREAM, client=firehose), records, sleep=no_sleep)
        stub.assert_no_pending_responses()
    # THEN exactly the refused record's lines were sent again, and every record is delivered once
    assert report.retried == len(second)
    assert sorted(r.event_id for r in report.delivered) == [r.event_id for r in records]
    assert report.failed == []


def test_aws_firehose_partial_failure_resends_only_failed_records() -> None:
    # GIVEN five records, each a Firehose record of its own; the first call rejects positions 1 and 3,
    # the second accepts the rest
    records = [wide(f"e{i}") for i in range(5)]
    firehose = client("firehose")
    with Stubber(firehose) as stub:
        stub.add_response(
            "put_record_batch",
            answer({1, 3}, 5),
            expected_params={"DeliveryStreamName": STREAM, "Records": entries(records)},
        )
        stub.add_response(
            "put_record_batch",
            answer(set(), 2),
            expected_params={"DeliveryStreamName": STREAM, "Records": entries([records[1], records[3]])},
        )
        # WHEN the domain delivers them
        report = deliver(FirehoseSink(STREAM, client=firehose), records, sleep=no_sleep)
        # THEN the second call carried exactly the two failed records (Stubber checked the params)
        stub.assert_no_pending_responses()
    # AND every record is delivered exactly once, none failed, two were sent twice
    assert sorted(r.event_id for r in report.delivered) == [r.event_id for r in records]
    assert report.failed == []
    assert report.retried == 2


def test_aws_firehose_persistent_failure_returns_records_as_failed() -> None:
    # GIVEN a record Firehose keeps rejecting while its neighbours pass
    records = [wide(f"e{i}") for i in range(3)]
    firehose = client("firehose")
    with Stubber(firehose) as stub:
        stub.add_response(
            "put_record_batch", answer({2}, 3), {"DeliveryStreamName": STREAM, "Records": entries(records)}
        )
        for _ in range(3):
            stub.add_response(
                "put_record_batch",
                answer({0}, 1),
                {"DeliveryStreamName": STREAM, "Records": entries(records[2:])},
            )
        # WHEN it is delivered with four attempts
        report = deliver(FirehoseSink(STREAM, client=firehose), records, attempts=4, sleep=no_sleep)
        stub.assert_no_pending_responses()
    # THEN nothing is raised or dropped: it comes back as failed, the others as delivered
    assert report.failed == [records[2]]
    assert report.delivered == records[:2]


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailableException", 503), ("ThrottlingException", 400), ("InternalFailure", 500)],
)
def test_aws_firehose_transient_call_failure_reports_every_position(code: str, status: int) -> None:
    # GIVEN a call that fails as a whole, transiently
    firehose = client("firehose")
    with Stubber(firehose) as stub:
        stub.add_client_error("put_record_batch", service_error_code=code, http_status_code=status)
        # WHEN a batch is put
        failed = FirehoseSink(STREAM, client=firehose).put_batch([lake_record("a"), lake_record("b")])
    # THEN every position is reported for a retry, nothing is raised
    assert failed == [0, 1]


def test_aws_firehose_connection_error_reports_every_position() -> None:
    # GIVEN a client whose endpoint cannot be reached
    class Unreachable:
        def put_record_batch(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://firehose.us-east-1.amazonaws.com")

    # WHEN a batch is put
    failed = FirehoseSink(STREAM, client=Unreachable()).put_batch([lake_record("a")])
    # THEN the record is reported failed, not raised
    assert failed == [0]


@pytest.mark.parametrize(
    ("code", "status"),
    [("ResourceNotFoundException", 400), ("InvalidArgumentException", 400), ("AccessDeniedException", 403)],
)
def test_aws_firehose_misconfiguration_raises(code: str, status: int) -> None:
    # GIVEN a call failing because of configuration, not load
    firehose = client("firehose")
    with Stubber(firehose) as stub:
        stub.add_client_error("put_record_batch", service_error_code=code, http_status_code=status)
        # WHEN a batch is put / THEN the error is loud
        with pytest.raises(ClientError, match=code):
            FirehoseSink(STREAM, client=firehose).put_batch([lake_record("a")])


def test_aws_firehose_missing_stream_raises_against_moto(firehose: Any) -> None:
    # GIVEN a sink naming a stream that does not exist
    sink = FirehoseSink("no-such-stream", client=firehose)
    # WHEN / THEN putting raises instead of reporting a retry that can never succeed
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        sink.put_batch([lake_record("a")])


def test_aws_firehose_refuses_batches_beyond_its_limits() -> None:
    # GIVEN a sink whose client must never be called
    sink = FirehoseSink(STREAM, client=object())
    big = lake_record("big").model_copy(update={"platform": "p" * MAX_RECORD_BYTES})
    # WHEN / THEN too many records, too many bytes, or one oversized record are programming errors
    with pytest.raises(ValueError, match="per call"):
        sink.put_batch([lake_record(f"e{i}") for i in range(501)])
    with pytest.raises(ValueError, match="per call"):
        sink.put_batch(
            [lake_record(f"e{i}").model_copy(update={"platform": "p" * 900_000}) for i in range(5)]
        )
    with pytest.raises(ValueError, match="per record"):
        sink.put_batch([big])
    assert sink.put_batch([]) == []
