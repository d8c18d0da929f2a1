"""Exactly-once memory of social posts in DynamoDB: the counters table's ``POST#<platform:post_id>`` items.

A conditional ``PutItem`` claims each key (``attribute_not_exists(pk) OR expires_at < :now``: TTL deletion
is lazy, so expiry is checked, not assumed); a failed condition means the post was already received.
``known`` is the strongly consistent ``BatchGetItem`` pre-check; ``apply`` is authoritative.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from audience.core.aws import client_config, error_code, new_client
from audience.ingest.adapters.aws.dynamodb_items import unexpired_ids
from audience.ingest.ports import LakeRow

POST_PREFIX = "POST#"
POST_SK = "POST"


class DynamoIdLedger:
    def __init__(
        self,
        table_name: str,
        ttl_seconds: int,
        client: Any | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self.ttl = ttl_seconds
        self.clock = clock
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("dynamodb", client_config(attempts=3, read_timeout=2.0))
        return self._client

    def known(self, event_ids: Sequence[str]) -> set[str]:
        return unexpired_ids(
            self.client,
            self.table_name,
            POST_PREFIX,
            POST_SK,
            event_ids,
            now=self.clock(),
            attempts=1,  # a pre-check: keys left unprocessed count as unknown, apply() still refuses
            backoff=lambda _: None,
        )

    def apply(self, records: Sequence[LakeRow]) -> set[str]:
        now = self.clock()
        claimed: set[str] = set()
        for key in dict.fromkeys(r.event_id for r in records):
            try:
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        "pk": {"S": POST_PREFIX + key},
                        "sk": {"S": POST_SK},
                        "expires_at": {"N": str(int(now + self.ttl))},
                    },
                    ConditionExpression="attribute_not_exists(pk) OR #e < :now",
                    ExpressionAttributeNames={"#e": "expires_at"},
                    ExpressionAttributeValues={":now": {"N": str(int(now))}},
                )
            except ClientError as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    continue
                raise
            claimed.add(key)
        return claimed
