"""Live counters in DynamoDB, counted exactly once per ``event_id`` (the :class:`~audience.ingest.ports.CounterStore`).

Single-table design on the template's ``pk``/``sk`` (no index):

=====================  ======================  ==========================================================
pk                     sk                      attributes
=====================  ======================  ==========================================================
``CONTENT#<id>``       ``TOTAL``               one number per event type, ``events``, ``view_seconds``,
                                               ``updated_at``
``CONTENT#<id>``       ``HOUR#YYYY-MM-DDTHH``  the same, plus ``expires_at`` when ``hourly_ttl_seconds``
``EVENT#<event_id>``   ``EVENT``               ``expires_at`` (the dedup memory; the table's TTL attribute)
=====================  ======================  ==========================================================

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

Packing: a transaction holds at most 100 actions and may not touch an item twice. Records are
grouped by content; a group costs ``claims + 1 (TOTAL) + distinct hours`` actions, and whole groups
are packed into transactions first-fit. Only a group that alone exceeds 100 actions is split (by
hour, into transactions of their own), which is the only case where a (content, bucket) gets more
than one update per request.
"""

from __future__ import annotations

import random
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from audience.core.aws import client_config, error_code, is_transient, new_client
from audience.core.observability import logger
from audience.ingest.counters import (
    EVENT_TYPES,
    TOTAL_BUCKET,
    ContentCounters,
    CounterDelta,
    CounterKey,
    HourlyCounters,
    aggregate,
    hour_bucket,
)
from audience.ingest.records import first_per_event_id
from schemas.engagement import LakeRecord

CONTENT_PREFIX = "CONTENT#"
EVENT_PREFIX = "EVENT#"
HOUR_PREFIX = "HOUR#"
DEDUP_SK = "EVENT"
SHARD_PREFIX = "SHARD#"
SHARDS_PREFIX = "SHARDS#"
SHARDS_SK = "SHARDS"
SHARD_STEPS = (1, 4, 16, 64)
"""Shard counts a content is promoted through (each step x4: few promotions for a viral spike)."""
_HOT_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
MAX_TRANSACTION_ACTIONS = 100
MAX_BATCH_GET_KEYS = 100
RANKABLE = (*EVENT_TYPES, "events", "view_seconds")

# Cancellation reasons worth another try with backoff (contention or capacity, nothing committed).
_RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
_CLAIM_CONDITION = "attribute_not_exists(pk) OR expires_at < :now"
# Every attribute goes through a placeholder: VIEW, COMMENT and others are reserved words.
_NAMES = {f"#{a}": a for a in (*EVENT_TYPES, "events", "view_seconds", "updated_at", "expires_at")}


class CounterWriteError(RuntimeError):
    """The counters could not be written within the bounded attempts (the API answers 503).

    ``counted`` holds the ids committed before giving up; a client retry finds them already counted.
    """

    def __init__(self, message: str, counted: set[str]) -> None:
        super().__init__(message)
        self.counted = counted


@dataclass
class _Unit:
    """Records of one content that go into one transaction."""

    content_id: str
    records: list[LakeRecord]

    @property
    def actions(self) -> int:
        return actions_for(self.records)


@dataclass
class _Transaction:
    units: list[_Unit] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(u.actions for u in self.units)

    def fits(self, unit: _Unit) -> bool:
        return self.actions + unit.actions <= MAX_TRANSACTION_ACTIONS and all(
            u.content_id != unit.content_id for u in self.units
        )

    @property
    def records(self) -> list[LakeRecord]:
        return [r for u in self.units for r in u.records]


def actions_for(records: Sequence[LakeRecord]) -> int:
    """Claims plus one update per (content, bucket)."""
    return len(records) + len({(r.content_id, b) for r in records for b in (TOTAL_BUCKET, hour_bucket(r))})


def _split_group(content_id: str, records: list[LakeRecord]) -> Iterator[_Unit]:
    if actions_for(records) <= MAX_TRANSACTION_ACTIONS:
        yield _Unit(content_id, records)
        return
    chunk: list[LakeRecord] = []
    for record in sorted(records, key=hour_bucket):  # stable: few hours per chunk
        if chunk and actions_for([*chunk, record]) > MAX_TRANSACTION_ACTIONS:
            yield _Unit(content_id, chunk)
            chunk = []
        chunk.append(record)
    if chunk:
        yield _Unit(content_id, chunk)


def plan_transactions(records: Sequence[LakeRecord]) -> list[list[LakeRecord]]:
    """Pack records (unique ids) into transactions of at most 100 actions, whole content groups first-fit."""
    groups: dict[str, list[LakeRecord]] = {}
    for record in records:
        groups.setdefault(record.content_id, []).append(record)
    transactions: list[_Transaction] = []
    for content_id, group in groups.items():
        for unit in _split_group(content_id, group):
            target = next((t for t in transactions if t.fits(unit)), None)
            if target is None:
                target = _Transaction()
                transactions.append(target)
            target.units.append(unit)
    return [t.records for t in transactions]


