"""Hot-counter load model: a Zipf-popular stream at 100,000 events/s through the real counter logic.

The stream: contents drawn from a Zipf law (exponent 1.1 over 100,000 contents; the top content gets
about 13% of the events), clients sending batches of a geometric size (mean 10 events), requests
spread uniformly over each second and handled by 100 writers (Lambda instances), each with its own
:class:`~audience.ingest.adapters.aws.dynamodb.DynamoCounterStore` (its own learned shard counts).

The table: :class:`ThrottlingTable`, an in-memory DynamoDB that answers the store's calls as the
service does (conditions, ``TransactionCanceledException`` with ``CancellationReasons``,
``ConditionalCheckFailedException``) and enforces DynamoDB's per-partition write limit: at most
1,000 WCU per partition key per second (a transactional write of an item under 1 KB costs 2 WCU, a
plain one 1), without burst credit. A transaction that would pass it is cancelled with
``ThrottlingError`` on that item, as DynamoDB does.

The same stream runs twice: its first second without sharding (``max_shards=1``), and all of it
(three seconds) with sharding, the last second being the steady state after promotion. Reported: demanded
and accepted WCU per partition per second, writes per item per second, throttled transactions,
requests that still failed after the store's retries (the API answers 503 and the client resends),
promotions, and an exactness check (every counted event is in exactly one shard's total).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from audience.core.observability import logger
from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
from audience.ingest.adapters.aws.dynamodb_items import CONTENT_PREFIX, SHARD_PREFIX, CounterWriteError
from schemas.engagement import LakeLocation, LakeMetadata, LakeRecord

PARTITION_WCU_PER_SECOND = 1_000
T0 = 1_790_000_000.0
AT = datetime.fromtimestamp(T0, UTC)


def _error(code: str, message: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, **extra}, "op")


class ThrottlingTable:
    """The calls the counter store makes, in memory, with DynamoDB's per-partition write limit."""

    def __init__(self, clock: Callable[[], float], limit: int = PARTITION_WCU_PER_SECOND) -> None:
        self.clock = clock
        self.limit = limit
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.accepted: Counter[tuple[int, str]] = Counter()  # (second, pk) -> WCU written
        self.demanded: Counter[tuple[int, str]] = Counter()  # (second, pk) -> WCU asked for
        self.item_writes: Counter[tuple[int, str, str]] = Counter()  # (second, pk, sk) -> writes
        self.throttled = 0
        self.calls: Counter[str] = Counter()
        self._expressions: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def _key(self, key: dict[str, Any]) -> tuple[str, str]:
        return key["pk"]["S"], key["sk"]["S"]

    def _charge(self, keys: list[tuple[str, str]], wcu: int) -> int | None:
        """Charge each key's partition; the index of the first over the limit (nothing charged)."""
        second = int(self.clock())
        for pk, _ in keys:
            self.demanded[(second, pk)] += wcu
        over = next(
            (i for i, (pk, _) in enumerate(keys) if self.accepted[(second, pk)] + wcu > self.limit), None
        )
        if over is None:
            for pk, sk in keys:
                self.accepted[(second, pk)] += wcu
                self.item_writes[(second, pk, sk)] += 1
        return over

    @staticmethod
    def _value(v: dict[str, str]) -> float:
        return float(v["N"])

    def _parsed(self, expression: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(ADD pairs, SET pairs) of an update expression, parsed once per distinct text."""
        parsed = self._expressions.get(expression)
        if parsed is None:
            adds, _, sets = expression.removeprefix("ADD ").partition(" SET ")
            add_pairs = [tuple(p.split()) for p in adds.split(",") if p.strip()]
            set_pairs = [tuple(x.strip() for x in p.split("=")) for p in sets.split(",") if p.strip()]
            parsed = self._expressions[expression] = (add_pairs, set_pairs)  # type: ignore[assignment]
        return parsed  # type: ignore[return-value]

    def _apply_update(self, key: tuple[str, str], update: dict[str, Any]) -> None:
        names, values = update["ExpressionAttributeNames"], update["ExpressionAttributeValues"]
        adds, sets = self._parsed(update["UpdateExpression"])
        item = self.items.get(key)
        if item is None:
            item = self.items[key] = {}
        for name, value in adds:
            attr = names[name]
            item[attr] = item.get(attr, 0.0) + float(values[value]["N"])
        for name, value in sets:
            item[names[name]] = values[value]

    # --- the DynamoDB API the store uses -------------------------------------------------------------

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self.calls["TransactWriteItems"] += 1
        keys, reasons = [], []
        for action in TransactItems:
            if "Put" in action:
                key = self._key(action["Put"]["Item"])
                exists = key in self.items
                reasons.append("ConditionalCheckFailed" if exists else "None")
            else:
                key = self._key(action["Update"]["Key"])
                reasons.append("None")
            keys.append(key)
        if "ConditionalCheckFailed" not in reasons:
            over = self._charge(keys, 2)
            if over is not None:
                self.throttled += 1
                reasons[over] = "ThrottlingError"
        if set(reasons) != {"None"}:
            raise _error(
                "TransactionCanceledException",
                "Transaction cancelled",
                CancellationReasons=[{"Code": r} for r in reasons],
            )
        for action, key in zip(TransactItems, keys, strict=True):
            if "Put" in action:
                self.items[key] = action["Put"]["Item"]
            else:
                self._apply_update(key, action["Update"])
        return {}

    def update_item(self, **params: Any) -> dict[str, Any]:
        """Only the store's shard promotion: ``SET shards`` if absent or smaller."""
        self.calls["UpdateItem"] += 1
        key = self._key(params["Key"])
        wanted = self._value(params["ExpressionAttributeValues"][":n"])
        current = self.items.get(key, {}).get("shards")
        if current is not None and self._value(current) >= wanted:
            raise _error("ConditionalCheckFailedException", "The conditional request failed")
        if self._charge([key], 1) is not None:
            raise _error("ProvisionedThroughputExceededException", "throttled")
        self.items[key] = {"shards": params["ExpressionAttributeValues"][":n"]}
        return {}

    def get_item(self, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls["GetItem"] += 1
        item = self.items.get(self._key(Key))
        return {"Item": item} if item and "shards" in item else {}


_LOCATION = LakeLocation.model_construct(country="US", region=None, city=None)
_METADATA = LakeMetadata.model_construct(view_duration=1.0, completion_rate=None, interaction_count=0)


def _record(event_id: str, content_id: str) -> LakeRecord:
    return LakeRecord.model_construct(
        event_id=event_id,
        schema_version="1.0",
        user_id="u",
        content_id=content_id,
        event_type="view",
        event_timestamp=AT,
        platform="web",
        device_type="mobile",
        location=_LOCATION,
        session_id="s",
        metadata=_METADATA,
        event_id_source="client",
        ingested_at=AT,
        request_id="r",
        ingest_source="bench",
    )


def stream(
    events_per_second: int, seconds: int, contents: int, exponent: float, mean_batch: float, seed: int
) -> list[tuple[float, list[tuple[str, str]]]]:
    """Requests in time order: (arrival time, [(event id, content id), ...])."""
    rng = random.Random(seed)
    weights = [1.0 / (k**exponent) for k in range(1, contents + 1)]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    requests: list[tuple[float, list[tuple[str, str]]]] = []
    n = 0
    for second in range(seconds):
        emitted = 0
        while emitted < events_per_second:
            size = min(
                events_per_second - emitted,
                1 + int(math.log(1 - rng.random()) / math.log(1 - 1 / mean_batch)),
            )
            picks = rng.choices(range(contents), cum_weights=cumulative, k=size)
            batch = [(f"e{n + i}", f"c-{p:06d}") for i, p in enumerate(picks)]
            n += size
            emitted += size
            requests.append((T0 + second + rng.random(), batch))
    requests.sort(key=lambda r: r[0])
    return requests


def simulate(
    requests: list[tuple[float, list[tuple[str, str]]]],
    *,
    sharding: bool,
    writers: int,
    seconds: int,
    limit: int = PARTITION_WCU_PER_SECOND,
) -> dict[str, Any]:
    now = [T0]
    table = ThrottlingTable(lambda: now[0], limit)
    stores = [
        DynamoCounterStore(
            "counters",
            dedup_ttl_seconds=8 * 86_400,
            client=table,
            clock=lambda: now[0],
            sleep=lambda _: None,
            max_shards=64 if sharding else 1,
            hot_writes_per_second=limit / 5 if sharding else None,  # 200 writes/s: 40% of a partition
        )
        for _ in range(writers)
    ]
    level = logger.log_level
    logger.setLevel("ERROR")  # every throttled retry logs a line: millions here
    failed_requests = failed_events = counted_events = 0
    counted_by_content: Counter[str] = Counter()
    started = time.perf_counter()
    for i, (at, batch) in enumerate(requests):
        now[0] = at
        records = [_record(event_id, content) for event_id, content in batch]
        try:
            counted = stores[i % writers].apply(records)
        except CounterWriteError as exc:
            counted = exc.counted
            failed_requests += 1
            failed_events += len(records) - len(counted)
        counted_events += len(counted)
        for r in records:
            if r.event_id in counted:
                counted_by_content[r.content_id] += 1
    elapsed = time.perf_counter() - started
    logger.setLevel(level)

    # Exactness: each content's TOTAL over its shards equals the events counted for it.
    totals: Counter[str] = Counter()
    for (pk, sk), item in table.items.items():
        if sk == "TOTAL":
            content = pk.split("#", 2)[2] if pk.startswith(SHARD_PREFIX) else pk
            totals[content.removeprefix(CONTENT_PREFIX)] += int(item["events"])
    exact = totals == counted_by_content
    last = int(T0) + seconds - 1
    per_second_item: dict[int, int] = defaultdict(int)
    for (second, _, _), writes in table.item_writes.items():
        per_second_item[second] = max(per_second_item[second], writes)
    hottest = counted_by_content.most_common(1)[0]
    shards = max(s.shards_of(hottest[0]) for s in stores)
    return {
        "sharding": sharding,
        "requests": len(requests),
        "events": sum(len(b) for _, b in requests),
        "simulated_seconds": seconds,
        "model_seconds": elapsed,
        "max_demanded_wcu_per_partition_s": max(table.demanded.values()),
        "max_demanded_wcu_last_second": max(v for (s, _), v in table.demanded.items() if s == last),
        "max_accepted_wcu_per_partition_s": max(table.accepted.values()),
        "max_writes_per_item_s": max(per_second_item.values()),
        "max_writes_per_item_last_second": per_second_item[last],
        "throttled_transactions": table.throttled,
        "failed_requests": failed_requests,
        "failed_requests_share": failed_requests / len(requests),
        "uncounted_events": failed_events,
        "counted_events": counted_events,
        "promotions": sum(s.promotions for s in stores),
        "hottest_content": hottest[0],
        "hottest_content_events": hottest[1],
        "hottest_content_shards": shards,
        "partitions_written": len({pk for _, pk in table.accepted}),
        "exact": exact,
        "calls": dict(table.calls),
    }


def run(
    events_per_second: int = 100_000,
    seconds: int = 3,
    unsharded_seconds: int = 1,
    *,
    contents: int = 100_000,
    exponent: float = 1.1,
    mean_batch: float = 10.0,
    writers: int = 100,
    seed: int = 7,
) -> dict[str, Any]:
    requests = stream(events_per_second, seconds, contents, exponent, mean_batch, seed)
    return {
        "events_per_second": events_per_second,
        "zipf_exponent": exponent,
        "contents": contents,
        "mean_batch": mean_batch,
        "writers": writers,
        "partition_limit_wcu_s": PARTITION_WCU_PER_SECOND,
        # Without sharding one second shows the overload (and costs the model minutes of retries).
        "unsharded": simulate(
            [r for r in requests if r[0] < T0 + unsharded_seconds],
            sharding=False,
            writers=writers,
            seconds=unsharded_seconds,
        ),
        # With it, the first second promotes the hot contents and the last one is the steady state.
        "sharded": simulate(requests, sharding=True, writers=writers, seconds=seconds),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(seconds=int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
