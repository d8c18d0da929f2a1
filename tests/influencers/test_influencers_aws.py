"""AWS adapters of the slice, each call checked against botocore's service model (Stubber validates
the parameters it is given) or run against moto: Comprehend (25 documents per call, 5 KB each), the
DynamoDB serving store, the SSM cursor, and the posts' DynamoDB ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from audience.core.aws import client_config, new_client
from audience.influencers.adapters.aws.comprehend import MAX_DOCUMENT_BYTES, ComprehendScorer
from audience.influencers.adapters.aws.dynamodb import DynamoResultStore
from audience.influencers.adapters.aws.ssm import SsmCursorStore
from audience.ingest.adapters.aws.ledger import DynamoIdLedger
from schemas.social import SocialLakeRecord, SocialPost

REGION = "us-east-1"


def _client(service: str) -> Any:
    return new_client(service, client_config(attempts=1))


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        client = _client("dynamodb")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        yield client


def test_comprehend_batches_25_and_cuts_documents_to_5kb() -> None:
    # GIVEN 30 texts, one empty and one of 9,000 bytes
    client = _client("comprehend")
    texts = [f"text {i}" for i in range(30)]
    texts[3] = ""
    texts[5] = "é" * 4500
    with Stubber(client) as stub:
        first = [t if i != 5 else "é" * (MAX_DOCUMENT_BYTES // 2) for i, t in enumerate(texts) if t][:25]
        stub.add_response(
            "batch_detect_sentiment",
            {
                "ResultList": [
                    {
                        "Index": i,
                        "Sentiment": "POSITIVE",
                        "SentimentScore": {"Positive": 0.9, "Negative": 0.1, "Neutral": 0.0, "Mixed": 0.0},
                    }
                    for i in range(25)
                ],
                "ErrorList": [],
            },
            {"TextList": first, "LanguageCode": "en"},
        )
        stub.add_response(
            "batch_detect_sentiment",
            {
                "ResultList": [
                    {
                        "Index": 0,
                        "Sentiment": "NEGATIVE",
                        "SentimentScore": {"Positive": 0.0, "Negative": 1.0, "Neutral": 0.0, "Mixed": 0.0},
                    }
                ],
                "ErrorList": [{"Index": 1, "ErrorCode": "X", "ErrorMessage": "bad"}],
            },
            {"TextList": [t for t in texts if t][25:], "LanguageCode": "en"},
        )
        # WHEN scored
        scores = ComprehendScorer(client=client).score(texts)
    # THEN two calls (25 + 4), the empty text and the failed document score 0
    assert scores[0] == pytest.approx(0.8) and scores[3] == 0.0
    assert scores[26] == -1.0 and scores[27] == 0.0
    assert all(len(t.encode()) <= MAX_DOCUMENT_BYTES for t in first)


def test_dynamo_result_store_round_trips_the_latest_run(table: Any) -> None:
    store = DynamoResultStore("t", client=table)
    assert store.latest_run() is None
    run = {
        "run_id": "run-2",
        "as_of": "2026-01-05T12:15:00Z",
        "summary": {"posts": 3},
        "leaderboard": [{"author_id": "a"}],
    }
    store.save_run(run)
    # an older run finishing late does not move the pointer back
    store.save_run({**run, "run_id": "run-1", "as_of": "2026-01-05T12:00:00Z", "summary": {"posts": 1}})
    assert store.latest_run() == run


def test_ssm_cursor_store_loads_missing_as_none_and_saves() -> None:
    client = _client("ssm")
    with Stubber(client) as stub:
        stub.add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": "/p/bluesky"})
        stub.add_response(
            "put_parameter",
            {"Version": 1},
            {"Name": "/p/bluesky", "Value": "123", "Type": "String", "Overwrite": True},
        )
        stub.add_response(
            "get_parameter", {"Parameter": {"Name": "/p/bluesky", "Value": "123"}}, {"Name": "/p/bluesky"}
        )
        store = SsmCursorStore("/p/", client=client)
        assert store.load("bluesky") is None
        store.save("bluesky", 123)
        assert store.load("bluesky") == 123


def test_dynamo_ledger_claims_each_post_once(table: Any) -> None:
    post = SocialPost.model_validate(
        {"post_id": "1", "platform": "x", "created_at": "2026-01-05T12:00:00Z", "author": {"id": "a"}}
    )
    record = SocialLakeRecord.from_post(
        post, ingested_at=datetime.now(UTC), request_id="r", ingest_source="t"
    )
    ledger = DynamoIdLedger("t", ttl_seconds=3600, client=table)
    assert ledger.known(["x:1"]) == set()
    assert ledger.apply([record, record]) == {"x:1"}
    assert ledger.apply([record]) == set()
    assert ledger.known(["x:1", "x:2"]) == {"x:1"}
