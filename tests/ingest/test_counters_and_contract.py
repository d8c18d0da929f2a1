"""Counter aggregation, and the contract's derived documents agreeing with the pydantic models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from builders import DELETE, NOW, make_event
from openapi_spec_validator import validate as validate_openapi
from pydantic import ValidationError

from audience.ingest.counters import TOTAL_BUCKET, CounterKey, aggregate
from schemas import derive
from schemas.engagement import EngagementEvent, LakeRecord


def record(
    event_id: str, content_id: str, event_type: str, at: str, seconds: float | None = None
) -> LakeRecord:
    event = EngagementEvent.model_validate(
        make_event(
            event_id=event_id,
            content_id=content_id,
            event_type=event_type,
            timestamp=at,
            metadata={"view_duration": seconds},
        )
    )
    return LakeRecord.from_event(event, ingested_at=NOW, request_id="r", ingest_source="t")


def test_aggregate_sums_per_content_total_and_hour() -> None:
    # GIVEN events on two contents across two hours
    records = [
        record("1", "c1", "view", "2026-11-21T10:15:00Z", 30),
        record("2", "c1", "view", "2026-11-21T10:45:00Z", 12.5),
        record("3", "c1", "like", "2026-11-21T11:05:00Z"),
        record("4", "c2", "skip", "2026-11-21T10:00:00Z", 2),
        record("5", "c1", "complete", "2026-11-21T11:59:59Z", 100),
    ]
    # WHEN aggregated
    deltas = aggregate(records)
    # THEN there is one delta per (content, bucket) with exact sums
    assert sorted(deltas) == [
        CounterKey("c1", "HOUR#2026-11-21T10"),
        CounterKey("c1", "HOUR#2026-11-21T11"),
        CounterKey("c1", TOTAL_BUCKET),
        CounterKey("c2", "HOUR#2026-11-21T10"),
        CounterKey("c2", TOTAL_BUCKET),
    ]
    total = deltas[CounterKey("c1", TOTAL_BUCKET)]
    assert total.counts == {"view": 2, "like": 1, "share": 0, "comment": 0, "complete": 1, "skip": 0}
    assert total.view_seconds == pytest.approx(142.5) and total.events == 4
    assert deltas[CounterKey("c1", "HOUR#2026-11-21T11")].counts["complete"] == 1


def test_generated_documents_are_up_to_date() -> None:
    # GIVEN the committed derived documents
    # WHEN they are derived again from the models
    # THEN they are identical (run `make schemas` after changing the contract)
    for name, doc in derive.documents().items():
        committed = (derive.GENERATED / name).read_text()
        assert committed == derive.render(doc), f"schemas/generated/{name} is stale"


def test_glue_columns_cover_every_contract_field() -> None:
    # GIVEN the Glue columns derived from the lake record
    columns = {c["Name"]: c["Type"] for c in derive.glue_columns()}
    # THEN every client field is a column (timestamp under its Athena-safe name) with a fitting type
    for name in EngagementEvent.model_fields:
        assert (name if name != "timestamp" else "event_timestamp") in columns
    assert columns["event_timestamp"] == "timestamp"
    assert (
        columns["metadata"] == "struct<view_duration:double,completion_rate:double,interaction_count:bigint>"
    )
    assert columns["location"] == "struct<country:string,region:string,city:string>"


def test_openapi_document_is_valid_openapi_31() -> None:
    validate_openapi(derive.openapi_document())


AGREEMENT_CASES = [
    make_event(),
    make_event(event_id=DELETE),
    make_event(event_type="purchase"),
    make_event(user_id=DELETE),
    make_event(user_id=7),
    make_event(extra_field=1),
    make_event(metadata={"view_duration": -1}),
    make_event(metadata={"completion_rate": 2}),
    make_event(metadata={"interaction_count": 1.5}),
    make_event(metadata={"view_duration": "5"}),
    make_event(location={"country": "USA"}),
    make_event(location={"country": "US", "city": "x" * 129}),
    make_event(device_type="fridge"),
    make_event(platform="p" * 65),
    make_event(schema_version="9"),
    make_event(session_id=""),
    make_event(content_id="https://x.example/watch?v=1&t=2#a"),
    make_event(user_id="jane.doe+news@example.com", session_id="Episode 12 \u2013 Finale"),
    make_event(content_id="c1'; DROP TABLE events;--"),
    make_event(content_id="x" * 256),
    make_event(content_id="x" * 257),
    make_event(user_id="tab\there"),
    make_event(user_id="del\x7f"),
    make_event(schema_version="1.0"),
]


@pytest.mark.parametrize("event", AGREEMENT_CASES)
def test_json_schema_and_model_agree(event: dict[str, object]) -> None:
    # GIVEN the JSON Schema derived from the model
    schema = derive.event_json_schema()
    # WHEN the same event is checked by both
    schema_ok = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).is_valid(
        event
    )
    try:
        EngagementEvent.model_validate(event)
        model_ok = True
    except ValidationError:
        model_ok = False
    # THEN they give the same verdict
    assert schema_ok == model_ok


def test_lake_record_json_line_round_trips_without_loss() -> None:
    # GIVEN a record with microseconds
    rec = record("1", "c1", "view", "2026-11-21T10:15:00.123456Z", 3)
    rec = rec.model_copy(update={"ingested_at": datetime(2026, 11, 21, 12, 0, 0, 654321, tzinfo=UTC)})
    # WHEN it goes through the Firehose line format and back
    line = rec.to_json_line()
    # THEN it is the same record, and the timestamps use the Hive SerDe's form
    assert LakeRecord.from_json_line(line) == rec
    assert json.loads(line)["event_timestamp"] == "2026-11-21 10:15:00.123456"
