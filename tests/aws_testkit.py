"""Names and builders shared by the AWS adapter tests (fixtures live in this folder's conftest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from builders import NOW, make_event

from audience.core.aws import client_config, new_client
from schemas.engagement import EngagementEvent, LakeRecord

REGION = "us-east-1"
LAKE_BUCKET = "audience-lake-test"
DELIVERY_BUCKET = "audience-firehose-test"
STREAM = "audience-events-test"
TABLE = "audience-counters-test"


def lake_record(
    event_id: str,
    *,
    content_id: str = "c-1",
    event_type: str = "view",
    at: str | None = None,
    seconds: float | None = None,
) -> LakeRecord:
    event = EngagementEvent.model_validate(
        make_event(
            event_id=event_id,
            content_id=content_id,
            event_type=event_type,
            timestamp=at or (NOW - timedelta(minutes=10)).isoformat(),
            metadata={"view_duration": seconds},
        )
    )
    return LakeRecord.from_event(event, ingested_at=NOW, request_id="r-1", ingest_source="test")


def client(service: str) -> Any:
    """A real boto3 client (moto intercepts it inside ``mock_aws``; Stubber can wrap it)."""
    return new_client(service, client_config(attempts=1))
