"""Reconciliation's read of the DynamoDB counters (``snapshot``) and its repair (``add``) with sharding.

A promoted content's counts are spread over ``SHARD#<k>#CONTENT#<id>`` items; the snapshot must sum
them per (content, bucket), or reconciliation would see a drift that is not there and its repair
would double the content's counts.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_testkit import TABLE, lake_record

from audience.ingest.adapters.aws.dynamodb import DynamoCounterStore
from audience.ingest.counters import TOTAL_BUCKET, CounterDelta, CounterKey, aggregate

T0 = 1_790_000_000.0
HOUR = "HOUR#2026-11-21T10"


def _store(dynamodb: Any) -> DynamoCounterStore:
    return DynamoCounterStore(
        TABLE, dedup_ttl_seconds=8 * 86_400, client=dynamodb, clock=lambda: T0, sleep=lambda _: None
    )


def _records(n: int) -> list[Any]:
    return [
        lake_record(f"h{i}", content_id="hot", event_type="view", at="2026-11-21T10:15:00Z", seconds=2)
        for i in range(n)
    ] + [lake_record("c1", content_id="cold", event_type="like", at="2026-11-21T11:00:00Z")]


def test_snapshot_sums_a_promoted_contents_shards(dynamodb: Any) -> None:
    # GIVEN a content promoted to 16 shards whose 64 views were counted in 16 requests of 4
    counters = _store(dynamodb)
    counters.promote("hot")
    counters.promote("hot")
    records = _records(64)
    for start in range(0, 64, 4):
        counters.apply(records[start : start + 4])
    counters.apply(records[64:])
    expected = aggregate(records)
    # WHEN reconciliation reads the counters, by scan and by content id, from a fresh reader
    fresh = _store(dynamodb)
    scanned = fresh.snapshot("2026-11-21T00", "2026-11-21T23", None)
    queried = fresh.snapshot("2026-11-21T00", "2026-11-21T23", ["hot", "cold"])
    # THEN both give one summed delta per (content, bucket), equal to what was counted
    for snapshot in (scanned, queried):
        assert set(snapshot) == set(expected)
        for key, delta in expected.items():
            assert snapshot[key].counts == delta.counts, key
            assert snapshot[key].view_seconds == pytest.approx(delta.view_seconds), key
    assert scanned[CounterKey("hot", TOTAL_BUCKET)].events == 64


def test_repair_of_a_promoted_content_lands_once_in_its_totals(dynamodb: Any) -> None:
    # GIVEN a promoted content whose counters miss two views (a planted drift)
    counters = _store(dynamodb)
    counters.promote("hot")
    records = _records(12)
    counters.apply(records[:4])
    counters.apply(records[4:8])
    counters.apply(records[10:])
    # WHEN the difference to the lake's counts is added (what reconciliation does)
    have = counters.snapshot(None, None, ["hot"])
    want = aggregate(r for r in records if r.content_id == "hot")
    repair = {}
    for key, delta in want.items():
        diff = CounterDelta({t: c - have[key].counts[t] for t, c in delta.counts.items()})
        diff.view_seconds = delta.view_seconds - have[key].view_seconds
        repair[key] = diff
    counters.add(repair)
    # THEN the content's totals, its hour and the next snapshot equal the lake's
    hot = counters.content("hot")
    assert hot is not None and hot.counts["view"] == 12 and hot.view_seconds == pytest.approx(24.0)
    assert [h.counts["view"] for h in counters.hourly("hot", "2026-11-21T10", "2026-11-21T10")] == [12]
    after = counters.snapshot(None, None, ["hot"])
    assert {k: d.counts for k, d in after.items()} == {k: d.counts for k, d in want.items()}
