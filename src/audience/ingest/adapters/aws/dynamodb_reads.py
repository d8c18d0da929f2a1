"""The counters table's read side: totals, rankings, hourly series and reconciliation snapshots.

Every read sums a content's shards (:mod:`.dynamodb_items`), reading the shard count first, so it
is exact however hot the content ran. :class:`DynamoCounterReader` is the base of the counter store
(:class:`~audience.ingest.adapters.aws.dynamodb.DynamoCounterStore`, which adds the exactly-once
writes and the hot-content sharding); it holds the table, its client and the bounded retries that
both sides share.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from audience.core.aws import client_config, new_client
from audience.ingest.adapters.aws.dynamodb_items import (
    CONTENT_PREFIX,
    HOUR_PREFIX,
    MAX_BATCH_GET_KEYS,
    SHARD_PREFIX,
    SHARDS_PREFIX,
    SHARDS_SK,
    CounterWriteError,
    content_of,
    content_pk,
    counts_of,
    number_of,
)
from audience.ingest.counters import (
    EVENT_TYPES,
    TOTAL_BUCKET,
    ContentCounters,
    CounterDelta,
    CounterKey,
    HourlyCounters,
)

RANKABLE = (*EVENT_TYPES, "events", "view_seconds")


class DynamoCounterReader:
    """Reads of the counters table (``pk``/``sk``), strongly consistent where a key is known.

    ``max_attempts`` bounds the retries of unprocessed batch keys, with full-jitter backoff from
    ``backoff_seconds``.
    """

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        *,
        max_attempts: int = 6,
        backoff_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self._client = client
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    @property
    def client(self) -> Any:
        if self._client is None:
            # The ingest hot path's client: no client-side parameter walk (see ``client_config``).
            self._client = new_client(
                "dynamodb", client_config(attempts=2, read_timeout=2.0, validate_parameters=False)
            )
        return self._client

    def _backoff(self, attempt: int) -> None:
        """Full jitter, capped at 16 times the base."""
        self.sleep(random.uniform(0, self.backoff_seconds * min(2**attempt, 16)))

    def _read_shard_count(self, content_id: str) -> int:
        item = self.client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": SHARDS_PREFIX + content_id}, "sk": {"S": SHARDS_SK}},
            ConsistentRead=True,
        ).get("Item")
        return int(number_of(item, "shards")) if item and "shards" in item else 1

    # --- reconciliation (audience.ingest.reconcile) --------------------------------------------

    @staticmethod
    def _sum_into(out: dict[CounterKey, CounterDelta], items: Iterable[dict[str, Any]]) -> None:
        """Add counter items to ``out`` by (content, bucket): a promoted content's shards sum into one."""
        for item in items:
            key = CounterKey(content_of(item["pk"]["S"]), item["sk"]["S"])
            delta = out.setdefault(key, CounterDelta())
            for event_type, count in counts_of(item).items():
                delta.counts[event_type] += count
            delta.view_seconds += number_of(item, "view_seconds")

    def snapshot(
        self, start_hour: str | None, end_hour: str | None, content_ids: Sequence[str] | None
    ) -> dict[CounterKey, CounterDelta]:
        """TOTAL and hourly buckets, each summed over the content's shards: a Query per shard of each
        content when ids are given, else one Scan (the table has no index; reconciliation is a batch
        job, not a request path). The repair (:meth:`add`) then writes the difference to shard 0."""
        low, high = HOUR_PREFIX + (start_hour or ""), HOUR_PREFIX + (end_hour or "~")
        buckets = {":total": {"S": TOTAL_BUCKET}, ":low": {"S": low}, ":high": {"S": high}}
        out: dict[CounterKey, CounterDelta] = {}
        if content_ids is None:
            pages = self.client.get_paginator("scan").paginate(
                TableName=self.table_name,
                FilterExpression="(begins_with(pk, :content) OR begins_with(pk, :shard)) "
                "AND (sk = :total OR sk BETWEEN :low AND :high)",
                ExpressionAttributeValues={
                    ":content": {"S": CONTENT_PREFIX},
                    ":shard": {"S": SHARD_PREFIX},
                    **buckets,
                },
            )
            self._sum_into(out, (item for page in pages for item in page.get("Items", [])))
            return out
        for content_id in dict.fromkeys(content_ids):
            for shard in range(self._read_shard_count(content_id)):
                pages = self.client.get_paginator("query").paginate(
                    TableName=self.table_name,
                    KeyConditionExpression="pk = :pk",
                    FilterExpression="sk = :total OR sk BETWEEN :low AND :high",
                    ExpressionAttributeValues={":pk": {"S": content_pk(content_id, shard)}, **buckets},
                )
                self._sum_into(out, (item for page in pages for item in page.get("Items", [])))
        return out

    # --- read side -----------------------------------------------------------------------------

    def content(self, content_id: str) -> ContentCounters | None:
        """The content's totals, summed over its shards (read after the shard count: exact)."""
        shards = self._read_shard_count(content_id)
        items = self._get_many(
            [{"pk": {"S": content_pk(content_id, k)}, "sk": {"S": TOTAL_BUCKET}} for k in range(shards)]
        )
        if not items:
            return None
        counts = {t: sum(int(number_of(i, t)) for i in items) for t in EVENT_TYPES}
        return ContentCounters(content_id, counts, sum(number_of(i, "view_seconds") for i in items))

    def _get_many(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Strongly consistent reads of ``keys`` (one GetItem, or BatchGetItem pages of 100 with
        unprocessed keys retried)."""
        if len(keys) == 1:
            item = self.client.get_item(TableName=self.table_name, Key=keys[0], ConsistentRead=True).get(
                "Item"
            )
            return [item] if item else []
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self.table_name: {"Keys": keys[start : start + MAX_BATCH_GET_KEYS], "ConsistentRead": True}
            }
            for attempt in range(self.max_attempts):
                response = self.client.batch_get_item(RequestItems=request)
                items += response.get("Responses", {}).get(self.table_name, [])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._backoff(attempt)
            else:
                raise CounterWriteError("counter read left keys unprocessed", set())
        return items

    def top_content(self, limit: int = 10, by: str = "events") -> list[ContentCounters]:
        """The leading contents by ``by``, from a Scan of the TOTAL items.

        A Scan is fine for the demo's table size only: it reads every item, dedup memories included. The template's table has just ``pk``/``sk``,
        so ranking at scale belongs to the dashboard work (a GSI on the TOTAL items, or the lake);
        this method does not assume an index that does not exist.
        """
        if by not in RANKABLE:
            raise ValueError(f"cannot rank by {by!r}; choose one of {', '.join(RANKABLE)}")
        rows: list[ContentCounters] = []
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="sk = :total AND (begins_with(pk, :content) OR begins_with(pk, :shard))",
            ExpressionAttributeValues={
                ":total": {"S": TOTAL_BUCKET},
                ":content": {"S": CONTENT_PREFIX},
                ":shard": {"S": SHARD_PREFIX},
            },
        )
        totals: dict[str, tuple[dict[str, int], float]] = {}
        for page in pages:
            for item in page.get("Items", []):
                content_id = content_of(item["pk"]["S"])
                counts, seconds = totals.get(content_id, (dict.fromkeys(EVENT_TYPES, 0), 0.0))
                item_counts = counts_of(item)
                totals[content_id] = (
                    {t: counts[t] + item_counts[t] for t in EVENT_TYPES},
                    seconds + number_of(item, "view_seconds"),
                )
        rows = [ContentCounters(c, counts, seconds) for c, (counts, seconds) in totals.items()]

        def rank(row: ContentCounters) -> tuple[float, str]:
            value = (
                row.view_seconds if by == "view_seconds" else row.events if by == "events" else row.counts[by]
            )
            return (-value, row.content_id)

        return sorted(rows, key=rank)[:limit]

    def hourly(self, content_id: str, start_hour: str, end_hour: str) -> list[HourlyCounters]:
        """Hourly buckets in range, each summed over the content's shards."""
        by_hour: dict[str, tuple[dict[str, int], float]] = {}
        for shard in range(self._read_shard_count(content_id)):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
                ExpressionAttributeValues={
                    ":pk": {"S": content_pk(content_id, shard)},
                    ":start": {"S": HOUR_PREFIX + start_hour},
                    ":end": {"S": HOUR_PREFIX + end_hour},
                },
                ConsistentRead=True,
            )
            for page in pages:
                for item in page.get("Items", []):
                    hour = item["sk"]["S"].removeprefix(HOUR_PREFIX)
                    counts, seconds = by_hour.get(hour, (dict.fromkeys(EVENT_TYPES, 0), 0.0))
                    item_counts = counts_of(item)
                    by_hour[hour] = (
                        {t: counts[t] + item_counts[t] for t in EVENT_TYPES},
                        seconds + number_of(item, "view_seconds"),
                    )
        return [
            HourlyCounters(content_id, hour, counts, seconds)
            for hour, (counts, seconds) in sorted(by_hour.items())
        ]
