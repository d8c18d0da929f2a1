"""Contract 1.1: optional ``recommendation_id`` and ``variant`` on engagement events, carried into
the lake record, rejected with a reason when inconsistent; 1.0 events keep their derived ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import DELETE, make_event
from pydantic import ValidationError

from schemas.derive import glue_columns
from schemas.engagement import SCHEMA_VERSION, EngagementEvent, LakeRecord


def test_an_attributed_event_is_accepted_and_reaches_the_lake_record() -> None:
    # GIVEN an event caused by a served list
    event = EngagementEvent.model_validate(make_event(recommendation_id="3f0c-rec", variant="personalize"))
    # WHEN it becomes a lake record
    record = LakeRecord.from_event(event, ingested_at=datetime.now(UTC), request_id="r", ingest_source="t")
    # THEN both fields travel, under the current version, and the Glue table has their columns
    assert SCHEMA_VERSION == "1.1" and event.schema_version == "1.1"
    assert (record.recommendation_id, record.variant) == ("3f0c-rec", "personalize")
    assert [c["Name"] for c in glue_columns()][-2:] == ["recommendation_id", "variant"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"variant": "personalize"}, "only meaningful with the recommendation_id"),
        ({"recommendation_id": "r-1", "schema_version": "1.0"}, "need schema_version 1.1"),
        ({"recommendation_id": "r-1", "variant": "Personalize!"}, "String should match pattern"),
        ({"recommendation_id": "", "variant": "baseline"}, "at least 1 character"),
    ],
)
def test_inconsistent_attribution_is_rejected_with_a_reason(overrides: dict[str, str], reason: str) -> None:
    # GIVEN an event whose attribution does not hold together
    # WHEN validated
    # THEN it is rejected, naming why
    with pytest.raises(ValidationError, match=reason):
        EngagementEvent.model_validate(make_event(**overrides))


def test_events_without_attribution_keep_the_same_derived_id_under_either_version() -> None:
    # GIVEN the same id-less event written against 1.0 and against 1.1 without attribution
    old = EngagementEvent.model_validate(make_event(event_id=DELETE, schema_version="1.0"))
    new = EngagementEvent.model_validate(
        make_event(event_id=DELETE, schema_version="1.0", recommendation_id=None)
    )
    # THEN absent attribution does not change the derived id
    assert old.derived_event_id() == new.derived_event_id()
