"""The ingestion use case with in-memory fakes: every rejection reason, enrichment, dedup, retries."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from builders import DELETE, NOW, FakeCounters, FakeObjectStore, FakeSink, iso, make_event

from audience.ingest.ports import SinkLimits
from audience.ingest.service import (
    IngestError,
    IngestLimits,
    IngestService,
    PayloadTooLargeError,
    RequestContext,
    StorageUnavailableError,
    parse_body,
)
from schemas.engagement import SCHEMA_VERSION, EngagementEvent

LIMITS = IngestLimits()


def service(
    sink: FakeSink | None = None, counters: FakeCounters | None = None, store: FakeObjectStore | None = None
) -> tuple[IngestService, FakeSink, FakeCounters, FakeObjectStore]:
    sink = sink or FakeSink()
    counters = counters or FakeCounters()
    store = store or FakeObjectStore()
    svc = IngestService(sink=sink, counters=counters, quarantine=store, limits=LIMITS, sleep=lambda _: None)
    return svc, sink, counters, store


def ctx(request_id: str = "req-1") -> RequestContext:
    return RequestContext(request_id=request_id, source="api:test", received_at=NOW)


def body(*events: Any) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def rejections_of(event: Any) -> list[tuple[str, str]]:
    svc, *_ = service()
    result = svc.ingest(body(event), ctx())
    return [(r.field, r.code) for r in result.rejected]


# --- request-level errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "error_type"),
    [
        (b"", "empty_body", IngestError),
        (b"{not json", "malformed_json", IngestError),
        (b"\xff\xfe{}", "invalid_encoding", IngestError),
        (b"[]", "wrong_shape", IngestError),
        (b'{"evts": []}', "wrong_shape", IngestError),
        (b'{"events": [], "extra": 1}', "wrong_shape", IngestError),
        (b'{"events": {}}', "wrong_shape", IngestError),
        (b'{"events": []}', "no_events", IngestError),
        (json.dumps({"events": [make_event()] * 501}).encode(), "too_many_events", PayloadTooLargeError),
        (b" " * (LIMITS.max_body_bytes + 1), "body_too_large", PayloadTooLargeError),
        (b"[" * 100_000, "malformed_json", IngestError),
        (b'{"events": [' + b"9" * 5000 + b"]}", "malformed_json", IngestError),
    ],
)
def test_parse_body_rejects_request_with_code(raw: bytes, code: str, error_type: type[IngestError]) -> None:
    # GIVEN a body that is wrong as a whole
    # WHEN it is parsed
    with pytest.raises(error_type) as caught:
        parse_body(raw, LIMITS)
    # THEN one error names the reason with a readable message
    assert caught.value.code == code
    assert caught.value.message


def test_ingest_quarantines_rejected_request_with_reason() -> None:
    # GIVEN malformed JSON
    svc, sink, _, store = service()
    # WHEN it is ingested
    with pytest.raises(IngestError):
        svc.ingest(b'{"events": [', ctx("req-bad"))
    # THEN nothing is delivered and the body is kept under quarantine/ with its reason
    assert sink.calls == []
    (key,) = store.list_keys("quarantine/")
    assert key.startswith("quarantine/year=2026/month=11/day=21/") and "req-bad" in key
    kept = json.loads(store.objects[key])
    assert kept["body"] == '{"events": [' and kept["reasons"][0]["code"] == "malformed_json"


# --- per-event reasons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"user_id": DELETE}, ("user_id", "missing")),
        ({"event_type": "purchase"}, ("event_type", "enum")),
        ({"device_type": "watch"}, ("device_type", "enum")),
        ({"timestamp": "yesterday"}, ("timestamp", "value_error")),
        ({"timestamp": "1763769000"}, ("timestamp", "value_error")),
        ({"timestamp": "9999-12-31T23:59:59-23:59"}, ("timestamp", "value_error")),
        ({"city_check": DELETE, "platform": "web\ud800"}, ("", "invalid_unicode")),
        ({"timestamp": "2026-11-21T11:00:00"}, ("timestamp", "timezone_aware")),
        ({"timestamp": 1763726400}, ("timestamp", "value_error")),
        ({"timestamp": iso(NOW + timedelta(minutes=6))}, ("timestamp", "timestamp_in_future")),
        ({"timestamp": iso(NOW - timedelta(days=7, minutes=1))}, ("timestamp", "timestamp_too_old")),
        ({"location": {"country": "XX"}}, ("location.country", "value_error")),
        ({"location": {"country": "USA"}}, ("location.country", "too_long")),
        ({"location": {"country": "US", "zip": "94607"}}, ("location.zip", "extra_forbidden")),
        ({"metadata": {"view_duration": -1}}, ("metadata.view_duration", "greater_than_equal")),
        ({"metadata": {"completion_rate": 1.5}}, ("metadata.completion_rate", "less_than_equal")),
        ({"metadata": {"view_duration": "12"}}, ("metadata.view_duration", "float_type")),
        ({"metadata": {"interaction_count": 2.5}}, ("metadata.interaction_count", "int_type")),
        ({"user_id": 42}, ("user_id", "string_type")),
        ({"platform": "x" * 65}, ("platform", "string_too_long")),
        ({"user_id": "bad\nid"}, ("user_id", "string_pattern_mismatch")),
        ({"content_id": "c" * 257}, ("content_id", "string_too_long")),
        ({"referrer": "https://example.com"}, ("referrer", "extra_forbidden")),
        ({"schema_version": "2.0"}, ("schema_version", "literal_error")),
    ],
)
def test_ingest_rejects_event_with_field_and_code(
    overrides: dict[str, Any], expected: tuple[str, str]
) -> None:
    # GIVEN an event with one defect
    event = make_event(**overrides)
    # WHEN it is ingested
    reasons = rejections_of(event)
    # THEN the rejection names the field and the reason
    assert reasons == [expected]


def test_ingest_rejects_non_object_and_oversized_events() -> None:
    # GIVEN a string where an event should be, and an event over the size limit
    big = make_event(event_id="big", platform="web")
    big["location"]["city"] = "x" * 100
    svc = IngestService(
        sink=FakeSink(),
        counters=FakeCounters(),
        quarantine=FakeObjectStore(),
        limits=IngestLimits(max_event_bytes=300),
    )
    # WHEN both are ingested
    result = svc.ingest(body("oops", big), ctx())
    # THEN each is rejected with its own reason
    assert [(r.index, r.code) for r in result.rejected] == [(0, "not_an_object"), (1, "event_too_large")]
    assert result.rejected[1].event_id == "big"


def test_ingest_accepts_good_events_of_a_mixed_batch_and_quarantines_the_rest() -> None:
    # GIVEN two good events and one bad one
    svc, sink, counters, store = service()
    good1, good2 = make_event(event_id="a"), make_event(event_id="b", event_type="like")
    bad = make_event(event_id="c", event_type="buy")
    # WHEN ingested
    result = svc.ingest(body(good1, bad, good2), ctx())
    # THEN the good ones are stored and counted, the bad one is reported and quarantined
    assert (result.status, result.accepted, result.duplicates) == (207, 2, 0)
    assert [(r.index, r.event_id, r.field) for r in result.rejected] == [(1, "c", "event_type")]
    assert [r.event_id for r in sink.stored] == ["a", "b"]
    assert counters.seen == {"a", "b"}
    (key,) = store.list_keys("quarantine/")
    line = json.loads(store.objects[key].decode().splitlines()[0])
    assert line["event"]["event_id"] == "c" and line["reasons"][0]["code"] == "enum"
    assert line["received_at"] == NOW.isoformat()


def test_ingest_all_rejected_is_422() -> None:
    svc, *_ = service()
    # GIVEN / WHEN only bad events
    result = svc.ingest(body(make_event(event_type="x")), ctx())
    # THEN
    assert result.status == 422 and result.accepted == 0


# --- enrichment -----------------------------------------------------------------------------------


def test_ingest_enriches_records() -> None:
    # GIVEN an event with a +02:00 offset and no event_id
    svc, sink, *_ = service()
    event = make_event(event_id=DELETE, timestamp="2026-11-21T13:30:00+02:00")
    # WHEN ingested
    svc.ingest(body(event), ctx("req-42"))
    # THEN the record is in UTC, carries a derived id, the receive time and request metadata
    (record,) = sink.stored
    assert record.event_timestamp.isoformat() == "2026-11-21T11:30:00+00:00"
    assert record.event_id_source == "derived"
    assert record.event_id == EngagementEvent.model_validate(event).derived_event_id()
    assert (record.ingested_at, record.request_id, record.ingest_source) == (NOW, "req-42", "api:test")
    assert record.schema_version == SCHEMA_VERSION


def test_derived_event_id_is_stable_across_retries_and_distinguishes_events() -> None:
    # GIVEN the same event twice without ids, written with different offsets, and a different event
    a = make_event(event_id=DELETE, timestamp="2026-11-21T11:30:00Z")
    a_again = make_event(event_id=DELETE, timestamp="2026-11-21T12:30:00+01:00")
    b = make_event(event_id=DELETE, timestamp="2026-11-21T11:30:01Z")
    # WHEN ids are derived
    ids = [EngagementEvent.model_validate(e).derived_event_id() for e in (a, a_again, b)]
    # THEN the retry keeps its id and the other event gets another
    assert ids[0] == ids[1] != ids[2]


def test_country_is_normalised_to_upper_case() -> None:
    event = EngagementEvent.model_validate(make_event(location={"country": "gb"}))
    assert event.location.country == "GB"


# --- duplicates and delivery ----------------------------------------------------------------------


def test_ingest_counts_retried_request_as_duplicates() -> None:
    # GIVEN a request that was fully accepted once
    svc, sink, _counters, _ = service()
    events = [make_event(event_id=f"e{i}") for i in range(5)]
    first = svc.ingest(body(*events), ctx())
    # WHEN the client retries it
    second = svc.ingest(body(*events), ctx("req-2"))
    # THEN nothing is sent or counted again
    assert (first.accepted, first.duplicates) == (5, 0)
    assert (second.accepted, second.duplicates, second.status) == (0, 5, 200)
    assert len(sink.stored) == 5 and len(sink.calls) == 1


def test_ingest_duplicate_ids_within_a_request_count_once() -> None:
    svc, sink, *_ = service()
    # GIVEN the same event_id twice in one request
    result = svc.ingest(body(make_event(event_id="x"), make_event(event_id="x")), ctx())
    # THEN one is accepted, one is a duplicate
    assert (result.accepted, result.duplicates) == (1, 1)
    assert [r.event_id for r in sink.stored] == ["x"]


def test_ingest_retries_only_failed_records_then_succeeds() -> None:
    # GIVEN a sink that fails records 1 and 3 on the first attempt
    svc, sink, _counters, _ = service(sink=FakeSink(fail_plan=[{1, 3}]))
    events = [make_event(event_id=f"e{i}") for i in range(5)]
    # WHEN ingested
    result = svc.ingest(body(*events), ctx())
    # THEN the second attempt carries exactly those two, and all five are stored once
    assert sink.calls == [["e0", "e1", "e2", "e3", "e4"], ["e1", "e3"]]
    assert sorted(r.event_id for r in sink.stored) == ["e0", "e1", "e2", "e3", "e4"]
    assert (result.status, result.accepted, result.retried) == (200, 5, 2)


def test_ingest_persistent_failure_answers_503_and_counts_only_delivered() -> None:
    # GIVEN a sink that keeps failing record 0
    svc, _sink, counters, _ = service(sink=FakeSink(fail_plan=[{0}] * 10))
    events = [make_event(event_id=f"e{i}") for i in range(3)]
    # WHEN ingested
    result = svc.ingest(body(*events), ctx())
    # THEN the answer asks for a retry; only delivered records are counted
    assert (result.status, result.failed, result.accepted) == (503, 1, 2)
    assert counters.seen == {"e1", "e2"}
    # AND a retry of the same request stores the rest without double counting
    svc.sink = FakeSink()
    retry = svc.ingest(body(*events), ctx("req-2"))
    assert (retry.status, retry.accepted, retry.duplicates) == (200, 1, 2)


def test_ingest_chunks_within_sink_limits() -> None:
    # GIVEN a sink that takes at most 2 records per call
    svc, sink, *_ = service(sink=FakeSink(limits=SinkLimits(max_records=2)))
    # WHEN five events are ingested
    svc.ingest(body(*[make_event(event_id=f"e{i}") for i in range(5)]), ctx())
    # THEN they travel in calls of 2, 2 and 1
    assert [len(c) for c in sink.calls] == [2, 2, 1]


def test_ingest_raises_unavailable_when_quarantine_fails_and_delivers_nothing() -> None:
    # GIVEN a quarantine store that is down
    svc, sink, _, store = service()
    store.fail = True
    # WHEN a batch with a bad event arrives
    with pytest.raises(StorageUnavailableError):
        svc.ingest(body(make_event(), make_event(event_type="bad")), ctx())
    # THEN nothing was acknowledged or delivered
    assert sink.calls == []


def test_ingest_raises_unavailable_when_counters_fail() -> None:
    svc, _, counters, _ = service()
    counters.fail = True
    with pytest.raises(StorageUnavailableError):
        svc.ingest(body(make_event()), ctx())


def test_ingest_stops_retrying_at_the_request_deadline() -> None:
    # GIVEN a sink that always fails, and a request whose deadline has already come
    svc, sink, *_ = service(sink=FakeSink(fail_plan=["all"] * 10))
    late = RequestContext(request_id="late", received_at=NOW, deadline=time.monotonic() - 1)
    # WHEN ingested
    result = svc.ingest(body(make_event()), late)
    # THEN one attempt is made and the client is told to retry, in time
    assert len(sink.calls) == 1
    assert (result.status, result.failed) == (503, 1)
