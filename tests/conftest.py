import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/builders.py (and the other shared kits here) are shared by every test folder.
sys.path.insert(0, str(Path(__file__).parent))

import boto3_calls

# The AWS adapter tests of every slice share the moto fixtures (and fake credentials in every test).
from aws_fixtures import aws, aws_env, dynamodb, firehose, s3

__all__ = ["aws", "aws_env", "dynamodb", "firehose", "s3"]

boto3_calls.install()


@pytest.fixture(autouse=True)
def _boto3_calls_within_aws_limits() -> Iterator[None]:
    """Fails a test whose code sent a boto3 request AWS would refuse (tests/boto3_calls.py)."""
    boto3_calls.VIOLATIONS.clear()
    yield
    found = list(boto3_calls.VIOLATIONS)
    boto3_calls.VIOLATIONS.clear()
    assert found == [], found
