"""The batch hot path gives the reference path's answers: records, lines, reasons, sizes, parse errors."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import DELETE, NOW, iso, make_event
from pydantic import TypeAdapter, ValidationError

from audience.datagen import GeneratorConfig, generate
from audience.ingest.records import UniqueRecords, build_lake_records, checked_values, first_per_event_id
from audience.ingest.requests import IngestError, IngestLimits, RequestContext, _parse_request, parse_body
from audience.ingest.validation import (
    _LONGEST_EVENT,
    _LONGEST_FIXED_PART,
    check_event,
    validate_batch,
    validate_body,
)
from schemas.engagement import (
    IDENTIFIER_MAX_LENGTH,
    PLACE_NAME_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    TWIN_TIMESTAMP_PATTERN,
    CheckedEvent,
    CheckedItem,
    EngagementEvent,
    LakeRecord,
    attribution_error,
)

LIMITS = IngestLimits()
CTX = RequestContext(request_id="req-b", source="api:test", received_at=NOW)


def reference(raw_events: list[Any]) -> tuple[list[LakeRecord], list[list[tuple[int, str, str, str]]]]:
    """One event at a time, as the service did before the batch path."""
    records, bad = [], []
    for index, raw in enumerate(raw_events):
        outcome = check_event(raw, index, LIMITS, CTX)
        if isinstance(outcome, EngagementEvent):
            records.append(
                LakeRecord.from_event(
                    outcome, ingested_at=CTX.received_at, request_id=CTX.request_id, ingest_source=CTX.source
                )
            )
        else:
            bad.append([(r.index, r.field, r.code, r.message) for r in outcome])
    return records, bad


def generated(bad_share: float, n: int = 400) -> list[dict[str, Any]]:
    config = GeneratorConfig(
        seed=3, target_events=n, now=NOW - timedelta(minutes=1), bad_share=bad_share, duplicate_share=0.0
    )
    return [dict(item.payload) for item, _ in zip(generate(config), range(n), strict=False)]


@pytest.mark.parametrize("bad_share", [0.0, 0.2])
def test_batch_path_gives_the_reference_records_lines_and_reasons(bad_share: float) -> None:
    # GIVEN generated events, some of them defective
    raw = json.loads(json.dumps(generated(bad_share)))
    # WHEN validated as one batch and one by one
    records, bad = validate_batch(raw, LIMITS, CTX, surrogate_free=True)
    expected_records, expected_bad = reference(raw)
    # THEN the records, their JSON lines and every reason agree
    assert records == expected_records
    assert [r.to_json_line() for r in records] == [r.model_dump_json() + "\n" for r in expected_records]
    assert [[(r.index, r.field, r.code, r.message) for r in reasons] for _, reasons in bad] == expected_bad
    assert (len(bad) > 0) == (bad_share > 0)


def test_built_record_equals_from_event_for_every_shape() -> None:
    # GIVEN events with and without an id, with nulls, integer durations and a non-UTC offset
    events = [
        EngagementEvent.model_validate(make_event()),
        EngagementEvent.model_validate(make_event(event_id=DELETE)),
        EngagementEvent.model_validate(
            make_event(schema_version="1.1", recommendation_id="rec-1", variant="baseline")
        ),
        EngagementEvent.model_validate(
            make_event(
                location={"country": "fr", "region": None, "city": None},
                metadata={"view_duration": 12, "completion_rate": None},
                timestamp="2026-11-21T13:00:00.5+02:00",
            )
        ),
    ]
    at = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
    # WHEN built by the hot path
    built = build_lake_records(events, ingested_at=at, request_id="r", ingest_source="s")
    # THEN each equals the contract's own construction, field by field and line by line
    for record, event in zip(built, events, strict=True):
        expected = LakeRecord.from_event(event, ingested_at=at, request_id="r", ingest_source="s")
        assert record.model_dump() == expected.model_dump()
        assert record.to_json_line() == expected.model_dump_json() + "\n"
        assert LakeRecord.from_json_line(record.to_json_line()) == expected
    assert built[1].event_id_source == "derived"
    assert (built[2].recommendation_id, built[2].variant) == ("rec-1", "baseline")


@pytest.mark.parametrize(
    ("platform", "code"),
    [
        (" " * (32 * 1024) + "web", "event_too_large"),  # valid once stripped, too large as sent
        ("\u001f" * 6000 + "web", "event_too_large"),  # 6 bytes each in compact JSON
        (" " * 100 + "web", None),
    ],
)
def test_size_rule_holds_for_events_only_the_raw_form_makes_large(platform: str, code: str | None) -> None:
    # GIVEN a contract-valid event whose free text is padded
    raw = json.loads(json.dumps([make_event(timestamp=iso(NOW - timedelta(minutes=1)), platform=platform)]))
    # WHEN validated as a batch
    records, bad = validate_batch(raw, LIMITS, CTX, surrogate_free=True)
    # THEN the size rule answers as the reference path does
    assert [r.code for _, reasons in bad for r in reasons] == ([code] if code else [])
    assert len(records) == (0 if code else 1)
    assert reference(raw)[1] == [
        [(r.index, r.field, r.code, r.message) for r in reasons] for _, reasons in bad
    ]


def test_size_bound_covers_the_longest_contract_valid_event() -> None:
    # GIVEN an event at every fixed field's longest, its free texts (identifiers included) empty
    longest = make_event(
        event_id="",
        user_id="",
        content_id="",
        session_id="",
        event_type="complete",
        device_type="desktop",
        schema_version="1.1",
        timestamp="",
        platform="",
        location={"country": "US", "region": None, "city": None},
        metadata={
            "view_duration": 86_399.99999999999,
            "completion_rate": 0.1234567890123456,
            "interaction_count": 999_999,
        },
        recommendation_id="",
        variant="v" * 32,
    )
    # THEN the fixed part of the bound is at least its compact size
    assert len(json.dumps(longest, separators=(",", ":"), ensure_ascii=False).encode()) <= _LONGEST_FIXED_PART


def test_size_bound_covers_the_largest_event_the_twin_accepts() -> None:
    # GIVEN an event with every text at the twin's longest, in the characters compact JSON writes
    # longest (a control character, 6 bytes, where the field allows one; 2 bytes in identifiers)
    widest_id = '"' * IDENTIFIER_MAX_LENGTH
    largest = make_event(
        event_id=widest_id,
        user_id=widest_id,
        content_id=widest_id,
        session_id=widest_id,
        schema_version="1.1",
        recommendation_id=widest_id,
        variant="v" * 32,
        event_type="complete",
        device_type="desktop",
        timestamp="2026-11-21T11:59:00.123456+01:00",
        platform="\u001f" * SHORT_TEXT_MAX_LENGTH,
        location={
            "country": "US",
            "region": "\u001f" * PLACE_NAME_MAX_LENGTH,
            "city": "\u001f" * PLACE_NAME_MAX_LENGTH,
        },
        metadata={
            "view_duration": 86_399.99999999999,
            "completion_rate": 0.1234567890123456,
            "interaction_count": 999_999,
        },
    )
    # WHEN the twin reads it THEN it accepts it, and its compact size is within the bound the body
    # path relies on to skip the size check
    twin = TypeAdapter(list[CheckedItem])
    assert twin.validate_python([largest])[0] is not None
    assert len(json.dumps(largest, separators=(",", ":"), ensure_ascii=False).encode()) <= _LONGEST_EVENT
    # AND one character more in any of those texts, the twin refuses it (the bound's lengths are the twin's)
    longer = [
        {**largest, "user_id": widest_id + '"'},
        {**largest, "platform": largest["platform"] + "\u001f"},
        {**largest, "location": {**largest["location"], "city": largest["location"]["city"] + "\u001f"}},
        {**largest, "timestamp": "2026-11-21T11:59:00.1234567+01:00"},
    ]
    assert twin.validate_python(longer) == [None] * len(longer)


@pytest.mark.parametrize("char", ["\u00e9", "\U0001f600", '"', "\\", "a"])
def test_size_rule_counts_contract_1_1_identifiers_as_free_text(char: str) -> None:
    # GIVEN contract-1.1 events whose identifiers are 256 characters of multi-byte or escaped text
    limits = IngestLimits(max_event_bytes=2_000)
    ident = char * 256
    raw = json.loads(
        json.dumps(
            [
                make_event(
                    event_id=f"{n}{ident}"[:256],
                    user_id=ident,
                    content_id=ident,
                    session_id=ident,
                    schema_version="1.1",
                    recommendation_id=ident,
                    variant="baseline",
                    timestamp=iso(NOW - timedelta(minutes=1)),
                )
                for n in range(2)
            ]
        )
    )
    # WHEN validated as a batch and one by one
    records, bad = validate_batch(raw, limits, CTX, surrogate_free=True)
    expected = [check_event(r, i, limits, CTX) for i, r in enumerate(raw)]
    # THEN the batch path gives the reference answer: too large exactly when the raw form is
    sizes = [len(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode()) for r in raw]
    assert [[r.code for r in reasons] for _, reasons in bad] == [
        [r.code for r in e] for e in expected if isinstance(e, list)
    ]
    assert len(records) == sum(size <= limits.max_event_bytes for size in sizes)
    assert len(bad) == sum(size > limits.max_event_bytes for size in sizes)


def test_lone_surrogate_is_still_reported_per_event() -> None:
    # GIVEN a body pydantic-core's parser refuses (a lone surrogate) but JSON allows
    good, bad = make_event(), make_event(event_id="evt-2", platform="ios\\ud800")
    body = (
        '{"events": [' + json.dumps(good) + "," + json.dumps(bad).replace("\\\\ud800", "\\ud800") + "]}"
    ).encode()
    # WHEN parsed and validated
    events, jiter = _parse_request(body, LIMITS)
    records, rejected = validate_batch(events, LIMITS, CTX, surrogate_free=jiter)
    # THEN the standard parser read it and the event carries its reason
    assert not jiter
    assert [r.event_id for r in records] == ["evt-0001"]
    assert [(r.index, r.code) for _, reasons in rejected for r in reasons] == [(1, "invalid_unicode")]


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf{}",
        b'{"events": [1]} x',
        b"{",
        b'{"a": 1, }',
        b"[" * 300 + b"]" * 300,
        b'{"events": NaN}',
    ],
)
def test_request_errors_are_the_standard_parsers(body: bytes) -> None:
    # GIVEN bodies the two parsers treat differently or refuse
    # WHEN parsed
    try:
        expected: Any = json.loads(body.decode())
    except (ValueError, RecursionError) as exc:
        expected = exc
    try:
        parse_body(body, LIMITS)
        raise AssertionError("accepted")
    except IngestError as exc:
        got = exc
    # THEN the answer is the one json.loads gives (shape errors for what it reads)
    if isinstance(expected, json.JSONDecodeError):
        assert got.message == (
            f"body is not valid JSON: {expected.msg} at line {expected.lineno} column {expected.colno}"
        )
    else:
        assert got.code == "wrong_shape"


def test_deduplication_rule_runs_once_per_batch() -> None:
    # GIVEN records with a repeated id
    events = [EngagementEvent.model_validate(make_event(event_id=i)) for i in ("a", "b", "a")]
    records = build_lake_records(events, ingested_at=NOW, request_id="r", ingest_source="s")
    # WHEN the rule is applied, then applied again by an adapter
    unique = first_per_event_id(records)
    again = first_per_event_id(unique)
    # THEN the first occurrence wins, and the second call returns the same batch without work
    assert isinstance(unique, UniqueRecords)
    assert [r.event_id for r in unique] == ["a", "b"]
    assert again is unique


_NEAR = iso(NOW - timedelta(minutes=1))
EDGE_CASES: list[dict[str, Any]] = [
    make_event(timestamp=_NEAR),
    make_event(timestamp="2026-11-21T13:58:00+02:00"),
    make_event(timestamp="2026-11-21 11:59:00.123456Z"),
    make_event(timestamp="2026-11-21t11:59:00z"),
    make_event(timestamp="2026-11-21T11:59:00"),  # no offset
    make_event(timestamp=1_763_726_340),  # Unix time
    make_event(timestamp="1763726340"),
    make_event(timestamp="२०२६-11-21T11:59:00Z"),  # non-ASCII digits
    make_event(timestamp="0001-01-01T00:00:00+01:00"),  # overflows once in UTC
    make_event(timestamp="9999-12-31T23:59:59-01:00"),
    make_event(timestamp=_NEAR, location={"country": "fr"}),  # upper-cased by the contract
    make_event(timestamp=_NEAR, location={"country": "XX"}),
    make_event(timestamp=_NEAR, location={"country": "USA"}),
    make_event(timestamp=_NEAR, location={"country": "US", "region": None}),
    make_event(timestamp=_NEAR, location={"country": "US", "region": "  Ohio  ", "city": ""}),
    make_event(timestamp=_NEAR, location={"country": "US", "zip": "94607"}),
    make_event(timestamp=_NEAR, location=None),
    make_event(timestamp=_NEAR, platform="  web  "),
    make_event(timestamp=_NEAR, platform="   "),
    make_event(timestamp=_NEAR, platform=12),
    make_event(timestamp=_NEAR, metadata={}),
    make_event(timestamp=_NEAR, metadata=None),
    make_event(timestamp=_NEAR, metadata={"view_duration": 12, "completion_rate": 1, "interaction_count": 0}),
    make_event(timestamp=_NEAR, metadata={"view_duration": -0.0}),
    make_event(timestamp=_NEAR, metadata={"view_duration": 86_400.0001}),
    make_event(timestamp=_NEAR, metadata={"view_duration": float("nan")}),
    make_event(timestamp=_NEAR, metadata={"view_duration": float("inf")}),
    make_event(timestamp=_NEAR, metadata={"view_duration": True}),
    make_event(timestamp=_NEAR, metadata={"interaction_count": 1.0}),
    make_event(timestamp=_NEAR, metadata={"interaction_count": False}),
    make_event(timestamp=_NEAR, metadata={"interaction_count": 1_000_001}),
    make_event(timestamp=_NEAR, metadata={"view_duration": "12"}),
    make_event(timestamp=_NEAR, metadata={"extra": 1}),
    make_event(timestamp=_NEAR, event_type="VIEW"),
    make_event(timestamp=_NEAR, event_type="purchase"),
    make_event(timestamp=_NEAR, device_type="watch"),
    make_event(timestamp=_NEAR, schema_version="1.0"),
    make_event(timestamp=_NEAR, schema_version="2.0"),
    make_event(timestamp=_NEAR, schema_version=1.1),
    make_event(timestamp=_NEAR, recommendation_id="rec-1", variant="baseline"),
    make_event(timestamp=_NEAR, variant="baseline"),  # variant without its list
    make_event(timestamp=_NEAR, schema_version="1.0", recommendation_id="rec-1"),
    make_event(timestamp=_NEAR, recommendation_id="rec-1", variant="Baseline"),
    make_event(timestamp=_NEAR, event_id=None),  # derived id
    make_event(timestamp=_NEAR, event_id=DELETE),
    make_event(timestamp=_NEAR, event_id=""),
    make_event(timestamp=_NEAR, event_id="x" * 256),
    make_event(timestamp=_NEAR, event_id="x" * 257),
    make_event(timestamp=_NEAR, event_id=123),
    make_event(timestamp=_NEAR, user_id="user with spaces+tag@é/ü"),
    make_event(timestamp=_NEAR, user_id="tab\there"),
    make_event(timestamp=_NEAR, content_id="c\u0085"),  # a C1 control character
    make_event(timestamp=_NEAR, session_id="s\U0001f600"),
    make_event(timestamp=_NEAR, unknown="field"),
    make_event(timestamp=_NEAR, user_id=DELETE),
    make_event(timestamp=iso(NOW + timedelta(minutes=6))),  # in the future
    make_event(timestamp=iso(NOW - timedelta(days=8))),  # too old
]


def test_batch_path_gives_the_reference_answer_on_every_edge_case() -> None:
    # GIVEN events at the edges of every field's rule (as JSON would carry them)
    raw = json.loads(json.dumps(EDGE_CASES))
    # WHEN validated as one batch and one by one
    records, bad = validate_batch(raw, LIMITS, CTX, surrogate_free=True)
    expected_records, expected_bad = reference(raw)
    # THEN the records, their lines and the reasons are the reference path's
    assert records == expected_records
    assert [r.to_json_line() for r in records] == [r.model_dump_json() + "\n" for r in expected_records]
    assert [[(r.index, r.field, r.code, r.message) for r in reasons] for _, reasons in bad] == expected_bad
    assert len(records) > 10 and len(bad) > 30


@pytest.mark.parametrize("index", range(len(EDGE_CASES)))
def test_twin_accepts_only_what_the_contract_accepts_with_the_same_values(index: int) -> None:
    # GIVEN one edge-case event
    raw = json.loads(json.dumps(EDGE_CASES[index]))
    # WHEN the contract's batch twin and the contract validate it
    try:
        twin: dict[str, Any] | None = dict(TypeAdapter(CheckedEvent).validate_python(raw))
    except ValidationError:
        twin = None
    try:
        event: EngagementEvent | None = EngagementEvent.model_validate(raw)
    except ValidationError:
        event = None
    # THEN the twin with the rules it leaves to its caller (attribution, the UTC conversion) is at
    # least as strict as the contract, and what it accepts has the contract's values
    if twin is None:
        return
    try:
        twin["timestamp"] = datetime.fromisoformat(twin["timestamp"]).astimezone(UTC)
        left_out = attribution_error(
            twin.get("schema_version", "1.1"), twin.get("recommendation_id"), twin.get("variant")
        )
    except (ValueError, OverflowError):
        left_out = "timestamp"
    if left_out:
        assert event is None, f"the contract accepted what the twin's caller refuses: {left_out}"
        return
    assert event is not None, "the twin accepted what the contract refuses"
    values = checked_values(event)
    assert twin["timestamp"] == values["timestamp"]
    for key in ("user_id", "content_id", "event_type", "platform", "device_type", "session_id"):
        assert twin[key] == values[key]
    assert twin.get("schema_version", "1.1") == values["schema_version"]
    assert twin.get("recommendation_id") == values["recommendation_id"]
    assert twin.get("variant") == values["variant"]
    if twin.get("event_id") is not None:
        assert twin["event_id"] == values["event_id"]
    location = {"region": None, "city": None, **twin["location"]}
    assert location == values["location"]
    metadata = {"view_duration": None, "completion_rate": None, "interaction_count": None}
    assert {**metadata, **twin.get("metadata", {})} == values["metadata"]


def test_valid_events_with_ids_never_take_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN generated valid events, and one defective event among them
    from audience.ingest import validation

    raw = json.loads(json.dumps(generated(0.0, n=200)))
    raw[7]["location"]["country"] = "XX"
    calls: list[int] = []
    reference_check = validation.check_event

    def counting(raw_event: Any, index: int, limits: IngestLimits, ctx: RequestContext) -> Any:
        calls.append(index)
        return reference_check(raw_event, index, limits, ctx)

    monkeypatch.setattr(validation, "check_event", counting)
    # WHEN validated as a batch
    records, bad = validate_batch(raw, LIMITS, CTX, surrogate_free=True)
    # THEN only the defective event took the one-by-one path, and it has the contract's reason
    assert calls == [7]
    assert len(records) == 199
    assert [(r.index, r.field) for _, reasons in bad for r in reasons] == [(7, "location.country")]


# --- the whole body read by the twin (the API's hot path) ----------------------------------------


def _body(events: list[Any]) -> bytes:
    return json.dumps({"events": events}).encode()


@pytest.mark.parametrize("limits", [LIMITS, IngestLimits(max_event_bytes=2_000)])
@pytest.mark.parametrize("events", ["generated", "edge_cases"])
def test_body_path_gives_the_batch_paths_answer(events: str, limits: IngestLimits) -> None:
    # GIVEN a well-formed body of generated events (a fifth defective) or of every edge case
    raw = generated(0.2) if events == "generated" else EDGE_CASES
    body = _body(raw)
    # WHEN the twin reads the body's bytes, and when the body is parsed then validated as a batch
    checked = validate_body(body, limits, CTX)
    records, bad = validate_batch(parse_body(body, limits), limits, CTX, surrogate_free=True)
    # THEN the events received, the records, their lines, the reasons and the quarantined raw events agree
    assert checked is not None
    received, body_records, body_bad = checked
    assert received == len(raw)
    assert body_records == records
    assert [r.to_json_line() for r in body_records] == [r.to_json_line() for r in records]
    assert json.dumps([(event, [r.as_dict() for r in reasons]) for event, reasons in body_bad]) == json.dumps(
        [(event, [r.as_dict() for r in reasons]) for event, reasons in bad]
    )  # as JSON: a NaN the event carried equals itself there
    assert len(body_records) > 10 and len(body_bad) > 10


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'{"events": []}',
        b'{"events": {}}',
        b'{"events": [], "extra": 1}',
        b'{"posts": [{}]}',
        _body([make_event()] * (LIMITS.max_events + 1)),
        b'{"events": [{"platform": "ios\\ud800"}]}',  # a lone surrogate: the standard parser decides
        b"\xef\xbb\xbf" + _body([make_event()]),
        _body([make_event(platform="p" * 500)] * 3_000),  # over the body limit
    ],
)
def test_body_path_leaves_malformed_requests_to_the_request_checks(body: bytes) -> None:
    # GIVEN a body the request-level checks refuse, or one only the standard parser reads
    # WHEN the twin is offered it THEN it declines, and parse_body gives the answer
    assert validate_body(body, LIMITS, CTX) is None


def test_twin_takes_free_texts_unstripped() -> None:
    # GIVEN events whose free texts have whitespace at an end (the contract strips it)
    padded = [
        make_event(timestamp=_NEAR, platform=" web"),
        make_event(timestamp=_NEAR, platform="web\n"),
        make_event(timestamp=_NEAR, location={"country": "US", "region": "Ohio\u2003", "city": None}),
        make_event(timestamp=_NEAR, location={"country": "US", "region": None, "city": "\u00a0Akron"}),
        make_event(timestamp=_NEAR, platform="two words", location={"country": "US", "city": "a\nb"}),
    ]
    # WHEN the twin reads them
    twins = TypeAdapter(list[CheckedItem]).validate_python(padded)
    # THEN it refuses the padded ones (so the size bound holds), keeping inner whitespace
    assert [t is not None for t in twins] == [False, False, False, False, True]
    # AND the batch path still accepts them all with the contract's stripped values
    records, bad = validate_batch(padded, LIMITS, CTX, surrogate_free=True)
    assert not bad and [r.platform for r in records][:2] == ["web", "web"]
    assert records[2].location.region == "Ohio" and records[3].location.city == "Akron"


def _timestamps() -> list[str]:
    """Texts across every field of an ISO timestamp, mostly in range, some out of it (up to 99), and
    edge dates: the test keeps those the twin's pattern admits."""
    rng = random.Random(7)

    def two(top: int, low: int = 0) -> str:
        return f"{rng.randint(low, top) if rng.random() < 0.8 else rng.randint(0, 99):02d}"

    texts = [
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2026-02-30T12:00:00.5+01:00",
        "2026-04-31T12:00:00Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59-00:01",
        "0000-06-01T00:00:00Z",
        "2026-11-21 11:59:00.1Z",
        "2026-11-21t11:59:00.000001-23:59",
        "2026-11-21T11:59:00+23:59",
    ]
    for _ in range(6_000):
        frac = rng.choice(["", "." + "".join(rng.choices("0123456789", k=rng.randint(1, 7)))])
        offset = rng.choice(["Z", f"{rng.choice('+-')}{two(23)}:{two(59)}"])
        texts.append(
            f"{rng.randint(0, 9999):04d}-{two(12, 1)}-{two(31, 1)}{rng.choice('Tt ')}"
            f"{two(23)}:{two(59)}:{two(59)}{frac}{offset}"
        )
    return texts


def test_the_twins_timestamp_reading_is_the_contracts() -> None:
    # GIVEN timestamps in every form the twin's pattern admits
    pattern = re.compile(TWIN_TIMESTAMP_PATTERN)
    texts = [t for t in _timestamps() if pattern.match(t)]
    read = 0
    for text in texts:
        # WHEN the twin's caller reads one, and the contract does
        try:
            ours: datetime | None = datetime.fromisoformat(text).astimezone(UTC)
        except (ValueError, OverflowError):
            ours = None
        try:
            theirs: datetime | None = EngagementEvent.model_validate(make_event(timestamp=text)).timestamp
        except ValidationError:
            theirs = None
        # THEN whatever the caller reads, the contract reads to the same instant, in UTC
        if ours is not None:
            read += 1
            assert theirs == ours and theirs.utcoffset() == ours.utcoffset(), text
    assert read > 1_000
