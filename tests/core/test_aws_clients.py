"""Default clients: created on first use, with standard retries and short timeouts."""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import LAKE_BUCKET, STREAM, TABLE

from audience.core.objectstore.adapters.aws import S3ObjectStore
from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
from audience.ingest.adapters.aws.firehose import FirehoseSink


@pytest.mark.parametrize(
    ("adapter", "service", "attempts"),
    [
        (lambda: FirehoseSink(STREAM), "firehose", 1),
        (lambda: S3ObjectStore(LAKE_BUCKET), "s3", 3),
        (lambda: DynamoCounterStore(TABLE, dedup_ttl_seconds=60), "dynamodb", 2),
    ],
)
def test_aws_default_client_is_lazy_with_short_timeouts(adapter: Any, service: str, attempts: int) -> None:
    # GIVEN an adapter built without a client (as the container does)
    built = adapter()
    assert built._client is None
    # WHEN its client is first used
    config = built.client.meta.config
    # THEN it is that service's client, with standard retries and timeouts of a few seconds
    assert built.client.meta.service_model.service_name == service
    assert config.retries == {"mode": "standard", "total_max_attempts": attempts}
    assert config.connect_timeout <= 1 and config.read_timeout <= 5
