"""The counters table's item layout: keys, shards, numbers, and the dedup memory's reads.

Single-table design on the template's ``pk``/``sk`` (no index):

============================  ======================  ===================================================
pk                            sk                      attributes
============================  ======================  ===================================================
``CONTENT#<id>``              ``TOTAL``               one number per event type, ``events``,
                                                      ``view_seconds``, ``updated_at``
``CONTENT#<id>``              ``HOUR#YYYY-MM-DDTHH``  the same, plus ``expires_at`` when
                                                      ``hourly_ttl_seconds``
``SHARD#<k>#CONTENT#<id>``    as ``CONTENT#<id>``     shard ``k`` of a hot content (:mod:`.dynamodb`)
``SHARDS#<id>``               ``SHARDS``              ``shards``: how many shards the content has
``EVENT#<event_id>``          ``EVENT``               ``expires_at`` (the dedup memory; the table's TTL
                                                      attribute)
============================  ======================  ===================================================

Ids go into keys verbatim (a key is any string up to 2,048 bytes and ``#`` inside an id is harmless:
prefixes are stripped from the left, never split on). Shared by the counter store
(:mod:`.dynamodb`) and the social posts' id ledger (:mod:`.ledger`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from audience.core.observability import logger
from audience.ingest.counters import EVENT_TYPES
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
MAX_BATCH_GET_KEYS = 100

# Every attribute goes through a placeholder: VIEW, COMMENT and others are reserved words.
ATTRIBUTE_NAMES = {f"#{a}": a for a in (*EVENT_TYPES, "events", "view_seconds", "updated_at", "expires_at")}


class CounterWriteError(RuntimeError):
    """The counters could not be written within the bounded attempts (the API answers 503).

    ``counted`` holds the ids committed before giving up; a client retry finds them already counted.
    """

    def __init__(self, message: str, counted: set[str]) -> None:
        super().__init__(message)
        self.counted = counted


def number_value(value: float | int) -> dict[str, str]:
    """A DynamoDB number; seconds are kept to the millisecond (Decimal text, never an exponent)."""
    if isinstance(value, int):
        return {"N": str(value)}
    return {"N": f"{round(value, 3):.3f}"}


def number_of(item: dict[str, Any], name: str) -> float:
    return float(item[name]["N"]) if name in item else 0.0


def counts_of(item: dict[str, Any]) -> dict[str, int]:
    return {t: int(number_of(item, t)) for t in EVENT_TYPES}


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


def hour_start(bucket: str) -> int:
    hour = datetime.strptime(bucket.removeprefix(HOUR_PREFIX), "%Y-%m-%dT%H").replace(tzinfo=UTC)
    return int(hour.timestamp())


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
                if number_of(item, "expires_at") >= now:
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