def _n(value: float | int) -> dict[str, str]:
    """A DynamoDB number; seconds are kept to the millisecond (Decimal text, never an exponent)."""
    if isinstance(value, int):
        return {"N": str(value)}
    return {"N": f"{round(value, 3):.3f}"}


def _number(item: dict[str, Any], name: str) -> float:
    return float(item[name]["N"]) if name in item else 0.0


def unexpired_ids(
    client: Any,
    table_name: str,
    prefix: str,
    sk: str,
    ids: Sequence[str],
    *,
    now: float,
    attempts: int,
    backoff: Callable[[int], None],
) -> set[str]:
    """The ids whose ``prefix + id`` / ``sk`` item exists and has not expired (``expires_at``),
    read with strongly consistent ``BatchGetItem`` in pages of 100 keys. Keys still unprocessed
    after ``attempts`` are reported as unknown: callers use this as a pre-check only."""
    unique = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(unique), MAX_BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table_name: {
                "Keys": [
                    {"pk": {"S": prefix + i}, "sk": {"S": sk}}
                    for i in unique[start : start + MAX_BATCH_GET_KEYS]
                ],
                "ProjectionExpression": "pk, #expires_at",
                "ExpressionAttributeNames": {"#expires_at": "expires_at"},
                "ConsistentRead": True,
            }
        }
        for attempt in range(attempts):
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table_name, []):
                if _number(item, "expires_at") >= now:
                    found.add(item["pk"]["S"].removeprefix(prefix))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt + 1 < attempts:
                backoff(attempt)
        else:
            left = len(request.get(table_name, {}).get("Keys", []))
            logger.warning("pre-check left keys unprocessed", extra={"keys": left})
    return found


def _counts(item: dict[str, Any]) -> dict[str, int]:
    return {t: int(_number(item, t)) for t in EVENT_TYPES}


def content_pk(content_id: str, shard: int = 0) -> str:
    """The partition key of a content's counters in ``shard`` (0: the unsharded layout)."""
    return (
        CONTENT_PREFIX + content_id if shard == 0 else f"{SHARD_PREFIX}{shard}#{CONTENT_PREFIX}{content_id}"
    )


def content_of(pk: str) -> str:
    """The content id of a counter partition key, sharded or not."""
    if pk.startswith(SHARD_PREFIX):
        pk = pk.split("#", 2)[2]
    return pk.removeprefix(CONTENT_PREFIX)


def shard_for(content_id: str, records: Sequence[LakeRecord], shards: int) -> int:
    """The shard a request's delta for ``content_id`` goes to: a hash of the content and its first
    event id, so it is spread over requests yet the same for every retry of one transaction."""
    if shards <= 1:
        return 0
    first = next(r.event_id for r in records if r.content_id == content_id)
    return zlib.crc32(f"{content_id}\x00{first}".encode()) % shards


def next_shard_count(current: int, max_shards: int) -> int:
    bigger = [n for n in SHARD_STEPS if n > current]
    return min(bigger[0] if bigger else current * 4, max_shards)


def _hour_start(bucket: str) -> int:
    hour = datetime.strptime(bucket.removeprefix(HOUR_PREFIX), "%Y-%m-%dT%H").replace(tzinfo=UTC)
    return int(hour.timestamp())


