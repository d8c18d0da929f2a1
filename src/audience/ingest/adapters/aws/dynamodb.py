"""Live counters in DynamoDB, counted exactly once per ``event_id`` (the :class:`~audience.ingest.ports.CounterStore`).

Single-table design on the template's ``pk``/``sk`` (no index): the items and their keys are in
:mod:`.dynamodb_items`; how a request's records are packed into transactions in
:mod:`.dynamodb_transactions`.

Exactly once: a ``TransactWriteItems`` claims each id (a ``Put`` that succeeds only if the id is
unknown or its memory has expired; TTL deletion is lazy, so expiry is checked, not assumed) and adds
the aggregated deltas (one ``UpdateItem`` with ``ADD`` per (content, bucket)) atomically. A claim
that fails its condition cancels the transaction and is named in ``CancellationReasons``; those
records are duplicates, so they are dropped, the rest re-aggregated, and the transaction retried.

Hot content: write sharding. A (content, bucket) item takes one ``UpdateItem`` per request, and one
partition key takes at most 1,000 WCU/s (a transactional write costs 2 WCU). A viral content's
items would pass that, so a content that runs hot is **promoted** to ``N`` shards (1 -> 4 -> 16 ->
64): shard 0 is the ``CONTENT#<id>`` items above, shard ``k`` the same items under
``SHARD#<k>#CONTENT#<id>``; each request's delta for the content goes, whole, to one shard chosen by
hash. The count lives in ``SHARDS#<id>`` / ``SHARDS`` (``shards``: its own partition, so promoting
a content is not throttled with it), raised by a conditional update and never lowered. Reads sum every shard, so they stay exact; the claims are untouched, so counting stays
exactly once. A writer promotes a content when DynamoDB throttles the content's update in a
transaction, after repeated transaction conflicts on it, or when its own write rate to the content
passes ``hot_writes_per_second``; other writers learn the count from the same signals (a throttled
write, then the conditional update's answer). Promotion is committed before any write goes to a new
shard, so a reader that reads the count first and then the shards misses nothing committed before
it started. See docs/decisions.md ("Hot counters") and the load model in bench/counters.py.

"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from audience.core.aws import error_code, is_transient
from audience.core.observability import logger
from audience.ingest.adapters.aws.dynamodb_items import (
    ATTRIBUTE_NAMES,
    DEDUP_SK,
    EVENT_PREFIX,
    SHARDS_PREFIX,
    SHARDS_SK,
    CounterWriteError,
    content_pk,
    hour_start,
    next_shard_count,
    number_value,
    shard_for,
    unexpired_ids,
)
from audience.ingest.adapters.aws.dynamodb_reads import DynamoCounterReader
from audience.ingest.adapters.aws.dynamodb_transactions import plan_transactions
from audience.ingest.counters import (
    EVENT_TYPES,
    TOTAL_BUCKET,
    CounterDelta,
    CounterKey,
    aggregate,
)
from audience.ingest.records import first_per_event_id
from schemas.engagement import LakeRecord

_HOT_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})

# Cancellation reasons worth another try with backoff (contention or capacity, nothing committed).
_RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
_CLAIM_CONDITION = "attribute_not_exists(pk) OR expires_at < :now"


class DynamoCounterStore(DynamoCounterReader):
    """Counters in one DynamoDB table (``pk``/``sk``), exactly once per event id.

    ``dedup_ttl_seconds`` is how long an id is remembered (it must outlive the ingestion age window);
    ``hourly_ttl_seconds``, when set, lets hourly buckets expire that long after their hour starts.
    ``clock`` gives epoch seconds. A transaction is retried on contention or transient errors at most
    ``max_attempts`` times, and all transactions of one ``apply`` share ``retry_budget_seconds`` (the
    function has 20 s in all),
    then :class:`CounterWriteError` is raised and the API answers 503.
    """

    def __init__(
        self,
        table_name: str,
        dedup_ttl_seconds: int,
        hourly_ttl_seconds: int | None = None,
        client: Any | None = None,
        clock: Callable[[], float] = time.time,
        *,
        max_attempts: int = 6,
        retry_budget_seconds: float = 5.0,
        backoff_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        max_shards: int = 64,
        hot_writes_per_second: float | None = 200.0,
        conflicts_to_promote: int = 3,
    ) -> None:
        super().__init__(
            table_name, client, max_attempts=max_attempts, backoff_seconds=backoff_seconds, sleep=sleep
        )
        self.dedup_ttl_seconds = dedup_ttl_seconds
        self.hourly_ttl_seconds = hourly_ttl_seconds
        self.clock = clock
        self.retry_budget_seconds = retry_budget_seconds
        self.max_shards = max_shards
        self.hot_writes_per_second = hot_writes_per_second
        self.conflicts_to_promote = conflicts_to_promote
        self._shards: dict[str, int] = {}  # learned shard counts (absent: 1); they only ever grow
        self._conflicts: dict[str, list[float]] = {}
        self._rate: dict[str, tuple[int, int]] = {}  # content -> (epoch second, writes in it)
        self.promotions = 0

    def shards_of(self, content_id: str) -> int:
        """The shard count this writer uses for ``content_id`` (what it has learned so far)."""
        return self._shards.get(content_id, 1)

    # --- exactly-once counting -----------------------------------------------------------------

    def known(self, event_ids: Sequence[str]) -> set[str]:
        """Ids whose dedup memory exists and has not expired (strongly consistent reads).

        Keys DynamoDB leaves unprocessed after the bounded retries are reported as unknown: this is
        a pre-check, and :meth:`apply` still refuses to count them twice.
        """
        return unexpired_ids(
            self.client,
            self.table_name,
            EVENT_PREFIX,
            DEDUP_SK,
            event_ids,
            now=self.clock(),
            attempts=self.max_attempts,
            backoff=self._backoff,
        )

    def apply(self, records: Sequence[LakeRecord]) -> set[str]:
        """Count the never-counted records; returns their ids. Raises :class:`CounterWriteError` when
        contention or transient errors outlast the bounded retries, and boto's errors when the
        table is misconfigured (missing, access denied, invalid request)."""
        unique = first_per_event_id(records)
        counted: set[str] = set()
        started = self.clock()  # one retry budget for the whole call, however many transactions
        for transaction in plan_transactions(unique):
            try:
                counted |= self._commit(transaction, started)
            except CounterWriteError as exc:
                raise CounterWriteError(str(exc), counted | exc.counted) from exc
        return counted

    def _commit(self, records: list[LakeRecord], started: float) -> set[str]:
        """Write one planned transaction; returns the ids it counted (duplicates dropped)."""
        pending = records
        now = self.clock()
        token = str(uuid.uuid4())
        retries = 0
        last: Exception | None = None
        items: list[dict[str, Any]] | None = None
        hot: set[str] = set()
        while pending:
            if items is None:  # once per token: a resend with the same token must be identical
                items = self._transact_items(pending, now)
            try:
                self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
                self._count_writes(pending, now)
                return {r.event_id for r in pending}
            except ClientError as exc:
                last = exc
                if error_code(exc) != "TransactionCanceledException":
                    if not is_transient(exc):
                        raise
                    reason = error_code(exc)  # outcome unknown: resend as is, same token
                else:
                    reasons = [
                        str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])
                    ]
                    duplicates = {
                        r.event_id
                        for r, code in zip(pending, reasons, strict=False)
                        if code == "ConditionalCheckFailed"
                    }
                    fatal = set(reasons) - _RETRYABLE_REASONS - {"None", "ConditionalCheckFailed"}
                    if fatal:
                        raise CounterWriteError(
                            f"counter transaction cancelled: {sorted(fatal)}", set()
                        ) from exc
                    hot = self._hot_contents(pending, reasons, now)
                    # Cancelled means nothing committed: a new attempt gets a new token and a new clock.
                    now, token, items = self.clock(), str(uuid.uuid4()), None
                    if duplicates:
                        pending = [r for r in pending if r.event_id not in duplicates]
                        continue  # progress is guaranteed: the set shrinks
                    reason = ",".join(sorted(set(reasons) - {"None"})) or "TransactionCanceled"
            except BotoCoreError as exc:
                last = exc
                if not is_transient(exc):
                    raise
                reason = type(exc).__name__
            retries += 1
            if retries >= self.max_attempts or self.clock() - started > self.retry_budget_seconds:
                raise CounterWriteError(
                    f"counters not written after {retries} attempt(s) (last: {reason})", set()
                ) from last
            logger.info("counter transaction retried", extra={"reason": reason, "attempt": retries})
            for content_id in hot:  # before the retry, which then goes to the new shards
                self.promote(content_id, now)
            hot = set()
            self._backoff(retries)
        return set()

    # --- hot content ---------------------------------------------------------------------------

    def _hot_contents(self, records: list[LakeRecord], reasons: list[str], now: float) -> set[str]:
        """Contents whose update in a cancelled transaction says they run hot (reasons follow the
        items: the claims in ``records`` order, then one update per (content, bucket))."""
        keys = list(aggregate(records))
        hot: set[str] = set()
        for key, reason in zip(keys, reasons[len(records) :], strict=False):
            if reason in _HOT_REASONS:
                hot.add(key.content_id)
            elif reason == "TransactionConflict":
                recent = [t for t in self._conflicts.get(key.content_id, []) if now - t < 10] + [now]
                self._conflicts[key.content_id] = recent
                if len(recent) >= self.conflicts_to_promote:
                    hot.add(key.content_id)
        return hot

    def _count_writes(self, records: list[LakeRecord], now: float) -> None:
        """This writer's own writes per content per second; past ``hot_writes_per_second``, promote."""
        if self.hot_writes_per_second is None:
            return
        second = int(now)
        for content_id in {r.content_id for r in records}:
            start, count = self._rate.get(content_id, (second, 0))
            count = count + 1 if start == second else 1
            self._rate[content_id] = (second, count)
            if count > self.hot_writes_per_second * self.shards_of(content_id):  # per shard
                self.promote(content_id, now)
                self._rate[content_id] = (second, 0)

    def promote(self, content_id: str, now: float | None = None) -> int:
        """Raise the content's shard count one step (conditionally: it never goes down, and a writer
        that lost the race adopts the larger count). Returns the count now in use.

        A failed promotion is logged and the old count kept: counting goes on, just hotter."""
        current = self.shards_of(content_id)
        wanted = next_shard_count(current, self.max_shards)
        if wanted <= current:
            return current
        key = {"pk": {"S": SHARDS_PREFIX + content_id}, "sk": {"S": SHARDS_SK}}
        at = self.clock() if now is None else now
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression="SET #shards = :n, #promoted_at = :now",
                ConditionExpression="attribute_not_exists(#shards) OR #shards < :n",
                ExpressionAttributeNames={"#shards": "shards", "#promoted_at": "promoted_at"},
                ExpressionAttributeValues={":n": number_value(wanted), ":now": number_value(int(at))},
            )
            learned = wanted
            self.promotions += 1
            logger.info("hot content promoted", extra={"content_id": content_id, "shards": wanted})
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                logger.warning("shard promotion failed", extra={"content_id": content_id, "error": str(exc)})
                return current
            learned = self._read_shard_count(content_id)  # someone promoted further: adopt theirs
        except BotoCoreError as exc:
            logger.warning("shard promotion failed", extra={"content_id": content_id, "error": str(exc)})
            return current
        self._shards[content_id] = max(current, learned)
        return self._shards[content_id]

    def _transact_items(self, records: list[LakeRecord], now: float) -> list[dict[str, Any]]:
        """Claims first, in ``records`` order (so cancellation reason *i* is record *i*), then updates."""
        claims = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": {"S": EVENT_PREFIX + r.event_id},
                        "sk": {"S": DEDUP_SK},
                        "expires_at": number_value(int(now) + self.dedup_ttl_seconds),
                    },
                    "ConditionExpression": _CLAIM_CONDITION,
                    "ExpressionAttributeValues": {":now": number_value(int(now))},
                }
            }
            for r in records
        ]
        shard = {c: shard_for(c, records, self.shards_of(c)) for c in {r.content_id for r in records}}
        updates = [
            self._update(key, delta, now, shard[key.content_id]) for key, delta in aggregate(records).items()
        ]
        return claims + updates

    def _update(self, key: CounterKey, delta: CounterDelta, now: float, shard: int = 0) -> dict[str, Any]:
        values = {f":{t}": number_value(delta.counts[t]) for t in EVENT_TYPES}
        values |= {
            ":events": number_value(delta.events),
            ":view_seconds": number_value(delta.view_seconds),
            ":now": number_value(now),
        }
        adds = ", ".join(f"#{a} :{a}" for a in (*EVENT_TYPES, "events", "view_seconds"))
        sets = "#updated_at = :now"
        names = {k: v for k, v in ATTRIBUTE_NAMES.items() if k != "#expires_at"}
        if key.bucket != TOTAL_BUCKET and self.hourly_ttl_seconds is not None:
            # Anchored on the hour itself, so late events do not keep an old hour alive.
            values[":expires_at"] = number_value(hour_start(key.bucket) + self.hourly_ttl_seconds)
            sets += ", #expires_at = :expires_at"
            names = ATTRIBUTE_NAMES
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": content_pk(key.content_id, shard)}, "sk": {"S": key.bucket}},
                "UpdateExpression": f"ADD {adds} SET {sets}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    # --- reconciliation (audience.ingest.reconcile) --------------------------------------------

    def add(self, deltas: Mapping[CounterKey, CounterDelta]) -> None:
        """Signed differences with ``ADD``, one ``UpdateItem`` per bucket (atomic per item)."""
        now = self.clock()
        for key, delta in sorted(deltas.items()):
            self.client.update_item(**self._update(key, delta, now)["Update"])

    def remember(self, event_ids: Sequence[str]) -> None:
        """Dedup memories for backfilled ids (``BatchWriteItem``, unprocessed items retried)."""
        expires = number_value(int(self.clock()) + self.dedup_ttl_seconds)
        ids = list(dict.fromkeys(event_ids))
        for start in range(0, len(ids), 25):
            request: dict[str, Any] = {
                self.table_name: [
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": EVENT_PREFIX + i},
                                "sk": {"S": DEDUP_SK},
                                "expires_at": expires,
                            }
                        }
                    }
                    for i in ids[start : start + 25]
                ]
            }
            for attempt in range(self.max_attempts):
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                self._backoff(attempt)
            if request:
                raise CounterWriteError("dedup memories not written after retries", set())
