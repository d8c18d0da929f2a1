"""The recommendations table on DynamoDB: key ``user_id`` (hash) + ``variant`` (range), TTL attribute
``expires_at``. DynamoDB deletes expired items lazily (up to days later), so reads also check it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from audience.recommend.adapters.aws._client import make_client
from audience.recommend.ports import StoredList

BATCH = 25  # BatchWriteItem's limit


class DynamoRecommendationTable:
    def __init__(
        self,
        table: str,
        client: Any | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_rounds: int = 8,
    ) -> None:
        self.table = table
        self._client = client
        self._clock, self._sleep, self._max_rounds = clock, sleep, max_rounds

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client("dynamodb")
        return self._client

    def _item(self, s: StoredList, expires_at: int) -> dict[str, Any]:
        return {
            "user_id": {"S": s.user_id},
            "variant": {"S": s.variant},
            "items": {"L": [{"S": i} for i in s.items]},
            "scores": {"S": json.dumps(s.scores)},
            "model": {"S": s.model},
            "generated_at": {"S": s.generated_at},
            "cold_start": {"BOOL": s.cold_start},
            "expires_at": {"N": str(expires_at)},
        }

    def put_lists(self, lists: Sequence[StoredList], ttl_seconds: int) -> int:
        expires = int(self._clock()) + ttl_seconds
        for start in range(0, len(lists), BATCH):
            requests = [
                {"PutRequest": {"Item": self._item(s, expires)}} for s in lists[start : start + BATCH]
            ]
            for attempt in range(self._max_rounds):
                answer = self.client.batch_write_item(RequestItems={self.table: requests})
                requests = answer.get("UnprocessedItems", {}).get(self.table, [])
                if not requests:
                    break
                self._sleep(min(2.0, 0.05 * 2**attempt))
            else:
                raise RuntimeError(f"{len(requests)} lists still unprocessed after {self._max_rounds} rounds")
        return len(lists)

    def get_list(self, user_id: str, variant: str) -> StoredList | None:
        item = self.client.get_item(
            TableName=self.table, Key={"user_id": {"S": user_id}, "variant": {"S": variant}}
        ).get("Item")
        if item is None or int(item["expires_at"]["N"]) <= int(self._clock()):
            return None
        return StoredList(
            user_id=user_id,
            variant=variant,
            items=[v["S"] for v in item["items"]["L"]],
            scores=[float(x) for x in json.loads(item["scores"]["S"])],
            model=item["model"]["S"],
            generated_at=item["generated_at"]["S"],
            cold_start=bool(item.get("cold_start", {}).get("BOOL", False)),
        )

    def count(self, variant: str | None = None) -> int:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Select": "COUNT",
            "FilterExpression": "expires_at > :now",
            "ExpressionAttributeValues": {":now": {"N": str(int(self._clock()))}},
        }
        if variant is not None:
            kwargs["FilterExpression"] += " AND variant = :v"
            kwargs["ExpressionAttributeValues"][":v"] = {"S": variant}
        total = 0
        while True:
            page = self.client.scan(**kwargs)
            total += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
