"""moto-backed AWS resources for the AWS adapter tests of every slice (imported by tests/conftest.py);
no test can reach real AWS: fake credentials are set in every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_testkit import DELIVERY_BUCKET, LAKE_BUCKET, REGION, STREAM, TABLE, client
from moto import mock_aws


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region in every test, so a stray call could never reach an account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    s3 = client("s3")
    s3.create_bucket(Bucket=LAKE_BUCKET)
    return s3


@pytest.fixture
def firehose(aws: None) -> Any:
    """A DirectPut stream delivering to a moto bucket (moto writes each batch as one object)."""
    client("s3").create_bucket(Bucket=DELIVERY_BUCKET)
    firehose = client("firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose-test",
            "BucketARN": f"arn:aws:s3:::{DELIVERY_BUCKET}",
            "Prefix": "events/",
        },
    )
    return firehose


@pytest.fixture
def dynamodb(aws: None) -> Any:
    """The counters table: ``pk``/``sk`` strings only (no index), TTL on ``expires_at``."""
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    return dynamodb
