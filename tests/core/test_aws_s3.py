"""S3ObjectStore against moto, and list pagination against Stubber."""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import LAKE_BUCKET, client
from botocore.stub import Stubber

from audience.core.objectstore.adapters.aws import S3ObjectStore
from audience.core.objectstore.ports import ObjectStore


def test_aws_s3_put_then_get_round_trips(s3: Any) -> None:
    # GIVEN a store on a bucket
    store = S3ObjectStore(LAKE_BUCKET, client=s3)
    assert isinstance(store, ObjectStore)
    # WHEN an object is put
    store.put_object("quarantine/dt=2026-11-21/r-1.jsonl", b'{"a":1}\n', "application/x-ndjson")
    # THEN it reads back byte for byte, with its content type
    assert store.get_object("quarantine/dt=2026-11-21/r-1.jsonl") == b'{"a":1}\n'
    head = s3.head_object(Bucket=LAKE_BUCKET, Key="quarantine/dt=2026-11-21/r-1.jsonl")
    assert head["ContentType"] == "application/x-ndjson"


def test_aws_s3_missing_key_raises_file_not_found(s3: Any) -> None:
    # GIVEN an empty bucket
    store = S3ObjectStore(LAKE_BUCKET, client=s3)
    # WHEN / THEN a missing key is FileNotFoundError, like the folder store
    with pytest.raises(FileNotFoundError, match="nope"):
        store.get_object("nope")


def test_aws_s3_list_keys_by_prefix(s3: Any) -> None:
    # GIVEN objects under two prefixes
    store = S3ObjectStore(LAKE_BUCKET, client=s3)
    for key in ("a/2.json", "a/1.json", "b/1.json", "a-sibling.json"):
        store.put_object(key, b"{}")
    # WHEN keys are listed under one prefix
    keys = store.list_keys("a/")
    # THEN only that prefix's keys come back, sorted; an empty prefix lists everything
    assert keys == ["a/1.json", "a/2.json"]
    assert store.list_keys("") == ["a-sibling.json", "a/1.json", "a/2.json", "b/1.json"]
    assert store.list_keys("zzz/") == []


def test_aws_s3_list_keys_follows_pagination() -> None:
    # GIVEN a listing that S3 answers in two pages
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_response(
            "list_objects_v2",
            {
                "Contents": [{"Key": "p/1"}, {"Key": "p/2"}],
                "IsTruncated": True,
                "NextContinuationToken": "t1",
            },
            {"Bucket": LAKE_BUCKET, "Prefix": "p/"},
        )
        stub.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": "p/3"}], "IsTruncated": False},
            {"Bucket": LAKE_BUCKET, "Prefix": "p/", "ContinuationToken": "t1"},
        )
        # WHEN keys are listed
        keys = S3ObjectStore(LAKE_BUCKET, client=s3).list_keys("p/")
        stub.assert_no_pending_responses()
    # THEN both pages are read
    assert keys == ["p/1", "p/2", "p/3"]
