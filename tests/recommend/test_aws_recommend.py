"""The recommendations slice's AWS adapters: the DynamoDB table (moto: TTL respected on read,
batches of 25, unprocessed items retried), Personalize GetRecommendations (Stubber: the exact
request, the filter, an error), and the served-lists log into Firehose (moto)."""

from __future__ import annotations

import json
from typing import Any

import boto3  # noqa: TID251 - moto- and Stubber-backed clients
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from audience.recommend.adapters.aws.dynamodb_table import DynamoRecommendationTable
from audience.recommend.adapters.aws.firehose_log import FirehoseServedLog
from audience.recommend.adapters.aws.personalize_runtime import CampaignRecommender
from audience.recommend.ports import ServedList, StoredList

REGION = "us-east-1"
TABLE = "recs-test"
T0 = 1_790_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _table(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "variant", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "variant", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _lists(n: int) -> list[StoredList]:
    return [
        StoredList(f"u{k}", v, ["a", "b"], [0.9, 0.1], "m", "2026-11-20T00:00:00Z", k == 0)
        for k in range(n)
        for v in ("baseline", "personalize")
    ]


def test_dynamodb_table_stores_reads_counts_and_hides_expired_lists(aws: None) -> None:
    # GIVEN a table and 30 users' lists in both variants (more than one batch of 25)
    client = boto3.client("dynamodb", region_name=REGION)
    _table(client)
    clock = Clock()
    table = DynamoRecommendationTable(TABLE, client=client, clock=clock)
    # WHEN stored with a one-hour TTL
    assert table.put_lists(_lists(30), ttl_seconds=3600) == 60
    # THEN they read back exactly, the cold-start flag included, and count per variant
    got = table.get_list("u0", "personalize")
    assert got == StoredList("u0", "personalize", ["a", "b"], [0.9, 0.1], "m", "2026-11-20T00:00:00Z", True)
    assert table.count() == 60 and table.count("baseline") == 30
    assert table.get_list("nobody", "baseline") is None
    # AND after the TTL they are never served, even before DynamoDB deletes them
    clock.now += 3601
    assert table.get_list("u0", "personalize") is None and table.count() == 0


def test_dynamodb_table_retries_unprocessed_items() -> None:
    # GIVEN DynamoDB leaving one item unprocessed on the first call
    client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    table = DynamoRecommendationTable(TABLE, client=client, clock=Clock(), sleep=lambda _: None)
    lists = _lists(1)
    first = [{"PutRequest": {"Item": table._item(s, int(T0) + 60)}} for s in lists]
    with Stubber(client) as stub:
        stub.add_response(
            "batch_write_item", {"UnprocessedItems": {TABLE: first[1:]}}, {"RequestItems": {TABLE: first}}
        )
        stub.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": {TABLE: first[1:]}})
        # WHEN stored
        table.put_lists(lists, ttl_seconds=60)
        # THEN the unprocessed item was sent again
        stub.assert_no_pending_responses()


def test_campaign_recommender_sends_the_filter_and_reads_items_and_scores() -> None:
    # GIVEN a campaign with the seen-items filter
    client = boto3.client(
        "personalize-runtime", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/recs"
    flt = "arn:aws:personalize:us-east-1:123456789012:filter/seen"
    live = CampaignRecommender(campaign, flt, client=client)
    with Stubber(client) as stub:
        stub.add_response(
            "get_recommendations",
            {
                "itemList": [{"itemId": "i1", "score": 0.6}, {"itemId": "i2", "score": 0.4}],
                "recommendationId": "r",
            },
            {"campaignArn": campaign, "userId": "u1", "numResults": 2, "filterArn": flt},
        )
        stub.add_client_error("get_recommendations", "ResourceNotFoundException", http_status_code=404)
        # WHEN asked for two items
        # THEN the items and scores come back in order
        assert live.recommend("u1", 2) == (["i1", "i2"], [0.6, 0.4])
        # AND a service error surfaces (the handler turns it into a 503)
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            live.recommend("u1", 2)


def test_served_log_puts_one_json_line_per_answer_into_firehose() -> None:
    # GIVEN a Firehose stream delivering to a bucket (moto)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="lake")
        firehose = boto3.client("firehose", region_name=REGION)
        firehose.create_delivery_stream(
            DeliveryStreamName="served",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/f",
                "BucketARN": "arn:aws:s3:::lake",
                "Prefix": "recommendations-served/",
            },
        )
        served = ServedList(
            "r-1", "u1", "personalize", ["a"], "2026-11-20 12:00:00.000000", False, "table", "m", "exp"
        )
        # WHEN an answer is logged
        FirehoseServedLog("served", client=firehose).record(served)
        # THEN the lake holds it as one JSON line with every column of the Glue table
        [key] = [o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]]
        line = json.loads(s3.get_object(Bucket="lake", Key=key)["Body"].read().decode().strip())
        assert (
            line["recommendation_id"] == "r-1"
            and line["items"] == ["a"]
            and line["served_at"].startswith("2026-11-20")
        )