class DynamoCounterStore:
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
        self.table_name = table_name
        self.dedup_ttl_seconds = dedup_ttl_seconds
        self.hourly_ttl_seconds = hourly_ttl_seconds
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_budget_seconds = retry_budget_seconds
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self._client = client
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

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = new_client("dynamodb", client_config(attempts=2, read_timeout=2.0))
        return self._client

    def _backoff(self, attempt: int) -> None:
        """Full jitter, capped at 16 times the base."""
        self.sleep(random.uniform(0, self.backoff_seconds * min(2**attempt, 16)))

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
                ExpressionAttributeValues={":n": _n(wanted), ":now": _n(int(at))},
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

    def _read_shard_count(self, content_id: str) -> int:
        item = self.client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": SHARDS_PREFIX + content_id}, "sk": {"S": SHARDS_SK}},
            ConsistentRead=True,
        ).get("Item")
        return int(_number(item, "shards")) if item and "shards" in item else 1

    def _transact_items(self, records: list[LakeRecord], now: float) -> list[dict[str, Any]]:
        """Claims first, in ``records`` order (so cancellation reason *i* is record *i*), then updates."""
        claims = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": {"S": EVENT_PREFIX + r.event_id},
                        "sk": {"S": DEDUP_SK},
                        "expires_at": _n(int(now) + self.dedup_ttl_seconds),
                    },
                    "ConditionExpression": _CLAIM_CONDITION,
                    "ExpressionAttributeValues": {":now": _n(int(now))},
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
        values = {f":{t}": _n(delta.counts[t]) for t in EVENT_TYPES}
        values |= {":events": _n(delta.events), ":view_seconds": _n(delta.view_seconds), ":now": _n(now)}
        adds = ", ".join(f"#{a} :{a}" for a in (*EVENT_TYPES, "events", "view_seconds"))
        sets = "#updated_at = :now"
        names = {k: v for k, v in _NAMES.items() if k != "#expires_at"}
        if key.bucket != TOTAL_BUCKET and self.hourly_ttl_seconds is not None:
            # Anchored on the hour itself, so late events do not keep an old hour alive.
            values[":expires_at"] = _n(_hour_start(key.bucket) + self.hourly_ttl_seconds)
            sets += ", #expires_at = :expires_at"
            names = _NAMES
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

    def _delta(self, item: dict[str, Any]) -> tuple[CounterKey, CounterDelta]:
        key = CounterKey(item["pk"]["S"].removeprefix(CONTENT_PREFIX), item["sk"]["S"])
        return key, CounterDelta(_counts(item), _number(item, "view_seconds"))

    def snapshot(
        self, start_hour: str | None, end_hour: str | None, content_ids: Sequence[str] | None
    ) -> dict[CounterKey, CounterDelta]:
        """TOTAL and hourly buckets: a Query per content when ids are given, else one Scan (the
        table has no index; reconciliation is a batch job, not a request path)."""
        low, high = HOUR_PREFIX + (start_hour or ""), HOUR_PREFIX + (end_hour or "~")
        out: dict[CounterKey, CounterDelta] = {}
        if content_ids is None:
            pages = self.client.get_paginator("scan").paginate(
                TableName=self.table_name,
                FilterExpression="begins_with(pk, :content) AND (sk = :total OR sk BETWEEN :low AND :high)",
                ExpressionAttributeValues={
                    ":content": {"S": CONTENT_PREFIX},
                    ":total": {"S": TOTAL_BUCKET},
                    ":low": {"S": low},
                    ":high": {"S": high},
                },
            )
            out.update(self._delta(item) for page in pages for item in page.get("Items", []))
            return out
        for content_id in dict.fromkeys(content_ids):
            pages = self.client.get_paginator("query").paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk",
                FilterExpression="sk = :total OR sk BETWEEN :low AND :high",
                ExpressionAttributeValues={
                    ":pk": {"S": CONTENT_PREFIX + content_id},
                    ":total": {"S": TOTAL_BUCKET},
                    ":low": {"S": low},
                    ":high": {"S": high},
                },
            )
            out.update(self._delta(item) for page in pages for item in page.get("Items", []))
        return out

    def add(self, deltas: Mapping[CounterKey, CounterDelta]) -> None:
        """Signed differences with ``ADD``, one ``UpdateItem`` per bucket (atomic per item)."""
        now = self.clock()
        for key, delta in sorted(deltas.items()):
            self.client.update_item(**self._update(key, delta, now)["Update"])

    def remember(self, event_ids: Sequence[str]) -> None:
        """Dedup memories for backfilled ids (``BatchWriteItem``, unprocessed items retried)."""
        expires = _n(int(self.clock()) + self.dedup_ttl_seconds)
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

    # --- read side -----------------------------------------------------------------------------

    def content(self, content_id: str) -> ContentCounters | None:
        """The content's totals, summed over its shards (read after the shard count: exact)."""
        shards = self._read_shard_count(content_id)
        items = self._get_many(
            [{"pk": {"S": content_pk(content_id, k)}, "sk": {"S": TOTAL_BUCKET}} for k in range(shards)]
        )
        if not items:
            return None
        counts = {t: sum(int(_number(i, t)) for i in items) for t in EVENT_TYPES}
        return ContentCounters(content_id, counts, sum(_number(i, "view_seconds") for i in items))

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
                item_counts = _counts(item)
                totals[content_id] = (
                    {t: counts[t] + item_counts[t] for t in EVENT_TYPES},
                    seconds + _number(item, "view_seconds"),
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
                    item_counts = _counts(item)
                    by_hour[hour] = (
                        {t: counts[t] + item_counts[t] for t in EVENT_TYPES},
                        seconds + _number(item, "view_seconds"),
                    )
        return [
            HourlyCounters(content_id, hour, counts, seconds)
            for hour, (counts, seconds) in sorted(by_hour.items())
        ]
